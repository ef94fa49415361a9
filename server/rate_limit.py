"""Limits on password attempts per terminal and per client address.

A login or a registration costs the server an argon2 hash, about 70 ms of CPU; unknown user
names are hashed too, so that timing says nothing. Anyone sending them in a loop would take
that CPU from every lab. So each terminal may make ``terminal_attempts_per_minute`` logins
and registrations per one-minute window, and each client address
``staff_login_attempts_per_minute`` staff logins (the console has no terminal key); more are
answered 429 ``rate_limited`` with ``Retry-After``, before any hashing. The per-account
lockout still applies on top. The counts live in the database, so all workers share them.

The client address is the peer's, unless the peer is listed in ``server.trusted_proxies``:
only then does uvicorn take it from ``X-Forwarded-For`` (``server/runner.py``).
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.i18n import Msg
from server.context import ServerContext
from server.db import locked_row
from server.models import RateLimit
from server.problems import retry_problem
from server.throttle import FixedWindow

WINDOW = dt.timedelta(minutes=1)
M_RATE_LIMITED = Msg(
    "此处的登录或注册尝试过于频繁，请稍等片刻再试。",
    "Too many login or registration attempts from here; wait a moment.",
)


async def _spend(session: AsyncSession, ctx: ServerContext, key: str, limit: int) -> None:
    row = await locked_row(
        session, RateLimit, {"key": key, "window_started_at": ctx.now(), "attempts": 0}
    )
    wait = FixedWindow(WINDOW, limit, ctx.now).spend(row)
    if wait is not None:
        raise retry_problem(
            "rate_limited",
            M_RATE_LIMITED.both(),
            wait,
        )


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


ACCOUNT_WINDOW = dt.timedelta(hours=1)


def _account_hour(ctx: ServerContext) -> FixedWindow:
    return FixedWindow(ACCOUNT_WINDOW, ctx.settings.account_failures_per_hour, ctx.now)


async def account_failures(
    session: AsyncSession, ctx: ServerContext, account_key: str
) -> tuple[int, dt.datetime]:
    """Wrong passwords for an account from every place in its current hour, and its end."""
    row = await session.get(RateLimit, f"failures:{account_key}")
    hour = _account_hour(ctx)
    return hour.count(row), hour.ends(row)


async def count_account_failure(session: AsyncSession, ctx: ServerContext, account_key: str) -> int:
    """Count one more wrong password for the account (every place together); the new count."""
    row = await locked_row(
        session, RateLimit,
        {"key": f"failures:{account_key}", "window_started_at": ctx.now(), "attempts": 0},
    )  # fmt: skip
    return _account_hour(ctx).add(row)


async def accounts_under_attack(
    session: AsyncSession, ctx: ServerContext
) -> list[tuple[int, int, dt.datetime]]:
    """(account id, wrong passwords, hour ends) of accounts at or past the lockout threshold
    this hour, from all places together; most failures first. Unknown names are left out."""
    now = ctx.now()
    rows = (
        await session.execute(
            select(RateLimit).where(
                RateLimit.key.startswith("failures:account:"),
                RateLimit.window_started_at > now - ACCOUNT_WINDOW,
                RateLimit.attempts >= ctx.settings.lockout_threshold,
            )
        )
    ).scalars()
    found = [
        (int(row.key.rsplit(":", 1)[1]), row.attempts, row.window_started_at + ACCOUNT_WINDOW)
        for row in rows
    ]
    return sorted(found, key=lambda item: -item[1])
