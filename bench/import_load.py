"""The server under a large import: p99 of /health and of submissions while a 30,000-row
record file is checked and then applied, as a ratio to the same load on a quiet server.

Called by ``make bench`` (``bench.__main__``) with its own load runner, so the loads are the
same generator (``bench.load``) in a separate process. Bounded in time: the loaded phase is
measured in slices of ``SLICE_S`` while the import runs, at most ``MAX_SLICES`` of them; the
worst slice's p99 is reported, with every slice's figures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.e2e.serving import RunningServer
from tests.server.conftest import many_records
from tests.server.test_imports import csv_file

ROWS = 30_000
SLICE_S = 5.0
MAX_SLICES = 12
CONCURRENCY = 8
"""Connections per load: a lab's terminals, not a saturation test."""
IMPORT_TIMEOUT_S = 300.0

Load = Callable[..., dict[str, Any]]
"""``bench.__main__._load``: (server, mode, **options) -> the generator's JSON summary."""


def _phase(server: RunningServer, load: Load, submit: dict[str, Any]) -> dict[str, Any]:
    """/health and submissions at once, for one slice."""
    bounded = {"concurrency": CONCURRENCY, "count": 10**6, "duration": SLICE_S}
    with ThreadPoolExecutor(2) as pool:
        health = pool.submit(load, server, "health", **bounded)
        submitted = pool.submit(load, server, "submit", **bounded, **submit)
        return {"health": health.result(), "submit": submitted.result()}


def _registrar(server: RunningServer, accounts: dict[str, Any]) -> dict[str, str]:
    staff = next(a for a in accounts["staff"] if a["role"] == "registrar")
    login = httpx.post(
        f"{server.url}/api/v1/staff/sessions",
        json={"username": staff["username"], "password": staff["password"]},
        timeout=30,
    )
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['token']}"}


def measure(
    server: RunningServer, load: Load, accounts: dict[str, Any], submit: dict[str, Any]
) -> dict[str, Any]:
    """Quiet p99s, then p99s while the import runs; ``submit`` are the submit mode's options
    (terminal key, ticket, record version)."""
    quiet = _phase(server, load, submit)
    content = csv_file(many_records(ROWS))
    headers = _registrar(server, accounts)
    outcome: dict[str, Any] = {}

    def run_import() -> None:
        started = time.monotonic()
        with httpx.Client(base_url=server.url, headers=headers, timeout=IMPORT_TIMEOUT_S) as client:
            path = "/api/v1/staff/imports/records"
            check = client.post(path, content=content, params={"dry_run": "true"})
            outcome["check_s"] = round(time.monotonic() - started, 2)
            applied = client.post(path, content=content)
        outcome["import_s"] = round(time.monotonic() - started, 2)
        outcome["statuses"] = [check.status_code, applied.status_code]
        outcome["created"] = applied.json().get("created") if applied.is_success else None

    importer = threading.Thread(target=run_import)
    importer.start()
    slices: list[dict[str, Any]] = []
    while importer.is_alive() and len(slices) < MAX_SLICES:
        slices.append(_phase(server, load, submit))
    importer.join(IMPORT_TIMEOUT_S)
    worst = {
        kind: max((s[kind]["p99_ms"] for s in slices), default=0.0) for kind in ("health", "submit")
    }
    return {
        "rows": ROWS,
        "import": outcome,
        "quiet": quiet,
        "slices": slices,
        "loaded_p99_ms": worst,
        "ratio": {
            kind: round(worst[kind] / max(quiet[kind]["p99_ms"], 0.1), 2)
            for kind in ("health", "submit")
        },
    }
