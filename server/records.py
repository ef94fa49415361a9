"""A student's own record, the submission ticket, and the signed photo preview."""

from __future__ import annotations

import datetime as dt
import html
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import PHOTO_LABEL
from kiosk.fields import FIELD_KEYS
from kiosk.i18n import Msg
from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.student import (
    CorrectionSummary,
    FieldValue,
    PhotoInfo,
    PhotoLinkResponse,
    RecordResponse,
    RecordState,
    VerificationWindow,
)
from server.audit import audit
from server.auth import (
    Bearer,
    StudentContext,
    TerminalKey,
    authenticate_student,
    authenticate_terminal,
    session_is_live,
)
from server.context import Ctx, ServerContext
from server.decision_notices import notices_for
from server.models import (
    Account,
    Correction,
    Photo,
    SessionToken,
    Student,
    Terminal,
    Verification,
)
from server.problems import ApiProblem
from server.security import LinkExpired, LinkInvalid, digest

router = APIRouter(tags=["record"])
LinkToken = Annotated[str, Path(max_length=1000)]
"""A signed photo link's token (a real one is well under 200 characters)."""

# Sent with every photo answer: the link is a bearer capability shown on a public screen.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# The page itself: nothing but its own photo and inline style, and never inside a frame
# (another site could frame it to make a student's photo look like its own content).
PAGE_HEADERS = PRIVATE_HEADERS | {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; "
    "style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
# The students and the staff are in China; a phone may be set to any zone, the page is not.
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
OPEN_CORRECTION_STATES = (
    "reported", "college_accepted", "registrar_confirmed", "sent_to_vendor",
    "submitted_to_province", "province_approved",
)  # fmt: skip


def record_values(student: Student) -> dict[str, str]:
    """The 17 fields of ``student`` by key."""
    return {key: str(getattr(student, key)) for key in FIELD_KEYS}


async def current_photo(session: AsyncSession, student: Student) -> Photo | None:
    """The photo version the record points at, if any."""
    if not student.photo_version:
        return None
    query = select(Photo).where(
        Photo.student_id == student.id, Photo.version == student.photo_version
    )
    return (await session.execute(query)).scalars().first()


def issue_ticket(ctx: ServerContext, student: Student) -> tuple[str, dt.datetime]:
    """A signed ticket for one submission of this record version, and when it expires.

    The random part makes every ticket distinct, so that spending one (a ticket authorises
    exactly one result) leaves the next ``GET /me/record``'s ticket good.
    """
    expires = ctx.now() + dt.timedelta(days=ctx.settings.ticket_days)
    nonce = secrets.randbits(48)
    return ctx.tickets.sign((student.id, student.record_version, nonce), expires), expires


@dataclass(frozen=True)
class Ticket:
    """What a valid ticket says: whose record, which version, and its digest (to spend it)."""

    student_id: int
    record_version: int
    digest: str


def read_ticket(ctx: ServerContext, ticket: str) -> Ticket:
    """The ticket's content, or 403 ``ticket_invalid``."""
    try:
        student_id, version, _nonce = ctx.tickets.load(ticket, ctx.now(), size=3)
    except (LinkExpired, LinkInvalid):
        raise ApiProblem(403, "ticket_invalid", "The submission ticket is not valid.") from None
    return Ticket(student_id, version, digest(ticket))


async def _state(
    session: AsyncSession, student: Student
) -> tuple[RecordState, str | None, list[CorrectionSummary]]:
    latest = (
        await session.execute(
            select(Verification)
            .where(Verification.student_id == student.id)
            .order_by(Verification.submitted_at.desc(), Verification.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    corrections = (
        (
            await session.execute(
                select(Correction)
                .where(Correction.student_id == student.id)
                .order_by(Correction.id)
            )
        )
        .scalars()
        .all()
    )
    summaries = [
        CorrectionSummary(
            id=c.id,
            field=c.field,
            proposed=c.proposed,
            state=c.state,
            updated_at=c.updated_at,
            comment=c.comment,
        )
        for c in corrections
    ]
    if latest is None:
        return "not_checked", None, summaries
    if student.recheck_fields:
        return "check_again", latest.receipt_no, summaries
    pending = any(c.state in OPEN_CORRECTION_STATES for c in corrections)
    return ("corrections_pending" if pending else "submitted"), latest.receipt_no, summaries


@router.get(f"{API_PREFIX}/me/record", response_model=RecordResponse, summary="My record")
async def my_record(
    ctx: Ctx, terminal_key: TerminalKey = None, credentials: Bearer = None
) -> RecordResponse:
    """The 17 fields, photo metadata, the window, the current state and a submission ticket."""
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        current = await authenticate_student(session, ctx, credentials, terminal)
        student = current.student
        photo = await current_photo(session, student)
        state, receipt_no, corrections = await _state(session, student)
        closes = student.window_closes_at
        is_open = closes is not None and closes > ctx.now()
        # Only while the window is open: a closed window authorises no new result (one
        # saved before it closed is delivered on the ticket it was saved with).
        ticket, ticket_expires = issue_ticket(ctx, student) if is_open else (None, None)
        return RecordResponse(
            student_no=student.student_no,
            fields=[FieldValue(key=k, value=v) for k, v in record_values(student).items()],
            record_version=student.record_version,
            photo=PhotoInfo(
                version=photo.version,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.jpeg),
            )
            if photo
            else None,
            window=VerificationWindow(closes_at=closes, is_open=is_open),
            state=state,
            last_receipt_no=receipt_no,
            corrections=corrections,
            recheck_fields=list(student.recheck_fields or []) if state == "check_again" else [],
            ticket=ticket,
            ticket_expires_at=ticket_expires,
            notices=await notices_for(session, student.id),
            key_fields=ctx.settings.key_fields,
            policy_rules_off=ctx.settings.policy_rules_off,
        )


@router.get(
    f"{API_PREFIX}/me/photo",
    summary="My photo itself, for the terminal's own screen",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}},
        404: {"description": "`not_found`: no photo on file"},
    },
)
async def my_photo(
    ctx: Ctx, terminal_key: TerminalKey = None, credentials: Bearer = None
) -> Response:
    """The JPEG, for terminals that can draw images: the student's token, not a link, so it
    works wherever the terminal reaches the server, whatever address phones use."""
    async with ctx.db.sessions.begin() as session:
        _terminal, _current, photo = await _my_current_photo(
            session, ctx, terminal_key, credentials
        )
        return Response(photo.jpeg, media_type="image/jpeg", headers=PRIVATE_HEADERS)


async def _my_current_photo(
    session: AsyncSession, ctx: ServerContext, terminal_key: str | None, credentials: Bearer
) -> tuple[Terminal, StudentContext, Photo]:
    """The terminal, the logged-in student and their photo; 404 if there is none yet."""
    terminal = await authenticate_terminal(session, terminal_key)
    current = await authenticate_student(session, ctx, credentials, terminal)
    photo = await current_photo(session, current.student)
    if photo is None:
        raise ApiProblem(404, "not_found", "There is no photo on file yet.")
    return terminal, current, photo


@router.post(
    f"{API_PREFIX}/me/photo-link",
    response_model=PhotoLinkResponse,
    summary="A short-lived link to my photo",
    responses={404: {"description": "`not_found`: no photo on file"}},
)
async def photo_link(
    ctx: Ctx, terminal_key: TerminalKey = None, credentials: Bearer = None
) -> PhotoLinkResponse:
    """A signed link, valid for ``photo_link_ttl_s`` and only while this session lasts."""
    async with ctx.db.sessions.begin() as session:
        terminal, current, photo = await _my_current_photo(session, ctx, terminal_key, credentials)
        expires = ctx.now() + dt.timedelta(seconds=ctx.settings.photo_link_ttl_s)
        token = ctx.photo_links.sign((current.token.id, photo.version), expires)
        audit(
            session, "photo_link", actor=f"account:{current.account.id}", at=ctx.now(),
            terminal_id=terminal.id,
        )  # fmt: skip
    return PhotoLinkResponse(url=f"{ctx.public_base_url()}/p/{token}", expires_at=expires)


class PageProblem(Exception):
    """Why a link's page cannot be shown: the status, and a bilingual title and text."""

    def __init__(self, status: int, title: str, text: str, code: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.text, self.code = status, title, text, code


_EXPIRED = PageProblem(
    410,
    Msg("链接已过期", "Link expired").both(),
    "这个照片预览链接已过期或已失效。请在终端上重新生成二维码。"
    "<br>This photo preview link has expired or was closed. Make a new QR code at the terminal.",
)
_INVALID = PageProblem(
    403,
    Msg("链接无效", "Invalid link").both(),
    "这个链接不完整或被改动过。请重新扫描终端上的二维码。"
    "<br>This link is incomplete or was altered. Scan the QR code at the terminal again.",
)


async def _photo_for_link(ctx: ServerContext, token: str) -> tuple[Photo, dt.datetime]:
    try:
        (session_id, version), expires = ctx.photo_links.load_with_expiry(token, ctx.now(), size=2)
    except LinkExpired:
        raise _EXPIRED from None
    except LinkInvalid:
        raise _INVALID from None
    async with ctx.db.sessions.begin() as session:
        found = (
            await session.execute(
                select(SessionToken, Photo)
                .join(Account, SessionToken.account_id == Account.id)
                .join(Student, Account.student_id == Student.id)
                .join(
                    Photo,
                    (Photo.student_id == Student.id) & (Photo.version == Student.photo_version),
                )
                .where(SessionToken.id == session_id)
            )
        ).first()
    # Logging out, or a newer photo, closes the link before its time is up.
    if found is None:
        raise _EXPIRED
    login, photo = found
    if not session_is_live(ctx, login) or photo.version != version:
        raise _EXPIRED
    return photo, expires


def html_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A small page for phones (``body`` is HTML the caller escaped) with the link headers."""
    document = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; padding: 1rem; background: #f4f6f8;
       color: #111; text-align: center; }}
h1 {{ font-size: 1.2rem; }}
img {{ max-width: 100%; height: auto; border: 1px solid #999; background: #fff; }}
p {{ line-height: 1.5; }}
select, input, button {{ max-width: 100%; box-sizing: border-box; font-size: 1rem; }}
</style></head>
<body><h1>{html.escape(title)}</h1>{body}</body></html>"""
    return HTMLResponse(document, status_code=status, headers=PAGE_HEADERS)


@router.get(
    "/p/{token}",
    response_class=HTMLResponse,
    summary="Photo preview page (from the QR code)",
    responses={403: {"description": "Tampered link"}, 410: {"description": "Expired link"}},
)
async def photo_page(token: LinkToken, ctx: Ctx) -> HTMLResponse:
    """A small mobile-friendly page with the photo at full size."""
    try:
        photo, expires = await _photo_for_link(ctx, token)
    except PageProblem as problem:
        return html_page(problem.title, f"<p>{problem.text}</p>", problem.status)
    until = expires.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    image = f'<img src="/p/{html.escape(token)}/photo.jpg" width="{photo.width}" height="{photo.height}" alt="{PHOTO_LABEL.both()}">'
    note = (
        "<p>请核对：是否本人、是否清晰、背景是否符合要求。然后回到终端作答。<br>"
        "Check: is it you, is it sharp, is the background right? Then answer at the terminal.</p>"
        f'<p id="expires">此链接有效至北京时间 {until}<br>This link works until {until} '
        "Beijing time (UTC+8).</p>"
    )
    return html_page(Msg("学历照片", "Graduation photo").both(), image + note)


@router.get(
    "/p/{token}/photo.jpg",
    summary="The photo itself",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 403: {}, 410: {}},
)
async def photo_image(token: LinkToken, ctx: Ctx) -> Response:
    """The JPEG, with the same checks and headers as the page."""
    try:
        photo, _expires = await _photo_for_link(ctx, token)
    except PageProblem as problem:
        return Response(status_code=problem.status, headers=PRIVATE_HEADERS)
    return Response(photo.jpeg, media_type="image/jpeg", headers=PRIVATE_HEADERS)
