"""Fault tests: real servers that go down, lose answers and get killed; no result is lost.

Each test runs ``kiosk serve`` processes on loopback behind :class:`FaultProxy` and counts the
rows in the server's database by ``result_id``: every saved result must be there exactly once.
The SIGKILL test also runs on PostgreSQL with two workers when ``KIOSK_TEST_POSTGRES_URL``
is set (its public schema is dropped and recreated); the others run on SQLite only, because
one PostgreSQL demo server costs as much time as all of them.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.outbox import Outbox, OutboxCounts
from kiosk.protocol.terminal import HeartbeatRequest
from kiosk.submission import save_and_send
from tests.databases import PostgresDatabases
from tests.e2e.serving import ROOT
from tests.faults.proxy import FaultProxy, Mode
from tests.faults.servers import (
    Kiosk,
    ServerProcess,
    World,
    build_world,
    exactly_once,
    new_result,
)

# func_only: building a world (a demo server, admin commands) is bounded by its own timeouts
# and may take long on a busy machine; the 120 s bound the tests themselves.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(120, func_only=True)]


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    directory = tmp_path_factory.mktemp("faults-sqlite")
    return build_world(f"sqlite+aiosqlite:///{directory}/server.db", directory)


@pytest.fixture(scope="module")
def postgres_world(postgres: PostgresDatabases, tmp_path_factory: pytest.TempPathFactory) -> World:
    url = postgres.fresh("faults")
    return build_world(url, tmp_path_factory.mktemp("faults-pg"), "--workers", "2")


@pytest.fixture(scope="module")
def sqlite_running(
    sqlite_world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, ServerProcess]]:
    """One server on a copy of the SQLite world for the tests that do not kill it."""
    world = sqlite_world.copy_to(tmp_path_factory.mktemp("faults-sqlite-running"))
    server = world.server()
    server.start()
    yield world, server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    """A private copy of the SQLite world, or the shared PostgreSQL one."""
    name = "sqlite_world" if request.param == "sqlite" else "postgres_world"
    prepared: World = request.getfixturevalue(name)
    return prepared.copy_to(tmp_path)


@pytest.fixture
def own_sqlite(sqlite_world: World, tmp_path: Path) -> World:
    """A private copy of the SQLite world, for a test that starts and kills its own server."""
    return sqlite_world.copy_to(tmp_path)


# --- 1. the server is down when the student submits ---------------------------------------


async def test_saved_while_the_server_is_down_then_delivered_once(
    own_sqlite: World, tmp_path: Path
) -> None:
    server = own_sqlite.server()
    # Nothing listens on the proxy's target yet: every connection closes at once.
    async with FaultProxy(target_port=1) as proxy:
        kiosk = Kiosk.open(tmp_path / "outbox.sqlite3", proxy.url, own_sqlite.terminal_keys[0])
        try:
            result = new_result(own_sqlite.record)
            delivery = await save_and_send(kiosk.outbox, kiosk.sender, result, wait_s=0.5)
            assert delivery.state == "waiting"
            assert kiosk.outbox.counts() == OutboxCounts(waiting=1, dead=0)
            proxy.target_port = await asyncio.to_thread(server.start)
            await kiosk.drained(30)
            [entry] = kiosk.outbox.entries()
            assert entry.state == "delivered" and entry.attempts >= 2
            found = await own_sqlite.receipts()
            assert found[str(result.result_id)] == [entry.receipt_no]

            # The key is in the database, so it outlives the server process: a replay after
            # a hard restart answers with the same receipt and adds nothing.
            await asyncio.to_thread(server.kill)
            proxy.target_port = await asyncio.to_thread(server.start)
            receipt, replayed = await kiosk.client.submit(
                result.request, result.idempotency_key, body=result.body
            )
            assert replayed and receipt.receipt_no == entry.receipt_no
            assert (await own_sqlite.receipts())[str(result.result_id)] == [entry.receipt_no]
        finally:
            await kiosk.close()
            server.stop()


# --- 2. the answer is lost after the server committed --------------------------------------


async def delivered_receipt(outbox: Outbox, result_id: uuid.UUID, timeout_s: float = 30) -> str:
    """The receipt number once the sender has delivered ``result_id`` (bounded wait)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        entry = next(e for e in outbox.entries() if e.result_id == result_id)
        if entry.state == "delivered" and entry.receipt_no is not None:
            return entry.receipt_no
        await asyncio.sleep(0.05)
    raise AssertionError(f"{result_id} was not delivered within {timeout_s} s")


@pytest.mark.parametrize(
    ("fault", "committed_first"),
    [
        ("cut_after_request", True),
        ("cut_after_first_byte", True),
        ("delay", True),
        ("drop", False),
    ],
)
async def test_a_lost_answer_is_replayed_not_repeated(
    sqlite_running: tuple[World, ServerProcess], tmp_path: Path, fault: Mode, committed_first: bool
) -> None:
    world, server = sqlite_running
    # delay: the answer comes after the client's timeout, i.e. after the server committed.
    async with FaultProxy(server.port, delay_s=3.0) as proxy:
        proxy.plan(fault)
        kiosk = Kiosk.open(tmp_path / "o.sqlite3", proxy.url, world.terminal_keys[1], timeout_s=1)
        try:
            result = new_result(world.record)
            first = await save_and_send(kiosk.outbox, kiosk.sender, result, wait_s=20)
            # The first try failed, so the student heard "saved, will be sent" at once ...
            assert first.state == "waiting"
            # ... and the sender's retry delivers it.
            receipt_no = await delivered_receipt(kiosk.outbox, result.result_id)
        finally:
            await kiosk.close()
    assert proxy.connections[:2] == [fault, "pass"]
    if committed_first:
        # The first attempt did its work and only its answer went missing; the retry got
        # the stored answer again (200 is the replay; see the Idempotent-Replayed header).
        assert proxy.answers == ["HTTP/1.1 201 Created", "HTTP/1.1 200 OK"]
    else:
        assert proxy.answers == ["HTTP/1.1 201 Created"]
    assert (await world.receipts())[str(result.result_id)] == [receipt_no]


# --- 3. the server is killed while five kiosks submit --------------------------------------


async def test_sigkill_under_load_loses_nothing_and_duplicates_nothing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    per_kiosk = 50
    server = world.server()
    port = await asyncio.to_thread(server.start)
    async with FaultProxy(port) as proxy:
        kiosks = [
            Kiosk.open(tmp_path / f"kiosk{n}.sqlite3", proxy.url, key)
            for n, key in enumerate(world.terminal_keys)
        ]
        assert len(kiosks) == 5

        def delivered() -> int:
            return sum(len(k.saved) - sum(k.outbox.counts()) for k in kiosks)

        async def produce(kiosk: Kiosk) -> None:
            for _ in range(per_kiosk):
                result = new_result(world.record)
                kiosk.saved.append(result)
                await save_and_send(kiosk.outbox, kiosk.sender, result, wait_s=0)
                await asyncio.sleep(0.02)

        loop = asyncio.get_running_loop()
        try:
            began = loop.time()
            producers = asyncio.gather(*(produce(k) for k in kiosks))
            async with asyncio.timeout(60):
                while delivered() < 20:
                    await asyncio.sleep(0.005)
            await asyncio.to_thread(server.kill)
            at_kill = (sum(len(k.saved) for k in kiosks), delivered())
            killed = loop.time()
            async with asyncio.timeout(30):  # the kiosks keep saving and failing meanwhile
                while sum(len(k.saved) for k in kiosks) < at_kill[0] + 5 and not producers.done():
                    await asyncio.sleep(0.005)
            proxy.target_port = await asyncio.to_thread(server.start)
            back = loop.time()
            await producers
            for kiosk in kiosks:
                await kiosk.drained(60)
            drained = loop.time()
            receipts = [kiosk.receipts() for kiosk in kiosks]
        finally:
            for kiosk in kiosks:
                await kiosk.close()
            server.stop()

    result_ids = [str(r.result_id) for k in kiosks for r in k.saved]
    found = await world.receipts()
    tally = exactly_once(found, result_ids)
    with capsys.disabled():
        print(
            f"\n[{world.database_url.split(':')[0]}] saved {len(result_ids)}, saved/delivered "
            f"at SIGKILL {at_kill}, in the database exactly once: {tally[1]}, "
            f"missing: {tally[0]}, duplicated: {len(result_ids) - tally[0] - tally[1]}; "
            f"killed after {killed - began:.1f} s, down {back - killed:.1f} s, "
            f"all delivered {drained - back:.1f} s later"
        )
    assert len(result_ids) == len(set(result_ids)) == 5 * per_kiosk
    assert tally == Counter({1: 5 * per_kiosk})
    assert 0 < at_kill[1] < 5 * per_kiosk, "the kill must come in the middle of the sending"
    # Every kiosk holds the receipt the server wrote for each of its results.
    for held in receipts:
        assert len(held) == per_kiosk
        assert held == {rid: found[rid][0] for rid in held}


# --- 4. the kiosk dies between the outbox commit and the send ------------------------------

CRASHING_KIOSK = """
import os, signal, sys
from pathlib import Path
from kiosk.outbox import Outbox
from kiosk.protocol.student import RecordResponse
from tests.faults.servers import new_result

record = RecordResponse.model_validate_json(Path(sys.argv[2]).read_bytes())
result = new_result(record)
outbox = Outbox.open(Path(sys.argv[1]))
outbox.save(result)
print(result.result_id, result.idempotency_key, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


async def test_a_kiosk_killed_after_saving_sends_on_the_next_start(
    sqlite_running: tuple[World, ServerProcess], tmp_path: Path
) -> None:
    world, server = sqlite_running
    path = tmp_path / "outbox.sqlite3"
    record_file = tmp_path / "record.json"
    record_file.write_text(world.record.model_dump_json(), encoding="utf-8")
    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CRASHING_KIOSK, str(path), str(record_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    result_id, key = crashed.stdout.split()
    assert (await world.receipts()).get(result_id) is None

    kiosk = Kiosk.open(path, server.url, world.terminal_keys[2])
    try:
        await kiosk.drained(30)
        receipts = kiosk.receipts()
    finally:
        await kiosk.close()
    assert (await world.receipts())[result_id] == [receipts[result_id]]
    assert world.sqlite_file is not None
    with sqlite3.connect(world.sqlite_file) as db:
        keys = db.execute("SELECT key FROM idempotency_keys WHERE key = ?", (key,)).fetchall()
    assert keys == [(key,)], "sent under the key saved before the crash"


# --- 5. a final refusal is a dead letter, reported by the heartbeat ------------------------


async def test_a_refused_result_is_a_dead_letter_the_board_sees(
    sqlite_running: tuple[World, ServerProcess], tmp_path: Path
) -> None:
    world, server = sqlite_running
    key = world.terminal_keys[3]
    bad = world.record.model_copy(update={"ticket": world.record.ticket + "x"})
    result = new_result(bad, fresh_ticket=False)
    kiosk = Kiosk.open(tmp_path / "outbox.sqlite3", server.url, key)
    try:
        delivery = await save_and_send(kiosk.outbox, kiosk.sender, result, wait_s=20)
        assert delivery.state == "dead"
        assert delivery.error is not None and delivery.error.code == "ticket_invalid"
        waiting, dead = kiosk.outbox.counts()
        await kiosk.client.heartbeat(
            HeartbeatRequest(state="idle", results_waiting=waiting, dead_letters=dead)
        )
    finally:
        await kiosk.close()
    assert await world.dead_letters(key) == 1
    assert str(result.result_id) not in await world.receipts()
    # Nothing deleted: the dead letter keeps its key and its exact body for staff.
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as db:
        row = db.execute("SELECT idempotency_key, body, state FROM outbox").fetchone()
    assert row == (result.idempotency_key, result.body, "dead")

    # A restarted kiosk keeps the dead letter and does not send it again by itself.
    kiosk = Kiosk.open(tmp_path / "outbox.sqlite3", server.url, key)
    try:
        # Its sender sends only what the schedule holds, and a dead letter is not on it.
        assert kiosk.outbox.next_attempt_at() is None
        assert kiosk.outbox.counts() == OutboxCounts(waiting=0, dead=1)
        assert kiosk.outbox.entries()[0].attempts == 1
    finally:
        await kiosk.close()
