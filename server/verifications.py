"""Submitting a verification result: idempotent, all-or-nothing, audited.

The whole submission is one transaction (the idempotent-consumer pattern, with the key the
kiosk made once and kept in its outbox): check the terminal, the
ticket and the record version, validate every proposed value, write the result, its 17
decisions, the corrections and the audit row, and store the idempotency key with the answer
for replays. Any error rolls all of it back, so a rejected request changes nothing; a
refused request then looks for an earlier answer under its key (a retry of a result that
was recorded gets that answer, whatever changed since).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, Response
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.fields import M_UNCHANGED, validate_field
from kiosk.protocol.base import API_PREFIX, IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER, FieldError
from kiosk.protocol.student import CorrectionRef, VerificationReceipt, VerificationRequest
from server.audit import audit
from server.auth import TerminalKey, check_terminal, parse_terminal_key
from server.context import Ctx, ServerContext
from server.db import insert_ignoring_conflict
from server.models import (
    Base,
    Correction,
    IdempotencyKey,
    Student,
    Terminal,
    Verification,
    VerificationField,
)
from server.problems import ApiProblem, validation_problem
from server.province import policy
from server.records import Ticket, read_ticket, record_values

router = APIRouter(prefix=API_PREFIX, tags=["verifications"])

# Tables, not mapped classes, in the writes below: an insert of a mapped class goes through
# the ORM's bulk-persistence layer, which costs more than the statement itself.
_VERIFICATIONS = Base.metadata.tables[Verification.__tablename__]
_DECISIONS = Base.metadata.tables[VerificationField.__tablename__]
_CORRECTIONS = Base.metadata.tables[Correction.__tablename__]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        max_length=100,
        description="A UUID, generated once per result and sent unchanged on every retry "
        "(quoted, as the IETF draft writes it, or bare). Keys are kept for good.",
    ),
]


def parse_idempotency_key(raw: str | None) -> str:
    """The key as a canonical UUID string, or 400."""
    if raw is None or not raw.strip():
        raise ApiProblem(400, "idempotency_key_missing", "Send an Idempotency-Key header.")
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiProblem(
            400, "idempotency_key_invalid", "The Idempotency-Key must be a UUID."
        ) from None


def _semantic_errors(body: VerificationRequest, current: dict[str, str]) -> list[FieldError]:
    # Proposed values are checked against each other too (a new ID number with a new birth date).
    context = current | {d.key: d.proposed or "" for d in body.incorrect()}
    errors: list[FieldError] = []
    for decision in body.incorrect():
        check = validate_field(decision.key, decision.proposed or "", context)
        where = f"fields.{decision.key}.proposed"
        errors.extend(
            FieldError(field=where, code=problem.code, message=problem.msg.both())
            for problem in check.errors
        )
        if check.ok and check.value == current[decision.key]:
            errors.append(FieldError(field=where, code="unchanged", message=M_UNCHANGED.both()))
    return errors


async def _write_result(
    session: AsyncSession,
    ctx: ServerContext,
    body: VerificationRequest,
    student: Student,
    current: dict[str, str],
    terminal: Terminal,
    ticket: Ticket,
) -> VerificationReceipt:
    # Core statements, not ORM objects: this is the hottest write of the server, and the
    # unit of work sent the 17 decisions as 17 statements (26 statements per submission
    # then, 8 now with BEGIN and COMMIT).
    now = ctx.now()
    verification_id = (
        await session.execute(
            insert(_VERIFICATIONS).returning(_VERIFICATIONS.c.id),
            {
                "result_id": str(body.result_id),
                "student_id": student.id,
                "terminal_id": terminal.id,
                "record_version": body.record_version,
                "photo_version": student.photo_version,
                "photo_verdict": body.photo.verdict,
                "photo_reason": body.photo.reason,
                "photo_note": body.photo.note,
                "started_at": body.started_at,
                "finished_at": body.finished_at,
                "submitted_at": now,
                "ticket_digest": ticket.digest,
            },
        )
    ).scalar_one()
    receipt_no = f"XJ{now:%Y%m%d}{verification_id:06d}"
    await session.execute(
        update(_VERIFICATIONS)
        .where(_VERIFICATIONS.c.id == bindparam("vid"))
        .values(receipt_no=bindparam("no")),
        {"vid": verification_id, "no": receipt_no},
    )
    if student.recheck_fields:
        # This submission is the check the changed fields were waiting for.
        student.recheck_fields = []
    # (field, value on record, proposed, note) for everything the student marked wrong.
    reported: list[tuple[str, str, str | None, str | None]] = []
    decisions: list[dict[str, object]] = []
    for decision in body.fields:
        # Stored normalised (full-width digits, spaces), as the validator accepted it.
        proposed = (
            validate_field(decision.key, decision.proposed).value if decision.proposed else None
        )
        decisions.append({
            "verification_id": verification_id, "key": decision.key, "verdict": decision.verdict,
            "shown_value": current[decision.key], "proposed": proposed, "note": decision.note,
        })  # fmt: skip
        if decision.verdict == "incorrect":
            reported.append((decision.key, current[decision.key], proposed, decision.note))
    await session.execute(insert(_DECISIONS), decisions)
    if body.photo.verdict == "incorrect":
        photo = f"v{student.photo_version}"
        reported.append(("photo", photo, body.photo.reason, body.photo.note))
    corrections: list[CorrectionRef] = []
    if reported:
        rows = [
            {
                "verification_id": verification_id,
                "student_id": student.id,
                "field": field,
                "current_value": value,
                "proposed": proposed,
                "note": note,
                "created_at": now,
                "updated_at": now,
            }
            for field, value, proposed, note in reported
        ]
        inserted = await session.execute(
            insert(_CORRECTIONS).returning(
                _CORRECTIONS.c.id,
                _CORRECTIONS.c.field,
                _CORRECTIONS.c.state,
                sort_by_parameter_order=True,
            ),
            rows,
        )
        corrections = [CorrectionRef(id=r.id, field=r.field, state=r.state) for r in inserted]
    audit(
        session, "verification.submit", actor=f"student:{student.id}", at=now,
        terminal_id=terminal.id, target=f"verification:{verification_id}",
        corrections=len(corrections),
    )  # fmt: skip
    return VerificationReceipt(receipt_no=receipt_no, submitted_at=now, corrections=corrections)


async def _stored_answer(
    ctx: ServerContext, terminal_id: int, key: str, fingerprint: str
) -> JSONResponse | None:
    """What an earlier request under this key was answered, if there was one.

    A replay with the same body gets the first receipt again (200); the same key with
    another body is 422 ``idempotency_key_reused``.
    """
    async with ctx.db.sessions() as session:
        row = (
            await session.execute(
                select(IdempotencyKey).where(
                    IdempotencyKey.terminal_id == terminal_id, IdempotencyKey.key == key
                )
            )
        ).scalar_one_or_none()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
        )
    return JSONResponse(
        VerificationReceipt.model_validate_json(row.response_body).model_dump(mode="json"),
        status_code=200,
        headers={REPLAYED_HEADER: "true"},
    )


class _KeyTaken(Exception):
    """Another transaction stored this Idempotency-Key first; this one must roll back."""


def _refusal(
    ctx: ServerContext,
    ticket: Ticket | None,
    body: VerificationRequest,
    student: Student | None,
    current: dict[str, str],
) -> ApiProblem | None:
    """Why this result cannot be recorded against ``student``, if it cannot."""
    if student is None or ticket is None or ticket.record_version != body.record_version:
        return ApiProblem(403, "ticket_invalid", "The submission ticket is not valid.")
    if student.record_version != body.record_version:
        return ApiProblem(
            409,
            "record_changed",
            "The record has changed since it was shown; check it again.",
            record_version=student.record_version,
        )
    if errors := _semantic_errors(body, current):
        return validation_problem(errors)
    changes: dict[str, str] = {d.key: d.proposed or "" for d in body.incorrect()}
    notes = " ".join(d.note for d in body.incorrect() if d.note)
    try:
        policy.check(ctx.settings, changes, current, notes, ctx.now())
    except ApiProblem as problem:
        return problem
    return None


@router.post(
    "/verifications",
    status_code=201,
    response_model=VerificationReceipt,
    summary="Submit a verification result (idempotent)",
    responses={
        200: {"description": "A replay: the first answer again, with `Idempotent-Replayed: true`",
              "model": VerificationReceipt},
        400: {"description": "`idempotency_key_missing` or `idempotency_key_invalid`"},
        403: {"description": "`ticket_invalid`: tampered, expired, or for another student or version"},
        409: {"description": "`record_changed`, `ticket_used`, `request_in_progress` or "
              "`result_conflict`"},
        422: {"description": "`validation_failed`, or `idempotency_key_reused` (same key, other body)"},
    },
)  # fmt: skip
async def submit_verification(
    body: VerificationRequest,
    ctx: Ctx,
    terminal_key: TerminalKey = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Record one student's result; the ticket, not a session, authorises it.

    The first call answers 201 with the receipt; a replay with the same key and body
    answers 200 with the same receipt; the same key with another body answers 422.

    The key is stored last, in the same transaction as the result: the result's unique
    ``result_id`` and the key's unique index make a concurrent duplicate wait for the first
    to commit and then fail, and every refusal first looks for an earlier answer under the
    key, so a retry after the record changed or the ticket expired still gets its receipt.
    The common case costs one read and five writes.
    """
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    terminal_id, secret = parse_terminal_key(terminal_key)
    try:
        ticket: Ticket | None = read_ticket(ctx, body.ticket)
    except ApiProblem:
        ticket = None
    key: str | None = None
    try:
        async with ctx.db.sessions.begin() as session:
            found = (
                await session.execute(
                    select(Terminal, Student)
                    .outerjoin(Student, Student.id == (ticket.student_id if ticket else None))
                    .where(Terminal.id == terminal_id)
                )
            ).one_or_none()
            terminal, student = found if found is not None else (None, None)
            terminal = check_terminal(terminal, secret)
            key = parse_idempotency_key(idempotency_key)
            # The record's values, read once for the checks and the stored decisions.
            current = record_values(student) if student is not None else {}
            if refusal := _refusal(ctx, ticket, body, student, current):
                raise refusal
            assert student is not None and ticket is not None  # _refusal saw to both
            # A spent ticket fails on the unique ticket_digest below: no extra read here.
            receipt = await _write_result(session, ctx, body, student, current, terminal, ticket)
            # Serialised once: the same bytes are stored for replays and sent now.
            answer = receipt.model_dump_json()
            stored = await insert_ignoring_conflict(
                session,
                IdempotencyKey,
                {
                    "terminal_id": terminal.id, "key": key, "fingerprint": fingerprint,
                    "created_at": ctx.now(), "response_body": answer,
                },
                returning=IdempotencyKey.id,
            )  # fmt: skip
            if stored is None:
                raise _KeyTaken
    except (ApiProblem, IntegrityError, _KeyTaken) as failure:
        if key is None:  # 401 or 400: nothing was looked at under a key
            raise
        # The transaction has rolled back; the key may hold the answer this request wants.
        if (earlier := await _stored_answer(ctx, terminal_id, key, fingerprint)) is not None:
            return earlier
        if isinstance(failure, ApiProblem):
            raise
        if isinstance(failure, _KeyTaken):
            # Only if the key's holder rolled back between our insert and our look-up.
            raise ApiProblem(
                409, "request_in_progress", "This request is still being processed."
            ) from None
        # Two results raced on one ticket, or the result_id came under another key.
        if ticket is not None and await _ticket_spent_elsewhere(ctx, ticket, body):
            raise _ticket_used() from None
        raise _result_conflict() from None
    return Response(answer, status_code=201, media_type="application/json")


async def _ticket_spent_elsewhere(
    ctx: ServerContext, ticket: Ticket, body: VerificationRequest
) -> bool:
    async with ctx.db.sessions() as session:
        query = select(_VERIFICATIONS.c.result_id).where(
            _VERIFICATIONS.c.ticket_digest == ticket.digest
        )
        spent_on = (await session.execute(query)).scalar_one_or_none()
    return spent_on is not None and spent_on != str(body.result_id)


def _ticket_used() -> ApiProblem:
    return ApiProblem(
        409,
        "ticket_used",
        "This ticket has already authorised a result; open the record again for a new one.",
    )


def _result_conflict() -> ApiProblem:
    return ApiProblem(
        409, "result_conflict", "This result was already submitted under another key."
    )
