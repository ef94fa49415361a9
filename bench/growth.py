"""How the corrections queue and the progress view grow with the school: 5,000 students against 50,000.

    python -m bench.growth [--sizes 5000 50000] [--repeat 15]

For each size, a fresh SQLite database gets that many students (demo data, inserted in bulk),
one result for every tenth of them and one reported correction per result (so the queue
holds a tenth of the students). The app is called in-process (``httpx.ASGITransport``, as
``bench.profile_server`` does) as the registrar; each query is timed ``--repeat`` times and
its median kept: the whole queue's first page (500 rows, the list's limit), and one class's
corrections (about the same number of rows at both sizes). The ratio between the sizes is
printed next to the ratio of the rows returned; the queue should grow no faster than those.

Half of the students have an account (a third of those with their window closed), so the
progress view of issue 15 ("Nobody left behind") counts every state; it is timed for the
whole school as the registrar sees it, against its budget of 200 ms on SQLite
(:data:`PROGRESS_BUDGET_MS`) at every size.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, update

from kiosk.fields import FIELD_KEYS
from server.app import create_app
from server.demo_data import generate_students
from server.migrate import migrate
from server.models import Account, Base, Correction, Student, Verification
from server.terminals import add_terminal
from tests.server.conftest import Clock, World, test_settings
from tests.server.staff_world import add_staff, staff_headers

CORRECTED_SHARE = 10
"""One student in this many has a reported correction."""
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
QUEUE = "/api/v1/staff/corrections"
PROGRESS = "/api/v1/staff/progress"
PROGRESS_BUDGET_MS = 200.0
"""The progress view of the whole school, on SQLite (issue 15)."""


async def _fill(world: World, size: int) -> str:
    """``size`` students, a tenth of them with a result and a correction; one class's name."""
    students = generate_students(size, seed=23)
    tables = Base.metadata.tables
    async with world.ctx.db.sessions.begin() as session:
        terminal, _key = await add_terminal(session, "GROWTH", "g01")
        await session.execute(
            insert(tables[Student.__tablename__]),
            [
                {**{k: s.values[k] for k in FIELD_KEYS}, "student_no": f"8{n:09d}"}
                | {"record_version": 1, "photo_version": 0, "updated_at": NOW,
                   "recheck_fields": []}
                for n, s in enumerate(students)
            ],
        )  # fmt: skip
        corrected = range(1, size + 1, CORRECTED_SHARE)
        await session.execute(
            insert(tables[Verification.__tablename__]),
            [
                {"result_id": f"00000000-0000-4000-8000-{sid:012d}", "receipt_no": f"G{sid}",
                 "student_id": sid, "terminal_id": terminal.id, "record_version": 1,
                 "photo_version": 0, "photo_verdict": "correct", "started_at": NOW,
                 "finished_at": NOW, "submitted_at": NOW}
                for sid in corrected
            ],
        )  # fmt: skip
        await session.execute(
            insert(tables[Correction.__tablename__]),
            [
                {"verification_id": n + 1, "student_id": sid, "field": "major",
                 "current_value": "x", "proposed": "软件工程", "state": "reported",
                 "created_at": NOW, "updated_at": NOW}
                for n, sid in enumerate(corrected)
            ],
        )  # fmt: skip
        # Every second student registered; every third of those with the window closed.
        await session.execute(
            insert(tables[Account.__tablename__]),
            [
                {"username": f"g{sid}@growth.test", "password_hash": "-", "role": "student",
                 "student_id": sid, "active": True, "created_at": NOW}
                for sid in range(1, size + 1, 2)
            ],
        )  # fmt: skip
        await session.execute(
            update(tables[Student.__tablename__])
            .where(tables[Student.__tablename__].c.id % 2 == 1)
            .values(window_closes_at=NOW + dt.timedelta(days=1))
        )
        await session.execute(
            update(tables[Student.__tablename__])
            .where(tables[Student.__tablename__].c.id % 6 == 5)
            .values(window_closes_at=NOW - dt.timedelta(days=1))
        )
    return students[0].values["class_name"]


async def _time(
    client: httpx.AsyncClient,
    params: dict[str, str],
    headers: dict[str, str],
    repeat: int,
    path: str = QUEUE,
) -> dict[str, Any]:
    times: list[float] = []
    rows = total = 0
    for _ in range(repeat):
        started = time.perf_counter()
        answer = await client.get(path, params=params, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        if path == PROGRESS:
            rows, total = len(data["classes"]), data["total"]["graduates"]
        else:
            rows, total = len(data["corrections"]), data["total"]
    return {"median_ms": round(statistics.median(times), 1), "rows": rows, "total": total}


async def _one_size(database_url: str, size: int, repeat: int) -> dict[str, Any]:
    await migrate(database_url)
    clock = Clock()
    app = create_app(test_settings(database_url), clock=clock)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://growth.test") as client:
            world = World(app, client, clock, "", "")
            await add_staff(world)
            klass = await _fill(world, size)
            headers = await staff_headers(world, "registrar")
            await client.get(QUEUE, headers=headers)  # warm-up
            return {
                "students": size,
                "queue_first_page": await _time(client, {}, headers, repeat),
                "one_class": await _time(client, {"class_name": klass}, headers, repeat),
                "progress_school": await _time(client, {}, headers, repeat, PROGRESS),
            }


def growth(sizes: list[int], repeat: int) -> dict[str, Any]:
    """Each size in its own database; the ratios of the last size to the first."""
    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="kiosk-growth-") as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/growth.db"
            results.append(asyncio.run(_one_size(url, size, repeat)))
    small, large = results[0], results[-1]
    ratios = {
        name: {
            "time_ratio": round(large[name]["median_ms"] / small[name]["median_ms"], 2),
            "rows_ratio": round(large[name]["rows"] / max(1, small[name]["rows"]), 2),
            "total_ratio": round(large[name]["total"] / max(1, small[name]["total"]), 2),
        }
        for name in ("queue_first_page", "one_class", "progress_school")
    }
    return {"sizes": results, "ratios": ratios, "progress_budget_ms": PROGRESS_BUDGET_MS}


def main(argv: list[str] | None = None) -> int:
    """Print the growth as one JSON line."""
    parser = argparse.ArgumentParser(
        description="the corrections queue and the progress view at two sizes"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    print(json.dumps(growth(args.sizes, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
