"""Lab terminals: registration (the key is shown once) and heartbeats for the live board."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.terminal import HeartbeatRequest, HeartbeatResponse
from server.auth import TerminalKey, authenticate_terminal
from server.context import Ctx
from server.models import Terminal, utcnow
from server.security import digest
from server.supervision import session_banner

router = APIRouter(prefix=API_PREFIX, tags=["terminals"])


def new_terminal_secret(terminal: Terminal) -> str:
    """Give ``terminal`` a new secret (its old key stops working); returns the secret."""
    secret = secrets.token_urlsafe(24)
    terminal.secret_hash = digest(secret)
    return secret


async def add_terminal(
    session: AsyncSession, lab: str, name: str, secret: str | None = None
) -> tuple[Terminal, str]:
    """Register a terminal; returns it and its key ``<id>.<secret>`` (never stored)."""
    secret = secret or secrets.token_urlsafe(24)
    terminal = Terminal(lab=lab, name=name, secret_hash=digest(secret), created_at=utcnow())
    session.add(terminal)
    await session.flush()
    return terminal, f"{terminal.id}.{secret}"


@router.post("/terminals/heartbeat", response_model=HeartbeatResponse, summary="A terminal's state")
async def heartbeat(
    body: HeartbeatRequest, ctx: Ctx, terminal_key: TerminalKey = None
) -> HeartbeatResponse:
    """Store what the terminal is doing; the live board reads it."""
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        now = ctx.now()
        terminal.last_seen_at = now
        terminal.state = body.state
        terminal.step = body.step
        terminal.student_masked = body.student_masked
        terminal.results_waiting = body.results_waiting
        terminal.dead_letters = body.dead_letters
        end_session, terminal.end_session_pending = terminal.end_session_pending, False
        terminal.pin_failures = body.pin_failures
        return HeartbeatResponse(
            server_time=now,
            terminal_name=terminal.name,
            lab=terminal.lab,
            supervised_session=await session_banner(session, terminal.lab),
            end_session=end_session,
            locked=terminal.locked,
            message=terminal.notice,
        )
