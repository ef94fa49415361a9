"""The registration wizard driven with Pilot against the in-memory FakeClient."""

from __future__ import annotations

from typing import Any

import pytest
from stdnum.cn import ric
from textual.widgets import Button, Input, Select

from kiosk.errors import ERROR_MESSAGES
from kiosk.fields import (
    M_BIRTH_ID_MISMATCH,
    M_EMAIL,
    M_GENDER_ID_MISMATCH,
    M_ID_BIRTH,
    M_ID_CHECKSUM,
    M_ID_LENGTH,
    M_MOBILE,
    M_PASSWORD_CLASSES,
    M_PASSWORD_SHORT,
    M_PASSWORD_STUDENT_NO,
    PASSWORD_RULE,
)
from kiosk.i18n import Msg
from kiosk.privacy import mask_email
from screens import text as T
from screens.login import LoginScreen
from screens.record import RecordScreen
from screens.register import text as R
from screens.register.screen import ACCOUNT, CODES, DONE, IDENTITY, RegisterScreen
from screens.timing import KioskTiming
from screens.welcome import WelcomeScreen
from screens.widgets.form import FormRow
from screens.widgets.i18n import Tr
from tests.kiosk_fakes import (
    CODES as SENT_CODES,
)
from tests.kiosk_fakes import (
    ID_NUMBER,
    STUDENT_NAME,
    FakeClient,
    FakeMonotonic,
    api_error,
    build_app,
    reachable_strings,
    screen_text,
    settle,
    shown_text,
    to_login,
    unreachable,
)
from tests.waiting import wait_for

SIZE = (80, 24)
EMAIL = "Wang.XM@Stu.Example.edu.cn"
PASSWORD = "Spring2026ok"
MOBILE = "139 0000 2222"
REGION = "浙江湖州"
DEMO = [("demo1@example.edu.cn", "Demo-2025!", "全部正确 all correct")]
QUICK_MAILBOX = KioskTiming(mailbox_poll_s=0.02)
"""The demo mailbox read every 20 ms, so its rhythm shows at once."""


@pytest.fixture
def client() -> FakeClient:
    """A fresh fake server for each test."""
    return FakeClient()


# --- driving the wizard -----------------------------------------------------------------------


async def to_register(pilot: Any) -> None:
    """Welcome -> login -> F3."""
    await to_login(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RegisterScreen)


async def fill_account(pilot: Any, email: str = EMAIL, repeat: str = PASSWORD) -> None:
    """Step 1 by keyboard: e-mail, password, password again, each with Enter."""
    await pilot.press(*email, "enter", *PASSWORD, "enter", *repeat, "enter")
    await settle(pilot)


async def fill_identity(
    pilot: Any, id_number: str = ID_NUMBER, mobile: str = MOBILE, gender_downs: int = 1
) -> None:
    """Step 2 by keyboard: name, gender from the list and Tab, ID number (the birth date follows),
    region, mobile, each with Enter; the last Enter submits."""
    await pilot.press(*STUDENT_NAME, "enter")
    await pilot.press("enter", *["down"] * gender_downs, "enter", "tab")
    await settle(pilot)
    # One Tab after the choice reaches the ID number (the key bar's promise).
    assert pilot.app.screen.query_one("#id_number", Input).has_focus
    await pilot.press(*id_number, "enter", "enter", *REGION, "enter", *mobile, "enter")
    await settle(pilot)


async def put(pilot: Any, button: str, **values: str) -> None:
    """Set entries directly (where typing is not what a test is about), then press a button."""
    screen = wizard(pilot.app)
    for entry, text in values.items():
        if entry == "gender":
            screen.query_one("#gender", Select).value = text
        else:
            screen.query_one(f"#{entry}", Input).value = text
        await settle(pilot)
    screen.query_one(f"#{button}", Button).press()
    await settle(pilot)


async def put_account(pilot: Any, **changes: str) -> None:
    """Step 1 filled in and Next."""
    values = {"email": EMAIL, "password": PASSWORD, "password_repeat": PASSWORD, **changes}
    await put(pilot, "account-next", **values)


async def put_identity(pilot: Any, **changes: str) -> None:
    """Step 2 filled in (the birth date follows the ID number) and Submit."""
    values = {"name": STUDENT_NAME, "gender": "男", "id_number": ID_NUMBER, "region": REGION}
    await put(pilot, "identity-next", **{**values, "mobile": MOBILE, **changes})


async def to_codes(pilot: Any) -> None:
    """... -> the codes step."""
    await to_register(pilot)
    await put_account(pilot)
    await put_identity(pilot)
    assert wizard(pilot.app).step == CODES, screen_text(pilot.app)


async def enter_codes(pilot: Any, email_code: str, sms_code: str) -> None:
    """Type both codes; Enter in the second confirms."""
    await pilot.press(*email_code, "enter", *sms_code, "enter")
    await settle(pilot)


def wizard(app: Any) -> RegisterScreen:
    """The wizard on top, typed."""
    assert isinstance(app.screen, RegisterScreen), type(app.screen)
    return app.screen


def note(app: Any, entry: str) -> str:
    """What the line under an entry says now ('' when it is hidden)."""
    line = wizard(app).query_one(f"#row-{entry}", FormRow).query_one(".form-note", Tr)
    return str(line.content) if line.display else ""


def is_error(app: Any, entry: str) -> bool:
    """True when the line under an entry shows an error."""
    row = wizard(app).query_one(f"#row-{entry}", FormRow)
    return row.query_one(".form-note", Tr).has_class("-error")


def value(app: Any, entry: str) -> str:
    """What an input of the wizard holds."""
    return wizard(app).query_one(f"#{entry}", Input).value


def with_check_digit(first17: str) -> str:
    """An ID number with a right check digit."""
    return first17 + ric.calc_check_digit(first17 + "0")


# --- the happy path -----------------------------------------------------------------------------


async def test_register_by_keyboard_then_straight_in(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        assert PASSWORD_RULE.zh in shown_text(app)
        assert wizard(app).query_one("#email", Input).has_focus
        await fill_account(pilot)
        assert wizard(app).step == IDENTITY
        await fill_identity(pilot)
        assert wizard(app).step == CODES
        [request] = client.registrations
        assert request.model_dump() == {
            "email": "wang.xm@stu.example.edu.cn",
            "password": PASSWORD,
            "id_type": "身份证",
            "name": STUDENT_NAME,
            "gender": "男",
            "id_number": ID_NUMBER,
            "birth_date": "2002-03-15",
            "region": REGION,
            "mobile": "13900002222",
        }
        assert mask_email("wang.xm@stu.example.edu.cn") in shown_text(app)
        assert "139****2222" in shown_text(app)
        await enter_codes(pilot, SENT_CODES["email"], SENT_CODES["sms"])
        assert wizard(app).step == DONE
        assert "2025-05-21" in shown_text(app)  # the window's deadline (NOW + 24 h)
        assert "24:00:00" in shown_text(app)
        assert "wang.xm@stu.example.edu.cn" in shown_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert client.logins == [("wang.xm@stu.example.edu.cn", PASSWORD)]
        assert [type(screen) for screen in app.screen_stack] == [LoginScreen, RecordScreen]
        login = app.screen_stack[0]
        assert login.query_one("#password", Input).value == ""
        # The password was kept only to log in; nothing of the app holds it any more.
        assert [s for s in reachable_strings(vars(app), skip=client) if PASSWORD in s] == []


async def test_done_then_esc_fills_in_the_user_name_on_the_login(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await enter_codes(pilot, SENT_CODES["email"], SENT_CODES["sms"])
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#username", Input).value == "wang.xm@stu.example.edu.cn"
        assert app.screen.query_one("#password", Input).has_focus
        assert R.REGISTERED_LOG_IN.zh in shown_text(app)
        assert client.logins == []


# --- each error next to its input --------------------------------------------------------------


async def test_bad_email_is_explained_when_left(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await pilot.press(*"wang@stu")
        await settle(pilot)
        assert not is_error(app, "email")  # not called wrong while being typed
        await pilot.press("tab")
        await settle(pilot)
        assert note(app, "email") == M_EMAIL.zh and is_error(app, "email")
        await pilot.press("shift+tab", "end", *".edu.cn")
        await settle(pilot)
        assert not is_error(app, "email")


async def test_weak_password_is_explained_as_typed(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await pilot.press(*EMAIL, "tab", *"abc")
        await settle(pilot)
        assert note(app, "password") == M_PASSWORD_SHORT.zh and is_error(app, "password")
        await pilot.press(*"defghij")
        await settle(pilot)
        assert note(app, "password") == M_PASSWORD_CLASSES.zh
        await pilot.press("1")
        await settle(pilot)
        assert note(app, "password") == R.PASSWORD_OK.zh and not is_error(app, "password")


async def test_repeat_that_differs_stops_at_step_one(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await fill_account(pilot, repeat=PASSWORD + "x")
        assert wizard(app).step == ACCOUNT
        assert note(app, "password_repeat") == R.PASSWORD_DIFFERS.zh
        assert wizard(app).query_one("#password_repeat", Input).has_focus
        await pilot.press("backspace", "enter")
        await settle(pilot)
        assert wizard(app).step == IDENTITY


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("33050220020315", M_ID_LENGTH.fmt(n=14)),
        ("330502200203150011", M_ID_CHECKSUM.fmt(expected="0")),
        (with_check_digit("33050220021345001"), M_ID_BIRTH),
    ],
    ids=["length", "check-digit", "birth-date"],
)
async def test_id_number_problems_are_explained_as_typed(
    client: FakeClient, typed: str, expected: Msg
) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await pilot.press(*STUDENT_NAME, "tab", "tab", *typed)
        await settle(pilot)
        assert note(app, "id_number") == expected.zh
        assert is_error(app, "id_number")
        assert value(app, "birth_date") == ""


async def test_gender_digit_and_birth_date_must_agree_with_the_id_number(
    client: FakeClient,
) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await pilot.press(*STUDENT_NAME, "tab", "tab", *ID_NUMBER)
        await settle(pilot)
        # A valid number: what it encodes is shown, and the birth date is filled in from it.
        assert "2002-03-15" in note(app, "id_number") and "男" in note(app, "id_number")
        assert value(app, "birth_date") == "2002-03-15"
        assert note(app, "birth_date") == R.BIRTH_FILLED.zh
        wizard(app).query_one("#gender", Select).value = "女"
        await settle(pilot)
        assert note(app, "gender") == M_GENDER_ID_MISMATCH.fmt(expected="男").zh
        wizard(app).query_one("#gender", Select).value = "男"
        wizard(app).query_one("#birth_date", Input).value = "2002-03-16"
        await settle(pilot)
        assert note(app, "birth_date") == M_BIRTH_ID_MISMATCH.fmt(expected="2002-03-15").zh
        assert is_error(app, "birth_date")
        wizard(app).query_one("#identity-next", Button).press()
        await settle(pilot)
        assert wizard(app).step == IDENTITY
        assert wizard(app).query_one("#birth_date", Input).has_focus
        assert client.registrations == []


async def test_bad_mobile_and_missing_entries_block_the_submit(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await put_identity(pilot, mobile="12345678901")
        assert wizard(app).step == IDENTITY
        assert note(app, "mobile") == M_MOBILE.zh
        assert wizard(app).query_one("#mobile", Input).has_focus
        wizard(app).query_one("#name", Input).value = ""
        wizard(app).query_one("#region", Input).value = ""
        await settle(pilot)
        assert "请填写" in note(app, "name")
        assert not is_error(app, "region")  # optional
        assert client.registrations == []


@pytest.mark.parametrize(
    ("code", "status", "entry", "other"),
    [
        ("record_not_found", 404, "id_number", "name"),
        ("identity_mismatch", 422, "birth_date", "gender"),
        ("already_registered", 409, "id_number", "name"),
    ],
)
async def test_identity_refusals_are_shown_by_the_entries(
    client: FakeClient, code: str, status: int, entry: str, other: str
) -> None:
    client.fail("register", api_error(code, status))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await put_identity(pilot)
        assert wizard(app).step == IDENTITY
        assert ERROR_MESSAGES[code].zh in note(app, entry) and is_error(app, entry)
        assert note(app, other) == R.CHECK_ALSO.zh
        assert wizard(app).query_one(f"#{entry}").has_focus
        if code != "already_registered":
            assert "学院教学办" in note(app, entry)
        else:
            assert R.GO_TO_LOGIN.zh in note(app, entry)
        # A change to either entry clears both: the server's answer was about the pair.
        if other == "name":
            wizard(app).query_one("#name", Input).value = "王小名"
        else:
            wizard(app).query_one("#gender", Select).value = "女"
        await settle(pilot)
        assert ERROR_MESSAGES[code].zh not in note(app, entry)
        assert note(app, other) != R.CHECK_ALSO.zh


async def test_already_registered_leads_to_the_login(client: FakeClient) -> None:
    client.fail("register", api_error("already_registered", 409))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await put_identity(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#username", Input).value == ""


async def test_email_taken_goes_back_to_the_email(client: FakeClient) -> None:
    client.fail("register", api_error("email_taken", 409))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await put_identity(pilot)
        assert wizard(app).step == ACCOUNT
        assert note(app, "email") == ERROR_MESSAGES["email_taken"].zh
        assert wizard(app).query_one("#email", Input).has_focus
        # The focus selected the address: typing replaces it.
        await pilot.press(*"wang2@stu.example.edu.cn", "enter", "enter", "enter")
        await settle(pilot)
        assert wizard(app).step == IDENTITY
        assert value(app, "name") == STUDENT_NAME
        wizard(app).query_one("#identity-next", Button).press()
        await settle(pilot)
        assert wizard(app).step == CODES
        assert client.registrations[-1].email == "wang2@stu.example.edu.cn"


async def test_server_only_password_rule_goes_back_to_step_one(client: FakeClient) -> None:
    errors = [{"field": "password", "code": "password_contains_student_no", "message": "-"}]
    client.fail("register", api_error("validation_failed", 422, errors=errors))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await put_identity(pilot)
        assert wizard(app).step == ACCOUNT
        assert note(app, "password") == M_PASSWORD_STUDENT_NO.zh
        assert R.FIX_STEP_ONE.zh in shown_text(app)
        assert wizard(app).query_one("#password", Input).has_focus


async def test_unreachable_at_submit_keeps_everything_and_retries(client: FakeClient) -> None:
    client.fail("register", unreachable())
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await put_identity(pilot)
        assert wizard(app).step == IDENTITY
        assert "无法连接学校服务器" in shown_text(app)
        assert T.RETRY_HINT.zh in shown_text(app)
        assert value(app, "id_number") == ID_NUMBER
        wizard(app).query_one("#identity-next", Button).press()
        await settle(pilot)
        assert wizard(app).step == CODES


async def test_resend_too_soon_at_submit_says_how_long(client: FakeClient) -> None:
    client.fail("register", api_error("resend_too_soon", 429, retry_after_s=42))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await put_account(pilot)
        await put_identity(pilot)
        assert "42 秒" in shown_text(app)


# --- the codes -------------------------------------------------------------------------------------


async def test_wrong_code_says_tries_left_and_the_right_one_is_kept(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await enter_codes(pilot, "111111", SENT_CODES["sms"])
        assert wizard(app).step == CODES
        assert note(app, "email_code") == "验证码不对，还可以再试 4 次。"
        assert is_error(app, "email_code")
        assert note(app, "sms_code") == R.CODE_CONFIRMED.zh
        assert wizard(app).query_one("#sms_code", Input).disabled
        assert wizard(app).query_one("#email_code", Input).has_focus
        await pilot.press(*SENT_CODES["email"], "enter")
        await settle(pilot)
        assert wizard(app).step == DONE
        assert client.verifications[-1].sms_code is None  # confirmed codes are not resent


async def test_codes_must_be_six_digits_before_they_are_sent(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert "请填写验证码" in note(app, "email_code")
        await pilot.press(*"123", "enter", "enter")
        await settle(pilot)
        assert note(app, "email_code") == R.CODE_FORMAT.zh
        assert client.verifications == []


async def test_a_wrong_code_is_cleared_for_the_retry_and_not_sent_again(
    client: FakeClient,
) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await enter_codes(pilot, "000000", SENT_CODES["sms"])
        email = wizard(app).query_one("#email_code", Input)
        assert email.value == "" and email.has_focus
        assert note(app, "email_code") not in ("", R.CODE_CONFIRMED.zh)  # the reason stays
        sent = len(client.verifications)
        await pilot.press("enter")  # nothing typed: nothing sent, no try used up
        await settle(pilot)
        assert len(client.verifications) == sent
        await pilot.press(*SENT_CODES["email"], "enter")
        await settle(pilot)
        assert wizard(app).step == DONE


async def test_expired_code_suggests_sending_again(client: FakeClient) -> None:
    errors = [{"field": "email_code", "code": "code_expired", "message": "-"}]
    client.fail(
        "verify_registration",
        api_error(
            "code_invalid",
            422,
            errors=errors,
            attempts_left={},
            confirmed={"email": False, "sms": True},
        ),
    )
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await enter_codes(pilot, SENT_CODES["email"], SENT_CODES["sms"])
        assert "过期" in note(app, "email_code") and "重新发送" in note(app, "email_code")
        assert note(app, "sms_code") == R.CODE_CONFIRMED.zh


async def test_resend_waits_counts_down_and_sends(client: FakeClient) -> None:
    clock = FakeMonotonic()
    app = build_app(client, clock)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        button = wizard(app).query_one("#resend-email", Button)
        assert button.disabled and str(button.label) == "60 秒后可重发"
        clock.advance(45)
        wizard(app).tick()
        assert button.disabled and str(button.label) == "15 秒后可重发"
        clock.advance(15)
        wizard(app).tick()
        assert not button.disabled and str(button.label) == R.RESEND.zh
        await pilot.click("#resend-email")
        await settle(pilot)
        assert client.resends == ["email"]
        assert R.RESENT.fmt(n=8).zh in shown_text(app)
        assert str(button.label) == "60 秒后可重发"
        assert wizard(app).query_one("#email_code", Input).has_focus
        # The server counts the wait itself; its count wins over the kiosk's.
        client.fail("resend_code", api_error("resend_too_soon", 429, retry_after_s=30))
        sms = wizard(app).query_one("#resend-sms", Button)
        clock.advance(60)
        wizard(app).tick()
        await pilot.click("#resend-sms")
        await settle(pilot)
        assert sms.disabled and str(sms.label) == "30 秒后可重发"
        assert "30 秒" in shown_text(app)


async def test_lapsed_registration_asks_to_submit_again(client: FakeClient) -> None:
    client.fail("verify_registration", api_error("registration_expired", 410))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await enter_codes(pilot, SENT_CODES["email"], SENT_CODES["sms"])
        assert R.SUBMIT_AGAIN.zh in shown_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert wizard(app).step == IDENTITY
        wizard(app).query_one("#identity-next", Button).press()
        await settle(pilot)
        assert wizard(app).step == CODES
        assert len(client.registrations) == 2


async def test_demo_mailbox_shows_the_codes_only_in_demo_mode(client: FakeClient) -> None:
    app = build_app(client, demo_accounts=DEMO)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        shown = screen_text(app)
        assert R.MAILBOX_TITLE.zh in shown
        assert SENT_CODES["email"] in shown and SENT_CODES["sms"] in shown
    quiet = FakeClient()
    # The heartbeat timer has the poll's period: after three beats, a poll would have come.
    app = build_app(quiet, timing=KioskTiming(mailbox_poll_s=0.05, heartbeat_s=0.05))
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        beats = len(quiet.heartbeats)
        await wait_for(pilot, lambda: len(quiet.heartbeats) >= beats + 3)
        assert "demo_mailbox" not in quiet.calls
        assert not wizard(app).query("#demo-mailbox")


async def test_the_demo_mailbox_is_polled_while_the_codes_are_shown(client: FakeClient) -> None:
    app = build_app(client, demo_accounts=DEMO, timing=QUICK_MAILBOX)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        asked = client.calls.count("demo_mailbox")
        await wait_for(pilot, lambda: client.calls.count("demo_mailbox") >= asked + 2)


# --- going back, languages, wiping ---------------------------------------------------------


async def test_f2_and_going_back_keep_everything(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await fill_account(pilot)
        await pilot.press(*STUDENT_NAME, "tab", "tab", *ID_NUMBER)
        await settle(pilot)
        id_input = wizard(app).query_one("#id_number", Input)
        await pilot.press("f2")
        await settle(pilot)
        assert "Date of birth" in shown_text(app) and "Step 2 of 4" in shown_text(app)
        assert wizard(app).query_one("#id_number", Input) is id_input
        assert id_input.value == ID_NUMBER and id_input.has_focus
        assert "born 2002-03-15, male" in note(app, "id_number")
        await pilot.press("escape")
        await settle(pilot)
        assert wizard(app).step == ACCOUNT
        assert value(app, "email") == EMAIL and value(app, "password_repeat") == PASSWORD
        assert PASSWORD_RULE.en in shown_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert PASSWORD_RULE.zh in shown_text(app)
        await pilot.press("enter", "enter", "enter")  # through the three entries, then on
        await settle(pilot)
        assert wizard(app).step == IDENTITY
        assert value(app, "name") == STUDENT_NAME and value(app, "birth_date") == "2002-03-15"


async def test_back_and_forth_from_the_codes_does_not_register_twice(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await pilot.press(*"24")
        await pilot.press("escape")
        await settle(pilot)
        assert wizard(app).step == IDENTITY
        wizard(app).query_one("#identity-next", Button).press()
        await settle(pilot)
        assert wizard(app).step == CODES
        assert value(app, "email_code") == "24"
        assert len(client.registrations) == 1


async def test_esc_on_the_first_step_leaves_and_forgets(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_register(pilot)
        await pilot.press(*EMAIL)
        register = wizard(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert not register.is_attached
        await pilot.press("f3")
        await settle(pilot)
        assert value(app, "email") == ""


@pytest.mark.parametrize("how", ["idle", "logout"])
async def test_leaving_the_terminal_mid_registration_wipes_it(client: FakeClient, how: str) -> None:
    clock = FakeMonotonic()
    app = build_app(client, clock, demo_accounts=DEMO)
    async with app.run_test(size=SIZE) as pilot:
        await to_codes(pilot)
        await pilot.press(*SENT_CODES["email"])
        await settle(pilot)
        if how == "idle":
            clock.advance(app.settings.idle_timeout_s + app.settings.idle_warning_s + 1)
            app.check_idle_timeout()
        else:
            app.logout()
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert set(app._screen_stacks) == {"welcome"}
        typed = (STUDENT_NAME, ID_NUMBER, "wang.xm", "Wang.XM", "13900002222", PASSWORD)
        secrets = (*typed, *SENT_CODES.values())
        assert not any(secret in screen_text(app) for secret in secrets)
        leaks = [
            s for s in reachable_strings(vars(app), skip=client) if any(x in s for x in secrets)
        ]
        assert leaks == []


def test_every_registration_text_has_both_languages() -> None:
    msgs: list[Msg] = []
    for item in vars(R).values():
        if isinstance(item, Msg):
            msgs.append(item)
        elif isinstance(item, dict):
            msgs.extend(v for v in item.values() if isinstance(v, Msg))
    assert len(msgs) > 40
    for msg in msgs:
        assert msg.zh != msg.en, msg
