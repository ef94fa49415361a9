"""A first-time demo student registers against `kiosk serve --demo` as a real process."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from server.demo_data import DEMO_SEED, generate_students
from tests.e2e.serving import serving

pytestmark = pytest.mark.slow

MOBILE = "13900002222"


def _code(client: httpx.Client, to: str) -> str:
    """The code in the newest demo-mailbox message for ``to``, once it has arrived."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        messages = client.get("/api/v1/demo/mailbox", params={"to": to}).json()["messages"]
        if messages:
            found = re.search(r"\d{6}", messages[0]["text"])
            assert found is not None
            return found.group()
        time.sleep(0.1)
    raise AssertionError(f"no message for {to}")


def test_unregistered_demo_student_registers_through_the_mailbox(tmp_path: Path) -> None:
    newcomer = next(item for item in generate_students(seed=DEMO_SEED) if item.account is None)
    values = newcomer.values
    email = f"first.time.{values['student_no']}@stu.example.edu.cn"
    with serving(f"sqlite+aiosqlite:///{tmp_path}/demo.db", "--demo") as server:
        headers = {"Terminal-Key": server.demo_accounts()["terminal_key"]}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            created = client.post(
                "/api/v1/registrations",
                json={
                    "email": email,
                    "password": "Spring2026ok",
                    "name": values["name"],
                    "gender": values["gender"],
                    "id_number": values["id_number"],
                    "birth_date": values["birth_date"],
                    "mobile": MOBILE,
                },
            )
            assert created.status_code == 201, created.text
            reg_id = created.json()["registration_id"]
            done = client.post(
                f"/api/v1/registrations/{reg_id}/verify",
                json={"email_code": _code(client, email), "sms_code": _code(client, MOBILE)},
            )
            assert done.status_code == 200, done.text
            assert done.json()["status"] == "active"
            login = client.post(
                "/api/v1/sessions", json={"username": email, "password": "Spring2026ok"}
            )
            assert login.status_code == 201, login.text
