"""Remote control of a lab terminal from the live board: end the session, lock, a message.

Nothing is pushed: the wish is stored on the terminal's row and goes out with the answer to
its next heartbeat (every 10 s), so no port is ever opened on a lab PC. A proctor may do this
only in a lab where a session of theirs is running; the registrar anywhere. Every request is
audited, refusals too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.terminal import TerminalControl
from server.audit import audit
from server.context import Ctx, RowId
from server.models import SupervisedSession, Terminal
from server.problems import ApiProblem
from server.staff import Forbidden, Supervisor

router = APIRouter(prefix=f"{API_PREFIX}/staff", tags=["supervision"])


@router.post(
    "/terminals/{terminal_id}/control",
    status_code=204,
    summary="End the session on, lock, unlock, or send a message to a terminal",
    responses={404: {"description": "`not_found`"}},
)
async def control_terminal(
    terminal_id: RowId, body: TerminalControl, ctx: Ctx, staff: Supervisor, request: Request
) -> Response:
    """Answered to the terminal with its next heartbeat; ``message`` with empty text clears."""
    async with ctx.db.sessions.begin() as session:
        terminal = await session.get(Terminal, terminal_id, with_for_update=True)
        if terminal is None or not terminal.active:
            raise ApiProblem(404, "not_found", "No such terminal.")
        if staff.role != "registrar":
            running = await session.scalar(
                select(SupervisedSession.id).where(
                    SupervisedSession.lab == terminal.lab,
                    SupervisedSession.state == "running",
                    SupervisedSession.created_by == staff.account.id,
                )
            )
            if running is None:
                raise Forbidden(staff, target=request.url.path)
        if body.action == "end_session":
            terminal.end_session_pending = True
        elif body.action in ("lock", "unlock"):
            terminal.locked = body.action == "lock"
        else:
            terminal.notice = body.text or None
        # The message's text is the proctor's own words; only its length goes to the log.
        audit(
            session, "staff.control_terminal", actor=staff.actor, at=ctx.now(),
            terminal_id=terminal.id, target=f"terminal:{terminal.id}", control=body.action,
            text_length=len(body.text),
        )  # fmt: skip
    return Response(status_code=204)
