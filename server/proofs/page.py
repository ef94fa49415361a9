"""Proof documents photographed on the phone: the receipt's link, the page, the upload.

A student who reported a field that needs proof (:func:`server.corrections.workflow.needs_proof`) gets
a signed link with the receipt. It names the submission, not the login, so it outlives the
kiosk session: the student may fetch the 户口簿 first. The page is plain HTML (no script), one
photograph per form post, and every post checks the link again. The link is closed by its
expiry, by the last of its :data:`~kiosk.proof_protocol.PROOF_MAX_FILES` files, and by the
first decision on any of its corrections (what an office decided on must not change after).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from kiosk.i18n import Msg
from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.proof import PROOF_KINDS, PROOF_MAX_FILES, ProofLinkResponse
from server.audit import audit
from server.auth import Bearer, TerminalKey, authenticate_student, authenticate_terminal
from server.context import Ctx, ServerContext
from server.corrections.workflow import needs_proof
from server.models import Correction, ProofFile, Verification
from server.problems import ApiProblem
from server.proofs.images import clean_image
from server.records import BEIJING, LinkToken, PageProblem, html_page
from server.security import LinkExpired, LinkInvalid

router = APIRouter(tags=["proof"])
PAGE_PREFIX = "/u/"
"""Upload pages live under here; their bodies are read by the route, with its own limit."""
FORM_OVERHEAD = 16_384
"""Bytes a form post may carry beyond its photograph (boundaries, the kind, the file name)."""
PAGE_TITLE = Msg("上传证明材料", "Upload proof documents").both()

_EXPIRED = PageProblem(
    410, Msg("链接已过期", "Link expired").both(),
    "这个上传链接已过期。请到学院教学办提交证明材料原件。"
    "<br>This upload link has expired. Bring the original documents to your college office.",
    "link_expired",
)  # fmt: skip
_INVALID = PageProblem(
    403, Msg("链接无效", "Invalid link").both(),
    "这个链接不完整或被改动过。请重新扫描回执上的二维码。"
    "<br>This link is incomplete or was altered. Scan the QR code on the receipt again.",
    "link_invalid",
)  # fmt: skip
_DECIDED = PageProblem(
    410, Msg("已开始审核", "Review has started").both(),
    "学院已开始审核你的更正，不能再上传。如需补充，请到学院教学办。"
    "<br>Your college has started to review the correction; nothing more can be uploaded. "
    "To add a document, go to your college office.",
    "proof_link_closed",
)  # fmt: skip
_FULL = PageProblem(
    410, Msg("已全部上传", "All files received").both(),
    f"已收到 {PROOF_MAX_FILES} 个文件，这个链接已关闭。"
    f"<br>{PROOF_MAX_FILES} files were received; this link is now closed.",
    "proof_slots_full",
)  # fmt: skip


def _refusal(status: int, code: str, zh: str, en: str) -> PageProblem:
    return PageProblem(status, Msg("未能上传", "Not uploaded").both(), f"{zh}<br>{en}", code)


def _too_large(limit: int) -> PageProblem:
    mib = limit / 1_048_576
    return _refusal(
        413, "proof_too_large", f"文件超过 {mib:.0f} MB，未保存。请降低相机分辨率后重拍。",
        f"The file is larger than {mib:.0f} MB and was not stored. Take it again at a lower "
        "resolution.",
    )  # fmt: skip


REFUSALS: dict[str, PageProblem] = {
    "proof_not_image": _refusal(
        415, "proof_not_image", "只能上传 JPEG 或 PNG 照片，未保存。",
        "Only JPEG or PNG photographs can be uploaded; nothing was stored.",
    ),
    "proof_too_many_pixels": _refusal(
        422, "proof_too_many_pixels", "图片像素过多，未保存。请降低相机分辨率后重拍。",
        "The image has too many pixels and was not stored. Take it again at a lower resolution.",
    ),
    "proof_damaged": _refusal(
        422, "proof_damaged", "图片已损坏或不完整，未保存。请重新拍摄。",
        "The image is damaged or incomplete and was not stored. Please take it again.",
    ),
    "proof_kind": _refusal(
        422, "proof_kind", "请选择材料类型并选择一张照片。",
        "Choose what the document is and pick one photograph.",
    ),
}  # fmt: skip
"""Why a file is refused, as the page says it; the codes are in docs/contract-notes.md."""


@dataclass(frozen=True)
class OpenLink:
    """A link that still takes files: its submission, expiry, and how many files it has."""

    verification_id: int
    expires_at: dt.datetime
    files: int


async def _proof_corrections(session: AsyncSession, verification_id: int) -> list[Correction]:
    found = await session.execute(
        select(Correction).where(Correction.verification_id == verification_id)
    )
    return [c for c in found.scalars() if needs_proof(c.field)]


async def _files(session: AsyncSession, verification_id: int) -> int:
    query = select(func.count()).where(ProofFile.verification_id == verification_id)
    return (await session.execute(query)).scalar_one()


async def open_link(session: AsyncSession, ctx: ServerContext, token: str) -> OpenLink:
    """The link's submission if it still takes files, else the page that says why not."""
    try:
        (verification_id,), expires = ctx.proof_links.load_with_expiry(token, ctx.now(), size=1)
    except LinkExpired:
        raise _EXPIRED from None
    except LinkInvalid:
        raise _INVALID from None
    # Locks the submission's row (PostgreSQL) so two posts cannot both take the last slot;
    # SQLite runs one write transaction at a time anyway.
    await session.execute(
        select(Verification.id).where(Verification.id == verification_id).with_for_update()
    )
    corrections = await _proof_corrections(session, verification_id)
    if not corrections or any(c.state != "reported" for c in corrections):
        raise _DECIDED
    files = await _files(session, verification_id)
    if files >= PROOF_MAX_FILES:
        raise _FULL
    return OpenLink(verification_id, expires, files)


@router.post(
    f"{API_PREFIX}/me/proof-link",
    response_model=ProofLinkResponse,
    summary="A link for my phone to upload proof documents",
    responses={404: {"description": "`no_proof_needed`: no reported correction needs proof"}},
)
async def proof_link(
    ctx: Ctx, terminal_key: TerminalKey = None, credentials: Bearer = None
) -> ProofLinkResponse:
    """For the latest submission with corrections that need proof and are not decided yet:
    a signed link, valid ``proof_link_hours``, to the upload page."""
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        current = await authenticate_student(session, ctx, credentials, terminal)
        latest = await session.execute(
            select(Verification.id)
            .where(Verification.student_id == current.student.id)
            .order_by(Verification.submitted_at.desc(), Verification.id.desc())
            .limit(1)
        )
        verification_id = latest.scalar_one_or_none()
        corrections = await _proof_corrections(session, verification_id or 0)
        files = await _files(session, verification_id or 0)
        if (
            verification_id is None
            or not corrections
            or any(c.state != "reported" for c in corrections)
            or files >= PROOF_MAX_FILES
        ):
            raise ApiProblem(404, "no_proof_needed", "No reported correction needs proof now.")
        expires = ctx.now() + dt.timedelta(hours=ctx.settings.proof_link_hours)
        token = ctx.proof_links.sign((verification_id,), expires)
        audit(
            session, "proof_link", actor=f"account:{current.account.id}", at=ctx.now(),
            terminal_id=terminal.id, target=f"verification:{verification_id}",
        )  # fmt: skip
    return ProofLinkResponse(
        url=f"{ctx.public_base_url()}{PAGE_PREFIX}{token}",
        expires_at=expires,
        slots_left=PROOF_MAX_FILES - files,
    )


def _problem_page(problem: PageProblem) -> HTMLResponse:
    code = html.escape(problem.code)
    return html_page(
        problem.title, f'<p id="problem" data-code="{code}">{problem.text}</p>', problem.status
    )


DOCUMENT_LABEL = Msg("材料", "Document").both()
UPLOAD_LABEL = Msg("上传", "Upload").both()


def _form_page(token: str, link: OpenLink, notice: str = "") -> HTMLResponse:
    until = link.expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    left = PROOF_MAX_FILES - link.files
    options = "".join(
        f'<option value="{kind}">{html.escape(label.zh)} / {html.escape(label.en)}</option>'
        for kind, label in PROOF_KINDS.items()
    )
    form = f"""{notice}
<p>请拍摄：户口簿首页、本人页（含曾用名）、身份证正反面，或其他证明。每次一张，JPEG 或 PNG。<br>
Photograph: the household register's first page and your own page (with former names), both
sides of the ID card, or other proof. One photo at a time, JPEG or PNG.</p>
<form method="post" enctype="multipart/form-data" action="{PAGE_PREFIX}{html.escape(token)}">
<p><label>{DOCUMENT_LABEL}<br><select name="kind" required>{options}</select></label></p>
<p><input type="file" name="file" accept="image/jpeg,image/png,image/*" capture="environment"
required></p>
<p><button type="submit">{UPLOAD_LABEL}</button></p>
</form>
<p id="slots" data-files="{link.files}">已上传 {link.files} 个，还可上传 {left} 个。<br>
{link.files} uploaded, {left} more allowed.</p>
<p id="expires">此链接有效至北京时间 {until}<br>This link works until {until} Beijing time.</p>"""
    return html_page(PAGE_TITLE, form)


@router.get(
    PAGE_PREFIX + "{token}",
    response_class=HTMLResponse,
    summary="Proof upload page (from the receipt's QR code)",
    responses={403: {"description": "Tampered link"}, 410: {"description": "Closed link"}},
)
async def proof_page(token: LinkToken, ctx: Ctx) -> HTMLResponse:
    """The form: what to photograph, the kind, the file, and how many more it takes."""
    try:
        async with ctx.db.sessions.begin() as session:
            link = await open_link(session, ctx, token)
    except PageProblem as problem:
        return _problem_page(problem)
    return _form_page(token, link)


class _TooLarge(Exception):
    pass


async def _read_form(request: Request, limit: int) -> tuple[str, bytes | None]:
    """The kind and the file's bytes; :class:`_TooLarge` as soon as ``limit`` bytes passed."""

    async def counted() -> AsyncGenerator[bytes, None]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise _TooLarge
            yield chunk

    parser = MultiPartParser(request.headers, counted(), max_files=1, max_fields=2)
    form = await parser.parse()
    try:
        kind, upload = form.get("kind"), form.get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else None
        return (kind if isinstance(kind, str) else ""), content
    finally:
        await form.close()


@router.post(
    PAGE_PREFIX + "{token}",
    response_class=HTMLResponse,
    summary="Upload one proof photograph (the page's form)",
    responses={
        403: {"description": "Tampered link"},
        410: {"description": "Closed link: expired, decided, or all files in"},
        413: {"description": "`proof_too_large`"},
        415: {"description": "`proof_not_image`"},
        422: {"description": "`proof_damaged`, `proof_too_many_pixels`, `proof_kind`"},
    },
)
async def upload_proof(token: LinkToken, request: Request, ctx: Ctx) -> HTMLResponse:
    """Checks the link before reading a byte of the body, then the size as it streams in,
    then the image (decoded whole, strictly, in a worker thread); stores it re-encoded."""
    limit = ctx.settings.proof_max_bytes
    try:
        async with ctx.db.sessions.begin() as session:
            await open_link(session, ctx, token)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
            raise _too_large(limit)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise REFUSALS["proof_kind"]
        try:
            kind, content = await _read_form(request, limit + FORM_OVERHEAD)
        except _TooLarge:
            raise _too_large(limit) from None
        except MultiPartException:
            raise REFUSALS["proof_kind"] from None
        if kind not in PROOF_KINDS or not content:
            raise REFUSALS["proof_kind"]
        if len(content) > limit:
            raise _too_large(limit)
        clean = await anyio.to_thread.run_sync(clean_image, content)
        if isinstance(clean, str):
            raise REFUSALS[clean]
        async with ctx.db.sessions.begin() as session:
            # Again: a decision or another upload may have closed the link meanwhile.
            link = await open_link(session, ctx, token)
            session.add(
                ProofFile(
                    verification_id=link.verification_id, kind=kind, jpeg=clean.jpeg,
                    thumbnail=clean.thumbnail, width=clean.width, height=clean.height,
                    created_at=ctx.now(),
                )
            )  # fmt: skip
            audit(
                session, "proof_upload", actor="proof_link", at=ctx.now(),
                target=f"verification:{link.verification_id}", kind=kind,
            )  # fmt: skip
    except PageProblem as problem:
        return _problem_page(problem)
    stored = OpenLink(link.verification_id, link.expires_at, link.files + 1)
    label = PROOF_KINDS[kind]
    notice = f'<p id="done">已保存：{html.escape(label.zh)}<br>Stored: {html.escape(label.en)}</p>'
    if stored.files >= PROOF_MAX_FILES:
        return html_page(
            _FULL.title, f'{notice}<p id="problem" data-code="{_FULL.code}">{_FULL.text}</p>'
        )
    return _form_page(token, stored, notice)
