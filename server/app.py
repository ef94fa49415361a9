"""The FastAPI app factory: one function for ``kiosk serve``, uvicorn workers and the tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.config import ServerSettings, load_settings
from server import (
    __version__,
    auth,
    corrections,
    enrolment,
    health,
    imports,
    notify,
    openapi,
    records,
    registration,
    remote_control,
    staff,
    supervision,
    terminals,
    verifications,
)
from server.context import ServerContext
from server.db import Database
from server.housekeeping import housekeeping
from server.models import utcnow
from server.problems import ApiProblem, install_handlers
from server.security import Passwords

DESCRIPTION = """
The university server of 学籍校对终端 (Record Verification Kiosk).

Every kiosk request carries `Terminal-Key: <terminal_id>.<secret>`; a student's requests also
carry `Authorization: Bearer <token>` from `POST /api/v1/sessions`. Staff send only their own
bearer token, from `POST /api/v1/staff/sessions`. Errors are RFC 9457
`application/problem+json` documents with a stable `code` (see the README).
"""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed.

    Paths under a prefix of ``wider`` have that prefix's limit instead (the registrar's
    uploads of record files and photo zips).
    """

    def __init__(self, app: ASGIApp, limit: int, wider: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = limit
        self.wider = dict(wider or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = next(
            (size for prefix, size in self.wider.items() if path.startswith(prefix)), self.default
        )
        declared = dict(scope["headers"]).get(b"content-length")
        too_large = ApiProblem(
            413, "body_too_large", f"Request bodies are limited to {limit} bytes."
        )
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await too_large.response()(scope, receive, send)
            return
        if declared is not None:
            # The HTTP server delivers no more than the declared length.
            await self.app(scope, receive, send)
            return
        # A streamed (chunked) body is read here first, up to the limit: an error raised
        # from inside the app's own body reading would reach the client as 400, not 413.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: there is no one to answer
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                await too_large.response()(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def create_app(
    settings: ServerSettings | None = None,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
) -> FastAPI:
    """Build the app; the schema must already be migrated (``kiosk serve`` does it first)."""
    settings = settings or load_settings().server
    ctx = ServerContext(settings, Database(settings.database_url), Passwords(settings), clock)

    delivery = notify.Delivery(ctx, notify.build_notifiers(ctx))
    pruning = housekeeping(ctx)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        delivery.start()
        pruning.start()
        yield
        await pruning.stop()
        await delivery.stop()
        await ctx.db.dispose()

    app = FastAPI(
        title="学籍校对终端 University Server",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.delivery = delivery
    install_handlers(app)
    app.add_exception_handler(staff.Forbidden, staff.on_forbidden)
    for module in (
        health, auth, records, verifications, terminals, staff, supervision, corrections, imports,
        enrolment, remote_control,
    ):  # fmt: skip
        app.include_router(module.router)
    app.include_router(registration.router)
    if settings.demo:
        # Codes in an HTTP answer are for the demo only; elsewhere the route does not exist.
        app.include_router(notify.demo_router)
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        wider={imports.IMPORTS_PREFIX: settings.import_max_bytes},
    )
    # After install_handlers: it wraps their HTTP error handler (the Allow of a 405).
    openapi.install(app)
    return app
