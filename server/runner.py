"""``kiosk serve``: migrate, seed the demo if asked, then run uvicorn."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from kiosk.config import (
    SECRET_HOWTO,
    ServerSettings,
    Settings,
    secret_problem,
    unreachable_from_phones,
)
from kiosk.i18n import Msg
from server.app import create_app
from server.db import Database, is_sqlite
from server.logs import LOG_CONFIG
from server.migrate import migrate
from server.seed import demo_accounts, seed_demo

# Workers are separate processes: they read the settings the parent resolved (file,
# environment and command line together) from here.
SETTINGS_ENV = "KIOSK_SERVER_SETTINGS_JSON"

M_DEMO_KEY = Msg("演示终端密钥", "Demo terminal key")
M_WORKERS_NEED_POSTGRES = Msg(
    "多个工作进程需要 PostgreSQL。", "Several workers need PostgreSQL; SQLite has one writer."
)
M_PHONES_CANNOT_REACH = Msg(
    "server.public_base_url：手机无法打开 {url} 上的照片链接（仅本机可达）。"
    "请将其设为实验室手机可访问的地址。",
    "server.public_base_url: phones cannot open photo links at {url} (this machine only). "
    "Set [server] public_base_url (or KIOSK_SERVER__PUBLIC_BASE_URL) to an address the lab's "
    "phones reach, e.g. http://192.168.1.10:8000; only --demo may run without.",
)
M_NO_DATABASE = Msg("无法打开数据库", "Cannot open the database")


def app_from_environment() -> FastAPI:
    """The app for one uvicorn worker, with the settings ``serve`` handed down."""
    return create_app(ServerSettings.model_validate_json(os.environ[SETTINGS_ENV]))


async def prepare(
    settings: ServerSettings,
    demo_accounts_to: Path | None = None,
    *,
    show_terminal_key: bool = False,
) -> None:
    """Migrate the schema and, in demo mode, fill an empty database.

    ``demo_accounts_to`` (demo mode) receives the demo accounts as JSON, for ``kiosk demo``:
    one process fewer on its way to the first screen than ``kiosk admin demo-accounts``.
    ``show_terminal_key`` prints the demo terminal's key, for a demo whose secret was made here.
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
            if show_terminal_key:
                # The secret exists only in this process, so `kiosk admin demo-accounts`
                # cannot derive the demo terminal's key: say it here, once.
                key = (await demo_accounts(db, settings))["terminal_key"]
                print(f"{M_DEMO_KEY.both()}: {key}", file=sys.stderr, flush=True)
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


def serve(settings: Settings, *, demo_accounts_to: Path | None = None) -> int:
    """Run the server in the foreground until interrupted; returns the exit code."""
    if settings.server.workers > 1 and is_sqlite(settings.server.database_url):
        print(M_WORKERS_NEED_POSTGRES.both(), file=sys.stderr)
        return 2
    server = usable_secret(settings.server)
    if server is None:
        return 2
    if not server.demo and unreachable_from_phones(server.public_url()):
        print(M_PHONES_CANNOT_REACH.both(url=server.public_url()), file=sys.stderr)
        return 2
    try:
        # The secret was made here, so only this process can tell the demo terminal's key;
        # a demo that writes its accounts to a file has it there.
        show_key = server.secret_key != settings.server.secret_key and demo_accounts_to is None
        asyncio.run(prepare(server, demo_accounts_to, show_terminal_key=show_key))
    except OSError as exc:
        print(f"{M_NO_DATABASE.both()}: {exc}", file=sys.stderr)
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
