"""The FastAPI app factory: one function for ``kiosk serve``, uvicorn workers and the tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kiosk.config import ServerSettings, load_settings
from server import (
    __version__,
    auth,
    decision_notices,
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
from server.corrections import router as correction_routes
from server.db import Database
from server.housekeeping import housekeeping
from server.models import utcnow
from server.problems import install_handlers
from server.progress import reminders
from server.progress import router as progress_routes
from server.progress.nudges import nudges
from server.proofs import page as proof_page
from server.proofs import router as proof_routes
from server.province import router as province_routes
from server.security import Passwords
from server.uploads import BodyLimit

DESCRIPTION = """
The university server of 学籍校对终端 (Record Verification Kiosk).

Every kiosk request carries `Terminal-Key: <terminal_id>.<secret>`; a student's requests also
carry `Authorization: Bearer <token>` from `POST /api/v1/sessions`. Staff send only their own
bearer token, from `POST /api/v1/staff/sessions`. Errors are RFC 9457
`application/problem+json` documents with a stable `code` (see the README).
"""


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
    notices = decision_notices.Dispatcher(ctx, delivery)
    scheduled = nudges(ctx, delivery)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        delivery.start()
        pruning.start()
        notices.start()
        scheduled.start()
        yield
        await scheduled.stop()
        await notices.stop()
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
    app.state.notices = notices
    install_handlers(app)
    app.add_exception_handler(staff.Forbidden, staff.on_forbidden)
    for module in (
        health, auth, records, verifications, terminals, staff, supervision, correction_routes, imports,
        enrolment, remote_control, proof_page, proof_routes, progress_routes, reminders,
        province_routes,
    ):  # fmt: skip
        app.include_router(module.router)
    app.include_router(registration.router)
    if settings.demo:
        # Codes in an HTTP answer are for the demo only; elsewhere the route does not exist.
        app.include_router(notify.demo_router)
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        uploads=imports.UPLOAD_PATHS,
        upload_limit=settings.import_max_bytes,
        upload_prefixes=(proof_page.PAGE_PREFIX,),
    )
    # After install_handlers: it wraps their HTTP error handler (the Allow of a 405).
    openapi.install(app)
    return app
