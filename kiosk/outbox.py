"""The kiosk's durable outbox: no verification result is ever lost.

A result is committed to a local SQLite file, with its ``result_id``, its idempotency key and
its exact body, *before* the first attempt to send it; only then is the student told it is
saved. :class:`OutboxSender` sends it in the background, byte for byte the same on every
attempt, with exponential backoff and full jitter, until the server answers:

* 2xx: delivered. The body (ticket, answers, proposed values) is erased at once; a small
  tombstone with the receipt number stays for ``keep_delivered_s`` so a proctor can confirm on
  the terminal that a result went out.
* 409 ``request_in_progress``, 429, 5xx, timeouts, no connection: tried again later.
* any other 4xx: a *dead letter*, kept with its key and body, counted in the heartbeat, sent
  again only when staff say so (``kiosk outbox retry``), never dropped and never re-keyed.

Because the key and body never change, the server's idempotency turns every retry, after a
lost answer or a crash, into the same receipt: exactly one result on the server.

The file is mode 0600 (SQLite gives its ``-wal`` and ``-shm`` files the mode of the
database), written with ``synchronous=FULL`` in WAL mode so a commit survives power loss.
Only stdlib ``sqlite3``; this module must not import Textual, FastAPI or SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from pydantic import ValidationError

from kiosk.client import ApiError
from kiosk.protocol.student import VerificationReceipt, VerificationRequest

log = logging.getLogger(__name__)

State = Literal["waiting", "dead", "delivered"]
Clock = Callable[[], float]

FILE_MODE = 0o600
DIR_MODE = 0o700
# Statuses (besides 5xx) that say the server, or the way to it, is in trouble rather than this
# one result: after one of them the whole sender pauses instead of trying the next result.
_SERVER_TROUBLE_STATUSES = frozenset({0, 429})
# A result that cannot be read back as a request (a corrupt file, an incompatible upgrade)
# can never be sent; it becomes a dead letter under this kiosk-side code.
UNREADABLE = "unreadable_entry"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    result_id       TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    body            BLOB,
    state           TEXT NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'dead', 'delivered')),
    created_at      REAL NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    receipt_no      TEXT,
    delivered_at    REAL,
    CHECK ((body IS NULL) = (state = 'delivered'))
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
"""


def full_jitter(rng: random.Random, attempt: int, base_s: float, cap_s: float) -> float:
    """A delay drawn uniformly from ``[0, min(cap_s, base_s * 2**attempt)]``.

    Full jitter (AWS, "Exponential Backoff And Jitter") spreads out terminals that lost the server
    together, so they do not all come back in the same instant.
    """
    # The exponent is bounded so that a result retried for weeks cannot overflow a float.
    return rng.uniform(0, min(cap_s, base_s * 2 ** min(attempt, 32)))


@dataclass(frozen=True)
class PendingResult:
    """A result ready to send: the request, and the key and bytes every attempt reuses."""

    result_id: uuid.UUID
    idempotency_key: str
    request: VerificationRequest
    body: bytes


class OutboxCounts(NamedTuple):
    """What the heartbeat reports: results still to send, and dead letters."""

    waiting: int
    dead: int


@dataclass(frozen=True)
class EntryInfo:
    """One outbox entry as staff may see it: no body, ticket, name or ID number."""

    result_id: uuid.UUID
    state: State
    created_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    receipt_no: str | None
    delivered_at: dt.datetime | None


@dataclass(frozen=True)
class OutboxEntry:
    """A result waiting to be sent, with the key and the bytes every attempt reuses."""

    result_id: uuid.UUID
    idempotency_key: str
    body: bytes
    attempts: int


def _time(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.UTC)


def _create_private(path: Path) -> None:
    """Create ``path`` as an empty file readable by its owner only, if it does not exist."""
    # The mode is given to open(2) itself, so the file is never briefly world-readable; the
    # umask can only take bits away. chmod then tightens a file an older version left loose.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        if hasattr(os, "fchmod"):  # POSIX; on Windows the user profile's ACL keeps it private
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # A new file's directory entry must reach the disk too, or power loss can lose the file.
    # Only POSIX can open a directory (O_DIRECTORY); NTFS journals the entry itself.
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Outbox:
    """The outbox file. Open it with :meth:`open`; every method is one short transaction."""

    def __init__(self, connection: sqlite3.Connection, path: Path, clock: Clock) -> None:
        self._db = connection
        self.path = path
        self.clock = clock
        """Unix time; entries are scheduled by it, so it must survive restarts (no monotonic)."""

    @classmethod
    def open(cls, path: Path, *, clock: Clock = time.time) -> Outbox:
        """Open (creating if needed) the outbox at ``path``; ``clock`` gives Unix time."""
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        _create_private(path)
        for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if companion.exists():
                os.chmod(companion, FILE_MODE)
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        connection = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        try:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise sqlite3.OperationalError(f"the outbox cannot use WAL mode ({mode})")
            # FULL: in WAL mode, NORMAL may lose the last commits on power loss; we may not.
            connection.execute("PRAGMA synchronous=FULL")
            connection.executescript(_SCHEMA)
        except sqlite3.Error:
            connection.close()
            raise
        _fsync_dir(path.parent)
        return cls(connection, path, clock)

    def close(self) -> None:
        """Close the file; anything committed stays."""
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock at once, so a staff command running beside the
        # kiosk waits for it instead of failing halfway.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- the kiosk's side -----------------------------------------------------------------

    def save(self, pending: PendingResult) -> None:
        """Commit ``pending`` durably; when this returns, the result is safe on this terminal.

        Saving the same result again (same id, key and body) changes nothing. Raises
        ``ValueError`` if its ``result_id`` is already here with another key or body.
        """
        result_id = str(pending.result_id)
        now = self.clock()
        with self._transaction() as db:
            inserted = db.execute(
                "INSERT INTO outbox (result_id, idempotency_key, body, created_at, "
                "next_attempt_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (result_id) DO NOTHING",
                (result_id, pending.idempotency_key, pending.body, now, now),
            ).rowcount
            if inserted:
                return
            key, body = db.execute(
                "SELECT idempotency_key, body FROM outbox WHERE result_id = ?", (result_id,)
            ).fetchone()
        # A delivered entry no longer has its body; its key still identifies the result.
        if key != pending.idempotency_key or body not in (None, pending.body):
            raise ValueError(f"result {result_id} is already in the outbox as another request")

    def state_of(self, result_id: uuid.UUID) -> State | None:
        """The entry's state, or None if there is no such entry."""
        row = self._db.execute(
            "SELECT state FROM outbox WHERE result_id = ?", (str(result_id),)
        ).fetchone()
        return None if row is None else row[0]

    def waiting_entry(self, result_id: uuid.UUID) -> OutboxEntry | None:
        """The entry if it is waiting to be sent, else None."""
        row = self._db.execute(
            "SELECT result_id, idempotency_key, body, attempts FROM outbox "
            "WHERE result_id = ? AND state = 'waiting'",
            (str(result_id),),
        ).fetchone()
        return None if row is None else _entry(row)

    def next_due(self) -> OutboxEntry | None:
        """The waiting entry whose next attempt is due, earliest first; None if none is due."""
        row = self._db.execute(
            "SELECT result_id, idempotency_key, body, attempts FROM outbox "
            "WHERE state = 'waiting' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, created_at LIMIT 1",
            (self.clock(),),
        ).fetchone()
        return None if row is None else _entry(row)

    def next_attempt_at(self) -> float | None:
        """When the next waiting entry is due (Unix time), or None if nothing waits."""
        row = self._db.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = 'waiting'"
        ).fetchone()
        return row[0]  # type: ignore[no-any-return]

    def record_failure(self, result_id: uuid.UUID, error: ApiError, retry_at: float) -> None:
        """Count a failed attempt that may succeed later; try again at ``retry_at``."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_status = ?, last_error = ?, "
                "next_attempt_at = ? WHERE result_id = ? AND state = 'waiting'",
                (error.status, error.code, retry_at, str(result_id)),
            )

    def receipt_of(self, result_id: uuid.UUID) -> str | None:
        """The server's receipt number of a delivered entry, else None."""
        row = self._db.execute(
            "SELECT receipt_no FROM outbox WHERE result_id = ? AND state = 'delivered'",
            (str(result_id),),
        ).fetchone()
        return None if row is None else row[0]

    def mark_delivered(self, result_id: uuid.UUID, receipt_no: str) -> None:
        """The server has the result: erase the body, keep the receipt number for a while."""
        now = self.clock()
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'delivered', body = NULL, attempts = attempts + 1, "
                "last_status = NULL, last_error = NULL, receipt_no = ?, delivered_at = ? "
                "WHERE result_id = ? AND state != 'delivered'",
                (receipt_no, now, str(result_id)),
            )

    def mark_dead(self, result_id: uuid.UUID, status: int, code: str) -> None:
        """The server refused the result for good: keep it, untouched, as a dead letter."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_status = ?, "
                "last_error = ? WHERE result_id = ? AND state = 'waiting'",
                (status, code, str(result_id)),
            )

    # --- staff and the heartbeat ----------------------------------------------------------

    def counts(self) -> OutboxCounts:
        """Results waiting to be sent and dead letters, for the heartbeat and the welcome screen."""
        rows = dict(
            self._db.execute(
                "SELECT state, count(*) FROM outbox WHERE state != 'delivered' GROUP BY state"
            ).fetchall()
        )
        return OutboxCounts(waiting=rows.get("waiting", 0), dead=rows.get("dead", 0))

    def entries(self) -> list[EntryInfo]:
        """Every entry, oldest first, without any personal data."""
        rows = self._db.execute(
            "SELECT result_id, state, created_at, attempts, next_attempt_at, last_error, "
            "receipt_no, delivered_at FROM outbox ORDER BY created_at, result_id"
        ).fetchall()
        return [
            EntryInfo(
                result_id=uuid.UUID(row[0]),
                state=row[1],
                created_at=dt.datetime.fromtimestamp(row[2], dt.UTC),
                attempts=row[3],
                next_attempt_at=_time(row[4]) if row[1] == "waiting" else None,
                last_error=row[5],
                receipt_no=row[6],
                delivered_at=_time(row[7]),
            )
            for row in rows
        ]

    def retry_dead(self) -> int:
        """Put every dead letter back in the queue, same key and body; returns how many."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE outbox SET state = 'waiting', next_attempt_at = ? WHERE state = 'dead'",
                (self.clock(),),
            ).rowcount

    def purge_delivered(self, older_than_s: float = 0.0) -> int:
        """Delete the tombstones of results delivered ``older_than_s`` ago or earlier."""
        with self._transaction() as db:
            return db.execute(
                "DELETE FROM outbox WHERE state = 'delivered' AND delivered_at <= ?",
                (self.clock() - older_than_s,),
            ).rowcount


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        result_id=uuid.UUID(row[0]), idempotency_key=row[1], body=bytes(row[2]), attempts=row[3]
    )


# --- sending ----------------------------------------------------------------------------------


class Submitter(Protocol):
    """What the sender needs of a client: :meth:`kiosk.client.ApiClient.submit`."""

    async def submit(
        self, request: VerificationRequest, idempotency_key: str, body: bytes | None = None
    ) -> tuple[VerificationReceipt, bool]:
        """Send one result; raise :class:`ApiError` on any failure."""


@dataclass(frozen=True)
class Delivery:
    """How a saved result stands after the wait: delivered, still waiting, or refused.

    ``state == "delivered"``: ``receipt`` is the server's receipt. ``"waiting"``: saved on
    this terminal and sent automatically later (``error``, if set, is why the first try
    failed). ``"dead"``: ``error`` says why the server
    refused it; it stays on the terminal as a dead letter for staff.
    """

    result_id: uuid.UUID
    state: State
    receipt: VerificationReceipt | None = None
    error: ApiError | None = None


class OutboxSender:
    """Sends the outbox in the background, one result at a time, until each is answered.

    :meth:`start` it with the app (every start also sends what a crash left behind) and
    :meth:`stop` it on exit. Waiting results are tried when due; each failure pushes that
    result back by a full-jitter delay that doubles per attempt up to ``max_delay_s``, and a
    failure of the server itself also pauses the whole sender by the same rule, so a terminal
    with many waiting results does not hammer a server that is down.
    """

    def __init__(
        self,
        outbox: Outbox,
        client: Submitter,
        *,
        base_delay_s: float = 1.0,
        max_delay_s: float = 60.0,
        keep_delivered_s: float = 86400.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < base_delay_s <= max_delay_s:
            raise ValueError("need 0 < base_delay_s <= max_delay_s")
        self._outbox = outbox
        self._client = client
        self._base = base_delay_s
        self._cap = max_delay_s
        self._keep_delivered_s = keep_delivered_s
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._urgent: collections.deque[uuid.UUID] = collections.deque()
        self._waiters: dict[uuid.UUID, list[asyncio.Future[Delivery]]] = {}
        self._server_failures = 0
        self._paused_until = 0.0

    @property
    def running(self) -> bool:
        """True while the background task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start sending in the background (needs a running event loop).

        Tombstones older than ``keep_delivered_s`` go first; an error of the outbox file
        here is raised to the caller, who should not pretend results can be sent.
        """
        if self.running:
            return
        self._outbox.purge_delivered(self._keep_delivered_s)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-sender")
        self._task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Stop sending; an attempt in flight is abandoned and simply made again next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        for futures in self._waiters.values():
            for future in futures:
                future.cancel()
        self._waiters.clear()

    async def deliver_now(self, result_id: uuid.UUID, timeout_s: float) -> Delivery:
        """Send a just-saved result at once and wait up to ``timeout_s`` for its outcome.

        The result is tried at once even while the sender is pausing after failures. A
        result that is not waiting in the outbox raises ``LookupError``.
        """
        if self._outbox.state_of(result_id) != "waiting":
            raise LookupError(f"result {result_id} is not waiting in the outbox")
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(result_id, []).append(future)
        self._urgent.append(result_id)
        self._wake.set()
        await asyncio.wait({future}, timeout=timeout_s)
        if future.done() and not future.cancelled():
            return future.result()
        future.cancel()
        # The outcome may have settled (and removed) the waiters in the same instant.
        with contextlib.suppress(KeyError, ValueError):
            self._waiters[result_id].remove(future)
        return Delivery(result_id, "waiting")

    # --- the loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            # Cleared before looking for work, so a wake-up during the look is not lost.
            self._wake.clear()
            try:
                entry = self._next_entry()
                if entry is not None:
                    await self._attempt(entry)
                    continue
                timeout = self._idle_timeout()
            except sqlite3.Error:
                # A full or broken disk: nothing is lost by waiting; the results stay saved.
                log.exception("outbox: cannot read or update the outbox file")
                timeout = self._cap
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the event is set, and the sender would outlive its stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    def _next_entry(self) -> OutboxEntry | None:
        while self._urgent:
            entry = self._outbox.waiting_entry(self._urgent.popleft())
            if entry is not None:
                return entry
        if self._outbox.clock() < self._paused_until:
            return None
        return self._outbox.next_due()

    def _idle_timeout(self) -> float:
        # Never sleep longer than the cap: staff may re-queue dead letters from another process.
        due = self._outbox.next_attempt_at()
        if due is None:
            return self._cap
        return min(self._cap, max(0.0, max(due, self._paused_until) - self._outbox.clock()))

    async def _attempt(self, entry: OutboxEntry) -> None:
        try:
            request = VerificationRequest.model_validate_json(entry.body)
        except ValidationError:
            log.error(
                "outbox: result %s cannot be read back; kept as a dead letter", entry.result_id
            )
            self._give_up(entry.result_id, ApiError(0, UNREADABLE))
            return
        try:
            receipt, _replayed = await self._client.submit(
                request, entry.idempotency_key, body=entry.body
            )
        except ApiError as error:
            if error.retryable:
                self._retry_later(entry, error)
            else:
                log.warning("outbox: result %s refused (%s); dead letter", entry.result_id, error)
                self._give_up(entry.result_id, error)
            return
        self._server_failures = 0
        self._paused_until = 0.0
        self._outbox.mark_delivered(entry.result_id, receipt.receipt_no)
        self._settle(Delivery(entry.result_id, "delivered", receipt=receipt))
        self._outbox.purge_delivered(self._keep_delivered_s)

    def _retry_later(self, entry: OutboxEntry, error: ApiError) -> None:
        now = self._outbox.clock()
        retry_at = now + full_jitter(self._rng, entry.attempts, self._base, self._cap)
        self._outbox.record_failure(entry.result_id, error, retry_at)
        # Whoever waits hears at once that the result is saved and will go later: a student
        # should not stand at the terminal through a backoff.
        self._settle(Delivery(entry.result_id, "waiting", error=error))
        if error.status in _SERVER_TROUBLE_STATUSES or error.status >= 500:
            pause = full_jitter(self._rng, self._server_failures, self._base, self._cap)
            self._server_failures += 1
            self._paused_until = now + pause

    def _give_up(self, result_id: uuid.UUID, error: ApiError) -> None:
        self._outbox.mark_dead(result_id, error.status, error.code)
        self._settle(Delivery(result_id, "dead", error=error))

    def _settle(self, delivery: Delivery) -> None:
        for future in self._waiters.pop(delivery.result_id, []):
            if not future.done():
                future.set_result(delivery)


def _report_crash(task: asyncio.Task[None]) -> None:
    # The results stay saved, but nothing sends them until the next start: say so loudly.
    if not task.cancelled() and task.exception() is not None:
        log.error("outbox sender stopped unexpectedly", exc_info=task.exception())
