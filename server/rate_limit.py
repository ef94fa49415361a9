"""Limits on password attempts per terminal and per client address (DESIGN §6).

A login or a registration costs the server an argon2 hash, about 70 ms of CPU; unknown user
names are hashed too, so that timing says nothing. Anyone sending them in a loop would take
that CPU from every lab. So each terminal may make ``terminal_attempts_per_minute`` logins
and registrations per one-minute window, and each client address
``staff_login_attempts_per_minute`` staff logins (the console has no terminal key); more are
answered 429 ``rate_limited`` with ``Retry-After``, before any hashing. The per-account
lockout still applies on top. The counts live in the database, so all workers share them.

Behind a reverse proxy on the same machine, uvicorn takes the client address from
``X-Forwarded-For`` (it trusts 127.0.0.1 by default).
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.context import ServerContext
from server.db import locked_row
from server.models import RateLimit
from server.problems import retry_problem

WINDOW = dt.timedelta(minutes=1)


async def _spend(session: AsyncSession, ctx: ServerContext, key: str, limit: int) -> None:
    now = ctx.now()
    row = await locked_row(
        session, RateLimit, {"key": key, "window_started_at": now, "attempts": 0}
    )
    if now - row.window_started_at >= WINDOW:
        row.window_started_at = now
        row.attempts = 0
    if row.attempts >= limit:
        raise retry_problem(
            "rate_limited",
            "Too many login or registration attempts from here; wait a moment. "
            "/ 此处的登录或注册尝试过于频繁，请稍等片刻再试。",
            row.window_started_at + WINDOW - now,
        )
    row.attempts += 1


async def spend_terminal_attempt(
    session: AsyncSession, ctx: ServerContext, terminal_id: int
) -> None:
    """Count a login or registration of the terminal, or raise 429 if its minute is used up.

    The count is committed with ``session``'s transaction; a refused attempt is not counted.
    """
    limit = ctx.settings.terminal_attempts_per_minute
    await _spend(session, ctx, f"terminal:{terminal_id}", limit)


def _address(request: Request) -> str:
    return (request.client.host if request.client is not None else "unknown")[:64]


async def spend_address_attempt(
    session: AsyncSession, ctx: ServerContext, request: Request
) -> None:
    """Count a staff login from the request's client address, or raise 429 (as above)."""
    limit = ctx.settings.staff_login_attempts_per_minute
    await _spend(session, ctx, f"address:{_address(request)}", limit)


async def spend_enrolment_attempt(
    session: AsyncSession, ctx: ServerContext, request: Request
) -> None:
    """Count a terminal enrolment from the request's client address, or raise 429.

    Codes are not guessable, but a refused code costs the server a row lookup and an audit
    row; ``enrolment_attempts_per_minute`` keeps that from being done in a loop.
    """
    limit = ctx.settings.enrolment_attempts_per_minute
    await _spend(session, ctx, f"enrol:{_address(request)}", limit)
