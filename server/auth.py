"""Terminal keys, student logins with lockout, and session tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Header, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.protocol import (
    API_PREFIX,
    TERMINAL_KEY_HEADER,
    LoginRequest,
    LoginResponse,
    StudentSummary,
)
from server.audit import audit
from server.context import Ctx, ServerContext
from server.db import insert_ignoring_conflict
from server.models import Account, LoginThrottle, SessionToken, Student, Terminal
from server.problems import ApiProblem
from server.security import digest, new_token, same_digest

TerminalKey = Annotated[
    str | None,
    Header(
        alias=TERMINAL_KEY_HEADER,
        description="`<terminal_id>.<secret>` as printed by `kiosk admin add-terminal`.",
    ),
]
_bearer = HTTPBearer(auto_error=False, description="A student's session token.")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]

router = APIRouter(prefix=API_PREFIX, tags=["sessions"])

# Re-stamping last_seen_at on every request would make each read a write; a minute of
# slack on a 30-minute idle limit is harmless.
_TOUCH_AFTER = dt.timedelta(seconds=60)


async def authenticate_terminal(session: AsyncSession, key: str | None) -> Terminal:
    """The terminal a ``Terminal-Key`` header names, or 401."""
    if not key:
        raise ApiProblem(401, "terminal_key_missing", "This request needs a Terminal-Key.")
    ident, _, secret = key.strip().partition(".")
    terminal = await session.get(Terminal, int(ident)) if ident.isdigit() and secret else None
    if terminal is None or not terminal.active or not same_digest(secret, terminal.secret_hash):
        raise ApiProblem(401, "terminal_key_invalid", "The Terminal-Key is not valid.")
    return terminal


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
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "unauthenticated", "Log in first.")
    found = (
        await session.execute(
            select(SessionToken, Account, Student)
            .join(Account, SessionToken.account_id == Account.id)
            .join(Student, Account.student_id == Student.id)
            .where(SessionToken.token_hash == digest(credentials.credentials))
        )
    ).first()
    if found is None or found[0].terminal_id != terminal.id:
        raise ApiProblem(401, "unauthenticated", "Log in first.")
    token, account, student = found
    now = ctx.now()
    idle_limit = dt.timedelta(minutes=ctx.settings.session_idle_minutes)
    if (
        token.revoked_at is not None
        or not account.active
        or now >= token.expires_at
        or now - token.last_seen_at >= idle_limit
    ):
        raise ApiProblem(401, "session_expired", "The session has ended; log in again.")
    if now - token.last_seen_at >= _TOUCH_AFTER:
        token.last_seen_at = now
    return StudentContext(token, account, student)


def _throttle_key(account: Account | None, username: str) -> str:
    if account is not None:
        return f"account:{account.id}"
    return "name:" + hashlib.sha256(username.casefold().encode()).hexdigest()


def _lock_length(ctx: ServerContext, failures: int) -> dt.timedelta:
    settings = ctx.settings
    doublings = min(failures - settings.lockout_threshold, 20)
    return dt.timedelta(seconds=min(settings.lockout_max_s, settings.lockout_base_s * 2**doublings))


async def _find_student_account(session: AsyncSession, username: str) -> Account | None:
    name = username.strip()
    query = (
        select(Account)
        .outerjoin(Student, Account.student_id == Student.id)
        .where(Account.role == "student")
        .where(or_(Account.username == name.casefold(), Student.student_no == name.upper()))
    )
    return (await session.execute(query)).scalars().first()


async def _throttle(session: AsyncSession, key: str, now: dt.datetime) -> LoginThrottle:
    await insert_ignoring_conflict(
        session, LoginThrottle, {"key": key, "failures": 0, "updated_at": now}
    )
    row = await session.get(LoginThrottle, key)
    assert row is not None
    return row


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


@router.post(
    "/sessions",
    status_code=201,
    response_model=LoginResponse,
    summary="Log a student in at a terminal",
    responses={
        401: {"description": "`invalid_credentials` with `attempts_left`"},
        403: {"description": "`window_closed`"},
        423: {"description": "`account_locked` with `locked_until`"},
    },
)
async def login(body: LoginRequest, ctx: Ctx, terminal_key: TerminalKey = None) -> LoginResponse:
    """Check the password (argon2id, in a thread) and open a session.

    The answer never tells whether the user name exists: unknown names are throttled and
    answered exactly like wrong passwords.
    """
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        account = await _find_student_account(session, body.username)
        student = None
        if account is not None and account.active and account.student_id is not None:
            student = await session.get(Student, account.student_id)
        key = _throttle_key(account, body.username)
        throttle = await _throttle(session, key, ctx.now())
        if throttle.locked_until is not None and throttle.locked_until > ctx.now():
            raise _locked_problem(throttle.locked_until)
    stored_hash = account.password_hash if account is not None and student is not None else None
    matched = await ctx.passwords.verify(stored_hash, body.password)
    actor = f"account:{account.id}" if account is not None else "unknown"
    async with ctx.db.sessions.begin() as session:
        now = ctx.now()
        if not matched or account is None or student is None:
            failure = await _record_failure(session, ctx, key)
            audit(session, "login", actor=actor, at=now, terminal_id=terminal.id, outcome="denied")
        elif student.window_closes_at is None or student.window_closes_at <= now:
            await _clear_failures(session, key, now)
            audit(
                session, "login", actor=actor, at=now, terminal_id=terminal.id,
                outcome="denied", reason="window_closed",
            )  # fmt: skip
            closes = student.window_closes_at
            failure = ApiProblem(
                403,
                "window_closed",
                "The verification window is closed.",
                closes_at=closes.isoformat() if closes else None,
            )
        else:
            await _clear_failures(session, key, now)
            token = new_token()
            expires = now + dt.timedelta(hours=ctx.settings.session_absolute_hours)
            session.add(
                SessionToken(
                    token_hash=digest(token),
                    account_id=account.id,
                    terminal_id=terminal.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires,
                )
            )
            audit(session, "login", actor=actor, at=now, terminal_id=terminal.id)
            summary = StudentSummary(
                student_no=student.student_no, name=student.name, college=student.college
            )
            return LoginResponse(token=token, expires_at=expires, student=summary)
    raise failure


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
        now = ctx.now()
        current.token.revoked_at = now
        audit(
            session,
            "logout",
            actor=f"account:{current.account.id}",
            at=now,
            terminal_id=terminal.id,
        )
    return Response(status_code=204)
