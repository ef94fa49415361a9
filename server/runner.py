"""``kiosk serve``: migrate, seed the demo if asked, then run uvicorn."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys

import uvicorn
from fastapi import FastAPI

from kiosk.config import SECRET_HOWTO, ServerSettings, Settings, secret_problem
from server.app import create_app
from server.db import Database, is_sqlite
from server.logs import LOG_CONFIG
from server.migrate import migrate
from server.seed import demo_accounts, seed_demo

# Workers are separate processes: they read the settings the parent resolved (file,
# environment and command line together) from here.
SETTINGS_ENV = "KIOSK_SERVER_SETTINGS_JSON"


def app_from_environment() -> FastAPI:
    """The app for one uvicorn worker, with the settings ``serve`` handed down."""
    return create_app(ServerSettings.model_validate_json(os.environ[SETTINGS_ENV]))


async def prepare(settings: ServerSettings, *, show_terminal_key: bool = False) -> None:
    """Migrate the schema and, in demo mode, fill an empty database."""
    await migrate(settings.database_url)
    if settings.demo:
        db = Database(settings.database_url)
        try:
            await seed_demo(db, settings)
            if show_terminal_key:
                # The secret exists only in this process, so `kiosk admin demo-accounts`
                # cannot derive the demo terminal's key: say it here, once.
                key = (await demo_accounts(db, settings))["terminal_key"]
                print(f"Demo terminal key / 演示终端密钥: {key}", file=sys.stderr, flush=True)
        finally:
            await db.dispose()


def usable_secret(server: ServerSettings) -> ServerSettings | None:
    """``server`` with a secret fit to sign with, or None (after saying why) to refuse.

    Outside the demo a missing, published or short secret would let anyone who has read the
    repository sign tickets and photo links, so the server does not start. The demo, given
    no usable secret, makes a fresh one for this run.
    """
    problem = secret_problem(server.secret_key)
    if problem is None:
        return server
    if server.demo:
        return server.model_copy(update={"secret_key": secrets.token_urlsafe(48)})
    print(
        f"server.secret_key {problem}. Set KIOSK_SERVER__SECRET_KEY to at least 32 random "
        f"bytes, made with:\n  {SECRET_HOWTO}\n"
        f"server.secret_key 不可用（未设置、为示例值或短于 32 字节）。请用上面的命令生成密钥，"
        "并写入环境变量 KIOSK_SERVER__SECRET_KEY。",
        file=sys.stderr,
    )
    return None


def serve(settings: Settings) -> int:
    """Run the server in the foreground until interrupted; returns the exit code."""
    if settings.server.workers > 1 and is_sqlite(settings.server.database_url):
        print(
            "Several workers need PostgreSQL; SQLite has one writer. / 多个工作进程需要 PostgreSQL。",
            file=sys.stderr,
        )
        return 2
    server = usable_secret(settings.server)
    if server is None:
        return 2
    fresh = server.secret_key != settings.server.secret_key
    try:
        asyncio.run(prepare(server, show_terminal_key=fresh))
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
        log_config=LOG_CONFIG,
        # X-Forwarded-For only from the configured proxies; without any, never.
        proxy_headers=bool(server.trusted_proxies),
        forwarded_allow_ips=list(server.trusted_proxies) or None,
        log_level="info",
    )
    return 0
