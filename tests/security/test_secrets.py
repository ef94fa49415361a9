"""Secrets: outside the demo the server refuses to start on a secret anyone could know."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.config import EXAMPLE_SECRETS
from tests.e2e.serving import run_kiosk, serving


@pytest.mark.parametrize(
    "secret",
    ["", next(iter(EXAMPLE_SECRETS)), "x" * 31, "密" * 10],  # 10 characters are 30 bytes
    ids=["unset", "example", "31-bytes", "30-utf8-bytes"],
)
def test_serve_refuses_an_unusable_secret(tmp_path: Path, secret: str) -> None:
    database = tmp_path / "server.db"
    env = dict(os.environ, KIOSK_SERVER__SECRET_KEY=secret)
    done = run_kiosk("serve", "--port", "0", "--database-url", f"sqlite+aiosqlite:///{database}",
                     env=env)  # fmt: skip
    assert done.returncode == 2
    assert "server.secret_key" in done.stderr
    assert "secrets.token_urlsafe" in done.stderr
    assert "Traceback" not in done.stderr
    assert not database.exists()  # refused before anything was written


def test_the_example_file_holds_no_usable_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_SERVER__SECRET_KEY"}
    done = run_kiosk("serve", "--database-url", f"sqlite+aiosqlite:///{tmp_path}/x.db", env=env)
    assert done.returncode == 2 and "server.secret_key" in done.stderr


def test_the_demo_makes_a_fresh_secret_per_run(tmp_path: Path) -> None:
    env = {"KIOSK_SERVER__SECRET_KEY": ""}
    keys = []
    for run in range(2):
        log = tmp_path / f"run{run}.log"
        url = f"sqlite+aiosqlite:///{tmp_path}/demo{run}.db"
        with serving(url, "--demo", settings=env, log=log):
            pass
        lines = [line for line in log.read_text().splitlines() if "Demo terminal key" in line]
        assert len(lines) == 1
        keys.append(lines[0].rsplit(" ", 1)[1])
    # Same seed, same terminal id: only a different secret makes a different key.
    assert keys[0] != keys[1]
    assert keys[0].split(".")[0] == keys[1].split(".")[0]


def test_a_long_random_secret_starts_the_server(tmp_path: Path) -> None:
    with serving(f"sqlite+aiosqlite:///{tmp_path}/s.db") as server:
        assert len(server.env["KIOSK_SERVER__SECRET_KEY"].encode()) >= 32
