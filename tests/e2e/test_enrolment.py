"""Enrolment end to end: a real `kiosk serve`, the real `kiosk enrol` command on three "PCs"."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.config import load_settings
from kiosk.protocol.base import TERMINAL_KEY_HEADER
from tests.e2e.serving import RunningServer, run_kiosk, serving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _staff_headers(server: RunningServer, role: str) -> dict[str, str]:
    account = next(row for row in server.demo_accounts()["staff"] if row["role"] == role)
    response = httpx.post(
        f"{server.url}/api/v1/staff/sessions",
        json={"username": account["username"], "password": account["password"]},
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _new_code(server: RunningServer, headers: dict[str, str], uses: int) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/api/v1/staff/enrolment-codes",
        json={"lab": "lab3", "uses": uses},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _enrol(server: RunningServer, pc: Path, code: str, name: str) -> Any:
    env = dict(server.env, KIOSK_TERMINAL_FILE=str(pc / "terminal.toml"))
    return run_kiosk("enrol", code, "--name", name, "--server", server.url, env=env)


def _heartbeat(server: RunningServer, key: str) -> int:
    response = httpx.post(
        f"{server.url}/api/v1/terminals/heartbeat",
        json={"state": "idle"},
        headers={TERMINAL_KEY_HEADER: key},
    )
    return response.status_code


def _key_of(pc: Path) -> str:
    """The key as `kiosk run` on that PC would read it."""
    settings = load_settings(
        Path(os.devnull), environ={"KIOSK_TERMINAL_FILE": str(pc / "terminal.toml")}
    )
    return settings.kiosk.terminal_key


def test_three_pcs_enrol_with_a_code_for_two_and_a_retired_one_is_refused(
    tmp_path: Path,
) -> None:
    database = tmp_path / "server.db"
    with serving(f"sqlite+aiosqlite:///{database}", "--demo") as server:
        proctor = _staff_headers(server, "proctor")
        code = _new_code(server, proctor, uses=2)["code"]
        pcs = [tmp_path / f"pc{n}" for n in (1, 2, 3)]

        for n, pc in enumerate(pcs[:2], start=1):
            done = _enrol(server, pc, code, f"lab3-0{n}")
            assert done.returncode == 0, done.stderr
            assert f"lab3-0{n}" in done.stdout
            assert stat.S_IMODE((pc / "terminal.toml").stat().st_mode) == 0o600
            assert _heartbeat(server, _key_of(pc)) == 200

        third = _enrol(server, pcs[2], code, "lab3-03")
        assert third.returncode == 1
        assert "使用次数已用完" in third.stderr and "used as many times" in third.stderr
        assert not (pcs[2] / "terminal.toml").exists()

        # An hour passes for a second code: its expiry is moved into the past in the database.
        later = _new_code(server, proctor, uses=5)
        with sqlite3.connect(database) as db:
            past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
            db.execute(
                "UPDATE enrolment_codes SET expires_at = ? WHERE id = ?", (past, later["id"])
            )
        expired = _enrol(server, pcs[2], later["code"], "lab3-03")
        assert expired.returncode == 1
        assert "已过期" in expired.stderr and "has expired" in expired.stderr

        board = httpx.get(
            f"{server.url}/api/v1/staff/board", params={"lab": "lab3"}, headers=proctor
        ).json()
        first = next(t for t in board["terminals"] if t["name"] == "lab3-01")
        retired = httpx.post(
            f"{server.url}/api/v1/staff/terminals/{first['id']}/retire", headers=proctor
        )
        assert retired.status_code == 204
        assert _heartbeat(server, _key_of(pcs[0])) == 401
        assert _heartbeat(server, _key_of(pcs[1])) == 200
