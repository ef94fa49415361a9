"""Profile one server endpoint in-process (no HTTP, no load generator) with pyinstrument.

    python -m bench.profile_server [--count 300] [--html bench/report.profile-submit.html]

A fresh SQLite database (or ``--database-url``) with one terminal and one student; the app is
called through ``httpx.ASGITransport``, so the profile shows only the server's own work:
FastAPI, pydantic, SQLAlchemy and the driver. It prints the server CPU milliseconds per
submission and the top of the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from kiosk.fields import FIELD_KEYS
from server.app import create_app
from server.migrate import migrate
from server.terminals import add_terminal
from tests.e2e.serving import another_ticket
from tests.server.conftest import Clock, World, test_settings

EMAIL = "bench@example.edu.cn"


async def _submissions(database_url: str, count: int, html: Path | None) -> dict[str, Any]:
    """Submit ``count`` all-correct results, the last ``count`` of them under the profiler."""
    await migrate(database_url)
    clock = Clock()
    app = create_app(test_settings(database_url), clock=clock)
    async with LifespanManager(app):
        async with app.state.ctx.db.sessions.begin() as session:
            _terminal, key = await add_terminal(session, "BENCH", "t01")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client:
            world = World(app, client, clock, key, key)
            await world.add_student(1, email=EMAIL)
            token = await world.token_for(EMAIL)
            record = (await client.get("/api/v1/me/record", headers=world.headers(token))).json()

            async def submit() -> None:
                body = {
                    "result_id": str(uuid.uuid4()),
                    "ticket": another_ticket(record["ticket"], app.state.ctx.settings.secret_key),
                    "record_version": record["record_version"],
                    "fields": [{"key": k, "verdict": "correct"} for k in FIELD_KEYS],
                    "photo": {"verdict": "correct"},
                    "started_at": "2026-06-01T08:00:00Z",
                    "finished_at": "2026-06-01T08:04:00Z",
                }
                headers = world.headers() | {"Idempotency-Key": str(uuid.uuid4())}
                answer = await client.post("/api/v1/verifications", json=body, headers=headers)
                assert answer.status_code == 201, answer.text

            for _ in range(20):  # warm-up: caches, first compilations
                await submit()
            profiler = None
            report = ""
            if html is not None:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="disabled")
                profiler.start()
            cpu = time.process_time()
            loop_cpu = time.thread_time()
            wall = time.perf_counter()
            for _ in range(count):
                await submit()
            cpu = time.process_time() - cpu
            # The event loop's thread alone: the rest is the database driver's thread.
            loop_cpu = time.thread_time() - loop_cpu
            wall = time.perf_counter() - wall
            if profiler is not None:
                profiler.stop()
                report = profiler.output_html()
                print(profiler.output_text(color=False, show_all=False)[:6000])
    return {
        "profile_html": report,
        "cpu_ms_per_submission": cpu * 1000 / count,
        "event_loop_cpu_ms_per_submission": loop_cpu * 1000 / count,
        "wall_ms_per_submission": wall * 1000 / count,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the profile and print the per-submission costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--html", type=Path, default=None)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-profile-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/profile.db"
        result = asyncio.run(_submissions(url, args.count, args.html))
    if args.html is not None:
        args.html.write_text(result["profile_html"])
    print({key: round(value, 2) for key, value in result.items() if key != "profile_html"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
