"""Staff accounts at the console: login, role checks, and the student search.

Staff log in with the same password, lockout and token rules as students (:mod:`server.auth`),
but from their own PCs: no terminal key, and their sessions belong to no terminal. Every
endpoint names the roles it allows (:func:`staff_with`); anything else is answered 403
``forbidden`` and audited as denied, and a college office only ever sees its own college.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.i18n import Msg
from kiosk.privacy import mask_id_number
from kiosk.protocol.base import (
    API_PREFIX,
    RECORD_KEEPERS,
    REGISTRAR_ONLY,
    STAFF_ROLES,
    SUPERVISORS,
    StaffRole,
)
from kiosk.protocol.staff import (
    AccountUnderAttack,
    HistoryEvent,
    StaffLoginResponse,
    StaffSummary,
    StudentDetail,
    StudentRow,
    StudentSearchResponse,
)
from kiosk.protocol.student import LoginRequest, RecordState, VerificationWindow
from server.audit import audit
from server.auth import (
    Bearer,
    authenticate_token,
    end_session,
    open_session,
    password_login,
    place_of_address,
)
from server.context import Ctx, RowId, ServerContext, get_context
from server.models import Account, AuditEvent, Correction, SessionToken, Student, Verification
from server.problems import ApiProblem
from server.rate_limit import accounts_under_attack, spend_address_attempt
from server.records import OPEN_CORRECTION_STATES

router = APIRouter(prefix=f"{API_PREFIX}/staff", tags=["staff"])

SEARCH_LIMIT = 50
"""Most students one search returns; staff narrow the query rather than page."""


@dataclass(frozen=True)
class StaffContext:
    """The staff member behind a bearer token."""

    token: SessionToken
    account: Account

    @property
    def role(self) -> StaffRole:
        """The account's role (only staff roles get this far)."""
        return self.summary().role

    @property
    def actor(self) -> str:
        """How the audit log names this staff member."""
        return f"account:{self.account.id}"

    def may_see(self, college: str) -> bool:
        """True when this staff member may see the students of ``college``."""
        return self.role != "college_office" or self.account.college == college

    def college_scope(self, asked: str | None) -> str | None:
        """The college a list or view may cover for the college ``asked`` for (None: all):
        a college office's own college, whatever it asked; another college is denied."""
        if self.role != "college_office":
            return asked
        if asked is not None and asked != self.account.college:
            raise Forbidden(self, target=f"college:{asked}"[:100], other_college=True)
        return self.account.college

    def summary(self) -> StaffSummary:
        """What the console shows about who is logged in."""
        return _summary(self.account)


def _summary(account: Account) -> StaffSummary:
    return StaffSummary.model_validate(
        {"username": account.username, "role": account.role, "college": account.college}
    )


class Forbidden(ApiProblem):
    """403 ``forbidden``; the handler for it writes the denied audit row.

    The audit row cannot be written in the refused request's own transaction, which rolls
    back as this exception leaves it, so :func:`on_forbidden` writes it in a fresh one.
    """

    def __init__(
        self, staff: StaffContext, target: str | None = None, *, other_college: bool = False
    ) -> None:
        if other_college:
            # A college office may act, but not for this student: say so, not "your role".
            super().__init__(403, "other_college", M_OTHER_COLLEGE.both())
        else:
            super().__init__(403, "forbidden", M_FORBIDDEN.both())
        self.actor = staff.actor
        self.target = target


M_FORBIDDEN = Msg("您的角色无权进行此操作。", "Your role may not do this.")
M_OTHER_COLLEGE = Msg(
    "这是其他学院的学生，学院教学办只能处理本学院的学生。",
    "This is another college's student; a college office acts only for its own college.",
)


def _action(request: Request) -> str:
    """The audit name of a request: its route's name (e.g. ``staff.reopen_window``)."""
    route = request.scope.get("route")
    return f"staff.{getattr(route, 'name', 'unknown')}"


async def on_forbidden(request: Request, exc: Exception) -> JSONResponse:
    """Audit a refused staff request as denied, then answer 403."""
    assert isinstance(exc, Forbidden)
    ctx = get_context(request)
    async with ctx.db.sessions.begin() as session:
        audit(
            session, _action(request), actor=exc.actor, at=ctx.now(), target=exc.target,
            outcome="denied",
        )  # fmt: skip
    return exc.response()


def staff_with(*roles: StaffRole) -> Any:
    """A dependency: the logged-in staff member, who must have one of ``roles``."""

    async def dependency(request: Request, ctx: Ctx, credentials: Bearer = None) -> StaffContext:
        async with ctx.db.sessions.begin() as session:
            token, account = await authenticate_token(session, ctx, credentials, terminal_id=None)
            if account.role not in STAFF_ROLES:
                raise ApiProblem(401, "unauthenticated", "Log in as staff first.")
            staff = StaffContext(token, account)
        if staff.role not in roles:
            raise Forbidden(staff, target=request.url.path)
        return staff

    # Read by server.openapi, which documents the 403 of every route this dependency guards.
    dependency.staff_roles = roles  # type: ignore[attr-defined]
    return Depends(dependency)


AnyStaff = Annotated[StaffContext, staff_with(*STAFF_ROLES)]
Supervisor = Annotated[StaffContext, staff_with(*SUPERVISORS)]
"""Runs supervised sessions and watches the live board."""
RecordKeeper = Annotated[StaffContext, staff_with(*RECORD_KEEPERS)]
"""Looks students up and reopens their windows (a college office: its own college only)."""
Registrar = Annotated[StaffContext, staff_with(*REGISTRAR_ONLY)]
"""Confirms and applies corrections across colleges, and imports records and photos."""


# --- login --------------------------------------------------------------------------------


async def _find_staff_account(session: AsyncSession, username: str) -> Account | None:
    query = select(Account).where(
        Account.username == username.strip().casefold(),
        Account.role.in_(STAFF_ROLES),
        Account.active,
    )
    return (await session.execute(query)).scalars().first()


@router.post(
    "/sessions",
    status_code=201,
    response_model=StaffLoginResponse,
    summary="Log a staff member in (no terminal key)",
    responses={
        401: {"description": "`invalid_credentials` with `attempts_left`"},
        423: {"description": "`account_locked` with `locked_until`"},
        429: {"description": "`rate_limited` (per client address) with `retry_after_s`"},
    },
)
async def staff_login(body: LoginRequest, ctx: Ctx, request: Request) -> StaffLoginResponse:
    """Check the password with the students' lockout rules and open a staff session."""
    async with ctx.db.sessions.begin() as session:
        await spend_address_attempt(session, ctx, request)

    async def finish(
        session: AsyncSession, account: Account, now: dt.datetime
    ) -> StaffLoginResponse:
        token, expires = open_session(session, ctx, account, now, terminal_id=None)
        return StaffLoginResponse(token=token, expires_at=expires, staff=_summary(account))

    address = request.client.host if request.client is not None else "unknown"
    return await password_login(
        ctx, body, _find_staff_account, finish,
        terminal_id=None, place=place_of_address(address),
    )  # fmt: skip


@router.delete(
    "/sessions/current", status_code=204, summary="Log a staff member out", response_class=Response
)
async def staff_logout(ctx: Ctx, staff: AnyStaff) -> Response:
    """Revoke the staff session."""
    async with ctx.db.sessions.begin() as session:
        token = await session.get(SessionToken, staff.token.id)
        assert token is not None
        end_session(session, token, ctx.now(), terminal_id=None)
    return Response(status_code=204)


@router.get("/me", response_model=StaffSummary, summary="Who is logged in")
async def whoami(staff: AnyStaff) -> StaffSummary:
    """The staff member's user name, role and college."""
    return staff.summary()


@router.get(
    "/accounts-under-attack",
    response_model=list[AccountUnderAttack],
    summary="Accounts with many wrong passwords this hour",
)
async def under_attack(ctx: Ctx, _staff: Supervisor) -> list[AccountUnderAttack]:
    """Accounts past ``lockout_threshold`` wrong passwords this hour from all places together.

    Each place is locked on its own, so these owners can still log in elsewhere; the list
    tells proctors and the registrar whom to warn, and the board shows how many there are.
    """
    async with ctx.db.sessions() as session:
        found = await accounts_under_attack(session, ctx)
        accounts = {
            account.id: account
            for account in (
                await session.execute(
                    select(Account).where(Account.id.in_([item[0] for item in found]))
                )
            ).scalars()
        }
    return [
        AccountUnderAttack(
            username=accounts[ident].username, role=accounts[ident].role,
            failures=failures, window_ends_at=ends,
        )
        for ident, failures, ends in found
        if ident in accounts
    ]  # fmt: skip


# --- students -----------------------------------------------------------------------------


async def record_states(session: AsyncSession, ids: Iterable[int]) -> dict[int, RecordState]:
    """Each student's state, as their own record shows it, in two queries for any number."""
    wanted = list(ids)
    submitted = set(
        (
            await session.execute(
                select(Verification.student_id).where(Verification.student_id.in_(wanted))
            )
        ).scalars()
    )
    pending = set(
        (
            await session.execute(
                select(Correction.student_id).where(
                    Correction.student_id.in_(wanted), Correction.state.in_(OPEN_CORRECTION_STATES)
                )
            )
        ).scalars()
    )
    recheck = await session.execute(
        select(Student.id, Student.recheck_fields).where(Student.id.in_(wanted))
    )
    again = {sid for sid, fields in recheck.all() if fields}
    return {
        sid: "check_again"
        if sid in submitted and sid in again
        else "corrections_pending"
        if sid in submitted and sid in pending
        else "submitted"
        if sid in submitted
        else "not_checked"
        for sid in wanted
    }


def _row(student: Student, state: RecordState) -> StudentRow:
    return StudentRow(
        id=student.id,
        student_no=student.student_no,
        name=student.name,
        college=student.college,
        class_name=student.class_name,
        id_number_masked=mask_id_number(student.id_number),
        state=state,
    )


@router.get("/students", response_model=StudentSearchResponse, summary="Find students")
async def search_students(
    ctx: Ctx,
    staff: RecordKeeper,
    q: Annotated[str, Query(min_length=1, max_length=50, description="学号, name or ID number")],
) -> StudentSearchResponse:
    """Students whose 学号 starts with, name contains, or ID number is ``q``."""
    term = q.strip()
    query = (
        select(Student)
        .where(
            or_(
                Student.student_no.startswith(term.upper(), autoescape=True),
                Student.name.contains(term, autoescape=True),
                Student.id_number == term.upper(),
            )
        )
        .order_by(Student.student_no)
        .limit(SEARCH_LIMIT)
    )
    if staff.role == "college_office":
        query = query.where(Student.college == staff.account.college)
    async with ctx.db.sessions.begin() as session:
        found = (await session.execute(query)).scalars().all()
        states = await record_states(session, (s.id for s in found))
        # The query itself stays out of the log: it may be a name or an ID number.
        audit(session, "staff.search_students", actor=staff.actor, at=ctx.now(), hits=len(found))
    return StudentSearchResponse(
        students=[_row(s, states[s.id]) for s in found], limit=SEARCH_LIMIT
    )


async def _student_for(session: AsyncSession, staff: StaffContext, student_id: int) -> Student:
    student = await session.get(Student, student_id)
    if student is None:
        raise ApiProblem(404, "not_found", "No such student.")
    if not staff.may_see(student.college):
        raise Forbidden(staff, target=f"student:{student_id}", other_college=True)
    return student


async def _history(session: AsyncSession, student: Student) -> list[HistoryEvent]:
    account_id = (
        await session.execute(select(Account.id).where(Account.student_id == student.id))
    ).scalar_one_or_none()
    events: list[HistoryEvent] = []
    actor = f"account:{account_id}" if account_id is not None else None
    audited = select(AuditEvent).where(
        or_(
            (AuditEvent.action == "login") & (AuditEvent.actor == actor),
            (AuditEvent.action == "staff.reopen_window")
            & (AuditEvent.target == f"student:{student.id}"),
        )
    )
    for row in (await session.execute(audited.order_by(AuditEvent.id))).scalars():
        kind = "login" if row.action == "login" else "reopen"
        events.append(HistoryEvent(at=row.at, kind=kind, outcome=row.outcome))
    submitted = (
        select(Verification).where(Verification.student_id == student.id).order_by(Verification.id)
    )
    for verification in (await session.execute(submitted)).scalars():
        events.append(
            HistoryEvent(
                at=verification.submitted_at,
                kind="submission",
                outcome="ok",
                detail=verification.receipt_no,
            )
        )
    reported = select(Correction).where(Correction.student_id == student.id).order_by(Correction.id)
    for correction in (await session.execute(reported)).scalars():
        events.append(
            HistoryEvent(
                at=correction.created_at,
                kind="correction",
                outcome=correction.state,
                detail=correction.field,
            )
        )
    # A stable sort: events of one instant stay in the order each table recorded them.
    return sorted(events, key=lambda event: event.at)


async def _detail(session: AsyncSession, ctx: ServerContext, student: Student) -> StudentDetail:
    states = await record_states(session, [student.id])
    registered = (
        await session.execute(
            select(func.count(Account.id)).where(Account.student_id == student.id)
        )
    ).scalar_one() > 0
    closes = student.window_closes_at
    return StudentDetail(
        student=_row(student, states[student.id]),
        window=VerificationWindow(
            closes_at=closes, is_open=closes is not None and closes > ctx.now()
        ),
        registered=registered,
        history=await _history(session, student),
    )


@router.get(
    "/students/{student_id}", response_model=StudentDetail, summary="A student's state and history"
)
async def student_detail(student_id: RowId, ctx: Ctx, staff: RecordKeeper) -> StudentDetail:
    """State, window and history (logins, submissions, corrections, reopenings)."""
    async with ctx.db.sessions.begin() as session:
        student = await _student_for(session, staff, student_id)
        audit(
            session, "staff.student_detail", actor=staff.actor, at=ctx.now(),
            target=f"student:{student.id}",
        )  # fmt: skip
        return await _detail(session, ctx, student)


@router.post(
    "/students/{student_id}/reopen",
    response_model=StudentDetail,
    summary="Reopen a closed verification window",
    responses={409: {"description": "`window_not_closed`: open, or never started"}},
)
async def reopen_window(student_id: RowId, ctx: Ctx, staff: RecordKeeper) -> StudentDetail:
    """Give the student ``verification_window_hours`` from now again (audited)."""
    async with ctx.db.sessions.begin() as session:
        student = await _student_for(session, staff, student_id)
        now = ctx.now()
        if student.window_closes_at is None or student.window_closes_at > now:
            raise ApiProblem(409, "window_not_closed", "The window is open or has not started.")
        student.window_closes_at = now + dt.timedelta(hours=ctx.settings.verification_window_hours)
        audit(
            session, "staff.reopen_window", actor=staff.actor, at=now,
            target=f"student:{student.id}", closes_at=student.window_closes_at.isoformat(),
        )  # fmt: skip
        return await _detail(session, ctx, student)
