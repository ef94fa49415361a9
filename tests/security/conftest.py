"""A real ``kiosk serve --demo`` on loopback for hostile requests, and what they may not change.

One server per test module (started by :func:`tests.e2e.serving.serving`); a test that needs
a clean slate counts rows before and after. Memory rules read the server process's own
``/proc/PID/status``.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.protocol.base import TERMINAL_KEY_HEADER
from server.audit import REFUSED
from tests.e2e.serving import RunningServer, serving

MIB = 1024 * 1024
WRITTEN_TABLES = ("students", "photos", "verifications", "corrections", "audit_events")
"""Tables a refused request must leave as they were. Audit rows count, but for the rows that
count refusals (401, 423, 429: ``server.audit.REFUSED``), which a refusal adds on purpose;
other refusals the server audits, like 403, say so in their tests."""


@dataclass
class Hostile:
    """The running server, its database file, and logged-in staff and student headers."""

    server: RunningServer
    database: Path
    accounts: dict[str, Any]

    @property
    def url(self) -> str:
        """Base URL on loopback."""
        return self.server.url

    def staff_headers(self, role: str) -> dict[str, str]:
        """A fresh bearer token of the demo staff account with ``role``."""
        account = next(a for a in self.accounts["staff"] if a["role"] == role)
        answer = httpx.post(
            f"{self.url}/api/v1/staff/sessions",
            json={"username": account["username"], "password": account["password"]},
        )
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def student_headers(self, index: int = 0) -> dict[str, str]:
        """A demo student's session on the demo terminal, with the terminal key."""
        key = {TERMINAL_KEY_HEADER: self.accounts["terminal_key"]}
        student = self.accounts["students"][index]
        answer = httpx.post(
            f"{self.url}/api/v1/sessions",
            json={"username": student["username"], "password": student["password"]},
            headers=key,
        )
        assert answer.status_code == 201, answer.text
        return {**key, "Authorization": f"Bearer {answer.json()['token']}"}

    def counts(self) -> dict[str, int]:
        """Rows in each of :data:`WRITTEN_TABLES`, read from the database file itself."""
        with sqlite3.connect(self.database) as connection:
            counts = {
                table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in WRITTEN_TABLES
            }
            refusals = "SELECT count(*) FROM audit_events WHERE action = ?"
            counts["audit_events"] -= connection.execute(refusals, (REFUSED,)).fetchone()[0]
            return counts

    def memory(self) -> dict[str, int]:
        """The server process's resident set now (VmRSS) and at its peak (VmHWM), in bytes."""
        values = {}
        for line in Path(f"/proc/{self.server.process.pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
        return values

    def reset_peak(self) -> None:
        """Start VmHWM again from the current resident set (``clear_refs`` 5)."""
        Path(f"/proc/{self.server.process.pid}/clear_refs").write_text("5")

    def raw(self, head: bytes, body_chunks: Iterable[bytes] = ()) -> bytes:
        """Send a hand-made HTTP/1.1 request (chunks as they come, so a refusal can arrive
        before the body has gone) and return the start of the answer."""
        host, port = self.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            connection.sendall(head)
            try:
                for chunk in body_chunks:
                    connection.sendall(chunk)
            except OSError:
                pass  # the server answered and closed before the body was all sent
            return _read_answer(connection)


def _read_answer(connection: socket.socket) -> bytes:
    """One HTTP/1.1 answer with a Content-Length body (what the server sends), whole."""
    data = b""
    while True:
        head, found, body = data.partition(b"\r\n\r\n")
        if found:
            length = next(
                (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")),
                0,
            )  # fmt: skip
            if len(body) >= length:
                return data
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk


def chunked(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes as HTTP/1.1 chunks of ``size``, then the last chunk."""
    block = b"\0" * size
    for _ in range(total // size):
        yield b"%x\r\n" % size + block + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.fixture(scope="module")
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    """``kiosk serve --demo`` on a fresh SQLite file, for this module's requests, with the
    module's ``SERVER_SETTINGS`` (``KIOSK_SERVER__…`` variables), if it has any."""
    database = tmp_path_factory.mktemp("security") / "server.db"
    settings = getattr(request.module, "SERVER_SETTINGS", {})
    with serving(f"sqlite+aiosqlite:///{database}", "--demo", settings=settings) as server:
        yield Hostile(server, database, server.demo_accounts())


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    """Where the demo server's stdout and stderr go."""
    return tmp_path / "server.log"


@pytest.fixture
def demo_server(tmp_path: Path, server_log: Path) -> Iterator[RunningServer]:
    """A demo server of its own on a throw-away SQLite database."""
    with serving(f"sqlite+aiosqlite:///{tmp_path}/demo.db", "--demo", log=server_log) as server:
        yield server
