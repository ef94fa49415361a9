"""The console's terminals screen (T on the board) against a real server: a code with its QR, retiring."""

from __future__ import annotations

import httpx
from textual.widgets import DataTable

from kiosk.client import ApiError
from kiosk.protocol.terminal import HeartbeatRequest
from screens.staff.enrolment import EnrolmentCodeModal, EnrolmentScreen
from screens.widgets.qr import QRCodeView
from tests.staff_console_server import LiveServer, log_in, text, wait_for

SIZE = (80, 24)


async def test_a_proctor_makes_a_code_a_pc_enrols_and_a_terminal_is_retired(
    server: LiveServer,
) -> None:
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "proctor")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, EnrolmentScreen))
        await wait_for(pilot, lambda: "A101" in text(app, "#enrol-lab-line"))
        table = app.screen.query_one("#enrol-terminals", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)

        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, EnrolmentCodeModal))
        await pilot.press("backspace", "3", "enter")
        await wait_for(pilot, lambda: "注册码：" in text(app, "#enrol-code"))
        code = text(app, "#enrol-code").split("：", 1)[1]
        assert "3 台电脑可用" in text(app, "#enrol-detail")
        assert f"kiosk enrol {code}" in text(app, "#enrol-command")
        assert app.screen.query_one("#enrol-qr", QRCodeView).display

        enrolled = httpx.post(
            f"{server.url}/api/v1/terminals/enrol", json={"code": code, "name": "t03"}
        )
        assert enrolled.status_code == 201, enrolled.text

        # R twice on the highlighted row (t01) retires it; its kiosk is refused at once.
        await pilot.press("r")
        assert "再按一次 R 停用 t01" in text(app, "#message")
        await pilot.press("r")
        await wait_for(pilot, lambda: "t01 已停用" in text(app, "#message"))
        await wait_for(pilot, lambda: table.row_count == 2)  # t02 and the new t03
        kiosk = server.kiosk(0)
        try:
            await kiosk.heartbeat(HeartbeatRequest(state="idle"))
        except ApiError as error:
            assert error.code == "terminal_key_invalid"
        else:
            raise AssertionError("the retired terminal's key still works")
        finally:
            await kiosk.aclose()


async def test_the_proctor_locks_and_messages_the_highlighted_terminal(server: LiveServer) -> None:
    app = server.console()
    kiosk = server.kiosk(0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "proctor")
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, EnrolmentScreen))
            table = app.screen.query_one("#enrol-terminals", DataTable)
            await wait_for(pilot, lambda: table.row_count == 2)
            await pilot.press("k")
            await wait_for(pilot, lambda: "已发送给 t01" in text(app, "#message"))
            await pilot.press("m", *"请举手", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, EnrolmentScreen))
            await app.workers.wait_for_complete()
            answer = await kiosk.heartbeat(HeartbeatRequest(state="idle"))
            assert (answer.locked, answer.message) == (True, "请举手")
            await pilot.press("u")
            await wait_for(pilot, lambda: "已发送给 t01" in text(app, "#message"))
            await app.workers.wait_for_complete()
            assert not (await kiosk.heartbeat(HeartbeatRequest(state="idle"))).locked
    finally:
        await kiosk.aclose()
