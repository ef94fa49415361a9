"""Small clients for the hostile tests: a demo student at the demo terminal, row counts."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import httpx

from kiosk.fields import FIELD_KEYS
from tests.e2e.serving import RunningServer


def rows(server: RunningServer, table: str, where: str = "1=1") -> int:
    """Rows in ``table`` of the server's SQLite database (read beside the server)."""
    path = server.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


def refusals_counted(server: RunningServer) -> int:
    """The refusals the audit log counts, summed over its rows."""
    path = server.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        query = "SELECT sum(json_extract(details, '$.count')) FROM audit_events"
        return int(db.execute(f"{query} WHERE action = 'refused'").fetchone()[0] or 0)


class Student:
    """A demo student logged in at the demo terminal."""

    def __init__(self, server: RunningServer, index: int = 0) -> None:
        accounts = server.demo_accounts()
        self.account = accounts["students"][index]
        self.http = httpx.Client(
            base_url=server.url, headers={"Terminal-Key": accounts["terminal_key"]}, timeout=30
        )
        login = self.http.post(
            "/api/v1/sessions",
            json={"username": self.account["username"], "password": self.account["password"]},
        )
        assert login.status_code == 201, login.text
        self.http.headers["Authorization"] = f"Bearer {login.json()['token']}"

    def record(self) -> dict[str, Any]:
        """``GET /me/record``."""
        answer = self.http.get("/api/v1/me/record")
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data

    def submit(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        """``POST /verifications`` under ``key`` (a fresh one if not given)."""
        return self.http.post(
            "/api/v1/verifications",
            json=body,
            headers={"Idempotency-Key": key or str(uuid.uuid4())},
        )


def result_for(record: dict[str, Any], **wrong: str) -> dict[str, Any]:
    """An all-correct result for ``record``, except the fields given with a proposed value."""
    fields: list[dict[str, str]] = [
        {"key": key, "verdict": "incorrect", "proposed": wrong[key]}
        if key in wrong
        else {"key": key, "verdict": "correct"}
        for key in FIELD_KEYS
    ]
    return {
        "result_id": str(uuid.uuid4()),
        "ticket": record["ticket"],
        "record_version": record["record_version"],
        "fields": fields,
        "photo": {"verdict": "correct"},
        "started_at": "2026-06-01T08:01:00Z",
        "finished_at": "2026-06-01T08:05:00Z",
    }
