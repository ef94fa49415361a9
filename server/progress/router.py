"""The progress view: who has checked, per college and class, and who is behind each number.

Each student is in one :data:`~kiosk.progress_protocol.StudentProgress` state, computed in
SQL (:func:`student_status`) from whether they have an account, a result, a correction and
an open window. The view is three grouped queries whatever the school's size (states,
open corrections, reminders — each counted per college and class), and the drill-down one
paged query; nothing is fetched per student. A college office sees its own college only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Response
from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.progress import (
    PAGE_LIMIT,
    ProgressCounts,
    ProgressNumber,
    ProgressReport,
    ProgressRow,
    ProgressStudent,
    ProgressStudents,
    StudentProgress,
)
from server.audit import audit
from server.context import Ctx, ServerContext
from server.documents.table import headed_table_pdf
from server.exports import (
    DOCUMENT_RESPONSES,
    DocumentFormat,
    download,
    report_name,
    table_csv,
    table_xlsx,
)
from server.models import Account, Correction, Registration, Reminder, Student, Verification
from server.progress.table import TITLE, progress_preamble, progress_table
from server.records import OPEN_CORRECTION_STATES
from server.staff import RecordKeeper, StaffContext

router = APIRouter(prefix=f"{API_PREFIX}/staff/progress", tags=["progress"])

NOT_CHECKED: tuple[StudentProgress, ...] = (
    "not_registered",
    "registered_not_checked",
    "window_closed",
)
CHECKED: tuple[StudentProgress, ...] = ("all_correct", "reported")
STATES_OF: dict[str, tuple[StudentProgress, ...]] = {
    "graduates": (*NOT_CHECKED, *CHECKED),
    "registered": ("registered_not_checked", "window_closed", *CHECKED),
    "checked": CHECKED,
    "not_checked": NOT_CHECKED,
    **{state: (state,) for state in (*NOT_CHECKED, *CHECKED)},
}
"""The student states each counted number adds up."""


def school_day(now: dt.datetime, zone: dt.tzinfo) -> str:
    """The school's date of ``now`` (``YYYY-MM-DD``): reminders are once per this day."""
    return now.astimezone(zone).date().isoformat()


def has_account() -> ColumnElement[bool]:
    """The student has an account (registered, or given one by an administrator)."""
    return exists().where(Account.student_id == Student.id)


def has_email() -> ColumnElement[bool]:
    """The student's account is named by the e-mail address they registered with."""
    return exists().where(Account.student_id == Student.id, Account.username.contains("@"))


def has_mobile() -> ColumnElement[bool]:
    """The student confirmed a mobile number at registration."""
    return exists().where(Registration.student_id == Student.id, Registration.status == "active")


def student_status(now: dt.datetime) -> ColumnElement[str]:
    """Each student's :data:`StudentProgress`, as an SQL expression over ``students``."""
    checked = exists().where(Verification.student_id == Student.id)
    reported = exists().where(Correction.student_id == Student.id)
    return case(
        (and_(checked, reported), "reported"),
        (checked, "all_correct"),
        (~has_account(), "not_registered"),
        (Student.window_closes_at <= now, "window_closed"),
        else_="registered_not_checked",
    )


@dataclass(frozen=True)
class Scope:
    """Which students a view or a reminder is about; an office's is its own college."""

    college: str | None = None
    class_name: str | None = None

    @classmethod
    def of(cls, staff: StaffContext, college: str | None, class_name: str | None) -> Scope:
        """The scope ``staff`` asked for, as they may have it: another college is denied."""
        return cls(staff.college_scope(college), class_name)

    def conditions(self) -> list[ColumnElement[bool]]:
        """This scope as conditions over ``students``."""
        found = []
        if self.college is not None:
            found.append(Student.college == self.college)
        if self.class_name is not None:
            found.append(Student.class_name == self.class_name)
        return found


ClassKey = tuple[str, str]


def _counts(
    states: dict[str, int], corrections: dict[str, int], reminded: int, last: dt.datetime | None
) -> dict[str, Any]:
    numbers = {name: sum(states.get(s, 0) for s in group) for name, group in STATES_OF.items()}
    return numbers | {
        "corrections_open": {k: v for k, v in corrections.items() if v},
        "reminded_today": reminded,
        "last_reminded_at": last,
    }


def _add(into: dict[str, int], items: Iterable[tuple[str, int]]) -> None:
    for key, value in items:
        into[key] = into.get(key, 0) + value


def _latest(times: Iterable[dt.datetime | None]) -> dt.datetime | None:
    return max((t for t in times if t is not None), default=None)


async def _grouped_states(
    session: AsyncSession, scope: Scope, now: dt.datetime
) -> dict[ClassKey, dict[str, int]]:
    status = student_status(now).label("status")
    group = (Student.college, Student.class_name)
    states: dict[ClassKey, dict[str, int]] = defaultdict(dict)
    found = await session.execute(
        select(*group, status, func.count()).where(*scope.conditions()).group_by(*group, status)
    )
    for college, class_name, state, count in found.all():
        states[college, class_name][state] = count
    return states


async def _grouped_corrections(
    session: AsyncSession, scope: Scope
) -> dict[ClassKey, dict[str, int]]:
    group = (Student.college, Student.class_name)
    corrections: dict[ClassKey, dict[str, int]] = defaultdict(dict)
    found = await session.execute(
        select(*group, Correction.state, func.count())
        .join(Student, Correction.student_id == Student.id)
        .where(Correction.state.in_(OPEN_CORRECTION_STATES), *scope.conditions())
        .group_by(*group, Correction.state)
    )
    for college, class_name, state, count in found.all():
        corrections[college, class_name][state] = count
    return corrections


async def _grouped_reminders(
    session: AsyncSession, scope: Scope, today: str
) -> dict[ClassKey, tuple[int, dt.datetime | None]]:
    group = (Student.college, Student.class_name)
    found = await session.execute(
        select(
            *group, func.count(case((Reminder.day == today, Reminder.id))), func.max(Reminder.at)
        )
        .join(Student, Reminder.student_id == Student.id)
        .where(*scope.conditions())
        .group_by(*group)
    )
    return {(college, klass): (count, last) for college, klass, count, last in found.all()}


async def progress_report(
    session: AsyncSession, ctx: ServerContext, scope: Scope, now: dt.datetime
) -> ProgressReport:
    """The view for ``scope``: three grouped queries, summed into classes, colleges, total."""
    states = await _grouped_states(session, scope, now)
    corrections = await _grouped_corrections(session, scope)
    reminders = await _grouped_reminders(session, scope, school_day(now, ctx.settings.zone))
    classes: list[ProgressRow] = []
    by_college: dict[str, list[ClassKey]] = defaultdict(list)
    for key in sorted(states):
        by_college[key[0]].append(key)
        reminded, last = reminders.get(key, (0, None))
        counts = _counts(states[key], corrections[key], reminded, last)
        classes.append(ProgressRow(college=key[0], class_name=key[1], **counts))
    colleges = [
        ProgressRow(college=college, **_total(keys, states, corrections, reminders))
        for college, keys in by_college.items()
    ]
    return ProgressReport(
        as_of=now,
        deadline=ctx.settings.campaign_deadline,
        college=scope.college,
        total=ProgressCounts(**_total(list(states), states, corrections, reminders)),
        colleges=colleges,
        classes=classes,
    )


def _total(
    keys: Sequence[ClassKey],
    states: dict[ClassKey, dict[str, int]],
    corrections: dict[ClassKey, dict[str, int]],
    reminders: dict[ClassKey, tuple[int, dt.datetime | None]],
) -> dict[str, Any]:
    summed_states: dict[str, int] = {}
    summed_corrections: dict[str, int] = {}
    for key in keys:
        _add(summed_states, states[key].items())
        _add(summed_corrections, corrections[key].items())
    reminded = sum(reminders.get(key, (0, None))[0] for key in keys)
    last = _latest(reminders.get(key, (0, None))[1] for key in keys)
    return _counts(summed_states, summed_corrections, reminded, last)


def number_filter(number: ProgressNumber, now: dt.datetime, today: str) -> ColumnElement[bool]:
    """The students behind ``number``, as a condition over ``students``."""
    status = student_status(now)
    if number == "corrections_open":
        return exists().where(
            Correction.student_id == Student.id, Correction.state.in_(OPEN_CORRECTION_STATES)
        )
    if number == "reminded_today":
        return exists().where(Reminder.student_id == Student.id, Reminder.day == today)
    if number == "no_contact":
        # Who has not checked and cannot be reached: the college office calls them.
        return and_(status.in_(NOT_CHECKED), ~or_(has_email(), has_mobile()))
    return status.in_(STATES_OF[number])


STUDENT_COLUMNS = (
    "student_id", "student_no", "name", "college", "class_name", "status",
    "open_corrections", "has_contact", "window_closes_at", "last_reminded_at",
)  # fmt: skip
"""The drill-down query's columns, as :class:`ProgressStudent` names them."""


async def progress_students(
    session: AsyncSession,
    ctx: ServerContext,
    scope: Scope,
    number: ProgressNumber,
    now: dt.datetime,
    offset: int,
    limit: int,
) -> ProgressStudents:
    """One page of the students behind ``number`` in ``scope``."""
    today = school_day(now, ctx.settings.zone)
    wanted = select(Student.id).where(number_filter(number, now, today), *scope.conditions())
    total = (
        await session.execute(select(func.count()).select_from(wanted.subquery()))
    ).scalar_one()
    open_corrections = (
        select(func.count())
        .where(Correction.student_id == Student.id, Correction.state.in_(OPEN_CORRECTION_STATES))
        .scalar_subquery()
    )
    last_reminded = select(func.max(Reminder.at)).where(Reminder.student_id == Student.id)
    page = await session.execute(
        select(
            Student.id,
            Student.student_no,
            Student.name,
            Student.college,
            Student.class_name,
            student_status(now),
            open_corrections,
            or_(has_email(), has_mobile()),
            Student.window_closes_at,
            last_reminded.scalar_subquery(),
        )
        .where(number_filter(number, now, today), *scope.conditions())
        .order_by(Student.college, Student.class_name, Student.student_no)
        .offset(offset)
        .limit(limit)
    )
    students = [
        ProgressStudent.model_validate(dict(zip(STUDENT_COLUMNS, row, strict=True)))
        for row in page.all()
    ]
    return ProgressStudents(
        number=number, students=students, total=total, offset=offset, limit=limit
    )


CollegeParam = Annotated[str | None, Query(min_length=1, max_length=100)]
ClassParam = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get("", response_model=ProgressReport, summary="Who has checked, per college and class")
async def progress(
    ctx: Ctx, staff: RecordKeeper, college: CollegeParam = None, class_name: ClassParam = None
) -> ProgressReport:
    """Graduates, registered, checked (all correct / reported), not checked (not registered,
    window open, window closed) and open corrections by state, per class and college, with
    the total and ``[server] campaign_deadline``. A college office gets its own college."""
    scope = Scope.of(staff, college, class_name)
    now = ctx.now()
    async with ctx.db.sessions.begin() as session:
        report = await progress_report(session, ctx, scope, now)
        audit(session, "staff.progress", actor=staff.actor, at=now, college=scope.college)
    return report


@router.get(
    "/students",
    response_model=ProgressStudents,
    summary="The students behind one number of the progress view (paged)",
)
async def progress_drill_down(
    ctx: Ctx,
    staff: RecordKeeper,
    number: ProgressNumber,
    college: CollegeParam = None,
    class_name: ClassParam = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = 50,
) -> ProgressStudents:
    """The students counted in ``number`` for the college and class, by 学号; each with
    their state, open corrections, whether they can be reached, and their last reminder.
    ``no_contact``: those who have not checked and have no registered e-mail or mobile."""
    scope = Scope.of(staff, college, class_name)
    now = ctx.now()
    async with ctx.db.sessions.begin() as session:
        page = await progress_students(session, ctx, scope, number, now, offset, limit)
        audit(
            session, "staff.progress_students", actor=staff.actor, at=now, number=number,
            college=scope.college, hits=len(page.students),
        )  # fmt: skip
    return page


@router.get(
    "/export",
    summary="核对统计表 as CSV, Excel or PDF: the progress view of the college or the school",
    response_class=Response,
    responses=DOCUMENT_RESPONSES,
)
async def export_progress(
    ctx: Ctx, staff: RecordKeeper, format: DocumentFormat = "csv", college: CollegeParam = None
) -> Response:
    """One line per class, each college's total under its classes, the school's total last
    (the registrar's); named for the college and the day, in the school's time zone."""
    scope = Scope.of(staff, college, None)
    now, zone = ctx.now(), ctx.settings.zone
    async with ctx.db.sessions.begin() as session:
        report = await progress_report(session, ctx, scope, now)
        audit(
            session, "staff.export_progress", actor=staff.actor, at=now, format=format,
            college=scope.college,
        )  # fmt: skip

    def build() -> bytes:
        table = progress_table(report, zone)
        preamble = progress_preamble(report, zone)
        if format == "pdf":
            return headed_table_pdf(TITLE, scope.college, now, table)
        if format == "csv":
            return table_csv(table, preamble)
        return table_xlsx([(TITLE, table)], preamble)

    content = await anyio.to_thread.run_sync(build)
    return download(content, format, report_name(TITLE, scope.college, now, zone, format))
