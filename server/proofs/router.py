"""What the college office and the registrar see of a correction's proof, and its 申请表.

The proof files of a correction are those its submission's student uploaded; a college
office sees them for its own college only (403 ``other_college``, audited as denied), like
the correction itself. The 学籍信息变更申请表 is printed from the same facts.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import correction_field_label, correction_value_text
from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.proof import PROOF_KINDS, ProofFileInfo, ProofFileList
from server.audit import audit
from server.context import Ctx, RowId
from server.corrections.queries import correction_for
from server.corrections.workflow import needs_proof
from server.documents.application_form import ApplicationForm, Change, application_form_pdf
from server.exports import attachment_name
from server.models import Correction, ProofFile, Student
from server.problems import ApiProblem
from server.records import PRIVATE_HEADERS
from server.staff import RecordKeeper, StaffContext

router = APIRouter(prefix=f"{API_PREFIX}/staff/corrections", tags=["corrections"])
_RESPONSES: dict[int | str, dict[str, object]] = {
    403: {"description": "`other_college`: another college's correction; `forbidden`: role"},
    404: {"description": "`not_found`"},
}
REJECTED = ("college_rejected", "registrar_rejected")


async def _files(session: AsyncSession, correction: Correction) -> list[ProofFile]:
    found = await session.execute(
        select(ProofFile)
        .where(ProofFile.verification_id == correction.verification_id)
        .order_by(ProofFile.id)
    )
    return list(found.scalars())


def _info(file: ProofFile) -> ProofFileInfo:
    return ProofFileInfo.model_validate(
        {
            "id": file.id, "kind": file.kind, "size_bytes": len(file.jpeg), "width": file.width,
            "height": file.height, "uploaded_at": file.created_at,
        }
    )  # fmt: skip


async def _seen(
    session: AsyncSession, staff: StaffContext, correction_id: int, action: str, at: object
) -> tuple[Correction, Student]:
    correction, student = await correction_for(session, staff, correction_id)
    audit(session, action, actor=staff.actor, at=at, target=f"correction:{correction_id}")  # type: ignore[arg-type]
    return correction, student


@router.get(
    "/{correction_id}/proofs",
    response_model=ProofFileList,
    summary="The proof documents the student photographed",
    responses=_RESPONSES,
)
async def proof_files(correction_id: RowId, ctx: Ctx, staff: RecordKeeper) -> ProofFileList:
    """Kind, size and time of each file, oldest first (shared by the submission's corrections)."""
    async with ctx.db.sessions.begin() as session:
        correction, _student = await _seen(
            session, staff, correction_id, "staff.proof_files", ctx.now()
        )
        return ProofFileList(files=[_info(file) for file in await _files(session, correction)])


async def _one_file(
    ctx: Ctx, staff: StaffContext, correction_id: int, file_id: int, action: str
) -> ProofFile:
    async with ctx.db.sessions.begin() as session:
        correction, _student = await _seen(session, staff, correction_id, action, ctx.now())
        found = await session.get(ProofFile, file_id)
        if found is None or found.verification_id != correction.verification_id:
            raise ApiProblem(404, "not_found", "No such proof file for this correction.")
        return found


_IMAGE = _RESPONSES | {200: {"content": {"image/jpeg": {}}}}


@router.get(
    "/{correction_id}/proofs/{file_id}",
    response_class=Response,
    summary="One proof document (JPEG, re-encoded without metadata)",
    responses=_IMAGE,
)
async def proof_file(
    correction_id: RowId, file_id: RowId, ctx: Ctx, staff: RecordKeeper
) -> Response:
    """The image at full stored size."""
    found = await _one_file(ctx, staff, correction_id, file_id, "staff.proof_file")
    return Response(found.jpeg, media_type="image/jpeg", headers=PRIVATE_HEADERS)


@router.get(
    "/{correction_id}/proofs/{file_id}/thumbnail",
    response_class=Response,
    summary="One proof document's thumbnail (JPEG, at most 240 pixels a side)",
    responses=_IMAGE,
)
async def proof_thumbnail(
    correction_id: RowId, file_id: RowId, ctx: Ctx, staff: RecordKeeper
) -> Response:
    """The small image, for the console's list."""
    found = await _one_file(ctx, staff, correction_id, file_id, "staff.proof_file")
    return Response(found.thumbnail, media_type="image/jpeg", headers=PRIVATE_HEADERS)


def proof_lines(files: list[ProofFile], seen: str | None) -> list[str]:
    """The proof as the form lists it: each photographed kind with its count, then what the
    college office recorded that it saw."""
    counts: dict[str, int] = {}
    for file in files:
        counts[file.kind] = counts.get(file.kind, 0) + 1
    lines = [
        f"{PROOF_KINDS[kind].zh}（照片 {n} 张）"  # type: ignore[index]
        for kind, n in counts.items()
    ]
    return [*lines, f"学院查验：{seen}"] if seen else lines


@router.get(
    "/{correction_id}/application-form.pdf",
    response_class=Response,
    summary="学籍信息变更申请表 (PDF) for this correction and its submission's others",
    responses=_RESPONSES | {200: {"content": {"application/pdf": {}}}},
)
async def application_form(correction_id: RowId, ctx: Ctx, staff: RecordKeeper) -> Response:
    """The form to sign and stamp: this correction's field, and every other field needing
    proof reported in the same submission and not rejected, with the proof listed."""
    now = ctx.now()
    async with ctx.db.sessions.begin() as session:
        correction, student = await _seen(
            session, staff, correction_id, "staff.application_form", now
        )
        siblings = await session.execute(
            select(Correction)
            .where(Correction.verification_id == correction.verification_id)
            .order_by(Correction.id)
        )
        changes = [
            c for c in siblings.scalars()
            if c.id == correction.id or (needs_proof(c.field) and c.state not in REJECTED)
        ]  # fmt: skip
        files = await _files(session, correction)
    form = ApplicationForm(
        student_no=student.student_no, name=student.name, college=student.college,
        class_name=student.class_name, major=student.major,
        changes=[
            Change(correction_field_label(c.field).zh, correction_value_text(c.field, c.current_value),
                   correction_value_text(c.field, c.proposed))
            for c in changes
        ],
        reason="\n".join(c.note for c in changes if c.note),
        proofs=proof_lines(files, correction.proof), reference=f"勘误 #{correction.id}", made_at=now,
    )  # fmt: skip
    content = await anyio.to_thread.run_sync(application_form_pdf, form)
    name = f"学籍信息变更申请表-{student.student_no}-{correction.id}.pdf"
    return Response(
        content, media_type="application/pdf",
        headers={**PRIVATE_HEADERS, "Content-Disposition": attachment_name(name)},
    )  # fmt: skip
