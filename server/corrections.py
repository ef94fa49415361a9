"""Corrections (勘误): from a student's report to the registrar's confirmation (DESIGN.md §4).

A correction moves through fixed states; every move is one :data:`STEPS` entry, checked
against the correction's current state (409 ``invalid_transition`` otherwise), recorded as a
:class:`~server.models.CorrectionEvent` with its comment and proof, and audited. A college
office decides first, and only for its own college; identity fields need the proof it saw.
The registrar confirms or rejects, then applies the change to the master record, which
raises ``record_version`` and asks the student to check the changed fields again. Photo
errors go to the photo vendor instead; the new photo's import closes them
(:mod:`server.imports`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Response
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kiosk.catalogue import CORRECTION_STATE_LABELS, correction_field_label, correction_value_text
from kiosk.config import ServerSettings
from kiosk.fields import IDENTITY_KEYS, KEY_FIELD_KEYS, KEY_FIELDS, validate_record
from kiosk.i18n import Msg
from kiosk.protocol import (
    API_PREFIX,
    BulkCorrections,
    BulkResult,
    CollegeDecision,
    CollegeList,
    CorrectionDecisionInfo,
    CorrectionDetail,
    CorrectionList,
    CorrectionRow,
    CorrectionState,
    CorrectionStep,
    FieldError,
    RegistrarDecision,
)
from server.audit import audit
from server.context import Ctx, RowId
from server.decision_notices import notice_decision
from server.documents.table import headed_table_pdf
from server.exports import (
    DOCUMENT_RESPONSES,
    Cell,
    DocumentFormat,
    download,
    local_time,
    table_csv,
    table_xlsx,
)
from server.models import Account, Correction, CorrectionEvent, Student, Verification
from server.policy import check_decision
from server.problems import ApiProblem, validation_problem
from server.records import record_values
from server.staff import Forbidden, RecordKeeper, Registrar, StaffContext

router = APIRouter(prefix=f"{API_PREFIX}/staff/corrections", tags=["corrections"])

LIST_LIMIT = 500
"""Most corrections one list answers; staff narrow the filter rather than page."""
PHOTO = "photo"
"""The ``field`` of a photo correction."""


@dataclass(frozen=True)
class Step:
    """One move of a correction: from which states, to which, for which kind of correction."""

    action: str
    sources: tuple[CorrectionState, ...]
    target: CorrectionState
    kind: Literal["any", "field", "photo", "key"] = "any"
    key_sources: tuple[CorrectionState, ...] | None = None
    """For a key field, these states instead of ``sources`` (the province's route)."""

    def allows(self, correction: Correction, key_fields: Collection[str] = KEY_FIELDS) -> bool:
        """True when ``correction`` may take this step now; ``key_fields`` is the configured
        split (``[server] key_fields``)."""
        is_photo = correction.field == PHOTO
        is_key = correction.field in key_fields
        if self.kind == "key":
            kind_ok = is_key
        else:
            kind_ok = self.kind == "any" or (self.kind == "photo") == is_photo
        sources = self.key_sources if is_key and self.key_sources is not None else self.sources
        return kind_ok and correction.state in sources


STEPS: dict[str, Step] = {
    step.action: step
    for step in (
        Step("college_accept", ("reported",), "college_accepted"),
        Step("college_reject", ("reported",), "college_rejected"),
        Step("registrar_confirm", ("college_accepted",), "registrar_confirmed"),
        Step("registrar_reject", ("college_accepted",), "registrar_rejected"),
        # A key field goes to the province first (server.province); a school field does not.
        Step("apply", ("registrar_confirmed",), "applied", "field", ("province_approved",)),
        Step("submit_to_province", ("registrar_confirmed",), "submitted_to_province", "key"),
        Step("province_approve", ("submitted_to_province",), "province_approved", "key"),
        Step("province_reject", ("submitted_to_province",), "province_rejected", "key"),
        # The registrar may send a photo on as soon as the college accepted it.
        Step("send_to_vendor", ("college_accepted", "registrar_confirmed"), "sent_to_vendor",
             "photo"),
        Step("vendor_photo", ("sent_to_vendor",), "applied", "photo"),
    )
}  # fmt: skip
"""Every allowed move; anything else is answered 409 ``invalid_transition``."""


@dataclass(frozen=True)
class Actor:
    """Who moves a correction: a staff account, or an administrator at the command line."""

    name: str
    account_id: int | None = None

    @classmethod
    def of(cls, staff: StaffContext) -> Actor:
        """The logged-in staff member."""
        return cls(staff.actor, staff.account.id)


def needs_proof(field: str) -> bool:
    """Identity fields change only against a proof document (DESIGN.md §5)."""
    return field in IDENTITY_KEYS


M_FOUR_EYES: dict[str, Msg] = {
    "registrar_confirm": Msg(
        "不能确认自己在学院审核时通过的勘误，须由另一位工作人员确认。",
        "You accepted this correction for the college; another person must confirm it.",
    ),
    "apply": Msg(
        "关键字段的更正须由确认人以外的另一位学籍管理员写入档案。",
        "A key field's correction is applied by another registrar than the one who confirmed it.",
    ),
}
FOUR_EYES_RULES: dict[str, str] = {
    "registrar_confirm": "college_accept",
    "apply": "registrar_confirm",
}
"""For a step, the earlier step whose author may not take it (separation of duties)."""


async def separate_duties(
    session: AsyncSession, correction: Correction, action: str, actor: Actor, four_eyes: bool
) -> None:
    """409 ``four_eyes`` when ``actor`` took the earlier step this one must not follow.

    Confirming what one accepted for the college is always refused; applying a key field
    (:data:`~kiosk.fields.KEY_FIELD_KEYS`) one confirmed is refused unless ``four_eyes`` is off.
    """
    earlier = FOUR_EYES_RULES.get(action)
    if earlier is None or actor.account_id is None:
        return
    if action == "apply" and (not four_eyes or correction.field not in KEY_FIELD_KEYS):
        return
    author = await session.execute(
        select(CorrectionEvent.account_id)
        .where(CorrectionEvent.correction_id == correction.id, CorrectionEvent.action == earlier)
        .order_by(CorrectionEvent.id.desc())
        .limit(1)
    )
    if author.scalar_one_or_none() == actor.account_id:
        message = M_FOUR_EYES[action]
        raise ApiProblem(409, "four_eyes", message.both(), step=earlier)


def _invalid(correction: Correction, step: Step) -> ApiProblem:
    return ApiProblem(
        409,
        "invalid_transition",
        f"A {correction.state} correction of {correction.field} cannot take '{step.action}'.",
        state=correction.state,
    )


def advance(
    session: AsyncSession,
    correction: Correction,
    action: str,
    actor: Actor,
    now: dt.datetime,
    *,
    comment: str | None = None,
    proof: str | None = None,
    key_fields: Collection[str] = KEY_FIELDS,
) -> None:
    """Move ``correction`` by the step ``action``, record the decision, and audit it."""
    step = STEPS[action]
    if not step.allows(correction, key_fields):
        raise _invalid(correction, step)
    session.add(
        CorrectionEvent(
            correction_id=correction.id, at=now, account_id=actor.account_id, action=action,
            from_state=correction.state, to_state=step.target, comment=comment, proof=proof,
        )
    )  # fmt: skip
    audit(
        session, f"correction.{action}", actor=actor.name, at=now,
        target=f"correction:{correction.id}", from_state=correction.state, to_state=step.target,
    )  # fmt: skip
    correction.state = step.target
    correction.updated_at = now
    correction.decided_by = actor.account_id
    correction.comment = comment
    if proof is not None:
        correction.proof = proof
    notice_decision(session, correction, step.target)


async def record_changed(
    session: AsyncSession, student: Student, keys: Sequence[str], now: dt.datetime
) -> None:
    """After the master record changed in ``keys``: a new version, and, for a student who
    already submitted, those keys to check again (a new submission clears them)."""
    student.record_version += 1
    student.updated_at = now
    submitted = await session.execute(
        select(Verification.id).where(Verification.student_id == student.id).limit(1)
    )
    if submitted.first() is not None:
        # A new list, not an in-place change: the JSON column only notices assignment.
        student.recheck_fields = sorted(set(student.recheck_fields or []) | set(keys))


async def _apply_value(
    session: AsyncSession,
    student: Student,
    correction: Correction,
    now: dt.datetime,
    pending: Mapping[str, str],
) -> None:
    """Write the proposed value into the record after validating the whole record it makes.

    ``pending`` holds the values of other corrections of this student applied in the same
    request: a pair of identity corrections (ID number and birth date) is checked as the
    record will be once both landed, so a bulk apply can change both together.
    """
    key = correction.field
    values = record_values(student) | dict(pending) | {key: correction.proposed or ""}
    check = validate_record(values, now.date())
    if not check.ok:
        raise validation_problem(
            [
                FieldError(
                    field=f"corrections.{correction.id}.proposed"
                    if field == key
                    else f"record.{field}",
                    code=problem.code,
                    message=problem.msg.both(),
                )
                for field, problem in check.problems
            ]
        )
    value = check.values[key]
    where = f"corrections.{correction.id}.proposed"
    if key in ("student_no", "id_number"):
        column = getattr(Student, key)
        taken = await session.execute(
            select(Student.id).where(column == value, Student.id != student.id)
        )
        if taken.first() is not None:
            message = Msg("另一名学生已使用该值。", "Another student has this value.")
            raise validation_problem(
                [FieldError(field=where, code="value_taken", message=message.both())]
            )
    setattr(student, key, value)
    await record_changed(session, student, [key], now)


# --- reading ------------------------------------------------------------------------------


def _row(correction: Correction, student: Student) -> CorrectionRow:
    return CorrectionRow.model_validate(
        {
            "id": correction.id,
            "student_id": student.id,
            "student_no": student.student_no,
            "name": student.name,
            "college": student.college,
            "class_name": student.class_name,
            "field": correction.field,
            "current_value": correction.current_value,
            "proposed": correction.proposed,
            "state": correction.state,
            "needs_proof": needs_proof(correction.field),
            "updated_at": correction.updated_at,
        }
    )


@dataclass(frozen=True)
class Filter:
    """What a list or an export asks for; a college office's is bound to its own college."""

    college: str | None = None
    class_name: str | None = None
    field: str | None = None
    state: CorrectionState | None = None
    q: str | None = None

    def scoped(self, staff: StaffContext) -> Filter:
        """This filter as ``staff`` may run it: an office asking for another college is denied."""
        if staff.role != "college_office":
            return self
        if self.college is not None and self.college != staff.account.college:
            raise Forbidden(staff, target=f"college:{self.college}"[:100], other_college=True)
        return Filter(staff.account.college, self.class_name, self.field, self.state, self.q)

    def where(self, query: Select[Correction, Student]) -> Select[Correction, Student]:
        """``query`` narrowed to this filter."""
        if self.college is not None:
            query = query.where(Student.college == self.college)
        if self.class_name is not None:
            query = query.where(Student.class_name == self.class_name)
        if self.field is not None:
            query = query.where(Correction.field == self.field)
        if self.state is not None:
            query = query.where(Correction.state == self.state)
        if self.q:
            term = self.q.strip()
            query = query.where(
                or_(
                    Student.student_no.startswith(term.upper(), autoescape=True),
                    Student.name.contains(term, autoescape=True),
                )
            )
        return query


def _joined() -> Select[Correction, Student]:
    return select(Correction, Student).join(Student, Correction.student_id == Student.id)


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
    query = wanted.where(_joined())
    async with ctx.db.sessions.begin() as session:
        total = (
            await session.execute(select(func.count()).select_from(query.subquery()))
        ).scalar_one()
        rows = (await session.execute(query.order_by(Correction.id).limit(limit))).all()
        audit(session, "staff.list_corrections", actor=staff.actor, at=ctx.now(), hits=len(rows))
    return CorrectionList(corrections=[_row(c, s) for c, s in rows], total=total, limit=limit)


async def _correction_for(
    session: AsyncSession, staff: StaffContext | None, correction_id: int
) -> tuple[Correction, Student]:
    found = (await session.execute(_joined().where(Correction.id == correction_id))).first()
    if found is None:
        raise ApiProblem(404, "not_found", "No such correction.")
    correction, student = found
    if staff is not None and not staff.may_see(student.college):
        raise Forbidden(staff, target=f"correction:{correction_id}", other_college=True)
    return correction, student


async def _detail(
    session: AsyncSession, correction: Correction, student: Student
) -> CorrectionDetail:
    reported = CorrectionDecisionInfo(
        at=correction.created_at, by=None, action="report", from_state="",
        to_state="reported", comment=correction.note,
    )  # fmt: skip
    decider = aliased(Account)
    events = await session.execute(
        select(CorrectionEvent, decider.username)
        .outerjoin(decider, CorrectionEvent.account_id == decider.id)
        .where(CorrectionEvent.correction_id == correction.id)
        .order_by(CorrectionEvent.id)
    )
    history = [reported] + [
        CorrectionDecisionInfo(
            at=event.at,
            by=username,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            comment=event.comment,
            proof=event.proof,
        )
        for event, username in events.all()
    ]
    return CorrectionDetail(
        correction=_row(correction, student),
        note=correction.note,
        proof=correction.proof,
        comment=correction.comment,
        history=history,
    )


# --- the 勘误汇总表 -------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "学号", "姓名", "学院", "班级", "字段", "原值", "更正值", "学生说明", "证明材料", "状态",
    "报告时间", "学院审核人", "学院意见", "学院审核时间", "学籍科审核人", "学籍科意见",
    "学籍科审核时间", "更新时间",
)  # fmt: skip
"""The 勘误汇总表's headings; times are Beijing time (``[server] time_zone``)."""


@dataclass(frozen=True)
class Review:
    """One office's latest decision on a correction, as the summary shows it."""

    by: str | None
    comment: str | None
    at: dt.datetime


async def _reviews(session: AsyncSession, ids: Select[tuple[int]]) -> dict[tuple[int, str], Review]:
    """The latest college (``college``) and registrar (``registrar``) decision of each
    correction among ``ids``."""
    decider = aliased(Account)
    events = await session.execute(
        select(CorrectionEvent, decider.username)
        .outerjoin(decider, CorrectionEvent.account_id == decider.id)
        .where(CorrectionEvent.correction_id.in_(ids))
        .order_by(CorrectionEvent.id)
    )
    found: dict[tuple[int, str], Review] = {}
    for event, username in events.all():
        office = event.action.partition("_")[0]
        if office in ("college", "registrar"):
            found[event.correction_id, office] = Review(username, event.comment, event.at)
    return found


def export_table(
    rows: Sequence[tuple[Correction, Student]],
    reviews: Mapping[tuple[int, str], Review],
    zone: dt.tzinfo,
) -> list[list[Cell]]:
    """The 勘误汇总表: headings, then one line per correction, in Chinese as the form is."""
    table: list[list[Cell]] = [list(EXPORT_COLUMNS)]
    for correction, student in rows:
        line: list[Cell] = [
            student.student_no,
            student.name,
            student.college,
            student.class_name,
            correction_field_label(correction.field).zh,
            correction_value_text(correction.field, correction.current_value),
            correction_value_text(correction.field, correction.proposed),
            correction.note or "",
            correction.proof or "",
            CORRECTION_STATE_LABELS[correction.state].zh,
            local_time(correction.created_at, zone),
        ]
        for office in ("college", "registrar"):
            review = reviews.get((correction.id, office))
            line += (
                [review.by or "", review.comment or "", local_time(review.at, zone)]
                if review
                else ["", "", None]
            )
        line.append(local_time(correction.updated_at, zone))
        table.append(line)
    return table


def export_name(college: str | None, moment: dt.datetime, zone: dt.tzinfo, fmt: str) -> str:
    """``勘误汇总表-<college or 全校>-<date in the school's zone>.<fmt>``."""
    return f"勘误汇总表-{college or '全校'}-{moment.astimezone(zone):%Y-%m-%d}.{fmt}"


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
    query = wanted.where(_joined())
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
        reviews = await _reviews(session, query.with_only_columns(Correction.id))
        audit(
            session, "staff.export_corrections", actor=staff.actor, at=now,
            format=format, rows=len(rows),
        )  # fmt: skip

    def build() -> bytes:
        table = export_table(rows, reviews, zone)
        if format == "pdf":
            return headed_table_pdf("勘误汇总表", wanted.college, now, table)
        return table_csv(table) if format == "csv" else table_xlsx([("勘误汇总表", table)])

    # A school's corrections are thousands of rows: the file is built off the event loop.
    content = await anyio.to_thread.run_sync(build)
    return download(content, format, export_name(wanted.college, now, zone, format))


@router.get(
    "/{correction_id}", response_model=CorrectionDetail, summary="One correction and its history"
)
async def correction_detail(
    correction_id: RowId, ctx: Ctx, staff: RecordKeeper
) -> CorrectionDetail:
    """Current and proposed value, the student's note, the proof seen, every decision."""
    async with ctx.db.sessions.begin() as session:
        correction, student = await _correction_for(session, staff, correction_id)
        audit(
            session, "staff.correction_detail", actor=staff.actor, at=ctx.now(),
            target=f"correction:{correction_id}",
        )  # fmt: skip
        return await _detail(session, correction, student)


# --- deciding -----------------------------------------------------------------------------

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
        correction, student = await _correction_for(session, staff, correction_id)
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
        return await _detail(session, correction, student)


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
        correction, student = await _correction_for(session, staff, correction_id)
        action = "registrar_confirm" if body.decision == "confirm" else "registrar_reject"
        actor = Actor.of(staff)
        await separate_duties(session, correction, action, actor, ctx.settings.four_eyes)
        if action == "registrar_confirm":
            await check_decision(session, ctx.settings, correction, student, ctx.now())
        advance(session, correction, action, actor, ctx.now(), comment=body.comment)
        return await _detail(session, correction, student)


async def _apply(
    session: AsyncSession, correction: Correction, student: Student, actor: Actor,
    now: dt.datetime, comment: str | None, *, settings: ServerSettings,
    pending: Mapping[str, str] | None = None,
) -> None:  # fmt: skip
    step = STEPS["apply"]
    if not step.allows(correction, settings.key_fields):
        raise _invalid(correction, step)
    await separate_duties(session, correction, "apply", actor, settings.four_eyes)
    await check_decision(session, settings, correction, student, now)
    await _apply_value(session, student, correction, now, pending or {})
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
        correction, student = await _correction_for(session, staff, correction_id)
        await _apply(
            session, correction, student, Actor.of(staff), ctx.now(), body.comment,
            settings=ctx.settings,
        )  # fmt: skip
        return await _detail(session, correction, student)


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
        correction, student = await _correction_for(session, staff, correction_id)
        advance(
            session, correction, "send_to_vendor", Actor.of(staff), ctx.now(), comment=body.comment
        )
        return await _detail(session, correction, student)


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
                found[correction_id] = await _correction_for(session, None, correction_id)
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
        return BulkResult(corrections=[_row(c, s) for c, s in done])
