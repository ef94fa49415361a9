"""The audit log: one row per action, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.models import AuditEvent


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
