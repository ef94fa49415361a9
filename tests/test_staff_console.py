"""The staff console driven with Pilot against a real server, while kiosks verify."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import httpx
from textual.widgets import DataTable, Input

from kiosk.config import ServerSettings
from kiosk.protocol import HeartbeatRequest
from screens.staff.app import StaffApp
from screens.staff.board import BoardScreen, TerminalCard
from screens.staff.login import LoginScreen
from screens.staff.sessions import SessionsScreen
from screens.staff.students import StudentsScreen
from screens.widgets.i18n import Tr
from tests.server.conftest import PASSWORD
from tests.staff_console_server import (
    LiveServer,
    email,
    log_in,
    result_for,
    text,
    wait_for,
)

SIZE = (80, 24)
BOARD_LAG_S = 2.0
"""The issue's promise: the board is never more than 2 s behind."""


def card(app: StaffApp, name: str) -> str:
    """The text of a terminal's card on the board."""
    for item in app.screen.query(TerminalCard):
        if item.terminal.name == name:
            return item.text_in(app.lang)
    return ""


async def test_the_board_follows_kiosks_within_two_seconds(server: LiveServer) -> None:
    app = server.console()
    kiosk = server.kiosk(0)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "proctor")
        assert isinstance(app.screen, BoardScreen)
        await wait_for(pilot, lambda: "共 4 人 · 未开始 4" in text(app, "#progress-text"))
        assert "计算机221 校对" in text(app, "#board-session")
        assert "离线" in card(app, "t01")

        await kiosk.login(email(1), PASSWORD)
        await kiosk.heartbeat(HeartbeatRequest(state="in_use", step="fields", student_masked="张*"))
        lag = await wait_for(
            pilot,
            lambda: "使用中" in card(app, "t01") and "进行中 1" in text(app, "#progress-text"),
        )
        assert lag <= BOARD_LAG_S
        assert "逐项核对 张*" in card(app, "t01")

        current = await kiosk.record()
        await kiosk.submit(result_for(current, "name"), str(uuid.uuid4()))
        await kiosk.logout()
        await kiosk.heartbeat(HeartbeatRequest(state="idle", step="welcome"))
        lag = await wait_for(
            pilot,
            lambda: "报告勘误 1" in text(app, "#progress-text") and "空闲" in card(app, "t01"),
        )
        assert lag <= BOARD_LAG_S
        other = server.kiosk(1)
        await other.login(email(2), PASSWORD)
        await other.submit(result_for(await other.record()), str(uuid.uuid4()))
        lag = await wait_for(pilot, lambda: "全部正确 1" in text(app, "#progress-text"))
        assert lag <= BOARD_LAG_S
        await pilot.press("f2")
        assert "corrections 1" in text(app, "#progress-text")
        assert "idle" in card(app, "t01")
        await pilot.press("l")  # the other lab: no session there
        await wait_for(pilot, lambda: "B202" in text(app, "#board-where"))
        assert "No session" in text(app, "#board-session")
    await kiosk.aclose()
    await other.aclose()


async def test_plan_start_end_and_save_the_report(server: LiveServer, tmp_path: Path) -> None:
    app = server.console("en")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "registrar")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Afternoon", *["enter"] * 6)
        await pilot.press(*"202210010003 202210010004", "enter")
        await wait_for(pilot, lambda: table.row_count == 2)
        assert "planned" in str(table.get_row_at(table.cursor_row))
        await pilot.press("s")  # A101 already has a running session
        await wait_for(pilot, lambda: "running in that lab" in text(app, "#message"))
        await pilot.press("down")
        await pilot.press("e")
        await wait_for(pilot, lambda: "ended" in text(app, "#message"))
        await pilot.press("c")
        await pilot.pause()
        target = tmp_path / "report.csv"
        path_input = app.screen.query_one(Input)
        path_input.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists())
        await wait_for(pilot, lambda: "Report saved" in text(app, "#message"))
        assert "did not come 4" in text(app, "#report-summary")
        rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
        # The heading (title, lab, date in Beijing time, proctor), a blank line, the table.
        assert rows[0] == ["监考场次报告 / Supervised session report", "计算机221 校对"]
        assert rows[2] == ["日期 / Date", "2026-06-01 15:50–18:00"]
        assert len(rows) == 10 and rows[5][0] == "学号 / Student no."
        # Saving again asks before overwriting.
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        assert "exists" in app.screen.query_one("#save-message", Tr).text_in("en")
        await pilot.press("escape")


async def test_a_proctor_is_told_what_the_role_may_not_do(server: LiveServer) -> None:
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "proctor")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, StudentsScreen))
        await pilot.press(*"2022", "enter")
        await wait_for(pilot, lambda: "无权" in text(app, "#message"))
        assert "监考" in text(app, "#message")
        await pilot.press("f2")
        assert "Your role (proctor) may not do this" in text(app, "#message")


async def test_an_office_finds_a_student_and_reopens_the_window(server: LiveServer) -> None:
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        assert isinstance(app.screen, StudentsScreen)
        await pilot.press(*"20221001", "enter")
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 4)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "校对时间" in text(app, "#detail"))
        assert "未校对" in text(app, "#detail")
        await pilot.press("f6")  # the window is still open
        await wait_for(pilot, lambda: "无需重新开放" in text(app, "#message"))


async def test_too_many_logins_from_one_computer_are_refused_plainly(
    server: LiveServer,
) -> None:
    limit = ServerSettings.model_fields["staff_login_attempts_per_minute"].default
    async with httpx.AsyncClient(base_url=server.url) as client:
        for n in range(limit):  # a new name each time, so no account lock comes first
            guess = {"username": f"nobody{n}@test", "password": "guessing"}
            assert (await client.post("/api/v1/staff/sessions", json=guess)).status_code == 401
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "proctor")
        assert isinstance(app.screen, LoginScreen)
        assert "登录的尝试过于频繁" in text(app, "#message")


async def test_wrong_password_and_logout(server: LiveServer) -> None:
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "proctor", "wrong-password")
        assert isinstance(app.screen, LoginScreen)
        assert "用户名或密码不正确" in text(app, "#message")
        app.screen.query_one("#username", Input).value = ""
        app.screen.query_one("#username", Input).focus()
        await log_in(pilot, "proctor")
        assert isinstance(app.screen, BoardScreen)
        assert "proctor@test（监考）" in text(app, "#who")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert app.client.token is None


def test_refusals_are_told_in_words() -> None:
    from kiosk.client import ApiError
    from kiosk.i18n import Msg
    from kiosk.protocol import FieldError, ProblemDetails
    from screens.staff import text as T

    other = ApiError(
        403, "other_college", ProblemDetails(title="x", status=403, code="other_college")
    )
    told = T.error_text(other, "college_office")
    assert "其他学院的学生" in told.zh and "another college's student" in told.en
    problem = ProblemDetails(
        title="x", status=409, code="bulk_failed",
        errors=[
            FieldError(field="ids.1", code="invalid_transition", message="7: A ... cannot"),
            FieldError(field="ids.2", code="date_invalid", message="8: 没有这一天 / No such day"),
        ],
    )  # fmt: skip
    said = T.bulk_refusal(problem, [5, 7, 8], {})
    assert said.zh.startswith("批量操作未执行：勘误 7：该勘误当前状态下不能进行此操作")
    assert "invalid_transition" not in said.zh + said.en and "另有 1 条" in said.zh
    assert T.save_failed(FileNotFoundError(2, "No such file or directory")) == Msg(
        "无法写入该文件：文件夹不存在", "Cannot write that file: the folder does not exist"
    )
    assert T.history_what("correction", "college_accepted", "photo") == Msg(
        "照片 学院已通过", "photo college accepted"
    )
    assert T.history_what("login", "ok", None) == Msg("成功", "succeeded")
