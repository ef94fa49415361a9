"""The corrections' HTTP routes: the queue, one correction, decisions, bulk steps, exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.config import ServerSettings
from kiosk.i18n import Msg
from kiosk.protocol.base import API_PREFIX, CorrectionState, FieldError
from kiosk.protocol.corrections import (
    BulkCorrections,
    BulkResult,
    CollegeDecision,
    CollegeList,
    CorrectionDetail,
    CorrectionList,
    CorrectionStep,
    RegistrarDecision,
)
from server.audit import audit
from server.context import Ctx, RowId
from server.corrections.exports import TITLE, export_table, reviews_of
from server.corrections.queries import (
    LIST_LIMIT,
    Filter,
    correction_for,
    correction_row,
    detail_of,
    joined,
)
from server.corrections.workflow import (
    PHOTO,
    STEPS,
    Actor,
    advance,
    apply_value,
    invalid_step,
    needs_proof,
    separate_duties,
)
from server.documents.table import headed_table_pdf
from server.exports import (
    DOCUMENT_RESPONSES,
    DocumentFormat,
    download,
    report_name,
    table_csv,
    table_xlsx,
)
from server.models import Correction, Student
from server.problems import ApiProblem, validation_problem
from server.province.policy import check_decision
from server.staff import RecordKeeper, Registrar

router = APIRouter(prefix=f"{API_PREFIX}/staff/corrections", tags=["corrections"])


@router.get("", response_model=CorrectionList, summary="The corrections queue")
async def list_corrections(
    ctx: Ctx,
    staff: RecordKeeper,
    college: Annotated[str | None, Query(max_length=100)] = None,
    class_name: Annotated[str | None, Query(max_length=100)] = None,
    field: Annotated[str | None, Query(max_length=30)] = None,
    state: CorrectionState | None = None,
    q: Annotated[
        str | None, Query(max_length=50, description="学号 prefix or part of a name")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = LIST_LIMIT,
) -> CorrectionList:
    """Corrections by college, class, field and state, or by 学号 / name; oldest first."""
    wanted = Filter(college, class_name, field, state, q).scoped(staff)
    query = wanted.where(joined())
    async with ctx.db.sessions.begin() as session:
        total = (
            await session.execute(select(func.count()).select_from(query.subquery()))
        ).scalar_one()
        rows = (await session.execute(query.order_by(Correction.id).limit(limit))).all()
        audit(session, "staff.list_corrections", actor=staff.actor, at=ctx.now(), hits=len(rows))
    return CorrectionList(
        corrections=[correction_row(c, s) for c, s in rows], total=total, limit=limit
    )


@router.get("/colleges", response_model=CollegeList, summary="The colleges to filter by")
async def colleges(ctx: Ctx, staff: RecordKeeper) -> CollegeList:
    """Every college that has students (a college office: its own)."""
    if staff.role == "college_office":
        return CollegeList(colleges=[staff.account.college or ""])
    async with ctx.db.sessions.begin() as session:
        found = await session.execute(select(Student.college).distinct().order_by(Student.college))
        return CollegeList(colleges=list(found.scalars()))


@router.get(
    "/export",
    summary="勘误汇总表 as CSV, Excel or PDF: exactly the corrections the queue lists for the filter",
    response_class=Response,
    responses=DOCUMENT_RESPONSES,
)
async def export_corrections(
    ctx: Ctx,
    staff: RecordKeeper,
    format: DocumentFormat = "csv",
    college: Annotated[str | None, Query(max_length=100)] = None,
    class_name: Annotated[str | None, Query(max_length=100)] = None,
    field: Annotated[str | None, Query(max_length=30)] = None,
    state: CorrectionState | None = None,
    q: Annotated[
        str | None, Query(max_length=50, description="学号 prefix or part of a name")
    ] = None,
) -> Response:
    """The corrections matching the filter (the queue's filter, without its limit); a
    college office gets its own college's. Named for the college and the day; the PDF has
    the offices' signature lines."""
    wanted = Filter(college, class_name, field, state, q).scoped(staff)
    query = wanted.where(joined())
    zone, now = ctx.settings.zone, ctx.now()
    async with ctx.db.sessions.begin() as session:
        rows = [
            (c, s)
            for c, s in (
                await session.execute(
                    query.order_by(
                        Student.college, Student.class_name, Student.student_no, Correction.id
                    )
                )
            ).all()
        ]
        reviews = await reviews_of(session, query.with_only_columns(Correction.id))
        audit(
            session, "staff.export_corrections", actor=staff.actor, at=now,
            format=format, rows=len(rows),
        )  # fmt: skip

    def build() -> bytes:
        table = export_table(rows, reviews, zone)
        if format == "pdf":
            return headed_table_pdf(TITLE, wanted.college, now, table)
        return table_csv(table) if format == "csv" else table_xlsx([(TITLE, table)])

    # A school's corrections are thousands of rows: the file is built off the event loop.
    content = await anyio.to_thread.run_sync(build)
    return download(content, format, report_name(TITLE, wanted.college, now, zone, format))


@router.get(
    "/{correction_id}", response_model=CorrectionDetail, summary="One correction and its history"
)
async def correction_detail(
    correction_id: RowId, ctx: Ctx, staff: RecordKeeper
) -> CorrectionDetail:
    """Current and proposed value, the student's note, the proof seen, every decision."""
    async with ctx.db.sessions.begin() as session:
        correction, student = await correction_for(session, staff, correction_id)
        audit(
            session, "staff.correction_detail", actor=staff.actor, at=ctx.now(),
            target=f"correction:{correction_id}",
        )  # fmt: skip
        return await detail_of(session, correction, student)


_TRANSITION_RESPONSES: dict[int | str, dict[str, object]] = {
    403: {
        "description": "`other_college`: another college's correction; `forbidden`: not your role"
    },
    404: {"description": "`not_found`"},
    409: {
        "description": "`invalid_transition` with the current `state`; `four_eyes` with the "
        "earlier `step` this person took"
    },
}


@router.post(
    "/{correction_id}/college",
    response_model=CorrectionDetail,
    summary="The college office accepts or rejects",
    responses=_TRANSITION_RESPONSES
    | {422: {"description": "`proof_required` for identity fields"}},
)
async def college_decision(
    correction_id: RowId, body: CollegeDecision, ctx: Ctx, staff: RecordKeeper
) -> CorrectionDetail:
    """Accept (identity fields: with the proof seen) or reject a reported correction."""
    async with ctx.db.sessions.begin() as session:
        correction, student = await correction_for(session, staff, correction_id)
        accept = body.decision == "accept"
        if accept and needs_proof(correction.field) and not body.proof:
            message = Msg(
                "身份信息的更正须登记所见的证明材料。",
                "An identity field needs the proof document that was seen.",
            )
            raise validation_problem(
                [FieldError(field="proof", code="proof_required", message=message.both())]
            )
        action = "college_accept" if accept else "college_reject"
        if accept:
            await check_decision(session, ctx.settings, correction, student, ctx.now(), body.proof)
        advance(
            session, correction, action, Actor.of(staff), ctx.now(), comment=body.comment,
            proof=body.proof or None,
        )  # fmt: skip
        return await detail_of(session, correction, student)


@router.post(
    "/{correction_id}/registrar",
    response_model=CorrectionDetail,
    summary="The registrar confirms or rejects",
    responses=_TRANSITION_RESPONSES,
)
async def registrar_decision(
    correction_id: RowId, body: RegistrarDecision, ctx: Ctx, staff: Registrar
) -> CorrectionDetail:
    """Confirm or reject a correction the college office accepted."""
    async with ctx.db.sessions.begin() as session:
        correction, student = await correction_for(session, staff, correction_id)
        action = "registrar_confirm" if body.decision == "confirm" else "registrar_reject"
        actor = Actor.of(staff)
        await separate_duties(session, correction, action, actor, ctx.settings.four_eyes)
        if action == "registrar_confirm":
            await check_decision(session, ctx.settings, correction, student, ctx.now())
        advance(session, correction, action, actor, ctx.now(), comment=body.comment)
        return await detail_of(session, correction, student)


async def _apply(
    session: AsyncSession, correction: Correction, student: Student, actor: Actor,
    now: dt.datetime, comment: str | None, *, settings: ServerSettings,
    pending: Mapping[str, str] | None = None,
) -> None:  # fmt: skip
    step = STEPS["apply"]
    if not step.allows(correction, settings.key_fields):
        raise invalid_step(correction, step)
    await separate_duties(session, correction, "apply", actor, settings.four_eyes)
    await check_decision(session, settings, correction, student, now)
    await apply_value(session, student, correction, now, pending or {})
    advance(
        session, correction, "apply", actor, now, comment=comment, key_fields=settings.key_fields
    )


@router.post(
    "/{correction_id}/apply",
    response_model=CorrectionDetail,
    summary="Change the master record",
    responses=_TRANSITION_RESPONSES
    | {422: {"description": "`validation_failed`: the value no longer fits the record"}},
)
async def apply_correction(
    correction_id: RowId, body: CorrectionStep, ctx: Ctx, staff: Registrar
) -> CorrectionDetail:
    """Write a confirmed field correction into the record (validated again); the record's
    version goes up and the student is asked to check the field again."""
    async with ctx.db.sessions.begin() as session:
        correction, student = await correction_for(session, staff, correction_id)
        await _apply(
            session, correction, student, Actor.of(staff), ctx.now(), body.comment,
            settings=ctx.settings,
        )  # fmt: skip
        return await detail_of(session, correction, student)


@router.post(
    "/{correction_id}/send-to-vendor",
    response_model=CorrectionDetail,
    summary="Send a photo correction to the photo vendor",
    responses=_TRANSITION_RESPONSES,
)
async def send_to_vendor(
    correction_id: RowId, body: CorrectionStep, ctx: Ctx, staff: Registrar
) -> CorrectionDetail:
    """The vendor retakes or fixes the photo; importing the new photo applies the correction."""
    async with ctx.db.sessions.begin() as session:
        correction, student = await correction_for(session, staff, correction_id)
        advance(
            session, correction, "send_to_vendor", Actor.of(staff), ctx.now(), comment=body.comment
        )
        return await detail_of(session, correction, student)


@router.post(
    "/bulk",
    response_model=BulkResult,
    summary="Confirm or apply many corrections: all or none",
    responses={409: {"description": "`bulk_failed`: `errors` names each id that failed and why"}},
)
async def bulk_corrections(body: BulkCorrections, ctx: Ctx, staff: Registrar) -> BulkResult:
    """Every id is checked; if any fails, nothing changes and each failure is listed.

    An apply checks each record as it will be once all of its corrections in the request
    landed, so related identity corrections (ID number and birth date) go in together.
    """
    now, actor = ctx.now(), Actor.of(staff)
    errors: list[FieldError] = []
    done: list[tuple[Correction, Student]] = []
    async with ctx.db.sessions.begin() as session:
        found: dict[int, tuple[Correction, Student] | ApiProblem] = {}
        for correction_id in dict.fromkeys(body.ids):
            try:
                found[correction_id] = await correction_for(session, None, correction_id)
            except ApiProblem as problem:
                found[correction_id] = problem
        proposed: dict[int, dict[str, str]] = {}
        for item in found.values():
            if isinstance(item, tuple) and item[0].field != PHOTO:
                proposed.setdefault(item[1].id, {})[item[0].field] = item[0].proposed or ""
        for index, (correction_id, item) in enumerate(found.items()):
            try:
                if isinstance(item, ApiProblem):
                    raise item
                correction, student = item
                if body.action == "confirm":
                    await separate_duties(
                        session, correction, "registrar_confirm", actor, ctx.settings.four_eyes
                    )
                    await check_decision(session, ctx.settings, correction, student, now)
                    advance(
                        session, correction, "registrar_confirm", actor, now, comment=body.comment
                    )
                else:
                    others = {
                        key: value
                        for key, value in proposed.get(student.id, {}).items()
                        if key != correction.field
                    }
                    await _apply(
                        session, correction, student, actor, now, body.comment,
                        settings=ctx.settings, pending=others,
                    )  # fmt: skip
            except ApiProblem as problem:
                detail = problem.errors[0].message if problem.errors else problem.detail or ""
                code = problem.errors[0].code if problem.errors else problem.code
                errors.append(
                    FieldError(
                        field=f"ids.{index}", code=code, message=f"{correction_id}: {detail}"
                    )
                )
                continue
            done.append((correction, student))
        if errors:
            # Raising rolls the whole transaction back: the ones that passed are undone too.
            raise ApiProblem(409, "bulk_failed", "Nothing was changed.", errors=errors)
        return BulkResult(corrections=[correction_row(c, s) for c, s in done])
