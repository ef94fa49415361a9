"""Lockout without denial of service: wrong passwords at one place never lock the owner out at
another, and the refusals are audited as counted rows, not a flood."""

from __future__ import annotations

import httpx

from tests.e2e.serving import RunningServer, run_kiosk
from tests.security.helpers import refusals_counted, rows


def test_an_attacker_at_one_terminal_does_not_lock_the_owner_out(
    demo_server: RunningServer,
) -> None:
    accounts = demo_server.demo_accounts()
    victim = accounts["students"][0]
    added = run_kiosk("admin", "--database-url", demo_server.database_url,
                      "add-terminal", "演示机房", "demo-02", env=demo_server.env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    own_terminal = added.stdout.strip().splitlines()[-1]
    sessions = rows(demo_server, "sessions")

    with httpx.Client(base_url=demo_server.url, timeout=30) as http:
        attacker = {"Terminal-Key": accounts["terminal_key"]}
        wrong = {"username": victim["username"], "password": "not-the-password-1"}
        answers = [http.post("/api/v1/sessions", headers=attacker, json=wrong) for _ in range(12)]
        codes = [(a.status_code, a.json()["code"]) for a in answers]
        assert codes[:4] == [(401, "invalid_credentials")] * 4
        assert set(codes[4:]) == {(423, "account_locked")}
        assert rows(demo_server, "sessions") == sessions  # nothing opened

        # The owner, at another terminal, with the right password: in.
        right = {"username": victim["username"], "password": victim["password"]}
        owner = http.post("/api/v1/sessions", headers={"Terminal-Key": own_terminal}, json=right)
        assert owner.status_code == 201, owner.text

    # Twelve refusals, at most two rows (one per code, both in this minute, or the next).
    refused = rows(demo_server, "audit_events", "action = 'refused'")
    assert 2 <= refused <= 4
    assert refusals_counted(demo_server) == 12
