"""kiosk.outbox: durable, private, and a sender that never drops or re-keys a result."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.cli import main
from kiosk.client import ApiClient, ApiError
from kiosk.outbox import Outbox, OutboxCounts, OutboxSender, PendingResult, full_jitter
from kiosk.outbox_cli import format_listing
from tests.test_submission import RECEIPT, Script, pending, problem


class Clock:
    """Unix time that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "outbox.sqlite3"


@pytest.fixture
def outbox(path: Path) -> Iterator[Outbox]:
    with Outbox.open(path) as box:
        yield box


def raw_rows(path: Path) -> list[tuple[object, ...]]:
    """The table as another process would read it: (result_id, key, body, state)."""
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT result_id, idempotency_key, body, state FROM outbox ORDER BY created_at"
        ).fetchall()


# --- the file -----------------------------------------------------------------------------


def test_files_are_private_even_with_a_permissive_umask(path: Path) -> None:
    old = os.umask(0)
    try:
        with Outbox.open(path) as box:
            box.save(pending())
            modes = {
                name: stat.S_IMODE(os.stat(path.with_name(name)).st_mode)
                for name in (path.name, path.name + "-wal", path.name + "-shm")
            }
            assert modes == dict.fromkeys(modes, 0o600)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_a_loose_existing_file_is_tightened(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    with Outbox.open(path):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_wal_and_full_synchronous(outbox: Outbox, path: Path) -> None:
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # synchronous is a property of the connection, so only the outbox's own can tell.
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_saved_result_is_committed_when_save_returns(outbox: Outbox, path: Path) -> None:
    result = pending()
    outbox.save(result)
    # Another connection sees it at once: nothing was left in an open transaction.
    assert raw_rows(path) == [
        (str(result.result_id), result.idempotency_key, result.body, "waiting")
    ]
    assert outbox.counts() == OutboxCounts(waiting=1, dead=0)


def test_saving_the_same_result_twice_keeps_one_entry(outbox: Outbox, path: Path) -> None:
    result = pending()
    outbox.save(result)
    outbox.save(result)
    assert len(raw_rows(path)) == 1


def test_the_same_result_id_with_another_key_is_refused(outbox: Outbox, path: Path) -> None:
    result = pending()
    outbox.save(result)
    other = PendingResult(result.result_id, "another-key", result.request, result.body)
    with pytest.raises(ValueError, match="another request"):
        outbox.save(other)
    assert raw_rows(path)[0][1] == result.idempotency_key


def test_entries_survive_closing_and_reopening(path: Path) -> None:
    result = pending()
    with Outbox.open(path) as box:
        box.save(result)
    with Outbox.open(path) as box:
        entry = box.next_due()
    assert entry is not None
    assert (entry.result_id, entry.idempotency_key, entry.body, entry.attempts) == (
        result.result_id,
        result.idempotency_key,
        result.body,
        0,
    )


def test_full_jitter_stays_within_the_capped_bound() -> None:
    rng = random.Random(3)
    assert all(0 <= full_jitter(rng, n, 0.5, 4.0) <= min(4.0, 0.5 * 2**n) for n in range(12))
    # Weeks of retries must not overflow the exponent.
    assert 0 <= full_jitter(rng, 10_000, 1.0, 60.0) <= 60.0


# --- the sender -------------------------------------------------------------------------------


async def test_a_delivered_result_loses_its_body_and_keeps_its_receipt(
    outbox: Outbox, path: Path, make_client: Callable[[Script], ApiClient]
) -> None:
    script = Script(httpx.Response(201, json=RECEIPT))
    sender = OutboxSender(outbox, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
    sender.start()
    result = pending()
    outbox.save(result)
    delivery = await sender.deliver_now(result.result_id, 5)
    await sender.stop()
    assert delivery.state == "delivered"
    assert delivery.receipt is not None and delivery.receipt.receipt_no == "R-1"
    assert script.requests[0].content == result.body
    assert raw_rows(path) == [(str(result.result_id), result.idempotency_key, None, "delivered")]
    assert outbox.counts() == OutboxCounts(0, 0)
    [info] = outbox.entries()
    assert (info.state, info.receipt_no, info.attempts) == ("delivered", "R-1", 1)
    assert outbox.purge_delivered() == 1
    assert raw_rows(path) == []


async def test_delivered_tombstones_go_after_their_keeping_time(
    outbox: Outbox, path: Path, make_client: Callable[[Script], ApiClient]
) -> None:
    script = Script(httpx.Response(201, json=RECEIPT))
    sender = OutboxSender(
        outbox, make_client(script), keep_delivered_s=0, base_delay_s=0.01, max_delay_s=0.05
    )
    sender.start()
    result = pending()
    outbox.save(result)
    assert (await sender.deliver_now(result.result_id, 5)).state == "delivered"
    await sender.stop()
    assert raw_rows(path) == []


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (problem(409, "record_changed"), "record_changed"),
        (problem(409, "result_conflict"), "result_conflict"),
        (problem(409, "ticket_used"), "ticket_used"),
        (problem(403, "ticket_invalid"), "ticket_invalid"),
        (problem(422, "validation_failed"), "validation_failed"),
        (problem(401, "terminal_key_invalid"), "terminal_key_invalid"),
    ],
)
async def test_a_final_refusal_is_a_dead_letter_kept_whole(
    outbox: Outbox,
    path: Path,
    make_client: Callable[[Script], ApiClient],
    answer: httpx.Response,
    code: str,
) -> None:
    script = Script(answer, httpx.Response(201, json=RECEIPT))
    sender = OutboxSender(outbox, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
    sender.start()
    result = pending()
    outbox.save(result)
    delivery = await sender.deliver_now(result.result_id, 5)
    # The sender takes work only from the waiting entries' schedule (and deliver_now, which
    # refuses a dead letter): with nothing scheduled, it will never send this again.
    assert outbox.next_attempt_at() is None and outbox.next_due() is None
    with pytest.raises(LookupError):
        await sender.deliver_now(result.result_id, 5)
    await sender.stop()
    assert delivery.state == "dead"
    assert delivery.error is not None and delivery.error.code == code
    assert len(script.requests) == 1
    assert raw_rows(path) == [(str(result.result_id), result.idempotency_key, result.body, "dead")]
    assert outbox.counts() == OutboxCounts(waiting=0, dead=1)
    [info] = outbox.entries()
    assert (info.state, info.last_error, info.next_attempt_at) == ("dead", code, None)


async def test_staff_retry_sends_a_dead_letter_again_with_the_same_key(
    outbox: Outbox, path: Path, make_client: Callable[[Script], ApiClient]
) -> None:
    script = Script(problem(401, "terminal_key_invalid"), httpx.Response(201, json=RECEIPT))
    sender = OutboxSender(outbox, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
    sender.start()
    result = pending()
    outbox.save(result)
    assert (await sender.deliver_now(result.result_id, 5)).state == "dead"
    assert outbox.retry_dead() == 1
    assert outbox.counts() == OutboxCounts(waiting=1, dead=0)
    delivery = await sender.deliver_now(result.result_id, 5)
    await sender.stop()
    assert delivery.state == "delivered"
    assert [r.headers["Idempotency-Key"] for r in script.requests] == [result.idempotency_key] * 2
    assert [r.content for r in script.requests] == [result.body] * 2


async def test_retryable_failures_are_retried_with_the_same_bytes(
    outbox: Outbox, make_client: Callable[[Script], ApiClient]
) -> None:
    script = Script(
        httpx.ConnectError,
        problem(503, "internal_error"),
        problem(409, "request_in_progress"),
        httpx.ReadTimeout,
        problem(429, "rate_limited"),
        httpx.Response(200, json=RECEIPT, headers={"Idempotent-Replayed": "true"}),
    )
    sender = OutboxSender(outbox, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
    sender.start()
    result = pending()
    outbox.save(result)
    delivery = await sender.deliver_now(result.result_id, 10)
    # The waiting student hears at the first failure that the result is saved ...
    assert delivery.state == "waiting"
    assert delivery.error is not None and delivery.error.code == "server_unreachable"
    # ... and the sender goes on until the server has it.
    for _ in range(500):
        if outbox.counts().waiting == 0:
            break
        await asyncio.sleep(0.01)
    await sender.stop()
    assert outbox.entries()[0].state == "delivered"
    assert len(script.requests) == 6
    assert {r.headers["Idempotency-Key"] for r in script.requests} == {result.idempotency_key}
    assert {r.content for r in script.requests} == {result.body}
    assert outbox.entries()[0].attempts == 6


async def test_a_failure_is_recorded_and_pushed_back_by_the_backoff(
    outbox: Outbox, make_client: Callable[[Script], ApiClient]
) -> None:
    clock = Clock()
    outbox.clock = clock
    script = Script(httpx.ConnectError)
    sender = OutboxSender(
        outbox, make_client(script), base_delay_s=4, max_delay_s=30, rng=random.Random(1)
    )
    sender.start()
    result = pending()
    outbox.save(result)
    delivery = await sender.deliver_now(result.result_id, 5)
    await sender.stop()
    assert delivery.state == "waiting"
    [info] = outbox.entries()
    assert (info.state, info.attempts, info.last_error) == ("waiting", 1, "server_unreachable")
    assert info.next_attempt_at is not None
    delay = info.next_attempt_at.timestamp() - clock.now
    assert delay == pytest.approx(random.Random(1).uniform(0, 4))
    # Nothing else was tried while the entry waits out its delay.
    assert len(script.requests) == 1


async def test_a_new_result_is_tried_at_once_even_while_the_sender_pauses(
    outbox: Outbox, make_client: Callable[[Script], ApiClient]
) -> None:
    script = Script(httpx.ConnectError, httpx.Response(201, json=RECEIPT))
    sender = OutboxSender(outbox, make_client(script), base_delay_s=30, max_delay_s=60)
    sender.start()
    first, second = pending(), pending()
    outbox.save(first)
    assert (await sender.deliver_now(first.result_id, 5)).state == "waiting"
    outbox.save(second)
    delivery = await sender.deliver_now(second.result_id, 2)
    await sender.stop()
    assert delivery.state == "delivered"
    assert outbox.counts() == OutboxCounts(waiting=1, dead=0)


async def test_a_restarted_sender_sends_what_was_left(
    path: Path, make_client: Callable[[Script], ApiClient]
) -> None:
    results = [pending() for _ in range(3)]
    with Outbox.open(path) as box:
        for result in results:
            box.save(result)
    script = Script(*[httpx.Response(201, json=RECEIPT)] * 3)
    with Outbox.open(path) as box:
        sender = OutboxSender(box, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
        sender.start()
        async with asyncio.timeout(5):
            while box.counts() != OutboxCounts(0, 0):
                await asyncio.sleep(0.01)
        await sender.stop()
    sent = sorted(r.headers["Idempotency-Key"] for r in script.requests)
    assert sent == sorted(result.idempotency_key for result in results)


async def test_deliver_now_wants_a_waiting_result(
    outbox: Outbox, make_client: Callable[[Script], ApiClient]
) -> None:
    sender = OutboxSender(outbox, make_client(Script()), base_delay_s=0.01, max_delay_s=0.05)
    with pytest.raises(LookupError):
        await sender.deliver_now(pending().result_id, 1)


async def test_stop_releases_whoever_waits(
    outbox: Outbox, make_client: Callable[[Script], ApiClient]
) -> None:
    sender = OutboxSender(outbox, make_client(Script()), base_delay_s=0.01, max_delay_s=0.05)
    result = pending()
    outbox.save(result)
    # Not started: nothing is sent, and stopping ends the wait long before its timeout.
    waiting = asyncio.create_task(sender.deliver_now(result.result_id, 60))
    await asyncio.sleep(0.01)
    await sender.stop()
    async with asyncio.timeout(1):
        delivery = await waiting
    assert delivery.state == "waiting"


def test_backoff_bounds_are_checked(outbox: Outbox) -> None:
    client = ApiClient("http://server.test", "t.k")
    with pytest.raises(ValueError, match="base_delay_s"):
        OutboxSender(outbox, client, base_delay_s=0)
    with pytest.raises(ValueError, match="base_delay_s"):
        OutboxSender(outbox, client, base_delay_s=10, max_delay_s=1)


async def test_an_unreadable_entry_becomes_a_dead_letter(
    outbox: Outbox, path: Path, make_client: Callable[[Script], ApiClient]
) -> None:
    result = pending()
    outbox.save(PendingResult(result.result_id, result.idempotency_key, result.request, b"{}"))
    script = Script()
    sender = OutboxSender(outbox, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
    sender.start()
    delivery = await sender.deliver_now(result.result_id, 2)
    await sender.stop()
    assert delivery.state == "dead"
    assert isinstance(delivery.error, ApiError)
    assert delivery.error.code == "unreadable_entry"
    assert script.requests == []
    assert raw_rows(path)[0][2:] == (b"{}", "dead")


# --- staff commands -------------------------------------------------------------------


async def test_the_listing_shows_no_personal_data(
    outbox: Outbox, make_client: Callable[[Script], ApiClient]
) -> None:
    waiting, dead, delivered = pending(), pending(), pending()
    script = Script(problem(403, "ticket_invalid"), httpx.Response(201, json=RECEIPT))
    sender = OutboxSender(outbox, make_client(script), base_delay_s=0.01, max_delay_s=0.05)
    sender.start()
    outbox.save(dead)
    await sender.deliver_now(dead.result_id, 2)
    outbox.save(delivered)
    await sender.deliver_now(delivered.result_id, 2)
    await sender.stop()
    outbox.save(waiting)
    listing = format_listing(outbox)
    assert "1 waiting" in listing and "1 dead" in listing and "1 delivered" in listing
    assert str(dead.result_id) in listing and "ticket_invalid" in listing
    assert "receipt R-1" in listing
    for secret in ("ticket-for-v4", "李四", "错字", dead.idempotency_key, "value of"):
        assert secret not in listing


def test_outbox_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "box.sqlite3"
    monkeypatch.setenv("KIOSK_KIOSK__OUTBOX_PATH", str(path))
    config = ["--config", str(tmp_path / "none.toml")]
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    assert main([*config, "outbox", "list"]) == 0
    assert "no outbox" in capsys.readouterr().err
    assert not path.exists()
    assert main([*config, "outbox", "retry"]) == 1
    with Outbox.open(path) as box:
        result = pending()
        box.save(result)
        box.mark_dead(result.result_id, 403, "ticket_invalid")
    assert main([*config, "outbox", "list"]) == 0
    assert "0 waiting" in capsys.readouterr().out
    assert main([*config, "outbox", "retry"]) == 0
    assert "1 dead letter queued" in capsys.readouterr().out
    with Outbox.open(path) as box:
        assert box.counts() == OutboxCounts(waiting=1, dead=0)
        box.mark_delivered(result.result_id, "XJ1")
    assert main([*config, "outbox", "purge-delivered"]) == 0
    assert "1 delivered entry removed" in capsys.readouterr().out
    assert raw_rows(path) == []
