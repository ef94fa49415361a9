"""Remote control through the heartbeat: a real server, the real kiosk client and app.

The proctor of the running session in A101 ends a student's session, locks the terminal and
leaves a message; the kiosk acts at its next heartbeat, and unlocks at a later one.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.pilot import Pilot

from kiosk.config import KioskSettings
from screens import text as T
from screens.app import KioskApp, create_app
from screens.lock import LockScreen
from screens.login import LoginScreen
from screens.welcome import WelcomeScreen
from screens.widgets.i18n import Tr
from tests.server.conftest import PASSWORD, START
from tests.server.staff_world import STAFF
from tests.staff_console_server import LiveServer, email, wait_for

SIZE = (100, 30)


def _proctor(server: LiveServer) -> dict[str, str]:
    login = httpx.post(
        f"{server.url}/api/v1/staff/sessions",
        json={"username": STAFF["proctor"][0], "password": PASSWORD},
    )
    assert login.status_code == 201, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def _control(server: LiveServer, headers: dict[str, str], **body: str) -> None:
    # Terminal 1 is t01 in A101, the kiosk of this test.
    done = httpx.post(f"{server.url}/api/v1/staff/terminals/1/control", json=body, headers=headers)
    assert done.status_code == 204, done.text


async def _beat(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, KioskApp)
    app.send_heartbeat()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_end_lock_message_and_unlock_arrive_with_the_heartbeat(
    server: LiveServer, tmp_path: Path
) -> None:
    settings = KioskSettings(
        server_url=server.url,
        terminal_key=server.terminal_keys[0],
        outbox_path=tmp_path / "outbox.sqlite3",
    )
    client = server.kiosk(0)
    app = create_app(settings, client, clock=lambda: START)
    proctor = _proctor(server)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        await pilot.press(*email(1), "enter", *PASSWORD, "enter")
        await wait_for(pilot, lambda: app.session is not None)

        _control(server, proctor, action="end_session")
        _control(server, proctor, action="lock")
        _control(server, proctor, action="message", text="十点前请完成校对")
        await _beat(pilot)
        await wait_for(pilot, lambda: app.session is None and isinstance(app.screen, LockScreen))
        assert client.token is None
        assert app.current_mode == "welcome"
        welcome = app.screen_stack[0]
        assert isinstance(welcome, WelcomeScreen)
        shown = [
            welcome.query_one(f"#{name}", Tr) for name in ("proctor-message", "welcome-notice")
        ]
        assert [line.text_in("zh") for line in shown] == ["十点前请完成校对", T.ENDED_BY_PROCTOR.zh]
        assert app.screen.query_one(".dialog-title", Tr).text_in("zh") == "请联系监考老师"

        await pilot.press("enter")  # locked: nobody starts a session
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await _beat(pilot)  # still locked: one lock, not a second one on top
        assert sum(isinstance(s, LockScreen) for s in app.screen_stack) == 1

        _control(server, proctor, action="unlock")
        await _beat(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
