"""``GET /health`` for load balancers and the kiosk's online indicator."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kiosk.protocol.base import Health
from server import __version__
from server.context import Ctx

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    summary="Is the server up?",
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
async def health(ctx: Ctx) -> JSONResponse:
    """``ok`` with 200 when the database answers, else ``degraded`` with 503."""
    up = await ctx.db.ping()
    body = Health(
        status="ok" if up else "degraded",
        version=__version__,
        database="ok" if up else "unavailable",
    )
    return JSONResponse(body.model_dump(), status_code=200 if up else 503)
