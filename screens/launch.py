"""Starting the kiosk: ``kiosk run`` on a lab terminal, ``kiosk demo`` with its own server."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.client import ApiClient
from kiosk.config import KioskSettings, Settings
from screens.app import create_app

DEMO_START_TIMEOUT_S = 90.0


def _quiet_logs() -> None:
    # httpx logs every URL at INFO, and photo-link URLs carry a bearer capability.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


async def _run(settings: KioskSettings, demo_accounts: list[tuple[str, str, str]]) -> None:
    client = ApiClient(
        settings.server_url, settings.terminal_key, timeout_s=settings.request_timeout_s
    )
    try:
        # The app's first heartbeat names the terminal; waiting for it here would only delay
        # the first frame (and hang the start while the server is unreachable).
        app = create_app(settings, client, demo_accounts=demo_accounts)
        await app.run_async()
    finally:
        await client.aclose()


def run_kiosk(settings: Settings) -> int:
    """``kiosk run``: the kiosk against the configured server; returns the exit code."""
    if not settings.kiosk.terminal_key:
        print(
            "This terminal has no key: set KIOSK_KIOSK__TERMINAL_KEY (from `kiosk admin "
            "add-terminal`). / 本终端没有密钥：请设置 KIOSK_KIOSK__TERMINAL_KEY。",
            file=sys.stderr,
        )
        return 2
    _quiet_logs()
    asyncio.run(_run(settings.kiosk, []))
    return 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_server(url: str, process: subprocess.Popen[bytes]) -> bool:
    # Only the demo polls its server; `kiosk run` leaves httpx for after the first frame.
    import httpx

    deadline = time.monotonic() + DEMO_START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:  # still starting: poll again until the deadline
            pass
        time.sleep(0.2)
    return False


def run_demo(settings: Settings) -> int:
    """``kiosk demo``: a demo server on a free loopback port, the kiosk against it.

    The server runs in a child process with its own throw-away SQLite database and is stopped
    when the kiosk exits, however it exits.
    """
    _quiet_logs()
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as workdir:
        database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'demo.db'}"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        # A fresh secret per run: tickets and links of one demo never work against another.
        env = dict(os.environ, KIOSK_SERVER__SECRET_KEY=secrets.token_urlsafe(48))
        log_path = Path(workdir) / "server.log"
        cli = [sys.executable, "-m", "kiosk.cli"]
        print(f"Starting the demo server on {url} … / 正在启动演示服务器 …", flush=True)
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [*cli, "serve", "--demo", "--host", "127.0.0.1", "--port", str(port),
                 "--database-url", database_url],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            if not _wait_for_server(url, server):
                print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
                print("The demo server did not start. / 演示服务器未能启动。", file=sys.stderr)
                return 1
            listed = subprocess.run(
                [*cli, "admin", "--database-url", database_url, "demo-accounts", "--json"],
                env=env, capture_output=True, text=True, check=True, timeout=60,
            )  # fmt: skip
            demo = json.loads(listed.stdout)
            accounts = [
                (row["username"], row["password"], f"{row['name']} · {row['student_no']}")
                for row in demo["students"]
            ]
            # The outbox lives and dies with the demo: results signed for this throw-away
            # server must never be delivered to the next one.
            kiosk = settings.kiosk.model_copy(
                update={
                    "server_url": url,
                    "terminal_key": demo["terminal_key"],
                    "outbox_path": Path(workdir) / "outbox.sqlite3",
                }
            )
            asyncio.run(_run(kiosk, accounts))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0
