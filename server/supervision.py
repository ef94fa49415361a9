"""Supervised lab sessions, the live board, and the end-of-session report.

A session is a lab, a time slot and a roster. What the roster did is read from the tables
that already record it: a student *came* when the audit log has their successful login at a
terminal of the lab during the session, *finished* when a verification of theirs was
submitted during it, and *reported* what those verifications' corrections name. The
session's span is its slot, widened to when it was really started, and cut at when it was
really ended (or, while it runs, reaching to now).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Response
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import NO, YES, correction_field_label
from kiosk.i18n import Msg
from kiosk.protocol.base import API_PREFIX, DB_INT_MAX, FieldError
from kiosk.protocol.staff import (
    BoardResponse,
    BoardTerminal,
    LabInfo,
    ReportRow,
    RosterProgress,
    RosterStatus,
    SessionReport,
    SupervisedSessionCreate,
    SupervisedSessionInfo,
    SupervisedSessionUpdate,
    SupervisedState,
)
from kiosk.protocol.terminal import SessionBanner
from server.audit import audit
from server.context import Ctx, RowId, ServerContext
from server.exports import (
    FILE_RESPONSES,
    MEDIA_TYPES,
    PRIVATE_HEADERS,
    Cell,
    download,
    table_csv,
    table_xlsx,
)
from server.models import (
    Account,
    AuditEvent,
    Correction,
    RosterEntry,
    Student,
    SupervisedSession,
    Terminal,
    Verification,
)
from server.problems import ApiProblem, validation_problem
from server.rate_limit import accounts_under_attack
from server.staff import StaffContext, Supervisor

router = APIRouter(prefix=f"{API_PREFIX}/staff", tags=["supervision"])

OFFLINE_AFTER = dt.timedelta(seconds=30)
"""A terminal unheard of for longer shows as offline (terminals beat every 10 s)."""


# --- the roster's progress ----------------------------------------------------------------


def span(item: SupervisedSession, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When the session's activity counts: the slot, from an early start to a real end."""
    start = min(item.starts_at, item.started_at or item.starts_at)
    end = item.ended_at or max(item.ends_at, now)
    return start, end


@dataclass
class RosterFacts:
    """What each roster student did during a session."""

    students: list[Student]
    came: set[int] = field(default_factory=set)
    finished: set[int] = field(default_factory=set)
    reported: dict[int, list[str]] = field(default_factory=dict)

    def status(self, student_id: int) -> RosterStatus:
        """Where one student stands."""
        if student_id in self.reported:
            return "corrections_reported"
        if student_id in self.finished:
            return "all_correct"
        return "in_progress" if student_id in self.came else "not_started"

    def progress(self) -> RosterProgress:
        """The counts of every status."""
        counts = Counter(self.status(s.id) for s in self.students)
        return RosterProgress(
            total=len(self.students),
            not_started=counts["not_started"],
            in_progress=counts["in_progress"],
            all_correct=counts["all_correct"],
            corrections_reported=counts["corrections_reported"],
        )


async def roster_facts(
    session: AsyncSession, item: SupervisedSession, now: dt.datetime
) -> RosterFacts:
    """Who of the roster came, finished and reported what, in four queries."""
    start, end = span(item, now)
    students = list(
        (
            await session.execute(
                select(Student)
                .join(RosterEntry, RosterEntry.student_id == Student.id)
                .where(RosterEntry.session_id == item.id)
                .order_by(Student.student_no)
            )
        ).scalars()
    )
    facts = RosterFacts(students)
    ids = [s.id for s in students]
    # The audit log names accounts, not students; map the roster's accounts both ways.
    actors: dict[str, int] = {}
    for account_id, student_id in await session.execute(
        select(Account.id, Account.student_id).where(Account.student_id.in_(ids))
    ):
        assert student_id is not None  # the query asked for roster students
        actors[f"account:{account_id}"] = student_id
    logins = (
        select(AuditEvent.actor)
        .join(Terminal, AuditEvent.terminal_id == Terminal.id)
        .where(
            Terminal.lab == item.lab,
            AuditEvent.action == "login",
            AuditEvent.outcome == "ok",
            AuditEvent.actor.in_(list(actors)),
            AuditEvent.at >= start,
            AuditEvent.at <= end,
        )
        .distinct()
    )
    facts.came = {actors[actor] for actor in (await session.execute(logins)).scalars()}
    verifications = dict(
        (
            await session.execute(
                select(Verification.id, Verification.student_id).where(
                    Verification.student_id.in_(ids),
                    Verification.submitted_at >= start,
                    Verification.submitted_at <= end,
                )
            )
        ).all()
    )
    facts.finished = set(verifications.values())
    corrections = select(Correction.student_id, Correction.field).where(
        Correction.verification_id.in_(list(verifications))
    )
    for student_id, reported_field in (
        await session.execute(corrections.order_by(Correction.id))
    ).all():
        fields = facts.reported.setdefault(student_id, [])
        if reported_field not in fields:
            fields.append(reported_field)
    return facts


# --- sessions -----------------------------------------------------------------------------


async def _info(session: AsyncSession, item: SupervisedSession) -> SupervisedSessionInfo:
    size = (
        await session.execute(
            select(func.count(RosterEntry.id)).where(RosterEntry.session_id == item.id)
        )
    ).scalar_one()
    return SupervisedSessionInfo.model_validate(
        {
            "id": item.id,
            "title": item.title,
            "lab": item.lab,
            "starts_at": item.starts_at,
            "ends_at": item.ends_at,
            "state": item.state,
            "class_name": item.class_name,
            "roster_size": size,
            "started_at": item.started_at,
            "ended_at": item.ended_at,
        }
    )


async def _get(session: AsyncSession, session_id: int) -> SupervisedSession:
    item = await session.get(SupervisedSession, session_id)
    if item is None:
        raise ApiProblem(404, "not_found", "No such supervised session.")
    return item


async def session_banner(session: AsyncSession, lab: str) -> SessionBanner | None:
    """The running session of ``lab``, as its kiosks show it, if there is one."""
    running = (
        await session.execute(
            select(SupervisedSession).where(
                SupervisedSession.lab == lab, SupervisedSession.state == "running"
            )
        )
    ).scalar_one_or_none()
    return SessionBanner(title=running.title, ends_at=running.ends_at) if running else None


@router.get("/labs", response_model=list[LabInfo], summary="Labs with terminals")
async def labs(ctx: Ctx, _staff: Supervisor) -> list[LabInfo]:
    """Every lab that has active terminals, with how many."""
    async with ctx.db.sessions() as session:
        rows = await session.execute(
            select(Terminal.lab, func.count(Terminal.id))
            .where(Terminal.active)
            .group_by(Terminal.lab)
            .order_by(Terminal.lab)
        )
        return [LabInfo(lab=lab, terminals=count) for lab, count in rows.all()]


@router.get(
    "/supervised-sessions",
    response_model=list[SupervisedSessionInfo],
    summary="Supervised sessions, newest first",
)
async def list_sessions(
    ctx: Ctx,
    _staff: Supervisor,
    lab: Annotated[str | None, Query(max_length=100)] = None,
    state: SupervisedState | None = None,
) -> list[SupervisedSessionInfo]:
    """The latest 100 sessions, optionally of one lab or in one state."""
    query = select(SupervisedSession).order_by(
        SupervisedSession.starts_at.desc(), SupervisedSession.id.desc()
    )
    if lab is not None:
        query = query.where(SupervisedSession.lab == lab)
    if state is not None:
        query = query.where(SupervisedSession.state == state)
    async with ctx.db.sessions() as session:
        items = (await session.execute(query.limit(100))).scalars().all()
        return [await _info(session, item) for item in items]


async def _resolve_roster(
    session: AsyncSession, class_name: str | None, student_nos: Sequence[str]
) -> Sequence[int]:
    """The roster's student ids, or 422 naming the class or each unknown 学号."""
    if class_name is not None:
        ids = (
            (await session.execute(select(Student.id).where(Student.class_name == class_name)))
            .scalars()
            .all()
        )
        if not ids:
            raise validation_problem(
                [FieldError(field="class_name", code="unknown_class", message="No such class.")]
            )
        return ids
    wanted = [number.upper() for number in student_nos]
    found = dict(
        (
            await session.execute(
                select(Student.student_no, Student.id).where(Student.student_no.in_(wanted))
            )
        ).all()
    )
    unknown = [
        FieldError(field=f"student_nos.{i}", code="unknown_student", message="No such 学号.")
        for i, number in enumerate(wanted)
        if number not in found
    ]
    if unknown:
        raise validation_problem(unknown)
    return list(dict.fromkeys(found[number] for number in wanted))


async def _check_lab(session: AsyncSession, lab: str) -> None:
    """422 ``unknown_lab`` unless ``lab`` has an active terminal."""
    has_terminals = (
        await session.execute(
            select(func.count(Terminal.id)).where(Terminal.lab == lab, Terminal.active)
        )
    ).scalar_one()
    if not has_terminals:
        raise validation_problem(
            [FieldError(field="lab", code="unknown_lab", message="No terminals in that lab.")]
        )


@router.post(
    "/supervised-sessions",
    status_code=201,
    response_model=SupervisedSessionInfo,
    summary="Plan a supervised session",
)
async def create_session(
    body: SupervisedSessionCreate, ctx: Ctx, staff: Supervisor
) -> SupervisedSessionInfo:
    """A session in ``planned`` state; the roster is fixed now, from the class or the list."""
    async with ctx.db.sessions.begin() as session:
        await _check_lab(session, body.lab)
        roster = await _resolve_roster(session, body.class_name, body.student_nos)
        now = ctx.now()
        item = SupervisedSession(
            title=body.title, lab=body.lab, starts_at=body.starts_at, ends_at=body.ends_at,
            state="planned", class_name=body.class_name, created_by=staff.account.id,
            created_at=now,
        )  # fmt: skip
        session.add(item)
        await session.flush()
        session.add_all(RosterEntry(session_id=item.id, student_id=sid) for sid in roster)
        audit(
            session, "staff.create_session", actor=staff.actor, at=now,
            target=f"supervised_session:{item.id}", roster=len(roster),
        )  # fmt: skip
        return await _info(session, item)


def _wrong_state(item: SupervisedSession) -> ApiProblem:
    return ApiProblem(409, "session_state", f"The session is {item.state}.", state=item.state)


async def _transition(
    ctx: ServerContext, staff: StaffContext, session_id: int, *, start: bool
) -> SupervisedSessionInfo:
    async with ctx.db.sessions.begin() as session:
        item = await _get(session, session_id)
        now = ctx.now()
        if start:
            if item.state != "planned":
                raise _wrong_state(item)
            if await session_banner(session, item.lab) is not None:
                raise ApiProblem(409, "lab_busy", "Another session is running in this lab.")
            item.state, item.started_at = "running", now
        else:
            if item.state == "ended":
                raise _wrong_state(item)
            item.state, item.ended_at = "ended", now
        audit(
            session, "staff.start_session" if start else "staff.end_session", actor=staff.actor,
            at=now, target=f"supervised_session:{item.id}",
        )  # fmt: skip
        return await _info(session, item)


@router.post(
    "/supervised-sessions/{session_id}/start",
    response_model=SupervisedSessionInfo,
    summary="Start a planned session",
    responses={409: {"description": "`session_state` (not planned) or `lab_busy`"}},
)
async def start_session(session_id: RowId, ctx: Ctx, staff: Supervisor) -> SupervisedSessionInfo:
    """The lab's kiosks show the session from their next heartbeat."""
    return await _transition(ctx, staff, session_id, start=True)


@router.post(
    "/supervised-sessions/{session_id}/end",
    response_model=SupervisedSessionInfo,
    summary="End a session (or cancel a planned one)",
    responses={409: {"description": "`session_state`: already ended"}},
)
async def end_session(session_id: RowId, ctx: Ctx, staff: Supervisor) -> SupervisedSessionInfo:
    """The session stops counting activity now."""
    return await _transition(ctx, staff, session_id, start=False)


_PLAN_FIELDS = ("title", "lab", "starts_at", "ends_at", "class_name", "student_nos")


def _not_later() -> ApiProblem:
    message = Msg("延长时新的结束时间须晚于原结束时间。", "An extension must end later.")
    return validation_problem(
        [FieldError(field="ends_at", code="end_not_later", message=message.both())]
    )


@router.patch(
    "/supervised-sessions/{session_id}",
    response_model=SupervisedSessionInfo,
    summary="Edit a planned session, or extend a running one",
    responses={
        409: {"description": "`session_state`: ended, or a running one changed other than "
              "its end"},
        422: {"description": "`ends_at` / `end_not_later`, `lab` / `unknown_lab`, the roster's "
              "codes, or an end not after the start"},
    },
)  # fmt: skip
async def update_session(
    session_id: RowId, body: SupervisedSessionUpdate, ctx: Ctx, staff: Supervisor
) -> SupervisedSessionInfo:
    """A planned session takes any plan field (a new roster replaces the old); a running one
    only a later ``ends_at``. Audited with the fields changed."""
    changed = sorted(body.model_fields_set & set(_PLAN_FIELDS))
    async with ctx.db.sessions.begin() as session:
        item = await _get(session, session_id)
        now = ctx.now()
        if item.state == "running":
            if changed != ["ends_at"] or body.ends_at is None:
                raise _wrong_state(item)
            if body.ends_at <= item.ends_at or body.ends_at <= now:
                raise _not_later()
            item.ends_at = body.ends_at
        elif item.state == "planned":
            await _edit_plan(session, item, body)
        else:
            raise _wrong_state(item)
        audit(
            session, "staff.update_session", actor=staff.actor, at=now,
            target=f"supervised_session:{item.id}", fields=",".join(changed),
        )  # fmt: skip
        return await _info(session, item)


async def _edit_plan(
    session: AsyncSession, item: SupervisedSession, body: SupervisedSessionUpdate
) -> None:
    starts = body.starts_at or item.starts_at
    ends = body.ends_at or item.ends_at
    if ends <= starts:
        message = Msg("结束时间须晚于开始时间。", "The end must be after the start.")
        raise validation_problem(
            [FieldError(field="ends_at", code="end_before_start", message=message.both())]
        )
    if body.lab is not None:
        await _check_lab(session, body.lab)
        item.lab = body.lab
    if body.title is not None:
        item.title = body.title
    item.starts_at, item.ends_at = starts, ends
    if body.class_name is not None or body.student_nos:
        roster = await _resolve_roster(session, body.class_name, body.student_nos or [])
        await session.execute(delete(RosterEntry).where(RosterEntry.session_id == item.id))
        session.add_all(RosterEntry(session_id=item.id, student_id=sid) for sid in roster)
        item.class_name = body.class_name


@router.delete(
    "/supervised-sessions/{session_id}",
    status_code=204,
    response_class=Response,
    summary="Cancel a planned session",
    responses={409: {"description": "`session_state`: running or ended (end it instead)"}},
)
async def cancel_session(session_id: RowId, ctx: Ctx, staff: Supervisor) -> Response:
    """A session that never started is removed with its roster; the audit log keeps it."""
    async with ctx.db.sessions.begin() as session:
        item = await _get(session, session_id)
        if item.state != "planned":
            raise _wrong_state(item)
        audit(
            session, "staff.cancel_session", actor=staff.actor, at=ctx.now(),
            target=f"supervised_session:{item.id}", lab=item.lab,
            starts_at=item.starts_at.isoformat(),
        )  # fmt: skip
        await session.execute(delete(RosterEntry).where(RosterEntry.session_id == item.id))
        await session.delete(item)
    return Response(status_code=204)


# --- the live board -----------------------------------------------------------------------


def _board_terminal(terminal: Terminal, now: dt.datetime) -> BoardTerminal:
    seen = terminal.last_seen_at
    online = seen is not None and now - seen <= OFFLINE_AFTER
    in_use = online and terminal.state == "in_use"
    return BoardTerminal(
        id=terminal.id,
        name=terminal.name,
        state=("in_use" if in_use else "idle") if online else "offline",
        # Who sits where is only news while they sit there.
        step=terminal.step if in_use else None,
        student_masked=terminal.student_masked if in_use else None,
        results_waiting=terminal.results_waiting,
        dead_letters=terminal.dead_letters,
        last_seen_at=seen,
        pin_failures=terminal.pin_failures,
    )


@router.get(
    "/board",
    response_model=BoardResponse,
    summary="The live board of a lab or a session",
    responses={304: {"description": "Unchanged since the `If-None-Match` version"}},
)
async def board(
    ctx: Ctx,
    _staff: Supervisor,
    response: Response,
    lab: Annotated[str | None, Query(max_length=100)] = None,
    session_id: Annotated[int | None, Query(alias="session", ge=1, le=DB_INT_MAX)] = None,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> BoardResponse | Response:
    """Terminals and the roster's progress; a lab's board follows its running session.

    Poll it every second: ``version`` (also the ETag) changes only when what the board
    shows changes, and ``If-None-Match`` with the current one is answered 304 with no body.
    """
    if (lab is None) == (session_id is None):
        raise validation_problem(
            [FieldError(field="lab", code="lab_or_session", message="Give lab or session.")]
        )
    async with ctx.db.sessions() as session:
        now = ctx.now()
        item: SupervisedSession | None
        if session_id is not None:
            item = await _get(session, session_id)
            lab = item.lab
        else:
            item = (
                await session.execute(
                    select(SupervisedSession).where(
                        SupervisedSession.lab == lab, SupervisedSession.state == "running"
                    )
                )
            ).scalar_one_or_none()
        assert lab is not None
        terminals = (
            await session.execute(
                select(Terminal).where(Terminal.lab == lab, Terminal.active).order_by(Terminal.name)
            )
        ).scalars()
        content: dict[str, Any] = {
            "lab": lab,
            "session": await _info(session, item) if item else None,
            "terminals": [_board_terminal(t, now) for t in terminals],
            "progress": (await roster_facts(session, item, now)).progress() if item else None,
            "accounts_under_attack": len(await accounts_under_attack(session, ctx)),
        }
    version = hashlib.sha256(
        BoardResponse(version="", **content).model_dump_json().encode()
    ).hexdigest()[:20]
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return BoardResponse(version=version, **content)


# --- the report ---------------------------------------------------------------------------

_STATUS_TEXT: dict[RosterStatus, Msg] = {
    "not_started": Msg("未到场", "did not come"),
    "in_progress": Msg("未完成", "not finished"),
    "all_correct": Msg("全部正确", "all correct"),
    "corrections_reported": Msg("报告勘误", "corrections reported"),
}
_COLUMNS = [
    Msg("学号", "Student no."),
    Msg("姓名", "Name"),
    Msg("班级", "Class"),
    Msg("到场", "Came"),
    Msg("完成", "Finished"),
    Msg("状态", "Status"),
    Msg("报告的勘误", "Corrections reported"),
]


def _field_label(key: str) -> str:
    return correction_field_label(key).both()


async def build_report(
    session: AsyncSession, item: SupervisedSession, now: dt.datetime
) -> SessionReport:
    """The end-of-session report (it can be asked for while the session runs, too)."""
    facts = await roster_facts(session, item, now)
    rows = [
        ReportRow(
            student_no=s.student_no,
            name=s.name,
            class_name=s.class_name,
            came=s.id in facts.came,
            finished=s.id in facts.finished,
            status=facts.status(s.id),
            corrections=facts.reported.get(s.id, []),
        )
        for s in facts.students
    ]
    by_field = Counter(key for row in rows for key in row.corrections)
    proctor = await session.get(Account, item.created_by)
    return SessionReport(
        session=await _info(session, item),
        proctor=proctor.username if proctor is not None else None,
        progress=facts.progress(),
        rows=rows,
        corrections_by_field=dict(sorted(by_field.items())),
    )


def report_heading(report: SessionReport, zone: dt.tzinfo) -> list[list[Cell]]:
    """The lines above the table: what the report is, the lab, the date and the proctor."""
    info = report.session
    starts, ends = info.starts_at.astimezone(zone), info.ends_at.astimezone(zone)
    return [
        [Msg("监考场次报告", "Supervised session report").both(), info.title],
        [Msg("机房", "Lab").both(), info.lab],
        [Msg("日期", "Date").both(), f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M}"],
        [Msg("监考", "Proctor").both(), report.proctor or ""],
        [],
    ]


def report_table(report: SessionReport) -> list[list[Cell]]:
    """The report as rows of cells, headings first, both languages in headings and values."""
    table: list[list[Cell]] = [[column.both() for column in _COLUMNS]]
    for row in report.rows:
        table.append(
            [
                row.student_no,
                row.name,
                row.class_name,
                (YES if row.came else NO).both(),
                (YES if row.finished else NO).both(),
                _STATUS_TEXT[row.status].both(),
                "; ".join(_field_label(key) for key in row.corrections),
            ]
        )
    return table


def report_csv(report: SessionReport, zone: dt.tzinfo) -> bytes:
    """The roster as CSV (UTF-8 with BOM) under the report's heading lines."""
    return table_csv(report_table(report), report_heading(report, zone))


def report_xlsx(report: SessionReport, zone: dt.tzinfo) -> bytes:
    """An Excel workbook: the heading and roster sheet, then corrections counted by field."""
    by_field: list[list[Cell]] = [[Msg("字段", "Field").both(), Msg("人数", "Students").both()]]
    by_field.extend(
        [_field_label(key), count] for key, count in report.corrections_by_field.items()
    )
    return table_xlsx(
        [("名单 Roster", report_table(report)), ("勘误 Corrections", by_field)],
        report_heading(report, zone),
    )


_RENDERERS: dict[str, Callable[[SessionReport, dt.tzinfo], bytes]] = {
    "csv": report_csv,
    "xlsx": report_xlsx,
}


@router.get(
    "/supervised-sessions/{session_id}/report",
    response_model=SessionReport,
    summary="Who came, who finished, who reported what",
    responses=FILE_RESPONSES,
)
async def session_report(
    session_id: RowId,
    ctx: Ctx,
    staff: Supervisor,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> SessionReport | Response:
    """JSON by default; ``format=csv`` (UTF-8 with BOM) or ``format=xlsx`` to download."""
    async with ctx.db.sessions.begin() as session:
        item = await _get(session, session_id)
        report = await build_report(session, item, ctx.now())
        audit(
            session, "staff.session_report", actor=staff.actor, at=ctx.now(),
            target=f"supervised_session:{item.id}", format=format,
        )  # fmt: skip
    if format == "json":
        return Response(
            report.model_dump_json(), media_type=MEDIA_TYPES["json"], headers=PRIVATE_HEADERS
        )
    day = f"{report.session.starts_at.astimezone(ctx.settings.zone):%Y-%m-%d}"
    name = f"监考报告-{report.session.lab}-{day}-{session_id}.{format}"
    # Built off the event loop, like every file the server makes (server.exports).
    content = await anyio.to_thread.run_sync(_RENDERERS[format], report, ctx.settings.zone)
    return download(content, format, name)
