"""The student kiosk driven with Pilot against the in-memory FakeClient."""

from __future__ import annotations

import datetime as dt
import webbrowser
from typing import Any

import pytest
from argon2 import PasswordHasher
from rich.cells import cell_len
from textual.widgets import Input, OptionList, Select

from kiosk.i18n import Msg
from kiosk.protocol import SessionBanner
from screens import text as T
from screens.app import HIGH_CONTRAST, KioskApp
from screens.field_check import FieldCheckScreen
from screens.idle_warning import IdleWarningModal
from screens.login import LoginScreen
from screens.photo import PhotoScreen
from screens.receipt import ReceiptScreen
from screens.record import RecordScreen
from screens.register import RegisterScreen
from screens.review import ReviewScreen
from screens.staff_pin import StaffPinModal
from screens.welcome import WelcomeScreen
from screens.widgets.confirm import ConfirmModal
from screens.widgets.marks import MARK_CORRECT, MARK_OPEN, MARK_WRONG
from screens.widgets.qr import QRCodeView
from tests.kiosk_fakes import (
    ID_NUMBER,
    PHOTO_URL,
    RECEIPT_NO,
    STUDENT_NAME,
    TOKEN,
    FakeClient,
    FakeMonotonic,
    api_error,
    build_app,
    log_in,
    make_record,
    reachable_strings,
    screen_text,
    settle,
    shown_text,
    submit,
    to_fields,
    to_login,
    to_photo,
    to_record,
    to_review,
    unreachable,
)

SIZE = (80, 24)


@pytest.fixture
def client() -> FakeClient:
    """A fresh fake server for each test."""
    return FakeClient()


# --- the journey ------------------------------------------------------------------------------


async def test_journey_all_correct(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await to_login(pilot)
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot)
        assert isinstance(app.screen, RecordScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        await pilot.press(*["y"] * 17)
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen)
        assert app.screen.query_one(QRCodeView)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert RECEIPT_NO in screen_text(app)
        assert T.NEXT_ALL_CORRECT.zh in shown_text(app)

        [(request, key, body)] = client.submissions
        assert request.record_version == 1 and request.ticket == "ticket-v1"
        assert [d.verdict for d in request.fields] == ["correct"] * 17
        assert request.photo.verdict == "correct"
        assert body is not None and key

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.session is None
        assert client.token is None
        assert "logout" in client.calls


async def test_three_fields_wrong_choice_date_text(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        await pilot.press("y")  # name
        # gender: a choice list; the proposal contradicts the ID number, which only warns
        await pilot.press("n")
        await settle(pilot)
        choice = app.screen.query_one("#proposed-choice", Select)
        assert choice.has_focus
        choice.value = "女"
        await settle(pilot)
        assert T.SAME_AS_CURRENT.zh not in shown_text(app)
        assert "不一致" in shown_text(app)  # the warning is shown ...
        await pilot.press("enter")  # ... but does not block (focus is on the note now)
        await settle(pilot)
        await pilot.press(*["y"] * 13)  # ethnicity .. study_mode
        await settle(pilot)
        # enrollment_date (16th): a date input, checked live
        assert app.screen.index == 15
        await pilot.press("n", *"2021-13-01")
        await settle(pilot)
        assert "没有这一天" in shown_text(app)
        await pilot.press("enter")  # an error blocks saving
        await settle(pilot)
        assert "enrollment_date" not in app.session.decisions
        await pilot.press(*["backspace"] * 10, *"2021-09-02", "enter")
        await settle(pilot)
        # back to the major (10th) with the arrows, to change "correct" to a corrected text
        await pilot.press(*["left"] * 7)
        assert app.screen.index == 9
        await pilot.press("n", *"软件工程", "tab", *"转专业", "enter")
        await settle(pilot)
        await pilot.press("y")  # status, the last open field: on to the photo
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen), screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen)

    [(request, _key, _body)] = client.submissions
    wrong = {d.key: (d.proposed, d.note) for d in request.fields if d.verdict == "incorrect"}
    assert wrong == {
        "gender": ("女", None),
        "enrollment_date": ("2021-09-02", None),
        "major": ("软件工程", "转专业"),
    }
    assert all(d.proposed is None for d in request.fields if d.verdict == "correct")


async def test_photo_wrong_with_reason(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_photo(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("tab")  # from the reasons straight to the note: no reason yet
        await pilot.press("enter")
        await settle(pilot)
        assert T.CHOOSE_REASON.zh in shown_text(app)
        assert app.screen.query_one("#photo-reason").has_focus
        await pilot.press("down", "down", "down", "enter")  # "other"
        await settle(pilot)
        await pilot.press("enter")  # "other" needs a note
        await settle(pilot)
        assert T.NOTE_NEEDED.zh in shown_text(app)
        await pilot.press("shift+tab", "up", "up", "enter", *"blurry", "enter")  # "blurred"
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "模糊不清" in screen_text(app)
        await submit(pilot)
    request = client.submissions[0][0]
    assert request.photo.verdict == "incorrect"
    assert request.photo.reason == "blurred"
    assert request.photo.note == "blurry"


async def test_change_a_decision_from_the_review(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        review = app.screen
        rows = review.query_one(OptionList)
        rows.highlighted = 2  # ethnicity
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen) and app.screen.return_to_review
        assert app.screen.spec.key == "ethnicity"
        await pilot.press("n")
        app.screen.query_one("#proposed-choice", Select).value = "回族"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is review
        assert "有误 → 回族" in screen_text(app)
        # and the photo row leads to the photo and back
        rows.highlighted = 17
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is review
        await submit(pilot)
    request = client.submissions[0][0]
    assert [(d.key, d.proposed) for d in request.fields if d.verdict == "incorrect"] == [
        ("ethnicity", "回族")
    ]


async def test_f2_switches_language_and_keeps_typed_input(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        username = app.screen.query_one("#username", Input)
        await pilot.press(*"2021010203")
        assert T.LOGIN_TITLE.zh in shown_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert app.lang == "en"
        assert T.LOGIN_TITLE.en in shown_text(app)
        assert app.screen.query_one("#username", Input) is username
        assert username.value == "2021010203"
        await pilot.press("f2")
        await log_in(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y", "y", "y", "n", *"2002-03")
        date = app.screen.query_one("#proposed-date", Input)
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.query_one("#proposed-date", Input) is date
        assert date.value == "2002-03"
        assert "Date of birth" in shown_text(app)


@pytest.mark.parametrize(
    "navigate",
    [to_login, to_record, to_fields, to_photo, to_review],
    ids=["login", "record", "fields", "photo", "review"],
)
async def test_every_screen_changes_with_f2(client: FakeClient, navigate: Any) -> None:
    app = build_app(client, demo_accounts=[("demo@example.edu.cn", "pw", "demo")])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        welcome = screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert screen_text(app) != welcome
        await pilot.press("f2")
        await navigate(pilot)
        before = screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        after = screen_text(app)
        assert before != after
        assert "F2 中文" in after.replace("  ", " ")


async def test_receipt_and_modals_change_with_f2(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await pilot.press("space", "s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        zh = screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert zh != screen_text(app) and T.CONFIRM_SUBMIT_TITLE.en in shown_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert T.RECEIPT_TITLE.en in shown_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert T.RECEIPT_TITLE.zh in shown_text(app)


async def test_register_link_is_obvious_and_leads_back(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        assert T.REGISTER_BUTTON.zh in shown_text(app)
        await pilot.click("#register")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert T.REGISTER_TITLE.zh in shown_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_id_number_is_masked_except_on_its_own_field(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_record(pilot)
        assert ID_NUMBER not in screen_text(app)
        assert "330***********0010" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert ID_NUMBER not in screen_text(app)
        await pilot.press(*["y"] * 4)
        assert app.screen.spec.key == "id_number"
        assert ID_NUMBER in screen_text(app)
        await pilot.press("y")
        assert ID_NUMBER not in screen_text(app)


# --- error states --------------------------------------------------------------------------------


async def test_wrong_password_says_attempts_left(client: FakeClient) -> None:
    client.fail("login", api_error("invalid_credentials", 401, attempts_left=2))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        await log_in(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "还可以再试 2 次" in shown_text(app)
        assert app.screen.query_one("#password", Input).value == ""
        assert app.session is None


async def test_locked_account_says_until_when(client: FakeClient) -> None:
    client.fail("login", api_error("account_locked", 423, locked_until="2025-05-20T03:00:00Z"))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        await log_in(pilot)
        assert "锁定" in shown_text(app)
        assert ":00" in shown_text(app)


async def test_a_terminal_over_its_rate_says_wait(client: FakeClient) -> None:
    refusal = api_error("rate_limited", 429, retry_after_s=20)
    client.fail("login", refusal)
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        await log_in(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert refusal.message.zh in shown_text(app)
        assert app.session is None


async def test_window_closed_says_whom_to_contact(client: FakeClient) -> None:
    client.fail("login", api_error("window_closed", 403))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        await log_in(pilot)
        assert "学院教学办" in shown_text(app)


async def test_unreachable_at_login_keeps_password_and_retries(client: FakeClient) -> None:
    client.fail("login", unreachable())
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        await log_in(pilot)
        assert "无法连接学校服务器" in shown_text(app)
        assert T.RETRY_HINT.zh in shown_text(app)
        assert app.screen.query_one("#password", Input).value == "pw"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)


async def test_unreachable_at_record_then_reload(client: FakeClient) -> None:
    client.fail("record", unreachable())
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_record(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert "无法连接学校服务器" in shown_text(app)
        await pilot.press("enter")  # nothing to check yet
        assert isinstance(app.screen, RecordScreen)
        await pilot.press("r")
        await settle(pilot)
        assert "20:00:00" in shown_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)


async def test_session_expired_goes_back_to_login(client: FakeClient) -> None:
    client.fail("record", api_error("session_expired", 401))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_record(pilot)
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert T.SESSION_EXPIRED.zh in shown_text(app)
        assert app.session is None
        assert app.screen.query_one("#username", Input).value == ""


async def test_unreachable_at_photo_link_then_new_link(client: FakeClient) -> None:
    client.fail("photo_link", unreachable())
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_photo(pilot)
        assert "无法连接学校服务器" in shown_text(app)
        assert not app.screen.query(QRCodeView)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query(QRCodeView)
        assert PHOTO_URL in screen_text(app)
        assert "05:00" in shown_text(app)


async def test_unreachable_at_submit_saves_and_sends_later(client: FakeClient) -> None:
    client.fail("submit", unreachable())
    # The retry's jittered backoff may be a few milliseconds: held, so the result is seen
    # waiting first.
    client.submit_gate.clear()
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await submit(pilot)
        # Saved on the terminal, said plainly; the student may leave.
        assert isinstance(app.screen, ReceiptScreen), screen_text(app)
        assert T.SAVED_TITLE.zh in shown_text(app)
        assert T.SAVED_BODY.zh in shown_text(app)
        assert app.outbox is not None and app.outbox.counts().waiting == 1
        await pilot.press("enter")
        await settle(pilot)
        assert app.session is None
        client.submit_gate.set()
        # The sender tries again by itself (its first backoff is at most a second).
        for _ in range(40):
            await pilot.pause(0.1)
            if app.outbox.counts().waiting == 0:
                break
        assert app.outbox.counts().waiting == 0
    assert len(client.submissions) == 2
    assert len({request.result_id for request, _key, _body in client.submissions}) == 1
    assert len({key for _request, key, _body in client.submissions}) == 1
    assert len({body for _request, _key, body in client.submissions}) == 1


async def test_refused_result_is_kept_as_a_dead_letter(client: FakeClient) -> None:
    client.fail("submit", api_error("ticket_invalid", 403))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await submit(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert api_error("ticket_invalid", 403).message.zh in shown_text(app)
        assert T.SUBMIT_REFUSED.zh in shown_text(app)
        assert app.outbox is not None and app.outbox.counts() == (0, 1)
        app.send_heartbeat()
        await settle(pilot)
    assert client.heartbeats[-1].dead_letters == 1


async def test_record_changed_at_submit_reloads_and_restarts(client: FakeClient) -> None:
    client.fail("submit", api_error("record_changed", 409, record_version=2))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        client.record_response = make_record(2, state="check_again")
        await submit(pilot)
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen)
        assert T.CHECK_AGAIN.zh in shown_text(app)
        assert app.session is not None and not app.session.decisions
        assert app.session.pending is None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen) and app.screen.index == 0
        await pilot.press(*["y"] * 18)
        await settle(pilot)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen)
    first, second = (request for request, _key, _body in client.submissions)
    assert (first.record_version, second.record_version) == (1, 2)
    assert first.result_id != second.result_id


# --- lockdown -------------------------------------------------------------------------------------


async def test_quit_keys_do_not_quit(client: FakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda *_a, **_k: pytest.fail("browser opened"))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        await pilot.press("ctrl+c", "ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, StaffPinModal)
        assert T.STAFF_DISABLED.zh in shown_text(app)  # no PIN configured
        await pilot.press("ctrl+q", "escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        app.open_url("https://example.invalid/")
        assert app.is_running


def _pin_hash(pin: str) -> str:
    return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(pin)


async def test_wrong_staff_pin_stays_and_right_pin_exits(client: FakeClient) -> None:
    app = build_app(client, staff_pin_hash=_pin_hash("2468"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q", *"1111", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffPinModal)
        assert T.STAFF_WRONG.zh in shown_text(app)
        assert app.is_running
        await pilot.press(*"2468", "enter")
        await settle(pilot)
        assert not app.is_running


async def test_theme_high_contrast_is_registered() -> None:
    app = build_app(theme="high-contrast")
    async with app.run_test(size=SIZE):
        assert app.theme == HIGH_CONTRAST.name


# --- idle and logout ------------------------------------------------------------------------------


async def test_idle_warning_then_logout(client: FakeClient) -> None:
    clock = FakeMonotonic()
    app = build_app(client, clock)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        clock.advance(59)
        app.check_idle()
        await settle(pilot)
        assert not isinstance(app.screen, IdleWarningModal)
        clock.advance(2)
        app.check_idle()
        await settle(pilot)
        assert isinstance(app.screen, IdleWarningModal)
        clock.advance(4)
        app.check_idle()
        await settle(pilot)
        assert "5 秒后" in shown_text(app)
        clock.advance(7)
        app.check_idle()
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert T.LOGGED_OUT_IDLE.zh in shown_text(app)
        assert app.session is None and client.token is None


async def test_activity_cancels_the_idle_warning(client: FakeClient) -> None:
    clock = FakeMonotonic()
    app = build_app(client, clock)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        clock.advance(61)
        app.check_idle()
        await settle(pilot)
        assert isinstance(app.screen, IdleWarningModal)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        clock.advance(30)
        app.check_idle()
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        assert app.session is not None


async def test_logout_leaves_nothing_of_the_student(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        await pilot.press("n", *"王小明明", "enter")  # a proposal with the name in it
        await pilot.press(*["y"] * 16)
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        app.copy_to_clipboard(ID_NUMBER)
        await pilot.press("enter")
        await settle(pilot)
        _assert_wiped(app, client)


async def test_logout_by_the_student_from_the_record(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_record(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        _assert_wiped(app, client)
        # the next student starts from an empty login screen
        await to_login(pilot)
        assert app.screen.query_one("#username", Input).value == ""


def _assert_wiped(app: KioskApp, client: FakeClient) -> None:
    secrets = (STUDENT_NAME, ID_NUMBER, TOKEN)
    assert app.session is None
    assert client.token is None
    assert app.clipboard == ""
    stacks = app._screen_stacks
    assert set(stacks) == {"welcome"}
    for stack in stacks.values():
        for screen in stack:
            for widget in screen.query("*"):
                if isinstance(widget, Input):
                    assert widget.value == ""
    shown = screen_text(app)
    assert not any(secret in shown for secret in secrets)
    strings = reachable_strings(vars(app), skip=client)
    leaks = [s for s in strings if any(secret in s for secret in secrets)]
    assert leaks == []


# --- background -----------------------------------------------------------------------------------


async def test_heartbeats_and_server_status(client: FakeClient) -> None:
    client.fail("health", unreachable())
    client.fail("heartbeat", unreachable())
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert T.SERVER_OFFLINE.zh in shown_text(app)
        app.check_health()
        await settle(pilot)
        assert T.SERVER_ONLINE.zh in shown_text(app)
        await to_login(pilot)
        await log_in(pilot)
        beat = client.heartbeats[-1]
        assert beat.state == "in_use"
        assert beat.student_masked == "王*明"
        app.send_heartbeat()
        await settle(pilot)
        assert client.heartbeats[-1].step == "record"


async def test_welcome_shows_the_labs_supervised_session(client: FakeClient) -> None:
    client.supervised_session = SessionBanner(
        title="计算机221 校对", ends_at=dt.datetime(2026, 6, 1, 11, 30, tzinfo=dt.UTC)
    )
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "计算机221 校对" in shown_text(app)
        client.supervised_session = None
        app.send_heartbeat()
        await settle(pilot)
        assert "计算机221 校对" not in shown_text(app)


def test_every_text_has_both_languages() -> None:
    msgs: list[Msg] = []
    for value in vars(T).values():
        if isinstance(value, Msg):
            msgs.append(value)
        elif isinstance(value, dict):
            msgs.extend(v for v in value.values() if isinstance(v, Msg))
    assert len(msgs) > 50
    for msg in msgs:
        assert msg.zh.strip() and msg.en.strip()
        assert msg.zh != msg.en, msg


def test_marks_are_single_width_and_not_emoji() -> None:
    for mark in (MARK_CORRECT, MARK_WRONG, MARK_OPEN):
        assert cell_len(mark) == 1
        assert ord(mark) < 0x2600
