"""`kiosk run` in a real terminal: Ctrl+C, Ctrl+\\ and Ctrl+Z from the first instant do nothing;
SIGTERM ends it with the outbox intact and the screen cleared."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.outbox import Outbox
from tests.e2e.serving import ROOT, free_port, serving
from tests.test_submission import pending

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc"),
]

KIOSK = ROOT / ".venv" / "bin" / "kiosk"
KEYBOARD_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)
WELCOME = "按 Enter 开始"


def _unit_exec_start() -> list[str]:
    """deploy/kiosk.service's ExecStart, so the test starts the kiosk as a lab PC does."""
    text = (ROOT / "deploy" / "kiosk.service").read_text(encoding="utf-8")
    match = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert match is not None
    return shlex.split(match.group(1))


class Pane:
    """A detached 80×24 tmux session whose process is the kiosk itself (exec)."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.name = f"kiosk-lock-{uuid.uuid4().hex[:8]}"
        exports = [f"{key}={value}" for key, value in env.items()]
        # Given as separate arguments, tmux executes the command without a shell in between.
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24",
             "env", *exports, *command, ";", "set-option", "remain-on-exit", "on"],
            check=True,
        )  # fmt: skip
        self.pid = int(self._tmux("display-message", "-p", "#{pane_pid}").strip())

    def _tmux(self, command: str, *args: str) -> str:
        return subprocess.run(
            ["tmux", command, "-t", self.name, *args], capture_output=True, text=True, check=False
        ).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def hammer(self, times: int) -> None:
        """Ctrl+C, Ctrl+\\ and Ctrl+Z through the terminal, as fast as tmux takes them."""
        for _ in range(times):
            for key in ("C-c", "C-\\", "C-z"):
                subprocess.run(
                    ["tmux", "send-keys", "-t", self.name, key], capture_output=True, check=False
                )

    def dead(self) -> bool:
        return self._tmux("display-message", "-p", "#{pane_dead}").strip() == "1"

    def state(self) -> str:
        """The process's state letter (R, S, T for stopped, …), or "" when it is gone."""
        try:
            return Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return ""

    def ignored(self) -> set[int]:
        text = Path(f"/proc/{self.pid}/status").read_text()
        mask = int(re.search(r"^SigIgn:\s*([0-9a-f]+)$", text, re.MULTILINE).group(1), 16)  # type: ignore[union-attr]
        return {number for number in KEYBOARD_SIGNALS if mask & (1 << (number - 1))}

    def wait_for(self, text: str, timeout_s: float = 60) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True, check=False)


@pytest.fixture
def kiosk_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A terminal whose server is unreachable, with one result waiting in its outbox."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[kiosk]\nserver_url = "http://127.0.0.1:{free_port()}"\nterminal_key = "1.lab-test"\n',
        encoding="utf-8",
    )
    yield {
        "KIOSK_CONFIG": str(config),
        "KIOSK_KIOSK__OUTBOX_PATH": str(tmp_path / "state" / "outbox.sqlite3"),
        "TERM": "xterm-256color",
    }


def _assert_ends_on_sigterm_with_the_outbox_intact(pane: Pane, outbox_path: Path) -> None:
    os.kill(pane.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not pane.dead():
        time.sleep(0.2)
    assert pane.dead()
    # Textual left the alternate screen and the kiosk cleared the rest: no trace on screen.
    left = [line for line in pane.screen().splitlines() if line.strip()]
    assert all(line.startswith("Pane is dead (status 0") for line in left), left  # tmux's note
    with Outbox.open(outbox_path) as box:
        assert box.counts().waiting == 1


def test_the_deployed_command_survives_ctrl_c_from_the_first_instant(
    kiosk_env: dict[str, str],
) -> None:
    outbox_path = Path(kiosk_env["KIOSK_KIOSK__OUTBOX_PATH"])
    with Outbox.open(outbox_path) as box:
        box.save(pending())
    command = [str(KIOSK) if arg.endswith("/bin/kiosk") else arg for arg in _unit_exec_start()]
    pane = Pane(command, kiosk_env)
    try:
        pane.hammer(40)  # starts the moment tmux has the pane, before Python is up
        pane.wait_for(WELCOME)
        pane.hammer(20)
        time.sleep(0.5)
        assert not pane.dead()
        assert WELCOME in pane.screen()
        _assert_ends_on_sigterm_with_the_outbox_intact(pane, outbox_path)
    finally:
        pane.close()


def test_kiosk_run_alone_ignores_the_keys_from_its_first_line(kiosk_env: dict[str, str]) -> None:
    """Without the unit's `env --ignore-signal`: the kiosk's own first line locks down."""
    outbox_path = Path(kiosk_env["KIOSK_KIOSK__OUTBOX_PATH"])
    with Outbox.open(outbox_path) as box:
        box.save(pending())
    pane = Pane([str(KIOSK), "run"], kiosk_env)
    try:
        # The interpreter's own start (before any line of the kiosk) is the unit's to guard;
        # from the kiosk's first line on, the process ignores the keys: hammer from then.
        deadline = time.monotonic() + 30
        while pane.ignored() != set(KEYBOARD_SIGNALS) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert pane.ignored() == set(KEYBOARD_SIGNALS)
        assert WELCOME not in pane.screen()  # locked before Textual drew anything
        pane.hammer(40)
        pane.wait_for(WELCOME)
        # Textual's driver handles SIGTSTP to suspend; the kiosk took it back.
        assert pane.ignored() == set(KEYBOARD_SIGNALS)
        for number in KEYBOARD_SIGNALS:
            os.kill(pane.pid, number)
        pane.hammer(10)
        time.sleep(0.5)
        assert pane.state() not in ("", "T", "Z")
        assert WELCOME in pane.screen()
        _assert_ends_on_sigterm_with_the_outbox_intact(pane, outbox_path)
    finally:
        pane.close()


def test_sigterm_with_a_student_logged_in_logs_them_out_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """A shutdown in the middle of a check: the server hears the logout, the screen is empty."""
    database = tmp_path / "server.db"
    with serving(f"sqlite+aiosqlite:///{database}", "--demo") as server:
        accounts = server.demo_accounts()
        student = accounts["students"][0]
        config = tmp_path / "config.toml"
        config.write_text(
            f'[kiosk]\nserver_url = "{server.url}"\nterminal_key = "{accounts["terminal_key"]}"\n',
            encoding="utf-8",
        )
        env = {
            "KIOSK_CONFIG": str(config),
            "KIOSK_KIOSK__OUTBOX_PATH": str(tmp_path / "state" / "outbox.sqlite3"),
            "TERM": "xterm-256color",
        }
        pane = Pane([str(KIOSK), "run"], env)
        try:
            pane.wait_for(WELCOME)
            for keys in (["Enter"], [student["username"]], ["Enter"], [student["password"]]):
                subprocess.run(["tmux", "send-keys", "-t", pane.name, "-l", *keys]
                               if keys != ["Enter"] else
                               ["tmux", "send-keys", "-t", pane.name, "Enter"], check=True)  # fmt: skip
                time.sleep(0.3)
            subprocess.run(["tmux", "send-keys", "-t", pane.name, "Enter"], check=True)
            pane.wait_for("剩余")  # the record is on screen
            os.kill(pane.pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not pane.dead():
                time.sleep(0.2)
            assert pane.dead()
            left = [line for line in pane.screen().splitlines() if line.strip()]
            assert all(line.startswith("Pane is dead (status 0") for line in left), left
        finally:
            pane.close()
        with sqlite3.connect(database) as db:
            actions = [row[0] for row in db.execute("SELECT action FROM audit_events")]
    assert actions.count("login") == 1 and actions.count("logout") == 1
