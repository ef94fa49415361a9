"""Sessions at the console: a planned one is edited (the form comes prefilled) or cancelled
(once confirmed), a running one extended (only its end can change)."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from screens.staff.plan import PlanSessionModal
from screens.staff.sessions import SessionsScreen
from screens.widgets.confirm import ConfirmModal
from tests.staff_console_server import LiveServer, log_in, text, wait_for
from tests.waiting import settle

SIZE = (100, 30)


def _rows(table: DataTable[object]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_edit_extend_and_cancel_sessions(server: LiveServer) -> None:
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "proctor")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)

        # The running session: only its end can change, and only to later.
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanSessionModal))
        assert app.screen.query_one("#plan-title", Input).disabled
        assert app.screen.query_one("#plan-title", Input).value == "计算机221 校对"
        until = app.screen.query_one("#plan-until", Input)
        assert until.has_focus and until.value == "18:00"
        until.value = "19:30"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "已更新" in text(app, "#message"))
        await wait_for(pilot, lambda: "–19:30" in _rows(table)[0][3])
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanSessionModal))
        app.screen.query_one("#plan-until", Input).value = "19:00"
        await pilot.press("ctrl+s")
        # Refused: the dialog stays with the reason and what was typed, to be corrected.
        await wait_for(pilot, lambda: "须晚于原结束时间" in text(app, "#plan-message"))
        assert isinstance(app.screen, PlanSessionModal)
        assert app.screen.query_one("#plan-until", Input).value == "19:00"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        assert "–19:30" in _rows(table)[0][3]
        await pilot.press("d")  # a running session cannot be cancelled
        await wait_for(pilot, lambda: "当前状态下不能" in text(app, "#message"))

        # A planned one: the form comes prefilled; the new title and roster are kept.
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"下午", *["enter"] * 6)
        await pilot.press(*"202210010003 202210010004", "enter")
        await wait_for(pilot, lambda: table.row_count == 2)
        planned = next(i for i, row in enumerate(_rows(table)) if row[1] == "下午")
        table.move_cursor(row=planned)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanSessionModal))
        title = app.screen.query_one("#plan-title", Input)
        assert title.value == "下午" and not title.disabled
        title.value = "下午补测"
        app.screen.query_one("#plan-numbers", Input).value = "202210010003"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(row[1] == "下午补测" for row in _rows(table)))
        row = next(row for row in _rows(table) if row[1] == "下午补测")
        assert row[5] == "1" and row[4] == "计划中"

        table.move_cursor(row=next(i for i, r in enumerate(_rows(table)) if r[1] == "下午补测"))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "场次" in text(app, "#confirm-body") and "下午补测" in text(app, "#confirm-body")
        await pilot.press("escape")  # not confirmed: the session stays planned
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await settle(pilot)
        assert table.row_count == 2 and "已取消" not in text(app, "#message")
        assert [r[4] for r in _rows(table) if r[1] == "下午补测"] == ["计划中"]
        assert len(await app.client.sessions()) == 2
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: table.row_count == 1)
        assert "已取消" in text(app, "#message")
