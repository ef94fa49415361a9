"""`kiosk serve --demo` as a real process answers the whole API for the demo accounts."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from kiosk.fields import FIELD_KEYS
from tests.databases import PostgresDatabases
from tests.e2e.serving import run_kiosk, serving

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_demo_server_answers_the_whole_api(
    request: pytest.FixtureRequest, tmp_path: Path, dialect: str
) -> None:
    if dialect == "postgresql":
        postgres: PostgresDatabases = request.getfixturevalue("postgres")
        url = postgres.fresh("demo")
        extra = ["--workers", "2"]
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/demo.db"
        extra = []
    with serving(url, "--demo", *extra) as server:
        accounts = server.demo_accounts()
        assert accounts["terminal_key"]
        student = accounts["students"][0]
        headers = {"Terminal-Key": accounts["terminal_key"]}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            assert client.get("/openapi.json").status_code == 200
            login = client.post(
                "/api/v1/sessions",
                json={"username": student["username"], "password": student["password"]},
            )
            assert login.status_code == 201, login.text
            token = login.json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            record = client.get("/api/v1/me/record", headers=auth).json()
            assert [f["key"] for f in record["fields"]] == list(FIELD_KEYS)
            assert record["photo"]["width"] == 480
            link = client.post("/api/v1/me/photo-link", headers=auth).json()
            photo = httpx.get(
                link["url"].replace("http://127.0.0.1:8000", server.url) + "/photo.jpg"
            )
            assert photo.status_code == 200 and photo.content[:2] == b"\xff\xd8"
            result = {
                "result_id": str(uuid.uuid4()),
                "ticket": record["ticket"],
                "record_version": record["record_version"],
                "fields": [{"key": k, "verdict": "correct"} for k in FIELD_KEYS],
                "photo": {"verdict": "correct"},
                "started_at": "2026-06-01T08:00:00Z",
                "finished_at": "2026-06-01T08:04:00Z",
            }
            key = str(uuid.uuid4())
            first = client.post(
                "/api/v1/verifications", json=result, headers={"Idempotency-Key": key}
            )
            again = client.post(
                "/api/v1/verifications", json=result, headers={"Idempotency-Key": key}
            )
            assert (first.status_code, again.status_code) == (201, 200)
            assert first.json() == again.json()
            beat = client.post("/api/v1/terminals/heartbeat", json={"state": "idle"})
            assert beat.status_code == 200
            assert client.delete("/api/v1/sessions/current", headers=auth).status_code == 204


def test_admin_commands(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/admin.db"
    added = run_kiosk("admin", "--database-url", url, "add-terminal", "A101", "t07")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    ident, _, secret = key.partition(".")
    assert ident.isdigit() and len(secret) >= 24
    twice = run_kiosk("admin", "--database-url", url, "add-terminal", "A101", "t07")
    assert twice.returncode == 1 and "exists" in twice.stderr
    staff = run_kiosk(
        "admin",
        "--database-url",
        url,
        "add-staff",
        "office@example.edu.cn",
        "--role",
        "college_office",
        "--college",
        "文学院",
        stdin="a-long-staff-password\n",
    )
    assert staff.returncode == 0, staff.stderr
    short = run_kiosk(
        "admin",
        "--database-url",
        url,
        "add-staff",
        "x@example.edu.cn",
        "--role",
        "registrar",
        stdin="short\n",
    )
    assert short.returncode == 2 and "12" in short.stderr
    no_college = run_kiosk(
        "admin",
        "--database-url",
        url,
        "add-staff",
        "y@example.edu.cn",
        "--role",
        "college_office",
        "--password",
        "a-long-staff-password",
    )
    assert no_college.returncode == 2 and "--college" in no_college.stderr
    pin = run_kiosk("admin", "hash-pin", stdin="2468\n")
    assert pin.returncode == 0 and pin.stdout.startswith("$argon2id$")
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(pin.stdout.strip(), "2468")
    bad_pin = run_kiosk("admin", "hash-pin", stdin="12\n")
    assert bad_pin.returncode == 2


def test_bad_config_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[server]\nport = 'eighty'\n", encoding="utf-8")
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "--config", str(config), "admin", "migrate"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "server.port" in done.stderr
    assert "Traceback" not in done.stderr
    several = run_kiosk(
        "serve", "--workers", "2", "--database-url", f"sqlite+aiosqlite:///{tmp_path}/x.db"
    )
    assert several.returncode == 2 and "PostgreSQL" in several.stderr


def test_staff_logins_are_counted_per_forwarded_address(tmp_path: Path) -> None:
    # The README's promise: behind a reverse proxy listed in server.trusted_proxies, the
    # limit counts the address the proxy names, not the proxy's own.
    limit = {
        "KIOSK_SERVER__STAFF_LOGIN_ATTEMPTS_PER_MINUTE": "2",
        "KIOSK_SERVER__TRUSTED_PROXIES": "127.0.0.1,::1",
    }
    url = f"sqlite+aiosqlite:///{tmp_path}/demo.db"
    with serving(url, "--demo", settings=limit) as server:
        staff = server.demo_accounts()["staff"][0]
        body = {"username": staff["username"], "password": staff["password"]}

        def login(client_address: str) -> int:
            answer = httpx.post(
                f"{server.url}/api/v1/staff/sessions",
                json=body,
                headers={"X-Forwarded-For": client_address},
                timeout=30,
            )
            return answer.status_code

        assert [login("192.0.2.1") for _ in range(3)] == [201, 201, 429]
        assert login("192.0.2.2") == 201
