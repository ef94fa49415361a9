"""The per-terminal limit on password attempts (DESIGN §6).

A login or a registration costs the server an argon2 hash, about 70 ms of CPU. A terminal,
or someone who has its key, sending them in a loop would take that CPU from every other lab.
So each terminal may make ``terminal_attempts_per_minute`` of them per one-minute window;
more are answered 429 ``rate_limited`` with ``Retry-After``, before any hashing. The count
lives in the database, so all workers share it. The terminal's other requests need a student
session, which only these attempts can open.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from server.context import ServerContext
from server.db import locked_row
from server.models import TerminalRate
from server.problems import retry_problem

WINDOW = dt.timedelta(minutes=1)


async def spend_attempt(session: AsyncSession, ctx: ServerContext, terminal_id: int) -> None:
    """Count one password attempt of the terminal, or raise 429 if its minute is used up.

    The count is committed with ``session``'s transaction; a refused attempt is not counted.
    """
    now = ctx.now()
    fresh = {"terminal_id": terminal_id, "window_started_at": now, "attempts": 0}
    row = await locked_row(session, TerminalRate, fresh)
    if now - row.window_started_at >= WINDOW:
        row.window_started_at = now
        row.attempts = 0
    if row.attempts >= ctx.settings.terminal_attempts_per_minute:
        raise retry_problem(
            "rate_limited",
            "This terminal has made too many login or registration attempts; wait a moment. "
            "/ 本终端的尝试过于频繁，请稍等片刻再试。",
            row.window_started_at + WINDOW - now,
        )
    row.attempts += 1
