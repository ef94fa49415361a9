"""kiosk.submission: ids fixed once, saved before sending, retries resend the identical request."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from kiosk.client import ApiClient
from kiosk.fields import FIELD_KEYS
from kiosk.outbox import Outbox, OutboxCounts, OutboxSender, PendingResult
from kiosk.protocol.student import FieldDecision, PhotoDecision, RecordResponse
from kiosk.submission import prepare_result, save_and_send

START = dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC)
END = dt.datetime(2025, 5, 1, 8, 6, tzinfo=dt.UTC)
RECEIPT = {"receipt_no": "R-1", "submitted_at": "2025-05-01T08:06:01Z", "corrections": []}

Handler = Callable[[httpx.Request], httpx.Response]


def record() -> RecordResponse:
    return RecordResponse.model_validate(
        {
            "student_no": "2021001",
            "fields": [{"key": key, "value": f"value of {key}"} for key in FIELD_KEYS],
            "record_version": 4,
            "photo": None,
            "window": {"closes_at": None, "is_open": True},
            "state": "not_checked",
            "ticket": "ticket-for-v4",
            "ticket_expires_at": "2025-05-08T08:00:00Z",
        }
    )


def decisions() -> list[FieldDecision]:
    return [
        FieldDecision(key=key, verdict="incorrect", proposed="李四", note="错字")
        if key == "name"
        else FieldDecision(key=key, verdict="correct")
        for key in FIELD_KEYS
    ]


def pending() -> PendingResult:
    return prepare_result(record(), decisions(), PhotoDecision(verdict="correct"), START, END)


def problem(status: int, code: str) -> httpx.Response:
    body = {"title": code, "status": status, "code": code}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


class Script:
    """Answers requests in turn from a list (an exception class means: raise it)."""

    def __init__(self, *answers: httpx.Response | type[httpx.TransportError]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, httpx.Response):
            return answer
        raise answer("simulated", request=request)


# --- prepare_result -------------------------------------------------------------------


def test_prepare_result_fixes_ids_and_body_once() -> None:
    result = pending()
    assert result.request.result_id == result.result_id
    assert uuid.UUID(result.idempotency_key).version == 4
    assert result.result_id.version == 4
    assert result.idempotency_key != str(result.result_id)
    assert result.body == result.request.model_dump_json().encode()
    sent: dict[str, Any] = json.loads(result.body)
    assert sent["result_id"] == str(result.result_id)
    assert sent["ticket"] == "ticket-for-v4"
    assert sent["record_version"] == 4
    assert sent["fields"][0] == {
        "key": "name",
        "verdict": "incorrect",
        "proposed": "李四",
        "note": "错字",
    }


def test_each_result_gets_its_own_ids() -> None:
    first, second = pending(), pending()
    assert first.result_id != second.result_id
    assert first.idempotency_key != second.idempotency_key


def test_prepare_result_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        prepare_result(
            record(), decisions(), PhotoDecision(verdict="correct"), START.replace(tzinfo=None), END
        )


def test_prepare_result_refuses_an_incomplete_result() -> None:
    with pytest.raises(ValidationError):
        prepare_result(record(), decisions()[:16], PhotoDecision(verdict="correct"), START, END)


# --- save_and_send --------------------------------------------------------------------


class SavedFirst(Script):
    """A script that also records whether the result was in the outbox file when sent."""

    def __init__(self, path: Path, *answers: httpx.Response | type[httpx.TransportError]):
        super().__init__(*answers)
        self.path = path
        self.saved_when_sent: list[bool] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["result_id"]
        with sqlite3.connect(self.path) as other:
            row = other.execute("SELECT 1 FROM outbox WHERE result_id = ?", (sent,)).fetchone()
        self.saved_when_sent.append(row is not None)
        return super().__call__(request)


@pytest.mark.parametrize(
    ("answers", "state", "counts"),
    [
        ([httpx.Response(201, json=RECEIPT)], "delivered", OutboxCounts(0, 0)),
        ([problem(409, "record_changed")], "dead", OutboxCounts(0, 1)),
        ([httpx.ConnectError] * 20, "waiting", OutboxCounts(1, 0)),
    ],
)
async def test_save_and_send_saves_before_the_first_send(
    tmp_path: Path,
    make_client: Callable[[Script], ApiClient],
    answers: list[httpx.Response | type[httpx.TransportError]],
    state: str,
    counts: OutboxCounts,
) -> None:
    path = tmp_path / "outbox.sqlite3"
    with Outbox.open(path) as outbox:
        script = SavedFirst(path, *answers)
        sender = OutboxSender(outbox, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
        sender.start()
        result = pending()
        delivery = await save_and_send(outbox, sender, result, wait_s=0.3)
        await sender.stop()
        assert (delivery.result_id, delivery.state) == (result.result_id, state)
        assert (delivery.receipt is not None) == (state == "delivered")
        # A waiting result says why its first try failed; a dead one why it was refused.
        assert (delivery.error is not None) == (state != "delivered")
        assert outbox.counts() == counts
    assert script.saved_when_sent and all(script.saved_when_sent)
    assert {r.headers["Idempotency-Key"] for r in script.requests} == {result.idempotency_key}


async def test_save_and_send_without_a_disk_saves_and_sends_nothing(
    tmp_path: Path, make_client: Callable[[Script], ApiClient]
) -> None:
    path = tmp_path / "outbox.sqlite3"
    script = Script(httpx.Response(201, json=RECEIPT))
    with Outbox.open(path) as outbox:
        sender = OutboxSender(outbox, make_client(script))
        sender.start()
        with sqlite3.connect(path) as other:
            # Another writer holds the lock, as a full or failing disk would stop the commit.
            other.execute("BEGIN EXCLUSIVE")
            outbox._db.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(sqlite3.OperationalError):
                await save_and_send(outbox, sender, pending(), wait_s=1)
            other.rollback()
        await sender.stop()
        assert outbox.counts() == OutboxCounts(0, 0)
    assert script.requests == []


# --- retries, as the sender makes them ------------------------------------------------


async def test_retries_resend_the_same_key_and_bytes(
    tmp_path: Path, make_client: Callable[[Script], ApiClient]
) -> None:
    script = Script(
        httpx.ConnectError,
        problem(503, "internal_error"),
        problem(409, "request_in_progress"),
        httpx.ReadTimeout,
        problem(429, "rate_limited"),
        httpx.Response(200, json=RECEIPT, headers={"Idempotent-Replayed": "true"}),
    )
    prepared = pending()
    # Bytes unlike a fresh model_dump_json(), so re-serialising on any attempt would show.
    pretty = json.dumps(json.loads(prepared.body), indent=1, ensure_ascii=False).encode()
    result = dataclasses.replace(prepared, body=pretty)
    with Outbox.open(tmp_path / "outbox.sqlite3") as outbox:
        sender = OutboxSender(outbox, make_client(script), base_delay_s=0.001, max_delay_s=0.001)
        sender.start()
        first = await save_and_send(outbox, sender, result, wait_s=5)
        for _ in range(500):
            if outbox.receipt_of(result.result_id) is not None:
                break
            await asyncio.sleep(0.01)
        await sender.stop()
        assert first.state == "waiting"
        assert outbox.receipt_of(result.result_id) == "R-1"
    assert len(script.requests) == 6
    assert {r.headers["Idempotency-Key"] for r in script.requests} == {result.idempotency_key}
    assert all(r.content == pretty for r in script.requests)


@pytest.mark.parametrize(
    "answer",
    [
        problem(409, "record_changed"),
        problem(403, "ticket_invalid"),
        problem(422, "idempotency_key_reused"),
        problem(422, "validation_failed"),
        problem(401, "terminal_key_invalid"),
        httpx.Response(200, json={"unexpected": True}),
    ],
)
async def test_final_refusals_are_dead_letters_at_once(
    tmp_path: Path, make_client: Callable[[Script], ApiClient], answer: httpx.Response
) -> None:
    script = Script(answer, httpx.Response(201, json=RECEIPT))
    with Outbox.open(tmp_path / "outbox.sqlite3") as outbox:
        sender = OutboxSender(outbox, make_client(script), base_delay_s=0.001, max_delay_s=0.001)
        sender.start()
        delivery = await save_and_send(outbox, sender, pending(), wait_s=5)
        await sender.stop()
        assert delivery.state == "dead"
        assert delivery.error is not None and not delivery.error.retryable
        assert outbox.counts() == OutboxCounts(0, 1)
    assert len(script.requests) == 1
