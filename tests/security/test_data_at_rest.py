"""Data at rest: one-time codes do not outlive their validity in any table."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from server.demo_data import DEMO_SEED, generate_students
from tests.e2e.serving import serving
from tests.security.helpers import rows


def test_codes_leave_the_mailbox_once_expired(tmp_path: Path) -> None:
    newcomer = next(item for item in generate_students(seed=DEMO_SEED) if item.account is None)
    values = newcomer.values
    database = tmp_path / "demo.db"
    url = f"sqlite+aiosqlite:///{database}"
    with serving(url, "--demo") as server:
        headers = {"Terminal-Key": server.demo_accounts()["terminal_key"]}
        created = httpx.post(
            f"{server.url}/api/v1/registrations", headers=headers, timeout=30,
            json={"email": "first.time@stu.example.edu.cn", "password": "Spring2026ok",
                  "name": values["name"], "gender": values["gender"],
                  "id_number": values["id_number"], "birth_date": values["birth_date"],
                  "mobile": "13900002222"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + 30
        while rows(server, "mailbox") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rows(server, "mailbox") == 2  # the e-mail and the SMS, delivered locally
        # Once sent, the outgoing queue keeps no body, so no code.
        assert rows(server, "outgoing_messages", "body IS NOT NULL") == 0
    # Eleven minutes later (code_ttl_minutes is 10): the next start's housekeeping round
    # finds only dead codes in the mailbox and deletes them.
    with sqlite3.connect(database) as db:
        db.execute("UPDATE mailbox SET created_at = datetime(created_at, '-11 minutes')")
    with serving(url, "--demo") as server:
        deadline = time.monotonic() + 30
        while rows(server, "mailbox") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rows(server, "mailbox") == 0
        assert rows(server, "registrations") == 1  # the registration itself is untouched
