"""Forgetting what the server no longer needs, a day after it stopped needing it.

Without this, five tables would only grow: every login leaves a session, every login attempt
(also for user names that do not exist) a throttle row, every client address that tried a
staff login a rate-limit row, every code sent a send-throttle row, and every registration
that was never finished keeps the student's e-mail address, mobile number and password hash.
A round of :func:`prune` deletes:

- sessions dead (revoked, expired or idle past the limit) for a day;
- registrations still pending a day after they expired, with their codes;
- login throttle rows that no wrong password or login changed for a day and that were not
  locked in that day, so failures are forgotten after a quiet day (a lock lasts at most
  ``lockout_max_s``, an hour or less);
- send-throttle rows whose 24-hour window ended a day ago, and rate-limit rows a day after
  their minute (or an account's hour of failures) began (such rows limit nothing);
- local-mailbox messages once their code has expired (``code_ttl_minutes`` after they were
  delivered to the mailbox): no grace here, a code is the one thing that must not linger;
- outgoing mail and SMS a day after they were sent or failed for good (their bodies, with
  the codes, were already cleared then; the day keeps the address for `kiosk admin mailbox`).

The day of grace keeps the answers that depend on a dead row, such as 410
``registration_expired`` for a kiosk that comes back late. Every worker runs the round;
deleting the same rows twice is harmless.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_

from server.background import Periodic
from server.context import ServerContext
from server.models import (
    LoginThrottle,
    MailboxEntry,
    OutgoingMessage,
    RateLimit,
    Registration,
    SendThrottle,
    SessionToken,
)
from server.rate_limit import WINDOW as RATE_WINDOW
from server.registration import SEND_WINDOW

log = logging.getLogger(__name__)

GRACE = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Pruned:
    """How many rows one round deleted, per table."""

    sessions: int = 0
    registrations: int = 0
    login_throttle: int = 0
    send_throttle: int = 0
    rate_limits: int = 0
    mailbox: int = 0
    outgoing_messages: int = 0


async def prune(ctx: ServerContext) -> Pruned:
    """Delete the rows described in the module's docstring, in one transaction."""
    before = ctx.now() - GRACE
    idle = dt.timedelta(minutes=ctx.settings.session_idle_minutes)
    statements = {
        "sessions": delete(SessionToken).where(
            or_(
                SessionToken.revoked_at < before,
                SessionToken.expires_at < before,
                SessionToken.last_seen_at < before - idle,
            )
        ),
        "registrations": delete(Registration).where(
            Registration.status == "pending", Registration.expires_at < before
        ),
        "login_throttle": delete(LoginThrottle).where(
            LoginThrottle.updated_at < before,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < before),
        ),
        "send_throttle": delete(SendThrottle).where(
            SendThrottle.window_started_at < before - SEND_WINDOW
        ),
        "rate_limits": delete(RateLimit).where(RateLimit.window_started_at < before - RATE_WINDOW),
        "mailbox": delete(MailboxEntry).where(
            MailboxEntry.created_at
            < ctx.now() - dt.timedelta(minutes=ctx.settings.code_ttl_minutes)
        ),
        "outgoing_messages": delete(OutgoingMessage).where(
            OutgoingMessage.status.in_(("sent", "failed")), OutgoingMessage.created_at < before
        ),
    }
    counts: dict[str, int] = {}
    async with ctx.db.sessions.begin() as session:
        for table, statement in statements.items():
            result = await session.execute(statement)
            counts[table] = cast(CursorResult[Any], result).rowcount
    pruned = Pruned(**counts)
    if any(counts.values()):
        log.info("housekeeping deleted %s", pruned)
    return pruned


def housekeeping(ctx: ServerContext) -> Periodic:
    """Rounds of :func:`prune` in the background: at start, then every interval."""

    async def round_() -> bool:
        await prune(ctx)
        return False  # one round deletes all that is due

    return Periodic("housekeeping", round_, lambda: ctx.settings.housekeeping_interval_s)
