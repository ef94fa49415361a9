"""The API contract models (kiosk.protocol): what a verification result must look like."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from kiosk.fields import FIELD_KEYS
from kiosk.privacy import mask_id_number, mask_name
from kiosk.protocol.base import FieldKey, ProblemDetails
from kiosk.protocol.student import (
    FieldDecision,
    LoginRequest,
    PhotoDecision,
    RecordResponse,
    VerificationRequest,
    new_result_id,
)
from kiosk.protocol.terminal import HeartbeatRequest, HeartbeatResponse


def valid_body() -> dict[str, Any]:
    """A complete result as the kiosk sends it: two corrections, the photo wrong."""
    decisions: list[dict[str, Any]] = [{"key": key, "verdict": "correct"} for key in FIELD_KEYS]
    decisions[0] = {"key": "name", "verdict": "incorrect", "proposed": "张伟强", "note": "错别字"}
    decisions[15] = {"key": "enrollment_date", "verdict": "incorrect", "proposed": "2022-09-01"}
    return {
        "result_id": str(uuid.uuid4()),
        "ticket": "signed.ticket.value",
        "record_version": 1,
        "fields": decisions,
        "photo": {"verdict": "incorrect", "reason": "blurred", "note": "看不清"},
        "started_at": "2026-06-01T09:00:00+08:00",
        "finished_at": "2026-06-01T09:05:30+08:00",
    }


def test_the_field_keys_agree_with_the_catalogue() -> None:
    assert get_args(FieldKey) == FIELD_KEYS


def test_a_valid_request_parses() -> None:
    request = VerificationRequest.model_validate(valid_body())
    assert len(request.fields) == 17
    assert [d.key for d in request.incorrect()] == ["name", "enrollment_date"]
    assert request.photo.reason == "blurred"
    assert request.finished_at - request.started_at == dt.timedelta(minutes=5, seconds=30)
    # It survives the round trip through JSON unchanged, as the outbox stores it.
    assert VerificationRequest.model_validate_json(request.model_dump_json()) == request


def test_all_correct_in_any_order_parses() -> None:
    body = valid_body()
    body["fields"] = [{"key": key, "verdict": "correct"} for key in reversed(FIELD_KEYS)]
    body["photo"] = {"verdict": "correct"}
    assert VerificationRequest.model_validate(body).incorrect() == []


def test_finished_equal_to_started_is_fine() -> None:
    body = valid_body()
    body["finished_at"] = body["started_at"]
    VerificationRequest.model_validate(body)


def _missing_verdict(body: dict[str, Any]) -> None:
    del body["fields"][3]


def _missing_verdict_with_17(body: dict[str, Any]) -> None:
    body["fields"][3] = {"key": "name", "verdict": "correct"}  # 17 entries, name twice


def _repeated_key(body: dict[str, Any]) -> None:
    body["fields"].append({"key": "gender", "verdict": "correct"})


def _unknown_key(body: dict[str, Any]) -> None:
    body["fields"][5] = {"key": "favourite_colour", "verdict": "correct"}


def _no_verdict(body: dict[str, Any]) -> None:
    del body["fields"][1]["verdict"]


def _bad_verdict(body: dict[str, Any]) -> None:
    body["fields"][1]["verdict"] = "maybe"


def _incorrect_without_proposed(body: dict[str, Any]) -> None:
    del body["fields"][0]["proposed"]


def _incorrect_with_blank_proposed(body: dict[str, Any]) -> None:
    body["fields"][0]["proposed"] = "   "


def _correct_with_proposed(body: dict[str, Any]) -> None:
    body["fields"][2]["proposed"] = "汉族"


def _proposed_too_long(body: dict[str, Any]) -> None:
    body["fields"][0]["proposed"] = "张" * 201


def _note_too_long(body: dict[str, Any]) -> None:
    body["fields"][0]["note"] = "x" * 501


def _unknown_decision_key(body: dict[str, Any]) -> None:
    body["fields"][1]["comment"] = "x"


def _photo_incorrect_without_reason(body: dict[str, Any]) -> None:
    body["photo"] = {"verdict": "incorrect"}


def _photo_correct_with_reason(body: dict[str, Any]) -> None:
    body["photo"] = {"verdict": "correct", "reason": "other"}


def _photo_bad_reason(body: dict[str, Any]) -> None:
    body["photo"] = {"verdict": "incorrect", "reason": "ugly"}


def _extra_top_level_key(body: dict[str, Any]) -> None:
    body["student_no"] = "2022011101"


def _missing_photo(body: dict[str, Any]) -> None:
    del body["photo"]


def _finished_before_started(body: dict[str, Any]) -> None:
    body["finished_at"] = "2026-06-01T08:59:59+08:00"


def _finished_before_started_other_zone(body: dict[str, Any]) -> None:
    body["finished_at"] = "2026-06-01T00:59:00Z"  # 08:59 in China


def _naive_and_aware_times(body: dict[str, Any]) -> None:
    body["started_at"] = "2026-06-01T09:00:00"


def _naive_times(body: dict[str, Any]) -> None:
    # Without a zone the server cannot tell when the check happened.
    body["started_at"] = "2026-06-01T09:00:00"
    body["finished_at"] = "2026-06-01T09:05:00"


def _started_before_year_one_in_utc(body: dict[str, Any]) -> None:
    # Valid ISO 8601 and aware, but UTC has no such date: the server could not store it.
    body["started_at"] = "0001-01-01T00:00:00+14:00"


def _finished_after_year_9999_in_utc(body: dict[str, Any]) -> None:
    body["finished_at"] = "9999-12-31T23:00:00-14:00"


def _record_version_zero(body: dict[str, Any]) -> None:
    body["record_version"] = 0


def _empty_ticket(body: dict[str, Any]) -> None:
    body["ticket"] = ""


def _bad_result_id(body: dict[str, Any]) -> None:
    body["result_id"] = "not-a-uuid"


@pytest.mark.parametrize(
    "spoil",
    [
        _missing_verdict,
        _missing_verdict_with_17,
        _started_before_year_one_in_utc,
        _finished_after_year_9999_in_utc,
        _repeated_key,
        _unknown_key,
        _no_verdict,
        _bad_verdict,
        _incorrect_without_proposed,
        _incorrect_with_blank_proposed,
        _correct_with_proposed,
        _proposed_too_long,
        _note_too_long,
        _unknown_decision_key,
        _photo_incorrect_without_reason,
        _photo_correct_with_reason,
        _photo_bad_reason,
        _extra_top_level_key,
        _missing_photo,
        _finished_before_started,
        _finished_before_started_other_zone,
        _naive_and_aware_times,
        _naive_times,
        _record_version_zero,
        _empty_ticket,
        _bad_result_id,
    ],
)
def test_invalid_requests_are_validation_errors(spoil: Any) -> None:
    body = copy.deepcopy(valid_body())
    spoil(body)
    # Anything but a ValidationError (e.g. a TypeError) would become a 500 on the server.
    with pytest.raises(ValidationError):
        VerificationRequest.model_validate(body)


def test_missing_and_repeated_are_named() -> None:
    body = valid_body()
    body["fields"][3] = {"key": "name", "verdict": "correct"}
    with pytest.raises(ValidationError) as caught:
        VerificationRequest.model_validate(body)
    assert "birth_date" in str(caught.value) and "name" in str(caught.value)


def test_models_are_frozen() -> None:
    decision = FieldDecision(key="name", verdict="correct")
    with pytest.raises(ValidationError):
        decision.verdict = "incorrect"  # type: ignore[misc]


def test_photo_decision_reasons() -> None:
    for reason in ("not_me", "blurred", "background"):
        assert PhotoDecision(verdict="incorrect", reason=reason).reason == reason
    # "other" says nothing by itself, so it needs a note.
    assert PhotoDecision(verdict="incorrect", reason="other", note="戴了帽子").reason == "other"
    for note in (None, "", "   "):
        with pytest.raises(ValidationError):
            PhotoDecision(verdict="incorrect", reason="other", note=note)


def test_login_request() -> None:
    assert LoginRequest(username="  2022011101 ", password="x").username == "2022011101"
    with pytest.raises(ValidationError):
        LoginRequest(username="   ", password="x")
    with pytest.raises(ValidationError):
        LoginRequest(username="a", password="")


def test_heartbeat_rejects_negative_counts_and_unknown_steps() -> None:
    HeartbeatRequest(state="in_use", step="fields", student_masked="张*丰")
    with pytest.raises(ValidationError):
        HeartbeatRequest(state="idle", results_waiting=-1)
    with pytest.raises(ValidationError):
        HeartbeatRequest.model_validate({"state": "in_use", "step": "somewhere"})


def test_replies_ignore_members_a_newer_server_adds() -> None:
    reply = HeartbeatResponse.model_validate(
        {
            "server_time": "2026-06-01T09:00:00Z",
            "terminal_name": "A101-01",
            "lab": "A101",
            "session": {"id": 1},
        }
    )
    assert reply.lab == "A101"


def test_problem_details_keeps_extension_members() -> None:
    problem = ProblemDetails.model_validate(
        {"title": "Locked", "status": 423, "code": "account_locked", "locked_until": "x"}
    )
    assert problem.model_dump()["locked_until"] == "x"


def test_record_response_values() -> None:
    record = RecordResponse.model_validate(
        {
            "student_no": "2022011101",
            "fields": [{"key": key, "value": f"v-{key}"} for key in FIELD_KEYS],
            "record_version": 2,
            "photo": None,
            "window": {"closes_at": None, "is_open": True},
            "state": "not_checked",
            "ticket": "t",
            "ticket_expires_at": "2026-06-08T00:00:00Z",
        }
    )
    assert record.values()["major"] == "v-major"
    assert list(record.values()) == list(FIELD_KEYS)


def test_new_result_id_is_fresh() -> None:
    first, second = new_result_id(), new_result_id()
    assert first != second and first.version == 4


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("李四", "李*"),
        ("欧阳娜娜", "欧**娜"),
        ("王", "*"),
        ("", "*"),
        ("艾力·买买提", "艾****提"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("360426199101010071", "360***********0071"),
        ("44011320141005001X", "440***********001X"),
        ("1234567", "*******"),
        ("12345678", "123*5678"),
        ("", ""),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked
    assert len(mask_id_number(number)) == len(number)
    # The birth date (digits 7-14) never shows on a full number.
    if len(number) == 18:
        assert number[6:14] not in mask_id_number(number)
