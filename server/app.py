"""The FastAPI app factory: one function for ``kiosk serve``, uvicorn workers and the tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.config import ServerSettings, load_settings
from server import __version__, auth, health, records, terminals, verifications
from server.context import ServerContext
from server.db import Database
from server.models import utcnow
from server.problems import ApiProblem, install_handlers
from server.security import Passwords

DESCRIPTION = """
The university server of 学籍校对终端 (Record Verification Kiosk).

Every kiosk request carries `Terminal-Key: <terminal_id>.<secret>`; a student's requests also
carry `Authorization: Bearer <token>` from `POST /api/v1/sessions`. Errors are RFC 9457
`application/problem+json` documents with a stable `code` (see the README).
"""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        too_large = ApiProblem(
            413, "body_too_large", f"Request bodies are limited to {self.limit} bytes."
        )
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_large.response()(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise too_large
            return message

        await self.app(scope, limited_receive, send)


def create_app(
    settings: ServerSettings | None = None,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
) -> FastAPI:
    """Build the app; the schema must already be migrated (``kiosk serve`` does it first)."""
    settings = settings or load_settings().server
    ctx = ServerContext(settings, Database(settings.database_url), Passwords(settings), clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await ctx.db.dispose()

    app = FastAPI(
        title="学籍校对终端 University Server",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_handlers(app)
    for module in (health, auth, records, verifications, terminals):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
