"""Two server processes on one PostgreSQL database: what a load balancer in front sees.

Two separate ``kiosk serve`` processes on two ports share the database, exactly like two
workers or two machines behind a load balancer, with no state in memory: a session opened on
one is good on the other, a photo link made on one opens on the other, and wrong passwords
count towards one lockout whichever process they reach.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.databases import POSTGRES_ENV, PostgresDatabases
from tests.e2e.serving import RunningServer, serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set"),
]
LOCKOUT_THRESHOLD = 5  # config.toml's lockout_threshold, which both servers read


@pytest.fixture(scope="module")
def pair(
    postgres: PostgresDatabases,
) -> Iterator[tuple[RunningServer, RunningServer, dict[str, Any]]]:
    """Server A seeds the demo data; server B starts on the same (new) database."""
    url = postgres.fresh("pair")
    with serving(url, "--demo") as first, serving(url) as second:
        assert first.process.pid != second.process.pid
        yield first, second, first.demo_accounts()


def _client(server: RunningServer, accounts: dict[str, Any]) -> httpx.Client:
    # A new client, so a new connection: nothing can stick to one process.
    headers = {"Terminal-Key": accounts["terminal_key"]}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def test_a_session_opened_on_one_server_works_on_the_other(
    pair: tuple[RunningServer, RunningServer, dict[str, Any]],
) -> None:
    first, second, accounts = pair
    student = accounts["students"][0]
    for login_on, read_on in ((first, second), (second, first)):
        with _client(login_on, accounts) as client:
            login = client.post(
                "/api/v1/sessions",
                json={"username": student["username"], "password": student["password"]},
            )
        assert login.status_code == 201, login.text
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        for _ in range(3):
            with _client(read_on, accounts) as client:
                record = client.get("/api/v1/me/record", headers=auth)
                assert record.status_code == 200, record.text
                assert record.json()["student_no"] == student["student_no"]
        with _client(read_on, accounts) as client:
            link = client.post("/api/v1/me/photo-link", headers=auth).json()
        token = link["url"].rsplit("/p/", 1)[1]
        photo = httpx.get(f"{login_on.url}/p/{token}/photo.jpg", timeout=30)
        assert photo.status_code == 200 and photo.content[:2] == b"\xff\xd8"
        with _client(login_on, accounts) as client:
            assert client.delete("/api/v1/sessions/current", headers=auth).status_code == 204
        with _client(read_on, accounts) as client:
            after = client.get("/api/v1/me/record", headers=auth)
        assert after.status_code == 401, "a logout on one server must end the session on both"


def test_wrong_passwords_on_both_servers_count_towards_one_lockout(
    pair: tuple[RunningServer, RunningServer, dict[str, Any]],
) -> None:
    first, second, accounts = pair
    student = accounts["students"][1]
    wrong = {"username": student["username"], "password": "Not-The-Password-1"}
    answers = []
    for attempt in range(LOCKOUT_THRESHOLD):
        server = first if attempt % 2 == 0 else second
        with _client(server, accounts) as client:
            answers.append(client.post("/api/v1/sessions", json=wrong))
    statuses = [answer.status_code for answer in answers]
    assert statuses == [401] * (LOCKOUT_THRESHOLD - 1) + [423], statuses
    left = [answer.json()["attempts_left"] for answer in answers[:-1]]
    assert left == list(range(LOCKOUT_THRESHOLD - 1, 0, -1))
    # Locked on both, even with the right password.
    right = {"username": student["username"], "password": student["password"]}
    for server in (first, second):
        with _client(server, accounts) as client:
            assert client.post("/api/v1/sessions", json=right).status_code == 423
