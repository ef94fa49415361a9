"""A smoke test in a real terminal: tmux runs `kiosk demo`, keys log in and verify."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest

from server.demo_data import DEMO_PASSWORD, generate_students
from tests.e2e.serving import ROOT, kiosk_command

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Terminal:
    """A detached tmux session of 80×24 running one command."""

    def __init__(self, command: list[str]) -> None:
        self.name = f"kiosk-smoke-{uuid.uuid4().hex[:8]}"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", "-c", str(ROOT),
             " ".join(command)],
            check=True,
        )  # fmt: skip

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    def wait_for(self, text: str, timeout_s: float = 60) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        # One key per call: a terminal delivers a burst as one read, which is not how people type.
        for key in keys:
            subprocess.run(
                ["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), key],
                check=True,
            )
            time.sleep(0.15)

    def alive(self) -> bool:
        done = subprocess.run(
            ["tmux", "has-session", "-t", self.name], capture_output=True, check=False
        )
        return done.returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)


def test_kiosk_demo_in_tmux_reaches_the_receipt() -> None:
    student_no = generate_students()[0].values["student_no"]
    terminal = Terminal([*kiosk_command("demo")])
    try:
        terminal.wait_for("按 Enter 开始", timeout_s=120)
        terminal.keys("Enter")
        terminal.wait_for("登录学信档案")  # the login box; 用户名 is on the welcome screen too
        terminal.keys(student_no, literal=True)
        terminal.keys("Enter")
        terminal.keys(DEMO_PASSWORD, literal=True)
        terminal.keys("Enter")
        terminal.wait_for("剩余")  # the record has loaded (its deadline counts down)
        terminal.keys("Enter")
        terminal.wait_for("共 17 项")
        terminal.keys(*["y"] * 17)
        terminal.wait_for("照片是你本人")
        terminal.keys("y")
        terminal.wait_for("勾选声明")
        terminal.keys("Space")
        terminal.wait_for("▐X▌")  # the declaration is ticked
        terminal.keys("s")
        terminal.wait_for("确认提交")
        terminal.keys("y")
        screen = terminal.wait_for("回执号")
        assert "已提交" in screen
        # ctrl+c does nothing; the staff PIN (2468 in config.toml) ends the demo.
        terminal.keys("C-c")
        assert "回执号" in terminal.screen()
        terminal.keys("C-q")
        terminal.wait_for("PIN")
        terminal.keys("2468", literal=True)
        terminal.keys("Enter")
        # The kiosk exits, stops its demo server, and tmux closes the session with it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and terminal.alive():
            time.sleep(0.3)
        assert not terminal.alive()
    finally:
        terminal.close()
