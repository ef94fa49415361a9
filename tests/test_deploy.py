"""deploy/: the systemd unit and the getty drop-in pass systemd's own checks, and say what the
README promises (a restarting, unprivileged, read-only service with its outbox in its state)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.serving import ROOT

DEPLOY = ROOT / "deploy"
GETTY_TEMPLATE = next(
    (
        path
        for path in (
            Path("/lib/systemd/system/getty@.service"),
            Path("/usr/lib/systemd/system/getty@.service"),
        )
        if path.exists()
    ),
    None,
)

needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _settings(path: Path) -> dict[str, list[str]]:
    """The unit's ``Key=value`` lines (keys repeat in systemd units, so each has a list)."""
    settings: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_unit_says_what_the_readme_promises() -> None:
    unit = _settings(DEPLOY / "kiosk.service")
    assert unit["Restart"] == ["always"]
    assert unit["User"] == ["kiosk"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["StateDirectory"] == ["kiosk"]
    assert "KIOSK_KIOSK__OUTBOX_PATH=/var/lib/kiosk/outbox.sqlite3" in unit["Environment"]
    assert "--ignore-signal=INT,QUIT,TSTP" in unit["ExecStart"][0]


@needs_systemd
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = tmp_path / "kiosk.service"
    shutil.copy(DEPLOY / "kiosk.service", unit)
    done = _verify(unit)
    assert done.returncode == 0, done.stderr
    assert "kiosk.service" not in done.stderr  # no warning about our unit either


@needs_systemd
def test_a_broken_unit_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a second ExecStart makes systemd refuse the unit."""
    unit = tmp_path / "kiosk.service"
    text = (DEPLOY / "kiosk.service").read_text(encoding="utf-8")
    unit.write_text(text.replace("[Service]\n", "[Service]\nExecStart=/bin/true\n"), "utf-8")
    assert _verify(unit).returncode != 0


@needs_systemd
@pytest.mark.skipif(GETTY_TEMPLATE is None, reason="systemd's getty@.service is not installed")
def test_the_autologin_drop_in_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    assert GETTY_TEMPLATE is not None
    shutil.copy(GETTY_TEMPLATE, tmp_path / "getty@.service")
    (tmp_path / "getty@.service.d").mkdir()
    shutil.copy(DEPLOY / "getty-autologin.conf", tmp_path / "getty@.service.d" / "autologin.conf")
    (tmp_path / "getty@tty1.service").symlink_to("getty@.service")
    done = _verify(tmp_path / "getty@tty1.service")
    assert done.returncode == 0, done.stderr
