"""Nothing typed at the console is lost: a refused plan keeps its form, and a login that
expires inside a dialog comes back to the same dialog, with its comment and proof, after the
same person logs in again (Pilot against a real server)."""

from __future__ import annotations

import uuid

import httpx
from textual.widgets import DataTable, Input

from screens.staff.board import BoardScreen
from screens.staff.corrections import CorrectionsScreen
from screens.staff.login import LoginScreen
from screens.staff.plan import PlanSessionModal
from screens.staff.sessions import SessionsScreen
from tests.server.conftest import PASSWORD
from tests.staff_console_server import LiveServer, email, log_in, result_for, text, wait_for

SIZE = (100, 30)


async def _revoke(server: LiveServer, token: str | None) -> None:
    """End the console's login behind its back, as an expiry would."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.delete(
            "/api/v1/staff/sessions/current", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 204


async def test_a_refused_plan_keeps_the_form_open_with_the_reason(server: LiveServer) -> None:
    app = server.console("en")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "registrar")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanSessionModal))
        modal = app.screen
        modal.query_one("#plan-lab", Input).value = "Z999"
        await pilot.press(*"Afternoon", *["enter"] * 6, *"202210010003", "enter")
        await wait_for(pilot, lambda: "No such lab" in text(app, "#plan-message"))
        assert app.screen is modal
        assert modal.query_one("#plan-title", Input).value == "Afternoon"
        assert modal.query_one("#plan-numbers", Input).value == "202210010003"
        assert len(await app.client.sessions()) == 1  # nothing was planned

        modal.query_one("#plan-lab", Input).value = "B202"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await wait_for(pilot, lambda: table.row_count == 2)
        assert "Session 2 planned" in text(app, "#message")


async def test_an_expired_login_comes_back_to_the_dialog_with_its_typing(
    server: LiveServer,
) -> None:
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    await kiosk.submit(result_for(await kiosk.record(), "name"), str(uuid.uuid4()))
    await kiosk.aclose()
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "李四" in text(app, "#correction-body"))
        dialog = app.screen
        dialog.query_one("#comment", Input).value = "户口本已核对"
        dialog.query_one("#proof", Input).value = "户口本原件"

        await _revoke(server, app.client.token)
        await pilot.press("ctrl+a")
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert "请重新登录" in text(app, "#message")
        await log_in(pilot, "office")
        assert app.screen is dialog
        assert dialog.query_one("#comment", Input).value == "户口本已核对"
        assert dialog.query_one("#proof", Input).value == "户口本原件"
        assert "重新登录后回到这里" in text(app, "#correction-message")

        await pilot.press("ctrl+a")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await wait_for(pilot, lambda: "学院已通过" in text(app, "#message"))
        (row,) = (await app.client.corrections()).corrections
        assert row.state == "college_accepted"
        assert (await app.client.correction(row.id)).proof == "户口本原件"


async def test_someone_else_logging_in_does_not_get_the_last_persons_screen(
    server: LiveServer,
) -> None:
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "registrar")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await _revoke(server, app.client.token)
        await pilot.press("f4")  # the reload finds the login gone
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        await log_in(pilot, "proctor")
        assert isinstance(app.screen, BoardScreen)
        assert [type(screen).__name__ for screen in app.screen_stack[1:]] == ["BoardScreen"]
