"""``kiosk serve``: migrate, seed the demo if asked, then run uvicorn."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from kiosk.config import ServerSettings, Settings, unreachable_from_phones
from server.app import create_app
from server.db import Database, is_sqlite
from server.migrate import migrate
from server.seed import demo_accounts, seed_demo

# Workers are separate processes: they read the settings the parent resolved (file,
# environment and command line together) from here.
SETTINGS_ENV = "KIOSK_SERVER_SETTINGS_JSON"


def app_from_environment() -> FastAPI:
    """The app for one uvicorn worker, with the settings ``serve`` handed down."""
    return create_app(ServerSettings.model_validate_json(os.environ[SETTINGS_ENV]))


async def prepare(settings: ServerSettings, demo_accounts_to: Path | None = None) -> None:
    """Migrate the schema and, in demo mode, fill an empty database.

    ``demo_accounts_to`` (demo mode) receives the demo accounts as JSON, for ``kiosk demo``:
    one process fewer on its way to the first screen than ``kiosk admin demo-accounts``.
    """
    await migrate(settings.database_url)
    if settings.demo:
        db = Database(settings.database_url)
        try:
            await seed_demo(db, settings)
            if demo_accounts_to is not None:
                data = json.dumps(await demo_accounts(db, settings), ensure_ascii=False)
                fd = os.open(demo_accounts_to, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    file.write(data)
        finally:
            await db.dispose()


def serve(settings: Settings, *, demo_accounts_to: Path | None = None) -> int:
    """Run the server in the foreground until interrupted; returns the exit code."""
    server = settings.server
    if server.workers > 1 and is_sqlite(server.database_url):
        print(
            "Several workers need PostgreSQL; SQLite has one writer. / 多个工作进程需要 PostgreSQL。",
            file=sys.stderr,
        )
        return 2
    if not server.demo and unreachable_from_phones(server.public_url()):
        print(
            f"server.public_base_url: phones cannot open photo links at {server.public_url()} "
            "(this machine only). Set [server] public_base_url (or KIOSK_SERVER__PUBLIC_BASE_URL) "
            "to an address the lab's phones reach, e.g. http://192.168.1.10:8000; only --demo "
            f"may run without. / server.public_base_url：手机无法打开 {server.public_url()} 上的"
            "照片链接（仅本机可达）。请将其设为实验室手机可访问的地址。",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(prepare(server, demo_accounts_to))
    except OSError as exc:
        print(f"Cannot open the database / 无法打开数据库: {exc}", file=sys.stderr)
        return 1
    os.environ[SETTINGS_ENV] = server.model_dump_json()
    uvicorn.run(
        "server.runner:app_from_environment",
        factory=True,
        host=server.host,
        port=server.port,
        workers=server.workers,
        # Access logs would record photo-link tokens (they are in the path).
        access_log=False,
        log_level="info",
    )
    return 0
