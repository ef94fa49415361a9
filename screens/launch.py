"""Starting the kiosk: ``kiosk run`` on a lab terminal, ``kiosk demo`` with its own server."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.client import ApiClient
from kiosk.config import KioskSettings, Settings, unreachable_from_phones
from kiosk.lockdown import CLEAR_SCREEN, end_on_termination, release
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
        end_on_termination(asyncio.get_running_loop(), app.exit)
        await app.run_async()
        if app.session is not None:  # ended by a signal while a student was logged in
            await client.logout()
    finally:
        await client.aclose()


def run_kiosk(settings: Settings) -> int:
    """``kiosk run``: the kiosk against the configured server; returns the exit code."""
    if not settings.kiosk.terminal_key:
        print(
            "This terminal has no key: enrol it with `kiosk enrol CODE --name NAME` (the code "
            "comes from the staff console). / 本终端没有密钥：请用控制台给出的注册码运行 "
            "`kiosk enrol 注册码 --name 终端名称`。",
            file=sys.stderr,
        )
        return 2
    _quiet_logs()
    try:
        asyncio.run(_run(settings.kiosk, []))
    finally:
        if sys.stdout.isatty():  # nothing a student saw stays on the terminal
            sys.stdout.write(CLEAR_SCREEN)
            sys.stdout.flush()
    release()  # the staff exit (or a shutdown): the shell after the kiosk is staff's
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


def lan_address() -> str | None:
    """This machine's address on its network (the one its default route leaves from).

    A UDP socket's connect sends nothing; it only picks the route and so the local address.
    None when there is no network but loopback.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached, only routed
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104


PHONES_CANNOT_REACH = (
    "Note: phones cannot reach 127.0.0.1, so the photo QR codes of this demo open only on "
    "this machine. To scan them with a phone on the same network, run `kiosk demo "
    "--public-host` (this machine's LAN address; the demo server is then reachable from the "
    "network). / 注意：手机无法访问 127.0.0.1，本演示的照片二维码只能在本机打开。如需用同一"
    "网络中的手机扫码，请运行 `kiosk demo --public-host`（使用本机局域网地址）。"
)


def run_demo(settings: Settings, public_host: str | None = None) -> int:
    """``kiosk demo``: a demo server on a free loopback port, the kiosk against it.

    The server runs in a child process with its own throw-away SQLite database and is stopped
    when the kiosk exits, however it exits. With ``public_host`` (an address, or "auto" for
    :func:`lan_address`) it listens on every interface and its photo links name that
    address, so that phones on the network can open them.
    """
    _quiet_logs()
    listen = "127.0.0.1"
    if public_host == "auto":
        public_host = lan_address()
        if public_host is None:
            print(
                "No LAN address found; give one: --public-host 192.168.1.10 "
                "/ 未找到局域网地址，请指定：--public-host 192.168.1.10",
                file=sys.stderr,
            )
            return 2
    if public_host is not None and (
        not urlsplit(f"http://{public_host}").hostname
        or unreachable_from_phones(f"http://{public_host}")
    ):
        print(
            f"--public-host: {public_host!r} is not an address phones can reach "
            "/ 不是手机可访问的地址",
            file=sys.stderr,
        )
        return 2
    if public_host is None:
        print(PHONES_CANNOT_REACH, flush=True)
    else:
        listen = "0.0.0.0"  # noqa: S104 - asked for: phones on the network open the links
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as workdir:
        database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'demo.db'}"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, KIOSK_SERVER__SECRET_KEY=settings.server.secret_key)
        if public_host is not None:
            env["KIOSK_SERVER__PUBLIC_BASE_URL"] = f"http://{public_host}:{port}"
            print(f"Photo links: http://{public_host}:{port} / 照片链接地址", flush=True)
        log_path = Path(workdir) / "server.log"
        accounts_path = Path(workdir) / "demo-accounts.json"
        cli = [sys.executable, "-m", "kiosk.cli"]
        print(f"Starting the demo server on {url} … / 正在启动演示服务器 …", flush=True)
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [*cli, "serve", "--demo", "--host", listen, "--port", str(port),
                 "--database-url", database_url, "--demo-accounts-to", str(accounts_path)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            if not _wait_for_server(url, server):
                print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
                print("The demo server did not start. / 演示服务器未能启动。", file=sys.stderr)
                return 1
            # Written by the server before it listens, so it is complete once /health answers.
            demo = json.loads(accounts_path.read_text(encoding="utf-8"))
            # The 学号 is a user name too (login takes either), and short: with the e-mail
            # address the table ran past 80 columns and cut the note mid-name.
            accounts = [
                (row["student_no"], row["password"], row["name"]) for row in demo["students"]
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
            release()
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0
