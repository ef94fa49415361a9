"""The student kiosk driven with Pilot against the in-memory FakeClient."""

from __future__ import annotations

import datetime as dt
import gc
import webbrowser
from typing import Any

import pytest
from argon2 import PasswordHasher
from rich.cells import cell_len
from textual import events
from textual._styles_cache import StylesCache
from textual.widgets import Input, OptionList, Select

from kiosk.fields import M_CONTROL
from kiosk.i18n import Msg
from kiosk.protocol.student import CorrectionSummary
from kiosk.protocol.terminal import SessionBanner
from screens import text as T
from screens.app import HIGH_CONTRAST, KioskApp, split_paste
from screens.field_check import FieldCheckScreen
from screens.idle_warning import IdleWarningModal
from screens.login import LoginScreen
from screens.photo import PhotoScreen
from screens.receipt import ReceiptScreen
from screens.record import RecordScreen
from screens.register.screen import RegisterScreen
from screens.review import ReviewScreen
from screens.staff_pin import StaffPinModal
from screens.timing import KioskTiming
from screens.welcome import WelcomeScreen
from screens.widgets.confirm import ConfirmModal
from screens.widgets.field_marks import FieldMarks
from screens.widgets.marks import MARK_CORRECT, MARK_OPEN, MARK_WRONG
from screens.widgets.qr import QRCodeView
from tests.kiosk_fakes import (
    ID_NUMBER,
    NOW,
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
from tests.waiting import wait_for

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
        # ... but does not block: Tab to the note (the key bar says so), Enter there saves.
        assert "选择" in shown_text(app)  # while the list has the cursor, Enter opens it
        await pilot.press("tab")
        await settle(pilot)
        assert app.screen.query_one("#note", Input).has_focus and "保存" in shown_text(app)
        await pilot.press("enter")
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


async def test_side_list_shows_marks_follows_keys_and_jumps_on_a_click(
    client: FakeClient,
) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        await pilot.press("y", "y")  # name, gender
        await settle(pilot)
        marks = app.screen.query_one(FieldMarks)
        assert marks.highlighted == 2
        rows = screen_text(app).splitlines()
        assert rows[1].startswith(f" {MARK_CORRECT} 姓名")
        assert rows[2].startswith(f" {MARK_CORRECT} 性别")
        assert rows[3].startswith(f" {MARK_OPEN} 民族")
        # The click lands on the 6th entry (学号), whose value the screen then shows.
        await pilot.click(FieldMarks, offset=(3, 5))
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        assert app.screen.index == 5
        assert marks.highlighted == 5
        assert "学号" in shown_text(app)
        await pilot.press("f2")
        await settle(pilot)
        rows = screen_text(app).splitlines()
        assert rows[2].startswith(f" {MARK_CORRECT} Gender")
        assert rows[6].startswith(f" {MARK_OPEN} Student number")


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
        assert "选择" in shown_text(app)  # Enter in the list chooses; Tab goes to the note
        await pilot.press("tab", "enter")  # "other" needs a note
        await settle(pilot)
        assert T.NOTE_NEEDED.zh in shown_text(app)
        await pilot.press("shift+tab", "up", "up", "enter", "tab", *"blurry", "enter")  # "blurred"
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "模糊不清" in screen_text(app)
        await submit(pilot)
    request = client.submissions[0][0]
    assert request.photo.verdict == "incorrect"
    assert request.photo.reason == "blurred"
    assert request.photo.note == "blurry"


async def test_an_expired_photo_link_leaves_the_screen_until_r(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_photo(pilot)
        screen = app.screen
        assert isinstance(screen, PhotoScreen) and screen.query(QRCodeView)
        app.clock = lambda: NOW + dt.timedelta(minutes=6)
        await wait_for(pilot, lambda: not screen.query(QRCodeView))  # the screen's tick
        assert not screen.query(QRCodeView)  # the old code would scan, to a 410 page
        assert PHOTO_URL not in screen_text(app)
        assert T.PHOTO_EXPIRED.zh in shown_text(app)
        app.clock = lambda: NOW
        await pilot.press("r")
        await settle(pilot)
        assert screen.query(QRCodeView) and T.PHOTO_EXPIRED.zh not in shown_text(app)


async def test_the_record_shows_each_correction_its_state_and_the_reviewers_comment(
    client: FakeClient,
) -> None:
    client.record_response = make_record(
        state="corrections_pending",
        last_receipt_no=RECEIPT_NO,
        corrections=[
            CorrectionSummary(
                id=1, field="ethnicity", proposed="回族", state="college_rejected",
                updated_at=NOW, comment="请带户口本到教学办",
            ),
            CorrectionSummary(
                id=2, field="photo", proposed="blurred", state="reported", updated_at=NOW
            ),
        ],
    )  # fmt: skip
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_record(pilot)
        shown = shown_text(app)
        assert "民族：回族（学院未通过）" in shown and "请带户口本到教学办" in shown
        assert "照片：模糊不清（等待学院审核）" in shown
        # Nothing is left to check: the key bar does not offer it.
        assert T.START_CHECK.zh not in screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert "Ethnicity: 回族 (rejected by the college)" in shown_text(app)


async def test_review_and_receipt_agree_name_the_office_and_the_proof(
    client: FakeClient,
) -> None:
    app = build_app(client, college_offices={"信息工程学院": "行政楼 305"})
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        await pilot.press("y", "y", "n")  # ethnicity wrong
        app.screen.query_one("#proposed-choice", Select).value = "回族"
        await settle(pilot)
        await pilot.press("tab", "enter", *["y"] * 14)
        await settle(pilot)
        await pilot.press("n", "down", "enter", "tab", "enter")  # the photo: blurred
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "▐ ▌" in screen_text(app)  # unticked is blank, not an X in another colour
        await pilot.press("s")
        await settle(pilot)
        assert T.DECLARE_FIRST.zh in shown_text(app)
        await pilot.press("space")
        await settle(pilot)
        assert "▐X▌" in screen_text(app) and T.DECLARE_FIRST.zh not in shown_text(app)
        await pilot.press("s")
        await settle(pilot)
        assert "报告有误的2项" in shown_text(app)  # the ethnicity and the photo
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        shown = shown_text(app)
        assert "报告有误的2项已交信息工程学院教学办（行政楼 305）" in shown
        assert "民族：请带户口本到信息工程学院教学办（行政楼 305）。" in shown
        assert "民族是关键信息：须报省教育厅审核，需数周。" in shown
        assert T.NEXT_PHOTO.zh in shown


async def test_nothing_reported_the_dialog_does_not_count_zero(client: FakeClient) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await pilot.press("space", "s")
        await settle(pilot)
        assert T.CONFIRM_SUBMIT_ALL_CORRECT.zh in shown_text(app)
        assert "0项" not in shown_text(app)


async def test_a_note_with_an_invisible_character_is_refused_on_screen(
    client: FakeClient,
) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_photo(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("down", "enter", "tab")  # "blurred", then Tab on to the note
        await settle(pilot)
        note = app.screen.query_one("#photo-note", Input)
        assert note.has_focus
        note.value = "模糊\u200b"
        await pilot.press("enter")
        await settle(pilot)
        assert M_CONTROL.zh in shown_text(app)
        assert isinstance(app.screen, PhotoScreen)
        note.value = "模糊"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)


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
        await pilot.press("tab", "enter")  # Enter in the note saves
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


QUICK_RETRY = KioskTiming(send_base_delay_s=0.01, send_max_delay_s=0.05)
"""The outbox sender's backoff in milliseconds, so a retry comes at once."""


async def test_unreachable_at_submit_saves_and_sends_later(client: FakeClient) -> None:
    client.fail("submit", unreachable())
    # The retry's jittered backoff may be a few milliseconds: held, so the result is seen
    # waiting first.
    client.submit_gate.clear()
    app = build_app(client, timing=QUICK_RETRY)
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
        outbox = app.outbox
        await wait_for(pilot, lambda: outbox.counts().waiting == 0)  # the sender, by itself
    assert len(client.submissions) == 2
    assert len({request.result_id for request, _key, _body in client.submissions}) == 1
    assert len({key for _request, key, _body in client.submissions}) == 1
    assert len({body for _request, _key, body in client.submissions}) == 1


async def test_a_result_saved_offline_shows_its_receipt_once_delivered(
    client: FakeClient,
) -> None:
    client.fail("submit", unreachable())
    client.submit_gate.clear()
    app = build_app(client, timing=QUICK_RETRY)
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert RECEIPT_NO not in shown_text(app)
        client.submit_gate.set()
        # The sender retries by itself; the screen ticks each second.
        await wait_for(pilot, lambda: RECEIPT_NO in shown_text(app))
        assert T.SAVED_DELIVERED.fmt(no=RECEIPT_NO).zh in shown_text(app)


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


async def test_wrong_staff_pins_make_the_next_try_wait_even_after_a_restart(
    client: FakeClient,
) -> None:
    pin_hash = _pin_hash("2468")
    app = build_app(client, staff_pin_hash=pin_hash)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        for _ in range(3):
            await pilot.press(*"1111", "enter")
            await settle(pilot)
        assert "5 秒后再试" in shown_text(app)
        # While the wait lasts even the right PIN is not checked.
        await pilot.press(*"2468", "enter")
        await settle(pilot)
        assert app.is_running and app.pin_throttle.failures == 3
        assert client.heartbeats[-1].pin_failures == 3
    again = build_app(client, staff_pin_hash=pin_hash, outbox_path=app.settings.outbox_path)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert "秒后再试" in shown_text(again)
        assert again.pin_throttle.failures == 3


def test_a_paste_is_split_at_tab_and_enter() -> None:
    assert split_paste("ab\tc\r\nd\x1b") == [("ab", "next"), ("c", "next"), ("d", "")]
    assert split_paste("user\tpw\r") == [("user", "next"), ("pw", "submit")]
    assert split_paste("plain") == [("plain", "")]


async def test_a_pasted_tab_and_enter_on_the_login_form_act_as_keys(client: FakeClient) -> None:
    """A password manager or a fast typist: ``user<Tab>password<Enter>`` in one burst."""
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        app.post_message(events.Paste("2021010203\tpw\r"))
        await settle(pilot)
        assert isinstance(app.screen, RecordScreen), screen_text(app)
        assert client.logins[-1] == ("2021010203", "pw")


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
        app.check_idle_timeout()
        await settle(pilot)
        assert not isinstance(app.screen, IdleWarningModal)
        clock.advance(2)
        app.check_idle_timeout()
        await settle(pilot)
        assert isinstance(app.screen, IdleWarningModal)
        clock.advance(4)
        app.check_idle_timeout()
        await settle(pilot)
        assert "5 秒后" in shown_text(app)
        clock.advance(7)
        app.check_idle_timeout()
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
        app.check_idle_timeout()
        await settle(pilot)
        assert isinstance(app.screen, IdleWarningModal)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        clock.advance(30)
        app.check_idle_timeout()
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        assert app.session is not None


async def test_enter_marks_nothing_correct_on_the_field_and_photo_screens(
    client: FakeClient,
) -> None:
    """Y is 正确, as the key bar says; Enter pressed to "go on" once marked 16 fields."""
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        await pilot.press(*["enter"] * 17)
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        assert app.session is not None and app.session.decisions == {}
        await pilot.press(*["y"] * 17)
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen) and app.session.photo is None


async def test_the_key_that_dismisses_the_idle_warning_does_nothing_else(
    client: FakeClient,
) -> None:
    """ "按任意键继续": a student presses Y, which must not also mark the field correct."""
    clock = FakeMonotonic()
    app = build_app(client, clock)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        screen = app.screen
        assert isinstance(screen, FieldCheckScreen)
        before = (screen.index, dict(app.session.decisions) if app.session else None)
        clock.advance(61)
        app.check_idle_timeout()
        await settle(pilot)
        assert isinstance(app.screen, IdleWarningModal)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        assert (app.screen.index, dict(app.session.decisions) if app.session else None) == before


def test_the_app_shadows_no_textual_internals() -> None:
    """A method named like one of Textual's replaces it: ``check_idle`` once did, and the
    screen stopped repainting after the first logout. Only these overrides are meant."""
    from textual.app import App

    meant = {"open_url", "on_event", "on_mount", "on_ready", "on_unmount", "check_action"}
    shadowing = {
        name
        for name, value in vars(KioskApp).items()
        if callable(value)
        and not name.startswith("_")
        and any(name in vars(base) for base in App.__mro__)
    }
    assert shadowing <= meant, shadowing - meant


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


async def test_screens_of_past_students_leave_nothing_drawn_behind(client: FakeClient) -> None:
    """Textual's style caches of removed widgets are let go at each logout
    (screens.render_caches): the count of them stays where it was after the first student,
    where it grew with every student (28 a student here, their drawn lines with them)."""
    app = build_app(client)
    counts = []
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            await to_record(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, WelcomeScreen)
            gc.collect()
            counts.append(sum(isinstance(o, StylesCache) for o in gc.get_objects()))
    assert counts[-1] <= counts[0] + 10, counts


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


def test_production_timers_keep_the_board_within_a_second() -> None:
    app = build_app()
    assert app.timing == KioskTiming()
    assert app.timing.step_beat_s == 1.0 and app.timing.heartbeat_s == 10.0
    assert app.timing.idle_check_s == 1.0 and app.timing.health_s == 10.0
    assert (app.timing.send_base_delay_s, app.timing.send_max_delay_s) == (1.0, 60.0)


async def test_a_step_change_is_reported_by_the_step_timer_once(client: FakeClient) -> None:
    app = build_app(client, timing=KioskTiming(step_beat_s=0.02))
    async with app.run_test(size=SIZE) as pilot:
        await to_login(pilot)
        await log_in(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        await wait_for(pilot, lambda: client.heartbeats[-1].step == "fields")
        sent = len(client.heartbeats)
        app.beat_if_step_changed()  # nothing moved: no beat
        await settle(pilot)
        assert len(client.heartbeats) == sent
        await pilot.press("escape")
        await wait_for(pilot, lambda: client.heartbeats[-1].step == "record")
        assert len(client.heartbeats) == sent + 1


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


@pytest.mark.parametrize(
    ("key_fields", "key_line", "school_line"),
    [
        (None, "民族、专业名称是关键信息", "班级是学校信息"),
        # A province whose split the server sends: 专业名称 is the school's there.
        (["ethnicity"], "民族是关键信息", "专业名称、班级是学校信息"),
    ],
)
def test_the_receipt_says_what_each_kind_of_field_means(
    key_fields: list[str] | None, key_line: str, school_line: str
) -> None:
    from kiosk.protocol.student import FieldDecision, LoginResponse, StudentSummary
    from screens.receipt import next_steps
    from screens.session import StudentSession
    from tests.kiosk_fakes import NOW, make_record

    student = StudentSummary(student_no="2022001", name="张伟", college="信息工程学院")
    session = StudentSession(
        LoginResponse(token="t", expires_at=NOW, student=student),
        record=make_record(key_fields=key_fields),
    )
    for key, value in (("ethnicity", "回族"), ("major", "数学"), ("class_name", "计科2202")):
        session.decisions[key] = FieldDecision(key=key, verdict="incorrect", proposed=value)  # type: ignore[arg-type]
    shown = "\n".join(step.zh for step in next_steps(session, {}))
    assert key_line in shown and school_line in shown
    # The proof for a key field that is not an identity field: the admission file.
    assert ("专业名称：请带录取材料" in shown) == (key_fields is None)


async def test_a_policy_rule_is_explained_before_anything_is_sent(client: FakeClient) -> None:
    from stdnum.cn import ric

    from kiosk.policy import RULES

    body = ID_NUMBER[:14] + "135"  # the same birth date and gender, another sequence
    other_id = body + ric.calc_check_digit(body + "0")
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        await pilot.press("n", *"张三", "enter")
        await settle(pilot)
        await pilot.press("y", "y", "y", "n", *other_id, "enter")
        await settle(pilot)
        await pilot.press(*["y"] * 12)
        await settle(pilot)
        await pilot.press("y")  # the photo
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("space", "s")
        await settle(pilot)
        [rule] = [rule for rule in RULES if rule.name == "name_with_id_number"]
        assert rule.message.zh in shown_text(app) and T.FIX_BEFORE_SUBMIT.zh in shown_text(app)
        assert not isinstance(app.screen, ConfirmModal) and client.submissions == []


def test_the_student_reads_every_correction_state_in_words() -> None:
    from kiosk.protocol.base import CORRECTION_STATES

    assert set(T.CORRECTION_STATES) == set(CORRECTION_STATES)
