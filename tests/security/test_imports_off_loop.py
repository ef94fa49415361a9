"""Imports run off the event loop: while a 30,000-row file is checked and applied, the same
server keeps answering /health and terminals' heartbeats (which write) promptly."""

from __future__ import annotations

import threading
import time

import httpx

from tests.security.conftest import Hostile
from tests.server.conftest import many_records
from tests.server.test_imports import csv_file

RECORDS = "/api/v1/staff/imports/records"
ROWS = 30_000
ANSWER_WITHIN_S = 2.0
"""A correctness bound, not a benchmark: before the rule /health took 11 s to answer."""


def test_the_server_answers_while_a_large_import_runs(hostile: Hostile) -> None:
    """Dry run, then apply; /health and heartbeats are polled all the while."""
    content = csv_file(many_records(ROWS))
    registrar = hostile.staff_headers("registrar")
    terminal = {"Terminal-Key": hostile.accounts["terminal_key"]}
    answers: dict[str, httpx.Response] = {}

    def run_import() -> None:
        with httpx.Client(base_url=hostile.url, headers=registrar, timeout=600) as client:
            answers["check"] = client.post(RECORDS, content=content, params={"dry_run": "true"})
            answers["apply"] = client.post(RECORDS, content=content)

    before = hostile.counts()
    importer = threading.Thread(target=run_import)
    slowest = 0.0
    polls = 0
    with httpx.Client(base_url=hostile.url, timeout=30) as client:
        importer.start()
        while importer.is_alive():
            for method, path, body in (
                ("GET", "/health", None),
                ("POST", "/api/v1/terminals/heartbeat", {"state": "idle"}),
            ):
                started = time.monotonic()
                answer = client.request(method, path, json=body, headers=terminal)
                slowest = max(slowest, time.monotonic() - started)
                assert answer.status_code == 200, answer.text
            polls += 1
            time.sleep(0.05)
    importer.join()
    assert answers["check"].json()["problems"] == []
    assert answers["apply"].json()["created"] == ROWS
    assert hostile.counts()["students"] == before["students"] + ROWS
    assert polls >= 10  # the import took long enough for the polling to mean something
    assert slowest < ANSWER_WITHIN_S
