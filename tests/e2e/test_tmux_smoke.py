"""A smoke test in a real terminal: tmux runs `kiosk demo`, keys log in and verify."""

from __future__ import annotations

import pytest

from server.demo_data import DEMO_PASSWORD, generate_students
from tests.e2e.serving import ROOT, kiosk_command
from tests.terminal.tmux import Terminal, requires_tmux

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), requires_tmux]


def test_kiosk_demo_in_tmux_reaches_the_receipt() -> None:
    student_no = generate_students()[0].values["student_no"]
    terminal = Terminal(kiosk_command("demo"), cwd=ROOT)
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
        terminal.wait_closed()
    finally:
        terminal.close()
