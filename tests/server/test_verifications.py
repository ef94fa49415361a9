"""Submitting results: idempotency, tickets, record versions, and every bad input."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kiosk.fields import FIELD_KEYS
from kiosk.protocol.base import TERMINAL_KEY_HEADER
from server.models import (
    AuditEvent,
    Correction,
    IdempotencyKey,
    Student,
    Verification,
    VerificationField,
)
from tests.server.conftest import World, id_number

EMAIL = "wang.fang@stu.example.edu.cn"
OTHER = "liu.yang@stu.example.edu.cn"


async def prepared(world: World, email: str = EMAIL, n: int = 3) -> tuple[str, dict[str, Any]]:
    """A logged-in student's token and a valid all-correct result for them."""
    await world.add_student(n, email=email)
    token = await world.token_for(email)
    record = (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()
    return token, result_for(record)


def result_for(record: dict[str, Any], **wrong: str) -> dict[str, Any]:
    fields = []
    for key in FIELD_KEYS:
        if key in wrong:
            fields.append(
                {"key": key, "verdict": "incorrect", "proposed": wrong[key], "note": "见身份证"}
            )
        else:
            fields.append({"key": key, "verdict": "correct"})
    return {
        "result_id": str(uuid.uuid4()),
        "ticket": record["ticket"],
        "record_version": record["record_version"],
        "fields": fields,
        "photo": {"verdict": "correct"},
        "started_at": "2026-06-01T08:01:00Z",
        "finished_at": "2026-06-01T08:05:00Z",
    }


async def submit(world: World, body: Any, key: str | None = None, **headers: str) -> Any:
    sent = world.headers() | headers
    if key is not None:
        sent["Idempotency-Key"] = key
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await world.client.post(
        "/api/v1/verifications",
        content=content,
        headers=sent | {"Content-Type": "application/json"},
    )


async def count(world: World, model: Any) -> int:
    async with world.ctx.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_all_correct_then_replay_returns_the_same_receipt(world: World) -> None:
    _token, body = await prepared(world)
    key = str(uuid.uuid4())
    first = await submit(world, body, key)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["receipt_no"].startswith("XJ2026")
    assert receipt["corrections"] == []
    replay = await submit(world, body, f'"{key}"')  # the IETF draft's quoted form is the same key
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == receipt
    assert await count(world, Verification) == 1
    assert await count(world, VerificationField) == 17
    async with world.ctx.db.sessions() as session:
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert actions.count("verification.submit") == 1


async def test_corrections_are_created_for_wrong_fields_and_photo(world: World) -> None:
    _token, body = await prepared(world)
    body = result_for(
        {"ticket": body["ticket"], "record_version": 1},
        name="王芳芳",
        ethnicity="回族",
        enrollment_date="2022-09-02",
    )
    body["photo"] = {"verdict": "incorrect", "reason": "blurred", "note": "看不清"}
    response = await submit(world, body, str(uuid.uuid4()))
    assert response.status_code == 201, response.text
    fields = sorted(c["field"] for c in response.json()["corrections"])
    assert fields == ["enrollment_date", "ethnicity", "name", "photo"]
    async with world.ctx.db.sessions() as session:
        rows = (
            (await session.execute(select(Correction).order_by(Correction.field))).scalars().all()
        )
    by_field = {row.field: row for row in rows}
    assert (
        by_field["ethnicity"].current_value == "汉族" and by_field["ethnicity"].proposed == "回族"
    )
    assert by_field["photo"].proposed == "blurred"
    assert all(row.state == "reported" for row in rows)
    token = await world.token_for(EMAIL)
    record = (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()
    assert record["state"] == "corrections_pending"
    assert record["last_receipt_no"] == response.json()["receipt_no"]
    assert len(record["corrections"]) == 4


async def test_same_key_other_body_is_422_and_changes_nothing(world: World) -> None:
    _token, body = await prepared(world)
    key = str(uuid.uuid4())
    assert (await submit(world, body, key)).status_code == 201
    other = copy.deepcopy(body)
    other["finished_at"] = "2026-06-01T08:06:00Z"
    response = await submit(world, other, key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert await count(world, Verification) == 1


async def test_result_id_is_unique_across_keys(world: World) -> None:
    _token, body = await prepared(world)
    assert (await submit(world, body, str(uuid.uuid4()))).status_code == 201
    again = await submit(world, body, str(uuid.uuid4()))
    assert again.status_code == 409 and again.json()["code"] == "result_conflict"
    assert await count(world, Verification) == 1
    assert await count(world, IdempotencyKey) == 1


async def test_concurrent_identical_submissions_make_one_row(world: World) -> None:
    _token, body = await prepared(world)
    key = str(uuid.uuid4())
    responses = await asyncio.gather(*(submit(world, body, key) for _ in range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {200, 201, 409}
    receipts = {r.json()["receipt_no"] for r in responses if r.status_code in (200, 201)}
    assert len(receipts) == 1
    assert await count(world, Verification) == 1


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "idempotency_key_missing"),
        ("", "idempotency_key_missing"),
        ("not-a-uuid", "idempotency_key_invalid"),
        ('"12345"', "idempotency_key_invalid"),
    ],
)
async def test_idempotency_key_is_required_and_checked(
    world: World, key: str | None, code: str
) -> None:
    _token, body = await prepared(world)
    response = await submit(world, body, key)
    assert response.status_code == 400 and response.json()["code"] == code
    assert await count(world, Verification) == 0


async def test_ticket_of_one_student_cannot_submit_for_another(world: World) -> None:
    _token, body = await prepared(world, EMAIL, 3)
    await world.add_student(4, email=OTHER)
    async with world.ctx.db.sessions.begin() as session:
        await session.execute(
            update(Student).where(Student.student_no.like("%0004")).values(record_version=2)
        )
    # The ticket says student 3, version 1; claiming version 2 (the other record's) is refused.
    forged = dict(body, record_version=2)
    response = await submit(world, forged, str(uuid.uuid4()))
    assert response.status_code == 403 and response.json()["code"] == "ticket_invalid"
    tampered = dict(body, ticket=body["ticket"][:-3] + "abc")
    response = await submit(world, tampered, str(uuid.uuid4()))
    assert response.status_code == 403 and response.json()["code"] == "ticket_invalid"
    assert await count(world, Verification) == 0
    # The genuine result lands on the ticket's own student, whichever terminal delivers it.
    ok = await submit(world, body, str(uuid.uuid4()), **{"Terminal-Key": world.other_terminal_key})
    assert ok.status_code == 201
    async with world.ctx.db.sessions() as session:
        verification = (await session.execute(select(Verification))).scalar_one()
        owner = await session.get(Student, verification.student_id)
    assert owner is not None and owner.student_no.endswith("0003")


async def test_a_retry_gets_its_receipt_after_the_record_changed_and_the_ticket_expired(
    world: World,
) -> None:
    # A kiosk's outbox may resend days later, after a correction was applied.
    _token, body = await prepared(world)
    key = str(uuid.uuid4())
    first = await submit(world, body, key)
    assert first.status_code == 201, first.text
    async with world.ctx.db.sessions.begin() as session:
        await session.execute(update(Student).values(record_version=2))
    world.clock.advance(days=world.ctx.settings.ticket_days, seconds=1)
    retry = await submit(world, body, key)
    assert retry.status_code == 200, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    other = await submit(world, dict(body, result_id=str(uuid.uuid4())), key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert await count(world, Verification) == 1


async def test_expired_ticket_is_refused(world: World) -> None:
    _token, body = await prepared(world)
    world.clock.advance(days=world.ctx.settings.ticket_days, seconds=1)
    response = await submit(world, body, str(uuid.uuid4()))
    assert response.status_code == 403 and response.json()["code"] == "ticket_invalid"


async def test_old_record_version_is_409_record_changed(world: World) -> None:
    _token, body = await prepared(world)
    async with world.ctx.db.sessions.begin() as session:
        await session.execute(update(Student).values(record_version=2))
    response = await submit(world, body, str(uuid.uuid4()))
    assert response.status_code == 409
    assert response.json()["code"] == "record_changed"
    assert response.json()["record_version"] == 2
    assert await count(world, Verification) == 0


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return dict(body, fields=[f for f in body["fields"] if f["key"] != key])


def _replace(body: dict[str, Any], key: str, decision: dict[str, Any]) -> dict[str, Any]:
    return dict(body, fields=[decision if f["key"] == key else f for f in body["fields"]])


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("missing verdict", lambda b: _without(b, "gender"), "fields"),
    (
        "repeated field",
        lambda b: dict(
            b, fields=[*_without(b, "gender")["fields"], {"key": "name", "verdict": "correct"}]
        ),
        "fields",
    ),
    (
        "incorrect without proposed",
        lambda b: _replace(b, "major", {"key": "major", "verdict": "incorrect"}),
        "fields.9",
    ),
    (
        "correct with proposed",
        lambda b: _replace(b, "major", {"key": "major", "verdict": "correct", "proposed": "x"}),
        "fields.9",
    ),
    (
        "unknown field key",
        lambda b: _replace(b, "major", {"key": "hobby", "verdict": "correct"}),
        "fields.9.key",
    ),
    (
        "unknown verdict",
        lambda b: _replace(b, "major", {"key": "major", "verdict": "maybe"}),
        "fields.9.verdict",
    ),
    ("photo wrong without reason", lambda b: dict(b, photo={"verdict": "incorrect"}), "photo"),
    ("extra top-level key", lambda b: dict(b, student_no="x"), "student_no"),
    ("bad result id", lambda b: dict(b, result_id="nope"), "result_id"),
    ("finished before started", lambda b: dict(b, finished_at="2026-06-01T07:00:00Z"), ""),
    ("version zero", lambda b: dict(b, record_version=0), "record_version"),
    (
        "note too long",
        lambda b: _replace(
            b,
            "major",
            {"key": "major", "verdict": "incorrect", "proposed": "数学", "note": "x" * 501},
        ),
        "fields.9.note",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "where"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
async def test_structurally_bad_results_are_422_and_change_nothing(
    world: World, case: str, mutate: Any, where: str
) -> None:
    _token, body = await prepared(world)
    response = await submit(world, mutate(body), str(uuid.uuid4()))
    assert response.status_code == 422, case
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert any(e["field"].startswith(where) for e in problem["errors"]), problem
    assert await count(world, Verification) == 0
    assert await count(world, IdempotencyKey) == 0


SEMANTIC: list[tuple[str, str, str]] = [
    ("id_number", "330502200305171009", "id_checksum"),
    ("birth_date", "2003-02-30", "date_invalid"),
    ("ethnicity", "火星族", "not_in_list"),
    ("gender", "男性", "not_in_list"),
    ("enrollment_date", "2099-09-01", "date_in_future"),
    ("student_no", "12", "student_no_format"),
    ("name", "Robert'); DROP TABLE students;--", "name_characters"),
    ("major", "计算机科学与技术", "unchanged"),
]


@pytest.mark.parametrize(("key", "proposed", "code"), SEMANTIC)
async def test_proposed_values_are_validated_like_the_field(
    world: World, key: str, proposed: str, code: str
) -> None:
    _token, body = await prepared(world)
    response = await submit(
        world,
        result_for({"ticket": body["ticket"], "record_version": 1}, **{key: proposed}),
        str(uuid.uuid4()),
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert {"field": f"fields.{key}.proposed", "code": code} == {
        k: errors[0][k] for k in ("field", "code")
    }
    assert "/" in errors[0]["message"]  # Chinese / English
    assert await count(world, Verification) == 0
    assert await count(world, Correction) == 0


async def test_a_new_id_number_is_accepted_with_a_matching_new_birth_date(world: World) -> None:
    _token, body = await prepared(world)
    new_id = id_number("330502", "2003-05-18", 101)
    result = result_for(
        {"ticket": body["ticket"], "record_version": 1}, id_number=new_id, birth_date="2003-05-18"
    )
    # The new number moves the birth date: the birth certificate must be listed as proof.
    refused = await submit(world, result, str(uuid.uuid4()))
    assert refused.status_code == 422
    assert refused.json()["code"] == "policy_birth_certificate_required"
    for decision in result["fields"]:
        if decision["key"] == "id_number":
            decision["note"] = "身份证、出生医学证明"
    response = await submit(world, result, str(uuid.uuid4()))
    assert response.status_code == 201, response.text


async def test_malformed_json_and_oversized_body(world: World) -> None:
    await prepared(world)
    broken = await submit(world, b"{not json", str(uuid.uuid4()))
    assert broken.status_code == 422 and broken.json()["code"] == "validation_failed"
    huge = await submit(world, b"[" + b"1," * 40_000 + b"1]", str(uuid.uuid4()))
    assert huge.status_code == 413
    assert await count(world, Verification) == 0


async def test_a_streamed_body_over_the_limit_is_413_and_under_it_is_read(world: World) -> None:
    _token, body = await prepared(world)

    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        # A generator body goes out chunked, with no Content-Length to refuse it by.
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    headers = {
        TERMINAL_KEY_HEADER: world.terminal_key,
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    huge = await world.client.post(
        "/api/v1/verifications", content=chunks(b"[" + b"1," * 40_000 + b"1]"), headers=headers
    )
    assert huge.status_code == 413 and huge.json()["code"] == "body_too_large"
    assert await count(world, Verification) == 0
    fine = await world.client.post(
        "/api/v1/verifications", content=chunks(json.dumps(body).encode()), headers=headers
    )
    assert fine.status_code == 201, fine.text


async def test_submission_needs_a_terminal_key(world: World) -> None:
    _token, body = await prepared(world)
    response = await world.client.post(
        "/api/v1/verifications", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 401 and response.json()["code"] == "terminal_key_missing"


async def test_a_ticket_authorises_exactly_one_result(world: World) -> None:
    token, body = await prepared(world)
    key = str(uuid.uuid4())
    assert (await submit(world, body, key)).status_code == 201
    second = dict(body, result_id=str(uuid.uuid4()))
    refused = await submit(world, second, str(uuid.uuid4()))
    assert refused.status_code == 409
    assert refused.json()["code"] == "ticket_used"
    assert await count(world, Verification) == 1
    assert await count(world, IdempotencyKey) == 1
    # The accepted result's replay still gets its receipt.
    replay = await submit(world, body, key)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    # The next GET /me/record brings a new ticket, which authorises one more result.
    record = (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()
    assert record["ticket"] != body["ticket"]
    again = await submit(world, result_for(record), str(uuid.uuid4()))
    assert again.status_code == 201, again.text


async def test_concurrent_results_on_one_ticket_record_one(world: World) -> None:
    _token, body = await prepared(world)
    bodies = [dict(body, result_id=str(uuid.uuid4())) for _ in range(4)]
    answers = await asyncio.gather(*(submit(world, b, str(uuid.uuid4())) for b in bodies))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"ticket_used"}
    assert await count(world, Verification) == 1


async def test_no_ticket_once_the_window_closed_but_a_saved_result_still_arrives(
    world: World,
) -> None:
    await world.add_student(3, email=EMAIL, window_hours=0.25)
    token = await world.token_for(EMAIL)
    shown = (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()
    body = result_for(shown)  # saved in the outbox while the window was open
    world.clock.advance(minutes=20)  # the window has closed; the session has not
    record = await world.client.get("/api/v1/me/record", headers=world.headers(token))
    assert record.status_code == 200
    assert record.json()["window"]["is_open"] is False
    assert record.json()["ticket"] is None
    delivered = await submit(world, body, str(uuid.uuid4()))
    assert delivered.status_code == 201, delivered.text
