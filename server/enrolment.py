"""Enrolment: new lab PCs join a lab with a short code instead of a key copied by hand.

A proctor or the registrar makes a code for a lab (valid ``ENROLMENT_TTL``, usable N times);
on each PC ``kiosk enrol CODE --name lab3-07`` trades it for that terminal's key. The code
has 60 random bits, far beyond guessing online (enrolment is rate-limited per client
address), so it is stored as an HMAC keyed by the server's secret, not argon2: a salted slow
hash could not be looked up by value, and a stolen database reveals no working code without
the secret. A proctor retires a terminal with one request; its key stops working at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import NoReturn

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.terminal import (
    EnrolmentCodeCreate,
    EnrolmentCodeInfo,
    EnrolRequest,
    EnrolResponse,
)
from server.audit import audit
from server.context import Ctx, RowId, ServerContext
from server.models import EnrolmentCode, Terminal
from server.problems import ApiProblem
from server.rate_limit import spend_enrolment_attempt
from server.staff import Supervisor
from server.terminals import add_terminal, new_terminal_secret

router = APIRouter(prefix=API_PREFIX, tags=["terminals"])

ENROLMENT_TTL = dt.timedelta(hours=1)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U to misread; 12 characters carry 60 bits."""
CODE_LENGTH = 12
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code as people read it: ``XXXX-XXXX-XXXX``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(code: str) -> str:
    """What was typed, as generated: upper case, no dashes or spaces, O as 0, I and L as 1."""
    return "".join(code.upper().split()).replace("-", "").translate(_READ_AS)


def code_hash(secret_key: str, code: str) -> str:
    """The stored form of a code."""
    message = b"enrolment-code:" + normalise(code).encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


@router.post(
    "/staff/enrolment-codes",
    status_code=201,
    response_model=EnrolmentCodeInfo,
    summary="Make an enrolment code for a lab (shown once)",
)
async def create_enrolment_code(
    body: EnrolmentCodeCreate, ctx: Ctx, staff: Supervisor
) -> EnrolmentCodeInfo:
    """The code lets ``uses`` new PCs join ``lab`` within the next hour."""
    code = new_code()
    async with ctx.db.sessions.begin() as session:
        now = ctx.now()
        item = EnrolmentCode(
            code_hash=code_hash(ctx.settings.secret_key, code),
            lab=body.lab,
            uses=body.uses,
            used=0,
            expires_at=now + ENROLMENT_TTL,
            created_by=staff.account.id,
            created_at=now,
        )
        session.add(item)
        await session.flush()
        audit(
            session, "staff.create_enrolment_code", actor=staff.actor, at=now,
            target=f"enrolment_code:{item.id}", lab=body.lab, uses=body.uses,
        )  # fmt: skip
        return EnrolmentCodeInfo(
            id=item.id, code=code, lab=item.lab, uses=item.uses, expires_at=item.expires_at
        )


async def _refuse(ctx: ServerContext, problem: ApiProblem, item_id: int | None) -> NoReturn:
    # The refusal is audited in its own transaction: the request's is rolled back.
    async with ctx.db.sessions.begin() as session:
        audit(
            session, "enrol", actor="anonymous", at=ctx.now(), outcome="denied",
            target=f"enrolment_code:{item_id}" if item_id is not None else None,
            reason=problem.code,
        )  # fmt: skip
    raise problem


def _check(item: EnrolmentCode | None, now: dt.datetime) -> ApiProblem | None:
    if item is None:
        return ApiProblem(
            403, "enrolment_code_invalid", "No enrolment code matches; check what was typed."
        )
    if item.used >= item.uses:
        return ApiProblem(
            410, "enrolment_code_used_up", "The enrolment code has been used as often as allowed."
        )
    if now >= item.expires_at:
        return ApiProblem(410, "enrolment_code_expired", "The enrolment code has expired.")
    return None


async def _terminal_for(
    session: AsyncSession, lab: str, name: str
) -> tuple[Terminal, str] | ApiProblem:
    """A new terminal, or a retired one of that name given a new key; 409 if it is in use."""
    existing = (
        await session.execute(select(Terminal).where(Terminal.lab == lab, Terminal.name == name))
    ).scalar_one_or_none()
    if existing is None:
        return await add_terminal(session, lab, name)
    if existing.active:
        return ApiProblem(
            409, "terminal_name_taken", "A terminal of this name is already active in the lab."
        )
    secret = new_terminal_secret(existing)
    existing.active = True
    return existing, f"{existing.id}.{secret}"


@router.post(
    "/terminals/enrol",
    status_code=201,
    response_model=EnrolResponse,
    summary="Trade an enrolment code for a new terminal's key (no terminal key)",
    responses={
        403: {"description": "`enrolment_code_invalid`"},
        409: {"description": "`terminal_name_taken`"},
        410: {"description": "`enrolment_code_expired` or `enrolment_code_used_up`"},
        429: {"description": "`rate_limited` (per client address) with `retry_after_s`"},
    },
)
async def enrol(body: EnrolRequest, ctx: Ctx, request: Request) -> EnrolResponse:
    """Each use is audited; the key is in this answer only."""
    # Counted in its own transaction, so that refused codes count too.
    async with ctx.db.sessions.begin() as session:
        await spend_enrolment_attempt(session, ctx, request)
    wanted = code_hash(ctx.settings.secret_key, body.code)
    async with ctx.db.sessions() as session, session.begin():
        now = ctx.now()
        item = (
            await session.execute(
                select(EnrolmentCode).where(EnrolmentCode.code_hash == wanted).with_for_update()
            )
        ).scalar_one_or_none()
        made: ApiProblem | tuple[Terminal, str] | None = _check(item, now)
        if item is not None and made is None:
            made = await _terminal_for(session, item.lab, body.name)
        if isinstance(made, tuple) and item is not None:
            terminal, key = made
            item.used += 1
            await session.flush()
            audit(
                session, "enrol", actor=f"enrolment_code:{item.id}", at=now,
                terminal_id=terminal.id, target=f"terminal:{terminal.id}",
            )  # fmt: skip
            return EnrolResponse(
                terminal_id=terminal.id, lab=terminal.lab, name=terminal.name, terminal_key=key
            )
        refused_item = item.id if item is not None else None
        await session.rollback()
    assert isinstance(made, ApiProblem)
    await _refuse(ctx, made, refused_item)


@router.post(
    "/staff/terminals/{terminal_id}/retire",
    status_code=204,
    summary="Retire a terminal: its key stops working at once",
    responses={404: {"description": "`not_found`"}},
)
async def retire_terminal(terminal_id: RowId, ctx: Ctx, staff: Supervisor) -> Response:
    """The terminal leaves the board; enrolling a PC under its name gives it a new key."""
    async with ctx.db.sessions.begin() as session:
        terminal = await session.get(Terminal, terminal_id, with_for_update=True)
        if terminal is None:
            raise ApiProblem(404, "not_found", "No such terminal.")
        terminal.active = False
        terminal.state = "offline"
        terminal.student_masked = None
        audit(
            session, "staff.retire_terminal", actor=staff.actor, at=ctx.now(),
            terminal_id=terminal.id, target=f"terminal:{terminal.id}",
        )  # fmt: skip
    return Response(status_code=204)
