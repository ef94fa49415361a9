"""Terminal keys, student logins with lockout, and session tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Header, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.protocol.base import API_PREFIX, TERMINAL_KEY_HEADER
from kiosk.protocol.student import LoginRequest, LoginResponse, StudentSummary
from server.audit import audit
from server.context import Ctx, ServerContext
from server.db import insert_ignoring_conflict, locked_row
from server.models import Account, LoginThrottle, SessionToken, Student, Terminal
from server.problems import ApiProblem, retry_problem
from server.rate_limit import account_failures, count_account_failure, spend_terminal_attempt
from server.security import digest, new_token, same_digest

TerminalKey = Annotated[
    str | None,
    Header(
        alias=TERMINAL_KEY_HEADER,
        max_length=200,
        description="`<terminal_id>.<secret>` as printed by `kiosk admin add-terminal`.",
    ),
]
_bearer = HTTPBearer(auto_error=False, description="A student's or a staff member's session token.")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]

router = APIRouter(prefix=API_PREFIX, tags=["sessions"])
ResultT = TypeVar("ResultT")

# Re-stamping last_seen_at on every request would make each read a write; a minute of
# slack on a 30-minute idle limit is harmless.
_TOUCH_AFTER = dt.timedelta(seconds=60)


def parse_terminal_key(key: str | None) -> tuple[int, str]:
    """The terminal id and secret of a ``Terminal-Key`` header, or 401."""
    if not key:
        raise ApiProblem(401, "terminal_key_missing", "This request needs a Terminal-Key.")
    ident, _, secret = key.strip().partition(".")
    # ASCII and short: ``int()`` must not fail on "²" or overflow a database integer.
    if not (ident.isascii() and ident.isdigit() and len(ident) <= 9 and secret):
        raise _invalid_terminal_key()
    return int(ident), secret


def check_terminal(terminal: Terminal | None, secret: str) -> Terminal:
    """``terminal`` when it exists, is active and ``secret`` is its key, else 401."""
    if terminal is None or not terminal.active or not same_digest(secret, terminal.secret_hash):
        raise _invalid_terminal_key()
    return terminal


def _invalid_terminal_key() -> ApiProblem:
    return ApiProblem(401, "terminal_key_invalid", "The Terminal-Key is not valid.")


async def authenticate_terminal(session: AsyncSession, key: str | None) -> Terminal:
    """The terminal a ``Terminal-Key`` header names, or 401."""
    ident, secret = parse_terminal_key(key)
    return check_terminal(await session.get(Terminal, ident), secret)


def session_is_live(ctx: ServerContext, token: SessionToken) -> bool:
    """True while a session is neither revoked nor past its idle or absolute limit."""
    now = ctx.now()
    idle_limit = dt.timedelta(minutes=ctx.settings.session_idle_minutes)
    return (
        token.revoked_at is None
        and now < token.expires_at
        and now - token.last_seen_at < idle_limit
    )


async def authenticate_token(
    session: AsyncSession,
    ctx: ServerContext,
    credentials: HTTPAuthorizationCredentials | None,
    *,
    terminal_id: int | None,
) -> tuple[SessionToken, Account]:
    """The live session behind a bearer token and its account, or 401.

    ``terminal_id`` is where the session must have been opened: a student's terminal, or
    None for staff, whose sessions belong to no terminal; so neither kind of token works
    in the other's place.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "unauthenticated", "Log in first.")
    found = (
        await session.execute(
            select(SessionToken, Account)
            .join(Account, SessionToken.account_id == Account.id)
            .where(SessionToken.token_hash == digest(credentials.credentials))
        )
    ).first()
    if found is None or found[0].terminal_id != terminal_id:
        raise ApiProblem(401, "unauthenticated", "Log in first.")
    token, account = found
    now = ctx.now()
    if not account.active or not session_is_live(ctx, token):
        raise ApiProblem(401, "session_expired", "The session has ended; log in again.")
    if now - token.last_seen_at >= _TOUCH_AFTER:
        token.last_seen_at = now
    return token, account


@dataclass(frozen=True)
class StudentContext:
    """The student behind a bearer token, and the token's session."""

    token: SessionToken
    account: Account
    student: Student


async def authenticate_student(
    session: AsyncSession,
    ctx: ServerContext,
    credentials: HTTPAuthorizationCredentials | None,
    terminal: Terminal,
) -> StudentContext:
    """The logged-in student, or 401; the session must belong to this terminal."""
    token, account = await authenticate_token(session, ctx, credentials, terminal_id=terminal.id)
    student = await session.get(Student, account.student_id) if account.student_id else None
    if student is None:
        raise ApiProblem(401, "unauthenticated", "Log in first.")
    return StudentContext(token, account, student)


def _account_key(account: Account | None, username: str) -> str:
    if account is not None:
        return f"account:{account.id}"
    return "name:" + hashlib.sha256(username.casefold().encode()).hexdigest()[:32]


def _place_key(account_key: str, place: str) -> str:
    """Failures of one account at one place: a terminal, or a staff client's address.

    Wrong passwords typed at one place lock only that place out; the owner elsewhere is
    not (issue 12). The address is hashed to fit the column, whatever its length.
    """
    return f"{account_key}@{place}"


def place_of_address(address: str) -> str:
    """The place of a staff login: its client address, hashed to a fixed width."""
    return "address:" + hashlib.sha256(address.encode()).hexdigest()[:16]


def _lock_length(ctx: ServerContext, failures: int) -> dt.timedelta:
    settings = ctx.settings
    doublings = min(failures - settings.lockout_threshold, 20)
    return dt.timedelta(seconds=min(settings.lockout_max_s, settings.lockout_base_s * 2**doublings))


async def _find_student_account(session: AsyncSession, username: str) -> Account | None:
    name = username.strip()
    query = (
        select(Account)
        .join(Student, Account.student_id == Student.id)
        .where(Account.role == "student", Account.active)
        .where(or_(Account.username == name.casefold(), Student.student_no == name.upper()))
    )
    return (await session.execute(query)).scalars().first()


def _new_throttle(key: str, now: dt.datetime) -> dict[str, Any]:
    return {"key": key, "failures": 0, "updated_at": now}


def _locked_problem(until: dt.datetime) -> ApiProblem:
    return ApiProblem(
        423,
        "account_locked",
        "Too many wrong passwords; try again later.",
        locked_until=until.isoformat(),
    )


async def _record_failure(session: AsyncSession, ctx: ServerContext, key: str) -> ApiProblem:
    """Count a wrong password; lock for a doubling time once the threshold is reached."""
    now = ctx.now()
    # Read before the password check, the row may have been deleted by housekeeping since.
    await insert_ignoring_conflict(session, LoginThrottle, _new_throttle(key, now))
    failures = (
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(failures=LoginThrottle.failures + 1, updated_at=now)
            .returning(LoginThrottle.failures)
        )
    ).scalar_one()
    threshold = ctx.settings.lockout_threshold
    if failures < threshold:
        return ApiProblem(
            401,
            "invalid_credentials",
            "The user name or the password is wrong.",
            attempts_left=threshold - failures,
        )
    until = now + _lock_length(ctx, failures)
    await session.execute(
        update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=until)
    )
    return _locked_problem(until)


AccountFinder = Callable[[AsyncSession, str], Awaitable[Account | None]]
"""Looks up the account a user name may log in to (active, of the right kind), or None."""
LoginOutcome = Callable[[AsyncSession, Account, dt.datetime], Awaitable[ResultT | ApiProblem]]
"""Finishes a login whose password matched: the answer, or a refusal that still commits."""


async def password_login(
    ctx: ServerContext,
    body: LoginRequest,
    find: AccountFinder,
    finish: LoginOutcome[ResultT],
    *,
    terminal_id: int | None,
    place: str,
) -> ResultT:
    """Check a password with lockout; the one login path of students and staff alike.

    Failures count per account *and* place (``terminal:<id>`` for students, the client
    address for staff): that place locks for a doubling time, the account's owner at
    another place does not. Across all places an account may fail
    ``account_failures_per_hour`` times an hour; past that every attempt waits
    ``account_slowdown_s`` first, and a place that has already failed is refused 429
    ``login_slowed`` until the hour is over: guessing slows to a crawl, the owner at a
    clean place still logs in.

    The answer never tells whether the user name exists: unknown names are throttled and
    answered exactly like wrong passwords. argon2id runs in a thread, outside any
    transaction, so a slow hash holds no database lock. Refusals are audited by the
    problem handler, at most one row per account, code and minute (``server/audit.py``).
    """
    async with ctx.db.sessions.begin() as session:
        account = await find(session, body.username)
        account_key = _account_key(account, body.username)
        key = _place_key(account_key, place)
        actor = f"account:{account.id}" if account is not None else "unknown"
        throttle = await locked_row(session, LoginThrottle, _new_throttle(key, ctx.now()))
        if throttle.locked_until is not None and throttle.locked_until > ctx.now():
            raise _audited(_locked_problem(throttle.locked_until), actor)
        failures, window_ends = await account_failures(session, ctx, account_key)
    over_ceiling = failures >= ctx.settings.account_failures_per_hour
    if over_ceiling:
        if throttle.failures > 0:
            raise _audited(
                retry_problem(
                    "login_slowed",
                    "This account is under attack; from here, try again later.",
                    window_ends - ctx.now(),
                ),
                actor,
            )
        await anyio.sleep(ctx.settings.account_slowdown_s)
    stored_hash = account.password_hash if account is not None else None
    matched = await ctx.passwords.verify(stored_hash, body.password)
    async with ctx.db.sessions.begin() as session:
        now = ctx.now()
        if not matched or account is None:
            await count_account_failure(session, ctx, account_key)
            outcome: ResultT | ApiProblem = _audited(
                await _record_failure(session, ctx, key), actor
            )
        else:
            await _clear_failures(session, key, now)
            outcome = await finish(session, account, now)
    # Raised only now, so that the failure counts are committed.
    if isinstance(outcome, ApiProblem):
        raise outcome
    return outcome


def _audited(problem: ApiProblem, actor: str) -> ApiProblem:
    problem.audit_actor = actor
    return problem


def open_session(
    session: AsyncSession,
    ctx: ServerContext,
    account: Account,
    now: dt.datetime,
    *,
    terminal_id: int | None,
) -> tuple[str, dt.datetime]:
    """Store a new session for ``account`` (audited); returns its bearer token and expiry."""
    token = new_token()
    expires = now + dt.timedelta(hours=ctx.settings.session_absolute_hours)
    session.add(
        SessionToken(
            token_hash=digest(token),
            account_id=account.id,
            terminal_id=terminal_id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
        )
    )
    audit(session, "login", actor=f"account:{account.id}", at=now, terminal_id=terminal_id)
    return token, expires


def end_session(
    session: AsyncSession, token: SessionToken, now: dt.datetime, *, terminal_id: int | None
) -> None:
    """Revoke a session (audited); its token stops working at once."""
    token.revoked_at = now
    audit(session, "logout", actor=f"account:{token.account_id}", at=now, terminal_id=terminal_id)


@router.post(
    "/sessions",
    status_code=201,
    response_model=LoginResponse,
    summary="Log a student in at a terminal",
    responses={
        401: {"description": "`invalid_credentials` with `attempts_left`"},
        403: {"description": "`window_closed`"},
        423: {"description": "`account_locked` with `locked_until`"},
        429: {"description": "`rate_limited` (per terminal) with `retry_after_s`"},
    },
)
async def login(body: LoginRequest, ctx: Ctx, terminal_key: TerminalKey = None) -> LoginResponse:
    """Check the password (argon2id, in a thread) and open a session at this terminal."""
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        await spend_terminal_attempt(session, ctx, terminal.id)

    async def finish(
        session: AsyncSession, account: Account, now: dt.datetime
    ) -> LoginResponse | ApiProblem:
        student = await session.get(Student, account.student_id)
        assert student is not None  # the finder joins the record
        closes = student.window_closes_at
        if closes is None or closes <= now:
            audit(
                session, "login", actor=f"account:{account.id}", at=now,
                terminal_id=terminal.id, outcome="denied", reason="window_closed",
            )  # fmt: skip
            return ApiProblem(
                403,
                "window_closed",
                "The verification window is closed.",
                closes_at=closes.isoformat() if closes else None,
            )
        token, expires = open_session(session, ctx, account, now, terminal_id=terminal.id)
        summary = StudentSummary(
            student_no=student.student_no, name=student.name, college=student.college
        )
        return LoginResponse(token=token, expires_at=expires, student=summary)

    return await password_login(
        ctx, body, _find_student_account, finish,
        terminal_id=terminal.id, place=f"terminal:{terminal.id}",
    )  # fmt: skip


async def _clear_failures(session: AsyncSession, key: str, now: dt.datetime) -> None:
    await session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=0, locked_until=None, updated_at=now)
    )


@router.delete("/sessions/current", status_code=204, summary="Log out", response_class=Response)
async def logout(
    ctx: Ctx, terminal_key: TerminalKey = None, credentials: Bearer = None
) -> Response:
    """Revoke the session; the token stops working at once."""
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        current = await authenticate_student(session, ctx, credentials, terminal)
        end_session(session, current.token, ctx.now(), terminal_id=terminal.id)
    return Response(status_code=204)
