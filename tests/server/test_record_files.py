"""A record file is checked in a process of its own, and its rows come back a batch at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import time
from pathlib import Path

from kiosk.fields import FIELD_KEYS
from server.record_files import BATCH_ROWS, checked_file
from tests.server.conftest import many_records, test_settings
from tests.server.test_imports import csv_file

TODAY = dt.date(2026, 6, 1)
PROCESS_GONE_WITHIN_S = 10.0
"""A correctness bound: the check's process exits once it has answered."""


def _checks_running() -> list[int]:
    """This process's children that run the check (Linux's /proc lists them)."""
    children = [
        int(pid)
        for task in Path(f"/proc/{os.getpid()}/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    running = []
    for pid in children:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"server.record_files" in command:
            running.append(pid)
    return running


async def _children_gone() -> bool:
    deadline = time.monotonic() + PROCESS_GONE_WITHIN_S
    while _checks_running():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_rows_come_back_in_batches_and_the_process_ends(tmp_path: object) -> None:
    records = many_records(2 * BATCH_ROWS + 7)
    settings = test_settings(f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    async with checked_file(io.BytesIO(csv_file(records)), settings, TODAY) as checked:
        assert checked.check.problems == []
        assert checked.check.rows == len(records)
        batches = [batch async for batch in checked.batches()]
        folder = checked.rows_path.parent
        assert folder.exists()
    assert [len(batch) for batch in batches] == [BATCH_ROWS, BATCH_ROWS, 7]
    rows = [row for batch in batches for row in batch]
    # Line 1 is the heading; each row is the record's values in FIELD_KEYS order.
    assert [line for line, _ in rows] == list(range(2, len(records) + 2))
    assert rows[0][1] == tuple(records[0][key] for key in FIELD_KEYS)
    assert not folder.exists()  # the copy of the file and the rows go with the import
    assert await _children_gone()


async def test_an_unreadable_file_is_one_problem_and_no_rows(tmp_path: object) -> None:
    settings = test_settings(f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    hostile = b"PK\x03\x04 not really a workbook"
    async with checked_file(io.BytesIO(hostile), settings, TODAY) as checked:
        assert [problem.code for problem in checked.check.problems] == ["unreadable"]
        assert checked.check.rows == 0
        assert [batch async for batch in checked.batches()] == []
    assert await _children_gone()


async def test_the_check_runs_in_a_child_process_while_the_server_waits(tmp_path: Path) -> None:
    settings = test_settings(f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    seen: list[list[int]] = []

    async def watch() -> None:
        while True:
            seen.append(_checks_running())
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    records = many_records(3 * BATCH_ROWS)
    try:
        async with checked_file(io.BytesIO(csv_file(records)), settings, TODAY) as checked:
            assert checked.check.rows == len(records)
    finally:
        watcher.cancel()
    assert any(seen), "the check never ran in a process of its own"
    assert await _children_gone()
