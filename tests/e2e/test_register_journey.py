"""A first-time demo student registers through the kiosk's wizard against a real demo server,
reads the codes from the demo mailbox panel, and logs straight in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.client import ApiClient
from screens.app import create_app
from screens.record import RecordScreen
from screens.register.codes import DemoMailbox
from screens.register.screen import DONE, RegisterScreen
from server.demo_data import DEMO_SEED, generate_students
from tests.e2e.serving import serving
from tests.kiosk_fakes import screen_text, settings, settle
from tests.test_register_screens import put_account, put_identity, to_register

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
SIZE = (80, 24)
PASSWORD = "Spring2026ok"
MOBILE = "13900003333"


async def test_newcomer_registers_through_the_wizard_and_logs_in(tmp_path: Path) -> None:
    newcomer = next(item for item in generate_students(seed=DEMO_SEED) if item.account is None)
    values = newcomer.values
    email = f"wizard.{values['student_no']}@stu.example.edu.cn"
    with serving(f"sqlite+aiosqlite:///{tmp_path}/demo.db", "--demo") as server:
        client = ApiClient(server.url, server.demo_accounts()["terminal_key"], timeout_s=30)
        # Demo accounts make it demo mode: the codes step shows the demo mailbox.
        app = create_app(settings(), client, demo_accounts=[("demo", "-", "-")])
        try:
            async with app.run_test(size=SIZE) as pilot:
                await to_register(pilot)
                await put_account(pilot, email=email, password=PASSWORD, password_repeat=PASSWORD)
                await put_identity(
                    pilot,
                    name=values["name"],
                    gender=values["gender"],
                    id_number=values["id_number"],
                    region="",
                    mobile=MOBILE,
                )
                screen = app.screen
                assert isinstance(screen, RegisterScreen)
                mailbox = screen.query_one(DemoMailbox)
                codes: list[str] = []
                for _ in range(120):  # the server delivers in the background; the panel polls
                    # One line per message after the title: the e-mail's, then the SMS's.
                    lines = str(mailbox.content).splitlines()[1:]
                    codes = [m.group() for line in lines if (m := re.search(r"\b\d{6}\b", line))]
                    if len(codes) == 2:
                        break
                    await pilot.pause(0.25)
                assert len(codes) == 2, screen_text(app)
                await pilot.press(*codes[0], "enter", *codes[1], "enter")
                await settle(pilot)
                assert screen.step == DONE, screen_text(app)
                assert email in screen_text(app)
                await pilot.press("enter")
                await settle(pilot)
                assert isinstance(app.screen, RecordScreen), screen_text(app)
                assert app.session is not None
                assert app.session.login.student.student_no == values["student_no"]
        finally:
            await client.aclose()
