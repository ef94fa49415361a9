"""A lab day against a real ``kiosk serve`` on loopback: steady traffic, then a big import.

    python -m bench.lab_day generate --url URL --setup SETUP.json --records FILE.csv
        [--duration 180] [--import-at 60]

``run()`` (called by ``bench``) prepares the day and starts the generator as its own process:

- **300 terminals** (added to the database in lab ``lab-day`` before the run), each
  heartbeating every 10 s on its own keep-alive connection, spread evenly over the 10 s;
- **5 proctor consoles** polling the lab's board every second with ``If-None-Match``;
- **logins at 1/s** (the demo students, from terminals in turn);
- **submissions at 5/s**: each fetches the student's record (``GET /me/record``, a fresh
  ticket) and then submits an all-correct result with a new ``result_id`` and
  ``Idempotency-Key``; the two are timed as ``record`` and ``submit``;
- at ``--import-at`` seconds, the registrar imports a record file (30,000 new students in
  the full run): first checked (``dry_run``), then applied.

Requests are sent on a fixed schedule (open loop): a slow answer does not slow the rate, as
with real terminals. Each request is classed *during the import* if it was in flight at any
moment between the start of the check and the end of the apply, *quiet* otherwise. The load
runs ``--duration`` seconds, and on past it (up to ``IMPORT_GRACE_S``) until the import has
answered, so there is traffic both sides of it. Server RSS (the process and its workers) is
read from /proc before and after. Every request and every duration is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.load import H11Connection, Request, Response, percentile, submission_body

LAB = "lab-day"
TERMINALS = 300
HEARTBEAT_EVERY_S = 10.0
PROCTORS = 5
BOARD_EVERY_S = 1.0
LOGINS_PER_S = 1.0
SUBMISSIONS_PER_S = 5.0
REQUEST_TIMEOUT_S = 60.0
"""A request that takes longer counts as an error."""
IMPORT_TIMEOUT_S = 300.0
IMPORT_GRACE_S = 240.0
"""How long the load may run past ``--duration`` while the import has not answered."""
POOL_MAX = 32
"""Connections at most for the logins, records and submissions (each kind its own pool)."""
API = "/api/v1"


# --- the generator (its own process; imports nothing of the project) ----------------------------


@dataclass
class Sample:
    """One request: its kind, when it was sent and answered, and its outcome."""

    kind: str
    sent: float
    done: float
    status: str


@dataclass
class Day:
    """What the generator knows and records."""

    host: str
    port: int
    setup: dict[str, Any]
    samples: list[Sample] = field(default_factory=list)
    import_window: tuple[float, float] | None = None
    import_result: dict[str, Any] = field(default_factory=dict)
    pools: dict[str, list[H11Connection]] = field(default_factory=lambda: defaultdict(list))
    limits: dict[str, asyncio.Semaphore] = field(
        default_factory=lambda: defaultdict(lambda: asyncio.Semaphore(POOL_MAX))
    )

    async def call(
        self, kind: str, request: Request, connection: H11Connection | None = None
    ) -> Response | None:
        """Send ``request`` (on ``connection`` or one of the kind's pool) and record it."""
        if connection is not None:
            return await self._send(kind, request, connection)
        async with self.limits[kind]:
            pool = self.pools[kind]
            connection = pool.pop() if pool else H11Connection(self.host, self.port)
            try:
                return await self._send(kind, request, connection)
            finally:
                pool.append(connection)

    async def _send(
        self, kind: str, request: Request, connection: H11Connection
    ) -> Response | None:
        sent = time.perf_counter()
        answer: Response | None = None
        try:
            answer = await asyncio.wait_for(connection.exchange(request), REQUEST_TIMEOUT_S)
            status = str(answer.status)
        except Exception as exc:
            # Every failure is an error of the run, counted by its type; the connection is
            # closed so that the next request starts clean.
            status = type(exc).__name__
            await connection.close()
        self.samples.append(Sample(kind, sent, time.perf_counter(), status))
        return answer


def _json(answer: Response | None, status: int) -> dict[str, Any] | None:
    if answer is None or answer.status != status:
        return None
    data = json.loads(answer.body)
    return data if isinstance(data, dict) else None


def _post_json(path: str, body: object, headers: dict[str, str]) -> Request:
    payload = json.dumps(body).encode()
    return Request("POST", path, {**headers, "Content-Type": "application/json"}, payload)


Until = Callable[[], float]
"""When the load stops, asked again before each request (the import may extend it)."""


async def _terminal(day: Day, key: str, offset_s: float, until: Until) -> None:
    connection = H11Connection(day.host, day.port)
    body = {"state": "idle", "results_waiting": 0, "dead_letters": 0}
    request = _post_json(f"{API}/terminals/heartbeat", body, {"Terminal-Key": key})
    start = time.perf_counter() + offset_s
    beat = 0
    while (at := start + beat * HEARTBEAT_EVERY_S) < until():
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        await day.call("heartbeat", request, connection)
        beat += 1
    await connection.close()


async def _proctor(day: Day, token: str, offset_s: float, until: Until) -> None:
    connection = H11Connection(day.host, day.port)
    headers = {"Authorization": f"Bearer {token}"}
    etag: str | None = None
    start = time.perf_counter() + offset_s
    tick = 0
    while (at := start + tick * BOARD_EVERY_S) < until():
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        sent = dict(headers, **({"If-None-Match": etag} if etag else {}))
        answer = await day.call(
            "board", Request("GET", f"{API}/staff/board?lab={LAB}", sent), connection
        )
        if answer is not None and answer.status == 200:
            etag = answer.headers.get("etag", etag)
        tick += 1
    await connection.close()


async def _paced(
    rate_per_s: float, until: Until, action: Callable[[int], Coroutine[Any, Any, None]]
) -> None:
    """Start ``action(n)`` at ``rate_per_s`` on a fixed schedule; wait for all of them."""
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    n = 0
    while (at := start + n / rate_per_s) < until():
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        tasks.append(asyncio.create_task(action(n)))
        n += 1
    await asyncio.gather(*tasks)


async def _import(day: Day, at_s: float, records: bytes) -> None:
    await asyncio.sleep(at_s)
    token = day.setup["registrar_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    started = time.perf_counter()
    path = f"{API}/staff/imports/records"
    connection = H11Connection(day.host, day.port)
    results: dict[str, Any] = {}
    for step, query in (("check", "?dry_run=true"), ("apply", "")):
        sent = time.perf_counter()
        try:
            answer = await asyncio.wait_for(
                connection.exchange(Request("POST", path + query, headers, records)),
                IMPORT_TIMEOUT_S,
            )
            report = json.loads(answer.body) if answer.status == 200 else {}
            results[step] = {
                "status": answer.status,
                "seconds": round(time.perf_counter() - sent, 2),
                **{k: report.get(k) for k in ("rows", "applied", "created", "updated")},
                "problems": len(report.get("problems", [])),
            }
            if answer.status != 200 or results[step]["problems"]:
                break
        except (OSError, TimeoutError, ConnectionError) as exc:
            results[step] = {"status": type(exc).__name__}
            break
    await connection.close()
    day.import_window = (started, time.perf_counter())
    day.import_result = results


async def generate(
    url: str, setup: dict[str, Any], records: bytes, duration_s: float, import_at_s: float
) -> dict[str, Any]:
    """The whole day; returns the per-kind summary."""
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the lab day runs against loopback servers only")
    day = Day(parts.hostname or "127.0.0.1", parts.port or 80, setup)
    began = time.perf_counter()
    deadline = began + duration_s
    importer = asyncio.create_task(_import(day, import_at_s, records))

    def until() -> float:
        # The load goes on past the deadline while the import has not answered (bounded).
        if not importer.done():
            return max(deadline, min(time.perf_counter() + 1, deadline + IMPORT_GRACE_S))
        return deadline

    terminals: list[str] = setup["terminal_keys"]
    students: list[dict[str, str]] = setup["students"]

    async def login(n: int) -> None:
        account = students[n % len(students)]
        key = terminals[n % len(terminals)]
        body = {"username": account["username"], "password": account["password"]}
        await day.call("login", _post_json(f"{API}/sessions", body, {"Terminal-Key": key}))

    async def submit(n: int) -> None:
        student = students[n % len(students)]
        auth = {
            "Terminal-Key": student["terminal_key"],
            "Authorization": f"Bearer {student['token']}",
        }
        record = _json(await day.call("record", Request("GET", f"{API}/me/record", auth)), 200)
        if record is None:
            return
        # A fresh ticket for every result (a ticket may authorise one result only).
        make = submission_body(record["ticket"], record["record_version"])
        headers = {
            "Terminal-Key": student["terminal_key"],
            "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }
        await day.call("submit", Request("POST", f"{API}/verifications", headers, make()))

    spread = HEARTBEAT_EVERY_S / len(terminals)
    await asyncio.gather(
        *(_terminal(day, key, i * spread, until) for i, key in enumerate(terminals)),
        *(
            _proctor(day, token, i / PROCTORS, until)
            for i, token in enumerate(setup["proctor_tokens"])
        ),
        _paced(LOGINS_PER_S, until, login),
        _paced(SUBMISSIONS_PER_S, until, submit),
        importer,
    )
    for pool in day.pools.values():
        for connection in pool:
            await connection.close()
    return summarise(day, time.perf_counter() - began)


def _stats(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p99_ms": round(percentile(ordered, 0.99), 1) if ordered else None,
    }


def summarise(day: Day, elapsed_s: float) -> dict[str, Any]:
    """Per kind: quiet and during-import percentiles, their ratio, and the errors."""
    window = day.import_window
    kinds: dict[str, Any] = {}
    for kind in sorted({s.kind for s in day.samples}):
        quiet: list[float] = []
        during: list[float] = []
        errors: dict[str, int] = defaultdict(int)
        for s in (s for s in day.samples if s.kind == kind):
            overlaps = window is not None and s.sent <= window[1] and s.done >= window[0]
            (during if overlaps else quiet).append((s.done - s.sent) * 1000)
            if not (s.status.startswith("2") or s.status == "304"):
                errors[s.status] += 1
        q, d = _stats(quiet), _stats(during)
        ratio = round(d["p99_ms"] / q["p99_ms"], 2) if q["p99_ms"] and d["p99_ms"] else None
        kinds[kind] = {"quiet": q, "during_import": d, "p99_ratio": ratio, "errors": dict(errors)}
    return {
        "elapsed_s": round(elapsed_s, 1),
        "import": day.import_result,
        "import_s": round(window[1] - window[0], 2) if window else None,
        "kinds": kinds,
        "errors": sum(sum(k["errors"].values()) for k in kinds.values()),
    }


# --- the preparation and the run (in the bench process) ------------------------------------------


def record_file(rows: int) -> bytes:
    """A valid record file of ``rows`` new students (学号 9000000000 on, not the demo's)."""
    from kiosk.fields import FIELDS
    from server.demo_data import generate_students

    keys = [spec.key for spec in FIELDS]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(keys)
    for index, student in enumerate(generate_students(rows, seed=17)):
        values = dict(student.values, student_no=f"9{index:09d}")
        writer.writerow([values[key] for key in keys])
    return buffer.getvalue().encode()


async def _add_terminals(database_url: str, count: int) -> list[str]:
    from server.db import Database
    from server.terminals import add_terminal

    db = Database(database_url)
    try:
        async with db.sessions.begin() as session:
            keys = [(await add_terminal(session, LAB, f"T{n:03d}"))[1] for n in range(count)]
    finally:
        await db.dispose()
    return keys


def _setup(url: str, database_url: str, accounts: dict[str, Any]) -> dict[str, Any]:
    """Terminals in the database, staff and student sessions opened over HTTP."""
    import httpx

    keys = asyncio.run(_add_terminals(database_url, TERMINALS))
    staff = {row["role"]: row for row in accounts["staff"]}
    students: list[dict[str, str]] = []
    with httpx.Client(base_url=url, timeout=60) as client:

        def staff_token(role: str) -> str:
            row = staff[role]
            answer = client.post(
                f"{API}/staff/sessions",
                json={"username": row["username"], "password": row["password"]},
            )
            answer.raise_for_status()
            return str(answer.json()["token"])

        proctors = [staff_token("proctor") for _ in range(PROCTORS)]
        registrar = staff_token("registrar")
        for index, row in enumerate(accounts["students"]):
            key = keys[-1 - index]
            answer = client.post(
                f"{API}/sessions",
                json={"username": row["username"], "password": row["password"]},
                headers={"Terminal-Key": key},
            )
            answer.raise_for_status()
            students.append({
                "username": row["username"], "password": row["password"],
                "token": answer.json()["token"], "terminal_key": key,
            })  # fmt: skip
    return {
        "terminal_keys": keys,
        "proctor_tokens": proctors,
        "registrar_token": registrar,
        "students": students,
    }


def server_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its direct children (uvicorn workers), from /proc."""
    total_kib = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name != str(pid) and stat[1] != str(pid):
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return round(total_kib / 1024, 1)


def run(
    url: str, database_url: str, pid: int, accounts: dict[str, Any], workdir: Path, *, quick: bool
) -> dict[str, Any]:
    """Prepare, run the generator in its own process, and add the server's RSS."""
    rows = 5_000 if quick else 30_000
    duration = 30.0 if quick else 180.0
    records = workdir / f"lab-day-{rows}.csv"
    if not records.exists():
        records.write_bytes(record_file(rows))
    setup = workdir / "lab-day-setup.json"
    setup.write_text(json.dumps(_setup(url, database_url, accounts)))
    rss_start = server_rss_mib(pid)
    command = [
        sys.executable, "-m", "bench.lab_day", "generate", "--url", url, "--setup", str(setup),
        "--records", str(records), "--duration", str(duration),
        "--import-at", str(duration / 3),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
        timeout=duration + IMPORT_GRACE_S + IMPORT_TIMEOUT_S, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the lab day failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    rss_end = server_rss_mib(pid)
    result.update(
        rows=rows,
        duration_s=duration,
        rss_start_mib=rss_start,
        rss_end_mib=rss_end,
        rss_growth=round(rss_end / rss_start - 1, 3) if rss_start else None,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """The generator: one lab day, its summary as one JSON line."""
    parser = argparse.ArgumentParser(description="the lab-day load generator")
    modes = parser.add_subparsers(dest="mode", required=True)
    gen = modes.add_parser("generate")
    gen.add_argument("--url", required=True)
    gen.add_argument("--setup", required=True)
    gen.add_argument("--records", required=True)
    gen.add_argument("--duration", type=float, default=180.0)
    gen.add_argument("--import-at", type=float, default=60.0)
    args = parser.parse_args(argv)
    setup = json.loads(Path(args.setup).read_text())
    records = Path(args.records).read_bytes()
    day = generate(args.url, setup, records, args.duration, args.import_at)
    print(json.dumps(asyncio.run(day)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
