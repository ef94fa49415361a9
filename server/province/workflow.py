"""The province route of key-field corrections: batches, the platform's file, the answer.

A key field's correction (``[server] key_fields``) that the registrar confirmed goes to the
provincial education department in a batch: :func:`create_batch` gives the batch its number,
moves every correction to ``submitted_to_province`` and checks that the platform's file can be
made (:mod:`server.province.platform_files`), all or none. :func:`record_answer` records the reply,
per correction or for the whole batch: ``province_approved`` (which the registrar then
applies, under four eyes) or ``province_rejected``. The API (:mod:`server.province.router`)
and the command line (``kiosk admin province-batch``) both come here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import correction_field_label
from kiosk.config import ServerSettings
from kiosk.i18n import Msg
from kiosk.protocol.base import FieldError
from kiosk.protocol.province import (
    BatchCorrection,
    ProvinceAnswer,
    ProvinceBatchDetail,
    ProvinceBatchRow,
)
from server.audit import audit
from server.corrections.queries import correction_for, correction_row
from server.corrections.workflow import STEPS, Actor, advance, invalid_step
from server.db import one_at_a_time
from server.models import Account, Correction, ProvinceBatch, Student
from server.problems import ApiProblem
from server.province import platform_files
from server.province.platform_files import PlatformRow
from server.province.policy import check_decision
from server.records import record_values

SUBMITTED = "submitted_to_province"
M_NOT_A_BATCH = Msg("没有这个批次。", "There is no such batch.")


def _failed(errors: list[FieldError]) -> ApiProblem:
    # Raising rolls the whole transaction back: the ones that passed are undone too.
    return ApiProblem(409, "bulk_failed", "Nothing was changed.", errors=errors)


async def candidates(
    session: AsyncSession, settings: ServerSettings, limit: int = 500
) -> list[tuple[Correction, Student]]:
    """Confirmed key-field corrections in no batch yet, oldest first: what a batch may take."""
    found = await session.execute(
        select(Correction, Student)
        .join(Student, Correction.student_id == Student.id)
        .where(
            Correction.state == "registrar_confirmed",
            Correction.field.in_(settings.key_fields),
            Correction.batch_id.is_(None),
        )
        .order_by(Correction.id)
        .limit(limit)
    )
    return [(c, s) for c, s in found.all()]


def platform_rows(
    items: Sequence[tuple[Correction, Student]], settings: ServerSettings
) -> list[PlatformRow]:
    """One platform row per student: the record with the batch's proposed values in it."""
    by_student: dict[int, list[Correction]] = {}
    students: dict[int, Student] = {}
    for correction, student in items:
        by_student.setdefault(student.id, []).append(correction)
        students[student.id] = student
    rows: list[PlatformRow] = []
    for student_id, corrections in by_student.items():
        values = record_values(students[student_id])
        values |= {c.field: c.proposed or "" for c in corrections}
        labels = "、".join(correction_field_label(c.field).zh for c in corrections)
        rows.append(
            PlatformRow(
                correction_ids=tuple(c.id for c in corrections),
                values=values,
                school_code=settings.school_code,
                remark=f"更正{labels}",
            )
        )
    return rows


def _file_problems(rows: Sequence[PlatformRow]) -> ApiProblem | None:
    found = platform_files.problems(rows)
    if not found:
        return None
    errors = [
        FieldError(
            field=f"corrections.{problem.correction_ids[0]}.{problem.column}",
            code=problem.code,
            message=problem.message,
        )
        for problem in found
    ]
    return ApiProblem(
        422, "platform_file_problems", "The platform's file cannot hold these values.",
        errors=errors,
    )  # fmt: skip


async def _next_number(session: AsyncSession, year: int) -> str:
    prefix = f"{year}-"
    taken = await session.execute(
        select(func.count(ProvinceBatch.id)).where(ProvinceBatch.number.startswith(prefix))
    )
    return f"{prefix}{taken.scalar_one() + 1:03d}"


async def create_batch(
    session: AsyncSession,
    settings: ServerSettings,
    ids: Sequence[int],
    actor: Actor,
    now: dt.datetime,
    comment: str | None = None,
) -> ProvinceBatch:
    """Submit the corrections ``ids`` to the province as a new batch: all or none.

    Each must be a confirmed key-field correction in no batch, pass the policy rules again,
    and fit the platform's file; otherwise 409 ``bulk_failed`` naming each id, or 422
    ``platform_file_problems`` naming each value that does not fit.
    """
    # Two registrars at once would take the same number, or batch one correction twice.
    await one_at_a_time(session, "province_batches")
    step = STEPS["submit_to_province"]
    errors: list[FieldError] = []
    items: list[tuple[Correction, Student]] = []
    for index, correction_id in enumerate(dict.fromkeys(ids)):
        try:
            correction, student = await correction_for(session, None, correction_id)
            if not step.allows(correction, settings.key_fields) or correction.batch_id:
                raise invalid_step(correction, step)
            await check_decision(session, settings, correction, student, now)
        except ApiProblem as problem:
            errors.append(
                FieldError(
                    field=f"ids.{index}",
                    code=problem.code,
                    message=f"{correction_id}: {problem.detail or problem.code}",
                )
            )
            continue
        items.append((correction, student))
    if errors:
        raise _failed(errors)
    if refusal := _file_problems(platform_rows(items, settings)):
        raise refusal
    day = now.astimezone(settings.zone).date()
    batch = ProvinceBatch(
        number=await _next_number(session, day.year), submitted_on=day, created_at=now,
        created_by=actor.account_id, comment=comment,
    )  # fmt: skip
    session.add(batch)
    await session.flush()
    note = f"批次 {batch.number}（{day.isoformat()}）"
    for correction, _student in items:
        correction.batch_id = batch.id
        advance(
            session, correction, "submit_to_province", actor, now,
            comment=f"{note} {comment}" if comment else note, key_fields=settings.key_fields,
        )  # fmt: skip
    audit(
        session, "province.create_batch", actor=actor.name, at=now,
        target=f"province_batch:{batch.id}", corrections=len(items),
    )  # fmt: skip
    return batch


async def batch_items(
    session: AsyncSession, batch: ProvinceBatch
) -> list[tuple[Correction, Student]]:
    """The corrections of ``batch`` with their students, by correction id."""
    found = await session.execute(
        select(Correction, Student)
        .join(Student, Correction.student_id == Student.id)
        .where(Correction.batch_id == batch.id)
        .order_by(Correction.id)
    )
    return [(c, s) for c, s in found.all()]


async def get_batch(session: AsyncSession, batch_id: int) -> ProvinceBatch:
    """The batch, or 404 ``not_found``."""
    batch = await session.get(ProvinceBatch, batch_id)
    if batch is None:
        raise ApiProblem(404, "not_found", M_NOT_A_BATCH.both())
    return batch


async def record_answer(
    session: AsyncSession,
    settings: ServerSettings,
    batch: ProvinceBatch,
    answer: ProvinceAnswer,
    actor: Actor,
    now: dt.datetime,
) -> None:
    """Record the province's reply for ``answer.ids`` (or every waiting correction of the
    batch): all or none; an id of another batch or not waiting is named in ``bulk_failed``."""
    items = {c.id: c for c, _s in await batch_items(session, batch)}
    wanted = (
        list(dict.fromkeys(answer.ids))
        if answer.ids is not None
        else [cid for cid, c in items.items() if c.state == SUBMITTED]
    )
    action = "province_approve" if answer.decision == "approve" else "province_reject"
    step = STEPS[action]
    errors: list[FieldError] = []
    for index, correction_id in enumerate(wanted):
        correction = items.get(correction_id)
        if correction is None:
            message = f"{correction_id}: not in batch {batch.number}"
            errors.append(FieldError(field=f"ids.{index}", code="not_found", message=message))
        elif not step.allows(correction, settings.key_fields):
            detail = invalid_step(correction, step).detail or ""
            errors.append(
                FieldError(field=f"ids.{index}", code="invalid_transition", message=detail)
            )
    if errors:
        raise _failed(errors)
    if not wanted:
        raise ApiProblem(
            409, "invalid_transition", "No correction of this batch is waiting.", state="none"
        )
    note = f"批复 {answer.reference}"
    for correction_id in wanted:
        correction = items[correction_id]
        correction.province_reference = answer.reference
        advance(
            session, correction, action, actor, now,
            comment=f"{note}：{answer.comment}" if answer.comment else note,
            key_fields=settings.key_fields,
        )  # fmt: skip
    audit(
        session, f"province.{action}", actor=actor.name, at=now,
        target=f"province_batch:{batch.id}", corrections=len(wanted),
    )  # fmt: skip


async def batch_row(session: AsyncSession, batch: ProvinceBatch) -> ProvinceBatchRow:
    """The batch as a list shows it: who submitted it, how many, how many still waiting."""
    counts = await session.execute(
        select(Correction.state, func.count(Correction.id))
        .where(Correction.batch_id == batch.id)
        .group_by(Correction.state)
    )
    by_state: dict[str, int] = {state: count for state, count in counts.all()}
    creator = await session.get(Account, batch.created_by) if batch.created_by else None
    return ProvinceBatchRow(
        id=batch.id,
        number=batch.number,
        submitted_on=batch.submitted_on,
        created_by=creator.username if creator else None,
        comment=batch.comment,
        corrections=sum(by_state.values()),
        waiting=by_state.get(SUBMITTED, 0),
    )


async def batch_detail(session: AsyncSession, batch: ProvinceBatch) -> ProvinceBatchDetail:
    """The batch with each of its corrections and the province's reference."""
    return ProvinceBatchDetail(
        batch=await batch_row(session, batch),
        corrections=[
            BatchCorrection(
                correction=correction_row(c, s), province_reference=c.province_reference
            )
            for c, s in await batch_items(session, batch)
        ],
    )


async def list_batches(session: AsyncSession, limit: int = 200) -> list[ProvinceBatchRow]:
    """The newest batches first."""
    found = await session.execute(
        select(ProvinceBatch).order_by(ProvinceBatch.id.desc()).limit(limit)
    )
    return [await batch_row(session, batch) for batch in found.scalars().all()]


def file_name(batch: ProvinceBatch, fmt: str) -> str:
    """``学籍变更上报-<batch number>.<dbf|xlsx>``."""
    return f"学籍变更上报-{batch.number}.{fmt}"


def build_file(rows: Sequence[PlatformRow], fmt: str, batch: ProvinceBatch) -> bytes:
    """The batch's submission file in ``fmt`` (``dbf`` or ``xlsx``)."""
    if fmt == "dbf":
        return platform_files.dbf_bytes(rows)
    return platform_files.xlsx_bytes(rows, f"批次{batch.number}")
