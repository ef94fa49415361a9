"""Real ``kiosk serve`` processes and the kiosks that talk to them, for the fault tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kiosk.client import ApiClient
from kiosk.fields import FIELD_KEYS
from kiosk.outbox import Outbox, OutboxCounts, OutboxSender, PendingResult
from kiosk.protocol.student import FieldDecision, PhotoDecision, RecordResponse
from kiosk.submission import prepare_result
from tests.e2e.serving import PUBLIC_TEST_URL, ROOT, another_ticket, free_port, kiosk_command

# Tickets are signed with it, so every server process of one test database must share it.
SECRET_KEY = "faults-secret-of-at-least-32-bytes-for-kiosk-serve"
EXTRA_TERMINALS = 4


class ServerProcess:
    """``kiosk serve`` on a database; started, killed and started again on a new port."""

    def __init__(self, database_url: str, *extra: str) -> None:
        self.database_url = database_url
        self.extra = extra
        self.env = dict(
            os.environ,
            KIOSK_SERVER__SECRET_KEY=SECRET_KEY,
            KIOSK_SERVER__PUBLIC_BASE_URL=PUBLIC_TEST_URL,
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Where the running process listens."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> int:
        """Start on a free port and wait until ``/health`` answers; returns the port."""
        assert self.process is None, "already running"
        self.port = free_port()
        command = kiosk_command(
            "serve", "--port", str(self.port), "--database-url", self.database_url, *self.extra
        )
        # A session of its own, so that a kill reaches the workers of a multi-worker server.
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self.port
            except httpx.HTTPError:
                time.sleep(0.1)  # not listening yet
        raise TimeoutError("the server did not become healthy")

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown, no last word to anyone."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self.process = None
        _wait_port_free(self.port)

    def stop(self) -> None:
        """Stop gracefully, if running."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


def _wait_port_free(port: int, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5)
        except httpx.TransportError:
            return
        time.sleep(0.1)
    raise TimeoutError(f"something still answers on port {port}")


@dataclass
class World:
    """A prepared server database: terminals, and a demo student's record with its ticket."""

    database_url: str
    terminal_keys: list[str]
    record: RecordResponse
    server_extra: tuple[str, ...] = ()
    sqlite_file: Path | None = None

    def copy_to(self, directory: Path) -> World:
        """The same world on a private copy of the SQLite file (PostgreSQL is shared)."""
        if self.sqlite_file is None:
            return self
        target = directory / self.sqlite_file.name
        shutil.copyfile(self.sqlite_file, target)
        return World(
            f"sqlite+aiosqlite:///{target}",
            self.terminal_keys,
            self.record,
            self.server_extra,
            target,
        )

    def server(self) -> ServerProcess:
        """A (not yet started) server process on this world's database."""
        return ServerProcess(self.database_url, *self.server_extra)

    async def receipts(self) -> dict[str, list[str]]:
        """``result_id -> [receipt_no, …]`` of every verification row in the database."""
        sql = "SELECT result_id, receipt_no FROM verifications"
        if self.sqlite_file is not None:
            with sqlite3.connect(self.sqlite_file) as db:
                rows = db.execute(sql).fetchall()
        else:
            import asyncpg

            connection = await asyncpg.connect(
                self.database_url.replace("postgresql+asyncpg://", "postgresql://")
            )
            try:
                rows = [tuple(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()
        found: dict[str, list[str]] = {}
        for result_id, receipt_no in rows:
            found.setdefault(result_id, []).append(receipt_no)
        return found

    async def dead_letters(self, terminal_key: str) -> int:
        """The ``dead_letters`` the terminal last reported (SQLite worlds only)."""
        assert self.sqlite_file is not None
        terminal_id = int(terminal_key.partition(".")[0])
        with sqlite3.connect(self.sqlite_file) as db:
            row = db.execute(
                "SELECT dead_letters FROM terminals WHERE id = ?", (terminal_id,)
            ).fetchone()
        return int(row[0])


def build_world(database_url: str, directory: Path, *server_extra: str) -> World:
    """Fill a database with demo data and extra terminals; fetch a student's ticket.

    ``server_extra`` are the options of the servers the tests start later (e.g. workers);
    one worker is enough, and starts sooner, for filling the database.
    """
    server = ServerProcess(database_url, "--demo")
    server.start(timeout_s=120)
    try:
        admin = ("admin", "--database-url", database_url)
        # In parallel: each command is mostly interpreter start-up. The demo terminal's key
        # derives from the secret key, so these need the server's environment.
        done = _run_all(
            [[*admin, "demo-accounts", "--json"]]
            + [[*admin, "add-terminal", "F1", f"k{n}"] for n in range(EXTRA_TERMINALS)],
            server.env,
        )
        accounts = json.loads(done[0])
        keys = [accounts["terminal_key"]] + [out.strip().splitlines()[-1] for out in done[1:]]
        student = accounts["students"][0]
        record = asyncio.run(_fetch_record(server.url, keys[0], student))
    finally:
        server.stop()
    sqlite_file = None
    if database_url.startswith("sqlite"):
        sqlite_file = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        assert sqlite_file.parent == directory
    return World(database_url, keys, record, server_extra, sqlite_file)


def _run_all(commands: list[list[str]], env: dict[str, str]) -> list[str]:
    """Run ``kiosk`` commands side by side; their standard outputs, in order."""
    processes = [
        subprocess.Popen(
            kiosk_command(*args),
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for args in commands
    ]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out)
    return outputs


async def _fetch_record(url: str, key: str, student: dict[str, str]) -> RecordResponse:
    client = ApiClient(url, key, timeout_s=30)
    try:
        await client.login(student["username"], student["password"])
        return await client.record()
    finally:
        await client.aclose()


def own_ticket(record: RecordResponse) -> RecordResponse:
    """``record`` with a ticket of its own (a ticket authorises exactly one result)."""
    assert record.ticket is not None
    return record.model_copy(update={"ticket": another_ticket(record.ticket, SECRET_KEY)})


def new_result(record: RecordResponse, *, fresh_ticket: bool = True) -> PendingResult:
    """A valid, all-correct result for ``record``, ids fixed for good; by default on a
    ticket of its own (:func:`own_ticket`), else on the record's (to send a bad one)."""
    finished = dt.datetime.now(dt.UTC)
    return prepare_result(
        own_ticket(record) if fresh_ticket else record,
        [FieldDecision(key=key, verdict="correct") for key in FIELD_KEYS],
        PhotoDecision(verdict="correct"),
        finished - dt.timedelta(minutes=4),
        finished,
    )


@dataclass
class Kiosk:
    """One terminal: its own client, terminal key, outbox file and sender."""

    outbox: Outbox
    client: ApiClient
    sender: OutboxSender
    saved: list[PendingResult] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, url: str, key: str, *, timeout_s: float = 5.0) -> Kiosk:
        """Open the outbox at ``path`` and start sending to ``url``."""
        outbox = Outbox.open(path)
        client = ApiClient(url, key, timeout_s=timeout_s)
        # Short delays keep the tests fast; the rules are the production ones.
        sender = OutboxSender(outbox, client, base_delay_s=0.05, max_delay_s=0.5)
        sender.start()
        return cls(outbox, client, sender)

    async def close(self) -> None:
        """Stop sending and close everything; the outbox file stays."""
        await self.sender.stop()
        self.outbox.close()
        await self.client.aclose()

    async def drained(self, timeout_s: float) -> None:
        """Wait until nothing waits in the outbox."""
        async with asyncio.timeout(timeout_s):
            while self.outbox.counts() != OutboxCounts(0, 0):
                await asyncio.sleep(0.05)

    def receipts(self) -> dict[str, str | None]:
        """``result_id -> receipt_no`` as this kiosk's outbox remembers them."""
        return {str(entry.result_id): entry.receipt_no for entry in self.outbox.entries()}


def exactly_once(found: dict[str, list[str]], result_ids: list[str]) -> Counter[int]:
    """How many of ``result_ids`` the database holds 0, 1, 2 … times."""
    return Counter(len(found.get(result_id, [])) for result_id in result_ids)
