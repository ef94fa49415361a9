"""Trusted proxies: X-Forwarded-For counts only from an address in server.trusted_proxies."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.serving import run_kiosk, serving
from tests.security.helpers import rows


def test_a_forged_forwarded_address_does_not_escape_the_limit(tmp_path: Path) -> None:
    # No trusted proxy (the default): each request claims a new address, all are counted
    # against the one real peer, 127.0.0.1.
    limit = {"KIOSK_SERVER__STAFF_LOGIN_ATTEMPTS_PER_MINUTE": "2"}
    with serving(f"sqlite+aiosqlite:///{tmp_path}/demo.db", "--demo", settings=limit) as server:
        staff = server.demo_accounts()["staff"][0]
        body = {"username": staff["username"], "password": staff["password"]}
        statuses = []
        for n in range(3):
            answer = httpx.post(
                f"{server.url}/api/v1/staff/sessions",
                json=body,
                headers={"X-Forwarded-For": f"192.0.2.{n + 1}"},
                timeout=30,
            )
            statuses.append(answer.status_code)
        assert statuses == [201, 201, 429]
        assert answer.json()["code"] == "rate_limited"
        sessions = rows(server, "sessions")
        assert sessions == 2  # the refused login opened none
        assert rows(server, "rate_limits", "key LIKE 'address:192.0.2.%'") == 0


def test_a_proxy_that_is_not_an_address_is_refused_at_start(tmp_path: Path) -> None:
    done = run_kiosk(
        "serve", "--database-url", f"sqlite+aiosqlite:///{tmp_path}/x.db",
        env={"KIOSK_SERVER__TRUSTED_PROXIES": "proxy.example.edu.cn", "PATH": "/usr/bin"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "trusted_proxies" in done.stderr
    assert not (tmp_path / "x.db").exists()
