"""`kiosk demo` in tmux: it warns that phones cannot reach 127.0.0.1, and --public-host puts
the machine's network address into the photo links."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from kiosk.protocol.base import TERMINAL_KEY_HEADER
from tests.e2e.serving import ROOT, kiosk_command
from tests.e2e.test_lockdown_tmux import Pane

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
WELCOME = "按 Enter 开始"


def _before_the_app(pane: Pane) -> str:
    """What was printed before the kiosk took the screen (tmux keeps it aside)."""
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-a", "-t", pane.name],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip


def test_the_demo_warns_that_phones_cannot_reach_loopback(tmp_path: Path) -> None:
    pane = Pane([*kiosk_command("demo")], {"TMPDIR": str(tmp_path), "TERM": "xterm-256color"})
    try:
        pane.wait_for(WELCOME, timeout_s=120)
        printed = _before_the_app(pane)
        assert "phones cannot reach 127.0.0.1" in printed
        assert "--public-host" in printed
    finally:
        pane.close()


def test_public_host_puts_that_address_into_the_photo_links(tmp_path: Path) -> None:
    command = [*kiosk_command("demo", "--public-host", "192.0.2.7")]
    pane = Pane(command, {"TMPDIR": str(tmp_path), "TERM": "xterm-256color"})
    try:
        pane.wait_for(WELCOME, timeout_s=120)
        printed = _before_the_app(pane)
        assert "phones cannot reach" not in printed
        port = re.search(r"http://127\.0\.0\.1:(\d+)", printed)
        assert port is not None, printed
        # The demo's secret is made for the run, so only the accounts file its server wrote
        # knows the demo terminal's key.
        (listed,) = tmp_path.glob("kiosk-demo-*/demo-accounts.json")
        accounts = json.loads(listed.read_text(encoding="utf-8"))
        student = accounts["students"][0]
        url = f"http://127.0.0.1:{port.group(1)}"
        key = {TERMINAL_KEY_HEADER: accounts["terminal_key"]}
        login = httpx.post(
            f"{url}/api/v1/sessions",
            json={"username": student["username"], "password": student["password"]},
            headers=key,
        )
        assert login.status_code == 201, login.text
        link = httpx.post(
            f"{url}/api/v1/me/photo-link",
            headers=key | {"Authorization": f"Bearer {login.json()['token']}"},
        )
        assert link.status_code == 200, link.text
        assert link.json()["url"].startswith(f"http://192.0.2.7:{port.group(1)}/p/")
    finally:
        pane.close()
        time.sleep(0.5)  # the kiosk's exit stops its demo server


def test_public_host_refuses_a_loopback_address() -> None:
    done = subprocess.run(
        [*kiosk_command("demo", "--public-host", "127.0.0.1")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--public-host" in done.stderr
