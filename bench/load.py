"""A bounded asyncio load generator (h11 or httpx), run as its own process on loopback.

    python -m bench.load --url http://127.0.0.1:PORT --mode health|submit|login
        [--concurrency 64] [--count 4000] [--duration 20] [--terminal-key K]
        [--ticket T --record-version V] [--accounts '[["user", "pw"], ...]']

It prints one JSON object: requests, statuses, elapsed seconds, requests/s and latency
percentiles. Each of ``--concurrency`` tasks keeps one keep-alive connection busy; the run
stops at ``--count`` requests or ``--duration`` seconds, whichever comes first, after a short
unmeasured warm-up. ``--client h11`` (the default) is a keep-alive HTTP/1.1 client on asyncio
streams framed by h11, ``--client httpx`` the project's HTTP library; the generator reports its
own CPU time per request so a reader can see how much of the two cores it took. A separate
process, so that the generator's own CPU use shows up as a
competing process (as a real client would be), not as time inside the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import h11
import httpx

FIELD_KEYS = (
    "name", "gender", "ethnicity", "birth_date", "id_number", "student_no", "institution",
    "college", "department", "major", "class_name", "level", "duration",
    "education_category", "study_mode", "enrollment_date", "status",
)  # fmt: skip
"""The 17 keys of the contract; repeated here so the generator imports nothing of the project."""

REQUEST_TIMEOUT_S = 30.0
"""A request that takes longer counts as failed (``TimeoutError``)."""
WARMUP_REQUESTS = 64
"""Unmeasured requests first, so connection set-up and first-call caches are not counted."""


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an already sorted list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


@dataclass
class Recorder:
    """Latencies and statuses of the measured requests."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def summary(self, elapsed_s: float) -> dict[str, Any]:
        """Counts, throughput and percentiles as JSON-ready values."""
        ordered = sorted(self.latencies_ms)
        ok = sum(n for status, n in self.statuses.items() if status.startswith("2"))
        return {
            "requests": len(ordered),
            "ok": ok,
            "statuses": dict(self.statuses),
            "elapsed_s": round(elapsed_s, 3),
            "per_s": round(ok / elapsed_s, 1) if elapsed_s > 0 else 0.0,
            "p50_ms": round(statistics.median(ordered), 2) if ordered else 0.0,
            "p95_ms": round(percentile(ordered, 0.95), 2),
            "p99_ms": round(percentile(ordered, 0.99), 2),
            "max_ms": round(ordered[-1], 2) if ordered else 0.0,
        }


@dataclass(frozen=True)
class Request:
    """One request as method, path, headers and body, independent of the client used."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


RequestMaker = Callable[[int], Request]


@dataclass(frozen=True)
class Response:
    """A whole answer: status, headers (names lower-case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


class H11Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams, framed by h11.

    httpx spends several milliseconds of CPU per request once 64 connections share its pool
    (measured on this 2-core VM), so with it the generator, not the server, would be what is
    measured. h11 is the framing httpx itself uses (Content-Length, chunked bodies,
    ``Connection: close``), without the pool, the URL model and the middleware around it.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._http = h11.Connection(h11.CLIENT)

    async def exchange(self, request: Request) -> Response:
        """Send ``request`` and read the whole answer.

        A connection the server closed while it was idle (uvicorn after 5 s of keep-alive)
        is opened again first, and a request on a reused connection that the server closed
        before answering is sent once more on a new one, as httpx does.
        """
        reused = self._streams is not None and not self._streams[0].at_eof()
        if not reused:
            await self.close()
        try:
            return await self._exchange(request)
        except ConnectionError:
            await self.close()  # a fresh socket and a fresh h11 state for the retry
            if not reused:
                raise
            return await self._exchange(request)

    async def _exchange(self, request: Request) -> Response:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
            self._http = h11.Connection(h11.CLIENT)
        reader, writer = self._streams
        headers = [("Host", f"{self.host}:{self.port}"), *request.headers.items()]
        headers.append(("Content-Length", str(len(request.body))))
        http = self._http
        data = http.send(h11.Request(method=request.method, target=request.path, headers=headers))
        if request.body:
            data = (data or b"") + (http.send(h11.Data(data=request.body)) or b"")
        writer.write((data or b"") + (http.send(h11.EndOfMessage()) or b""))
        await writer.drain()
        status = 0
        answer_headers: dict[str, str] = {}
        body = bytearray()
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                chunk = await reader.read(65536)
                if not chunk:
                    await self.close()
                    raise ConnectionError("the server closed the connection")
                http.receive_data(chunk)
            elif isinstance(event, h11.Response):
                status = event.status_code
                answer_headers = {
                    name.decode("latin-1"): value.decode("latin-1") for name, value in event.headers
                }
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                await self.close()
                raise ConnectionError("the server closed the connection")
        if http.our_state is h11.DONE and http.their_state is h11.DONE:
            http.start_next_cycle()
        else:  # Connection: close, or an answer before the request was read
            await self.close()
        return Response(status, answer_headers, bytes(body))

    async def send(self, request: Request) -> int:
        """Send ``request`` and read the whole answer; returns the status code."""
        return (await self.exchange(request)).status

    async def close(self) -> None:
        """Close the connection (the next send opens a new one)."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def submission_body(ticket: str, record_version: int) -> Callable[[], bytes]:
    """A factory of all-correct results, each with a new ``result_id``.

    The JSON around the id is serialised once; only the UUID changes per request, which
    keeps the generator's CPU share small.
    """
    template = json.dumps(
        {
            "result_id": "@@ID@@",
            "ticket": ticket,
            "record_version": record_version,
            "fields": [{"key": key, "verdict": "correct"} for key in FIELD_KEYS],
            "photo": {"verdict": "correct"},
            "started_at": "2026-06-01T08:00:00Z",
            "finished_at": "2026-06-01T08:04:00Z",
        }
    )
    head, tail = template.split("@@ID@@")

    def make() -> bytes:
        return f"{head}{uuid.uuid4()}{tail}".encode()

    return make


def request_maker(args: argparse.Namespace) -> RequestMaker:
    """The factory of the ``n``-th request of ``args.mode``."""
    if args.mode == "health":
        return lambda _n: Request("GET", "/health", {})
    if args.mode == "submit":
        body = submission_body(args.ticket, args.record_version)

        def submit(_n: int) -> Request:
            headers = {
                "Terminal-Key": args.terminal_key,
                # A new key and result_id every time: each request is a first submission.
                "Idempotency-Key": str(uuid.uuid4()),
                "Content-Type": "application/json",
            }
            return Request("POST", "/api/v1/verifications", headers, body())

        return submit
    if args.mode == "login":
        accounts: list[list[str]] = json.loads(args.accounts)

        def login(n: int) -> Request:
            username, password = accounts[n % len(accounts)]
            body = json.dumps({"username": username, "password": password}).encode()
            headers = {"Terminal-Key": args.terminal_key, "Content-Type": "application/json"}
            return Request("POST", "/api/v1/sessions", headers, body)

        return login
    raise SystemExit(f"unknown mode {args.mode}")


Sender = Callable[[Request], Awaitable[int]]


@asynccontextmanager
async def senders(args: argparse.Namespace) -> AsyncIterator[list[Sender]]:
    """One sender per concurrent client: raw keep-alive connections, or one shared httpx pool."""
    parts = urlsplit(args.url)
    if args.client == "h11":
        connections = [
            H11Connection(parts.hostname or "127.0.0.1", parts.port or 80)
            for _ in range(args.concurrency)
        ]
        try:
            yield [connection.send for connection in connections]
        finally:
            for connection in connections:
                await connection.close()
        return
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(base_url=args.url, limits=limits, timeout=30) as client:

        async def send(request: Request) -> int:
            response = await client.request(
                request.method, request.path, headers=request.headers, content=request.body
            )
            return response.status_code

        yield [send] * args.concurrency


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, then keep ``concurrency`` requests in flight until the count or time is up."""
    host = urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load is generated against loopback servers only")
    make = request_maker(args)
    recorder = Recorder()
    async with senders(args) as clients:
        warmup = min(WARMUP_REQUESTS, args.count)
        await asyncio.gather(*(clients[n % len(clients)](make(-1 - n)) for n in range(warmup)))
        issued = 0
        cpu_before = time.process_time()
        started = time.perf_counter()
        deadline = started + args.duration

        async def worker(send: Sender) -> None:
            nonlocal issued
            # Bounded twice: by the shared count and by the deadline.
            while issued < args.count and time.perf_counter() < deadline:
                request = make(issued)
                issued += 1
                sent = time.perf_counter()
                try:
                    status = str(await asyncio.wait_for(send(request), REQUEST_TIMEOUT_S))
                except (
                    OSError,
                    TimeoutError,
                    httpx.HTTPError,
                    asyncio.IncompleteReadError,
                    h11.ProtocolError,
                ) as exc:
                    status = type(exc).__name__
                recorder.latencies_ms.append((time.perf_counter() - sent) * 1000)
                recorder.statuses[status] += 1

        await asyncio.gather(*(worker(send) for send in clients))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
    result = recorder.summary(elapsed)
    result.update(
        mode=args.mode,
        concurrency=args.concurrency,
        client=args.client,
        client_cpu_ms_per_request=round(cpu * 1000 / max(1, len(recorder.latencies_ms)), 3),
    )
    return result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", required=True)
    parser.add_argument("--mode", choices=["health", "submit", "login"], required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--terminal-key", default="")
    parser.add_argument("--ticket", default="")
    parser.add_argument("--record-version", type=int, default=1)
    parser.add_argument("--accounts", default="[]")
    parser.add_argument("--client", choices=["h11", "httpx"], default="h11")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run once and print the JSON summary."""
    print(json.dumps(asyncio.run(run(parse(argv)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
