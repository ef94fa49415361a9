"""The kiosk in a real terminal (tmux), driven key by key: what the screen shows, and when.

Pilot tests wait for the app to be idle before they look, so they cannot see a screen that
is painted late; these read the terminal itself. "Within 1 s" is a correctness bound (a
screen change must show while the student still looks for it), not a benchmark.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.serving import RunningServer
from tests.terminal.conftest import StartKiosk
from tests.terminal.tmux import Terminal, requires_tmux

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240), requires_tmux]

SHOWS_WITHIN_S = 1.0
"""A screen change after a key must show within this."""
WELCOME = "按 Enter 开始"
LOGIN = "登录学信档案"
RECORD = "剩余"  # the record overview's deadline countdown
FIELDS = "第 1 项，共 17 项"


def account(demo: tuple[RunningServer, dict[str, Any]], index: int) -> tuple[str, str]:
    row = demo[1]["students"][index]
    return row["username"], row["password"]


def log_in(terminal: Terminal, username: str, password: str) -> None:
    terminal.keys(username, literal=True)
    terminal.keys("Enter")
    terminal.keys(password, literal=True)
    terminal.keys("Enter")
    terminal.wait_for(RECORD, timeout_s=20)


def test_three_students_one_after_another_every_screen_shows_at_once(
    start_kiosk: StartKiosk, demo: tuple[RunningServer, dict[str, Any]]
) -> None:
    terminal = start_kiosk()
    timings: list[tuple[int, str, float]] = []
    for student in range(3):
        username, password = account(demo, student)
        timings.append((student, "welcome → login", terminal.press_until("Enter", LOGIN)))
        log_in(terminal, username, password)
        timings.append((student, "record → fields", terminal.press_until("Enter", FIELDS)))
        timings.append((student, "mark correct", terminal.press_until("y", "第 2 项，共 17 项")))
        timings.append((student, "fields → record", terminal.press_until("Escape", RECORD)))
        timings.append((student, "logout", terminal.press_until("Escape", WELCOME)))
        screen = terminal.screen()
        assert LOGIN not in screen and RECORD not in screen
    after_first_logout = [timing for timing in timings if timing[0] > 0]
    slow = [timing for timing in after_first_logout if timing[2] > SHOWS_WITHIN_S]
    assert not slow, f"screen changes that took over {SHOWS_WITHIN_S} s: {slow}"


def test_the_letter_that_dismisses_the_idle_warning_changes_nothing(
    start_kiosk: StartKiosk, demo: tuple[RunningServer, dict[str, Any]]
) -> None:
    terminal = start_kiosk(idle_timeout_s=15, idle_warning_s=60)
    terminal.keys("Enter")
    terminal.wait_for(LOGIN)
    log_in(terminal, *account(demo, 3))
    terminal.keys("Enter")
    terminal.wait_for(FIELDS)
    terminal.wait_for("还在吗", timeout_s=30)
    terminal.keys("y")
    screen = terminal.wait_for("这一项正确吗")
    assert "还在吗" not in screen
    assert FIELDS in screen and "已标记" not in screen


def test_the_language_is_reset_for_the_next_student(start_kiosk: StartKiosk) -> None:
    terminal = start_kiosk()
    terminal.keys("Enter")
    terminal.wait_for(LOGIN)
    terminal.keys("F2")
    terminal.wait_for("Log in to your record")
    terminal.keys("Escape")
    screen = terminal.wait_for(WELCOME)
    assert "Press Enter to start" not in screen


def test_user_tab_password_enter_in_one_burst_logs_in(
    start_kiosk: StartKiosk, demo: tuple[RunningServer, dict[str, Any]]
) -> None:
    """What a password manager or a card reader sends: one write, Tab and Enter inside."""
    terminal = start_kiosk()
    terminal.keys("Enter")
    terminal.wait_for(LOGIN)
    username, password = account(demo, 4)
    terminal.paste(f"{username}\t{password}\r")
    terminal.wait_for(RECORD, timeout_s=20)


def test_the_staff_pin_is_throttled_across_a_restart(start_kiosk: StartKiosk) -> None:
    terminal = start_kiosk()
    terminal.keys("C-q")
    terminal.wait_for("工作人员 PIN")
    for _ in range(3):
        terminal.keys("1111", literal=True)
        terminal.keys("Enter")
        terminal.wait_for("PIN")
    terminal.wait_for("秒后再试")
    # The right PIN (2468, config.toml) is not even checked while the wait lasts.
    terminal.keys("2468", literal=True)
    terminal.keys("Enter")
    assert "秒后再试" in terminal.wait_for("秒后再试") and terminal.alive()
    terminal.close()
    again = start_kiosk()
    again.keys("C-q")
    again.wait_for("秒后再试")
