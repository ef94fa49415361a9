"""The audit log: one row per action, written in the same transaction as the change.

Refusals (401, 423, 429) are audited too, but counted rather than listed: at most one row per
actor, status and code in each minute, whose ``details.count`` says how many there were, so a
flood of bad requests cannot flood the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import Database
from server.models import AuditEvent

AUDITED_REFUSALS = frozenset({401, 423, 429})
REFUSED = "refused"


def audit(
    session: AsyncSession,
    action: str,
    *,
    actor: str,
    at: dt.datetime,
    terminal_id: int | None = None,
    target: str | None = None,
    outcome: str = "ok",
    **details: Any,
) -> None:
    """Add an audit row to ``session``'s transaction.

    ``actor`` and ``target`` are opaque references such as ``student:12`` or ``terminal:3``;
    callers must never pass names, ID numbers, passwords, tokens or codes.
    """
    session.add(
        AuditEvent(
            at=at,
            actor=actor,
            terminal_id=terminal_id,
            action=action,
            target=target,
            outcome=outcome,
            details=details,
        )
    )


async def audit_refusal(
    db: Database, at: dt.datetime, *, actor: str, status: int, code: str
) -> None:
    """Count a refusal in this minute's row for ``actor`` and ``code``, or start that row."""
    minute = at.replace(second=0, microsecond=0)
    target = f"{status} {code}"
    async with db.sessions.begin() as session:
        row = (
            await session.execute(
                select(AuditEvent)
                .where(
                    AuditEvent.action == REFUSED,
                    AuditEvent.at >= minute,
                    AuditEvent.actor == actor,
                    AuditEvent.target == target,
                )
                .limit(1)
            )
        ).scalar_one_or_none()
        if row is None:
            audit(session, REFUSED, actor=actor, at=at, target=target, outcome="denied", count=1)
        else:
            row.details = {**row.details, "count": int(row.details.get("count", 1)) + 1}
