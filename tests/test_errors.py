"""kiosk.errors: a plain bilingual message for every code the kiosk can meet."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from kiosk.errors import ERROR_MESSAGES, GENERIC_MESSAGE, known_message, message_for
from kiosk.problem_codes import KioskProblemCode, ProblemCode, ServerProblemCode
from kiosk.protocol.base import ProblemDetails

NOTES = Path(__file__).resolve().parent.parent / "docs" / "contract-notes.md"
KIOSK_ONLY = ("server_unreachable", "timeout", "bad_response")
CJK = re.compile(r"[\u4e00-\u9fff]")


def server_codes() -> list[str]:
    """The codes in the contract notes' tables: rows like ``| `code` | 401 | ...``."""
    notes = NOTES.read_text(encoding="utf-8")
    return re.findall(r"^\| `([a-z_]+)` \| (?:\d{3}|other 4xx/5xx) \|", notes, re.M)


def problem(code: str, status: int = 400, **extensions: Any) -> ProblemDetails:
    return ProblemDetails(title=code, status=status, code=code, **extensions)


@pytest.fixture
def shanghai_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_contract_notes_list_the_codes() -> None:
    codes = server_codes()
    # Guards the parser: if the table's layout changes, the tests below must not pass empty.
    assert len(codes) >= 20
    assert {"invalid_credentials", "record_changed", "internal_error", "http_error"} <= set(codes)


def test_the_code_type_the_messages_and_the_notes_name_the_same_codes() -> None:
    assert set(get_args(ServerProblemCode)) == set(server_codes())
    assert set(get_args(KioskProblemCode)) == set(KIOSK_ONLY)
    assert set(get_args(ProblemCode)) == set(get_args(ServerProblemCode)) | set(KIOSK_ONLY)
    assert set(ERROR_MESSAGES) == set(get_args(ProblemCode))


def test_a_code_from_a_newer_server_is_not_taken_for_one_of_the_contract() -> None:
    assert known_message("some_future_code") is None
    assert known_message("rate_limited") == ERROR_MESSAGES["rate_limited"]
    assert message_for("some_future_code") == GENERIC_MESSAGE.fmt(code="some_future_code")


@pytest.mark.parametrize("code", [*server_codes(), *KIOSK_ONLY])
def test_each_message_is_specific_and_in_both_languages(code: str) -> None:
    message = message_for(code)
    assert message == ERROR_MESSAGES[code]
    assert message != GENERIC_MESSAGE.fmt(code=code)
    assert CJK.search(message.zh), message.zh
    # English may quote a Chinese office name, but must be mostly English.
    assert len(CJK.findall(message.en)) <= 5, message.en
    assert re.search(r"[A-Za-z]{3}", message.en)
    # A brace would be an unfilled placeholder on screen.
    assert "{" not in message.zh + message.en


def test_unknown_code_gets_the_generic_message_showing_the_code() -> None:
    message = message_for("teapot_overflow", problem("teapot_overflow", 418))
    assert "teapot_overflow" in message.zh
    assert "teapot_overflow" in message.en


@pytest.mark.parametrize(
    ("left", "zh", "en"),
    [
        (3, "还可以再试 3 次", "3 attempts left"),
        (1, "还可以再试 1 次", "1 attempt left"),
        (0, "锁定", "locks the account"),
    ],
)
def test_invalid_credentials_says_attempts_left(left: int, zh: str, en: str) -> None:
    message = message_for(
        "invalid_credentials", problem("invalid_credentials", 401, attempts_left=left)
    )
    assert zh in message.zh
    assert en in message.en
    assert message.zh.startswith(ERROR_MESSAGES["invalid_credentials"].zh)


@pytest.mark.parametrize(
    "extra", [{}, {"attempts_left": True}, {"attempts_left": "3"}, {"attempts_left": -1}]
)
def test_invalid_credentials_without_a_usable_count_is_the_plain_message(
    extra: dict[str, Any],
) -> None:
    message = message_for("invalid_credentials", problem("invalid_credentials", 401, **extra))
    assert message == ERROR_MESSAGES["invalid_credentials"]


def test_invalid_credentials_never_tells_whether_the_account_exists() -> None:
    message = message_for(
        "invalid_credentials", problem("invalid_credentials", 401, attempts_left=2)
    )
    for word in ("不存在", "未注册", "exist", "unknown", "no account"):
        assert word not in message.zh + message.en.lower()


@pytest.mark.usefixtures("shanghai_time")
@pytest.mark.parametrize(
    "until", ["2025-06-01T02:05:00Z", "2025-06-01T10:05:00+08:00", "2025-06-01T02:05:00"]
)
def test_account_locked_says_until_when_in_local_time(until: str) -> None:
    message = message_for("account_locked", problem("account_locked", 423, locked_until=until))
    assert "10:05" in message.zh
    assert "10:05" in message.en
    assert "锁定" in message.zh
    assert "locked" in message.en


@pytest.mark.parametrize("extra", [{}, {"locked_until": "soon"}, {"locked_until": 5}])
def test_account_locked_without_a_usable_time_still_says_locked(extra: dict[str, Any]) -> None:
    message = message_for("account_locked", problem("account_locked", 423, **extra))
    assert message == ERROR_MESSAGES["account_locked"]


@pytest.mark.usefixtures("shanghai_time")
def test_window_closed_says_it_ended_and_whom_to_contact() -> None:
    message = message_for(
        "window_closed", problem("window_closed", 403, closes_at="2025-05-20T01:30:00Z")
    )
    assert "学院教学办" in message.zh
    assert "college teaching office" in message.en
    assert "结束" in message.zh
    assert "ended" in message.en
    assert "2025-05-20 09:30" in message.zh
    assert "2025-05-20 09:30" in message.en


def test_record_changed_says_updated_and_restarts() -> None:
    message = message_for("record_changed", problem("record_changed", 409, record_version=3))
    assert "更新" in message.zh
    assert "重新开始" in message.zh
    assert "updated" in message.en
    assert "starts again" in message.en


def test_session_expired_says_log_in_again() -> None:
    message = message_for("session_expired")
    assert "重新登录" in message.zh
    assert "log in again" in message.en


def test_server_unreachable_says_answers_are_kept_and_what_to_do() -> None:
    message = message_for("server_unreachable")
    assert "无法连接" in message.zh
    assert "保留" in message.zh
    assert "监考老师" in message.zh
    assert "cannot reach" in message.en.lower()
    assert "kept" in message.en
    assert "try again" in message.en
    assert "proctor" in message.en


def test_validation_failed_names_the_fields_in_each_language() -> None:
    details = ProblemDetails(
        title="invalid",
        status=422,
        code="validation_failed",
        errors=[
            {"field": "fields.id_number.proposed", "code": "id_checksum", "message": "x"},
            {"field": "fields.id_number.note", "code": "too_long", "message": "x"},
            {"field": "photo.note", "code": "too_long", "message": "x"},
            {"field": "username", "code": "missing", "message": "x"},
        ],
    )
    message = message_for("validation_failed", details)
    assert "身份证号、照片、username" in message.zh
    assert "ID number, Photo, username" in message.en


def test_validation_failed_without_field_paths_is_the_plain_message() -> None:
    details = ProblemDetails(
        title="invalid",
        status=422,
        code="validation_failed",
        errors=[{"field": "", "code": "bad", "message": "x"}],
    )
    assert message_for("validation_failed", details) == ERROR_MESSAGES["validation_failed"]
