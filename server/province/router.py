"""``/api/v1/staff/province-batches``: the registrar's batches for the province (issue 14).

Registrar only. A college office follows its own college's corrections through the
corrections queue, where their states (``submitted_to_province``, ``province_approved`` …) and
history (batch number, the reply's reference) show. The logic is :mod:`server.province.workflow`.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Response

from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.corrections import CorrectionList
from kiosk.protocol.province import (
    BATCH_LIMIT,
    PlatformFormat,
    ProvinceAnswer,
    ProvinceBatchCreate,
    ProvinceBatchDetail,
    ProvinceBatchList,
)
from server import exports
from server.audit import audit
from server.context import Ctx, RowId
from server.corrections.queries import correction_row
from server.corrections.workflow import Actor
from server.exports import PRIVATE_HEADERS, attachment_name
from server.province import workflow as province
from server.staff import Registrar

router = APIRouter(prefix=f"{API_PREFIX}/staff/province-batches", tags=["province"])

MEDIA_TYPES = {"dbf": "application/dbase", "xlsx": exports.MEDIA_TYPES["xlsx"]}
_BULK: dict[int | str, dict[str, Any]] = {
    409: {"description": "`bulk_failed`: `errors` names each id that cannot go, and why"},
    422: {"description": "`platform_file_problems`: values the platform's file cannot hold; "
          "a policy rule's code"},
}  # fmt: skip


@router.get("", response_model=ProvinceBatchList, summary="The batches, newest first")
async def list_batches(
    ctx: Ctx, staff: Registrar, limit: Annotated[int, Query(ge=1, le=200)] = 200
) -> ProvinceBatchList:
    """Every batch with its count of corrections and of those still waiting."""
    async with ctx.db.sessions.begin() as session:
        return ProvinceBatchList(batches=await province.list_batches(session, limit))


@router.get(
    "/candidates",
    response_model=CorrectionList,
    summary="Confirmed key-field corrections not yet in a batch",
)
async def candidates(
    ctx: Ctx, staff: Registrar, limit: Annotated[int, Query(ge=1, le=BATCH_LIMIT)] = BATCH_LIMIT
) -> CorrectionList:
    """What a new batch may take, oldest first."""
    async with ctx.db.sessions.begin() as session:
        found = await province.candidates(session, ctx.settings, limit)
    return CorrectionList(
        corrections=[correction_row(c, s) for c, s in found], total=len(found), limit=limit
    )


@router.post(
    "",
    status_code=201,
    response_model=ProvinceBatchDetail,
    summary="Submit confirmed key-field corrections to the province as a new batch",
    responses=_BULK,
)
async def create_batch(
    body: ProvinceBatchCreate, ctx: Ctx, staff: Registrar
) -> ProvinceBatchDetail:
    """All or none: the batch gets its number and every correction goes to
    ``submitted_to_province``; the platform's file is then ready to download."""
    async with ctx.db.sessions.begin() as session:
        batch = await province.create_batch(
            session, ctx.settings, body.ids, Actor.of(staff), ctx.now(), body.comment
        )
        return await province.batch_detail(session, batch)


@router.get("/{batch_id}", response_model=ProvinceBatchDetail, summary="One batch")
async def batch_detail(batch_id: RowId, ctx: Ctx, staff: Registrar) -> ProvinceBatchDetail:
    """The batch and each of its corrections, with the province's reference once answered."""
    async with ctx.db.sessions.begin() as session:
        return await province.batch_detail(session, await province.get_batch(session, batch_id))


@router.get(
    "/{batch_id}/file",
    summary="The batch in the national platform's layout: DBF (GBK) or .xlsx",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
async def batch_file(
    batch_id: RowId, ctx: Ctx, staff: Registrar, format: PlatformFormat = "dbf"
) -> Response:
    """One row per student: the record with the batch's corrections in it."""
    async with ctx.db.sessions.begin() as session:
        batch = await province.get_batch(session, batch_id)
        rows = province.platform_rows(await province.batch_items(session, batch), ctx.settings)
        audit(
            session, "province.batch_file", actor=staff.actor, at=ctx.now(),
            target=f"province_batch:{batch.id}", format=format,
        )  # fmt: skip
    content = await anyio.to_thread.run_sync(province.build_file, rows, format, batch)
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={
            **PRIVATE_HEADERS,
            "Content-Disposition": attachment_name(province.file_name(batch, format)),
        },
    )


@router.post(
    "/{batch_id}/answer",
    response_model=ProvinceBatchDetail,
    summary="Record the province's answer, per correction or for the whole batch",
    responses={
        404: {"description": "`not_found`"},
        409: {"description": "`bulk_failed` naming each id not waiting in this batch; "
              "`invalid_transition` when nothing waits"},
    },
)  # fmt: skip
async def record_answer(
    batch_id: RowId, body: ProvinceAnswer, ctx: Ctx, staff: Registrar
) -> ProvinceBatchDetail:
    """Approved corrections then wait for a registrar to apply them (four eyes)."""
    async with ctx.db.sessions.begin() as session:
        batch = await province.get_batch(session, batch_id)
        await province.record_answer(session, ctx.settings, batch, body, Actor.of(staff), ctx.now())
        return await province.batch_detail(session, batch)
