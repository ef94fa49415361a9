"""``make bench``: run every measurement, compare with the budgets, write the report.

    python -m bench [--quick] [--skip-kiosk] [--skip-server] [--skip-lab-day] [--lab-day-only]
                    [--skip-growth]

Writes ``bench/report.json`` (every number) and ``bench/report.md`` (the budgets as PASS/MISS).
PostgreSQL runs when ``KIOSK_BENCH_POSTGRES_URL`` names a database this run may wipe (its
``public`` schema is dropped and recreated); otherwise those rows say "not run".
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench import import_load, kiosk_bench, lab_day
from tests.e2e.serving import RunningServer, serving

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
POSTGRES_ENV = "KIOSK_BENCH_POSTGRES_URL"
STEP_TIMEOUT_S = 180
"""No single measuring subprocess may take longer than this."""

# The performance budgets (README: Benchmarks).
START_RATIO_MAX = 1.5
KEY_MEDIAN_MAX_MS = 10.0
FLOW_MAX_MS = 2000.0
PEAK_MAX_MIB = 80.0
SUBMISSIONS_MIN_PER_S = 500.0
SUBMISSION_P99_MAX_MS = 100.0
SUBMISSION_CPU_MAX_RATIO = 2.0
"""A submission's server CPU against /health's, in the same run (issue 17)."""
# The lab day (issue 17).
LAB_P99_MAX_MS = 150.0
LAB_RSS_GROWTH_MAX = 0.10


def _progress(step: str) -> None:
    """One line on stderr per step, so a ten-minute run shows where it is."""
    print(f"bench: {step}", file=sys.stderr, flush=True)


def _python(*args: str, timeout: float = STEP_TIMEOUT_S) -> dict[str, Any]:
    """Run ``python -m <args>`` from the project root; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(result, dict)
    return result


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its direct children (uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, …; utime and stime are fields 14 and 15 of stat.
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


# --- the server -----------------------------------------------------------------------------


def _student_ticket(server: RunningServer, accounts: dict[str, Any]) -> tuple[str, int]:
    """Log one demo student in once; the run signs a ticket per submission like this one."""
    student = accounts["students"][0]
    headers = {"Terminal-Key": accounts["terminal_key"]}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        login = client.post(
            "/api/v1/sessions",
            json={"username": student["username"], "password": student["password"]},
        )
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        record = client.get("/api/v1/me/record", headers=auth).json()
    return str(record["ticket"]), int(record["record_version"])


def _load(server: RunningServer, mode: str, **options: Any) -> dict[str, Any]:
    """One run of the load generator, with the server's CPU time per request."""
    args = ["bench.load", "--url", server.url, "--mode", mode]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    before = _cpu_seconds(server.process.pid)
    result = _python(*args)
    spent = _cpu_seconds(server.process.pid) - before
    # The warm-up requests are in the server's CPU time too.
    handled = result["requests"] + min(64, int(options.get("count", 64)))
    result["server_cpu_ms_per_request"] = round(spent * 1000 / max(1, handled), 2)
    return result


def _server_suite(server: RunningServer, *, quick: bool) -> dict[str, Any]:
    accounts = server.demo_accounts()
    key = accounts["terminal_key"]
    _progress(f"server {server.url}: /health, submissions, logins")
    ticket, version = _student_ticket(server, accounts)
    scale = 0.25 if quick else 1.0
    health = _load(server, "health", concurrency=64, count=int(6000 * scale), duration=15 * scale)
    submit = _load(
        server, "submit", concurrency=64, count=int(4000 * scale), duration=20 * scale,
        terminal_key=key, ticket=ticket, record_version=version,
        secret_key=server.env["KIOSK_SERVER__SECRET_KEY"],
    )  # fmt: skip
    logins = [[s["username"], s["password"]] for s in accounts["students"]]
    login = _load(
        server, "login", concurrency=8, count=int(300 * scale), duration=10 * scale,
        terminal_key=key, accounts=json.dumps(logins),
    )  # fmt: skip
    submit["ratio_to_health"] = round(submit["per_s"] / max(health["per_s"], 0.1), 3)
    return {"health": health, "submit": submit, "login": login}


def _import_load(server: RunningServer) -> dict[str, Any]:
    """p99s during a 30,000-row import, against quiet (SQLite: its single writer is the
    hardest case for batched writes)."""
    _progress(f"server {server.url}: /health and submissions during a large import")
    accounts = server.demo_accounts()
    ticket, version = _student_ticket(server, accounts)
    submit = {
        "terminal_key": accounts["terminal_key"], "ticket": ticket, "record_version": version,
        "secret_key": server.env["KIOSK_SERVER__SECRET_KEY"],
    }  # fmt: skip
    return import_load.measure(server, _load, accounts, submit)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def reset() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


# The load generator logs in from one terminal; the per-terminal limit (30 a minute) would
# turn the argon2 measurement into one of 429 answers.
_UNLIMITED = {"KIOSK_SERVER__TERMINAL_ATTEMPTS_PER_MINUTE": "1000000"}


def run_server(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """SQLite (one worker); PostgreSQL with one and with two workers when configured."""
    results: dict[str, Any] = {}
    sqlite = f"sqlite+aiosqlite:///{workdir}/bench.db"
    with serving(sqlite, "--demo", settings=_UNLIMITED) as server:
        results["sqlite"] = _server_suite(server, quick=quick)
        results["import_load"] = _import_load(server)
    postgres = os.environ.get(POSTGRES_ENV)
    if not postgres:
        results["postgresql"] = results["postgresql_2_workers"] = None
        return results
    _reset_postgres(postgres)
    with serving(postgres, "--demo", settings=_UNLIMITED) as server:
        results["postgresql"] = _server_suite(server, quick=quick)
    with serving(postgres, "--workers", "2", settings=_UNLIMITED) as server:
        results["postgresql_2_workers"] = _server_suite(server, quick=quick)
    return results


def run_lab_day(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """The lab day on SQLite, and on PostgreSQL with two workers when configured."""
    results: dict[str, Any] = {}
    _progress("lab day on SQLite")
    sqlite = f"sqlite+aiosqlite:///{workdir}/lab-day.db"
    with serving(sqlite, "--demo") as server:
        accounts = server.demo_accounts()
        results["sqlite"] = lab_day.run(
            server.url, sqlite, server.process.pid, accounts, workdir, quick=quick
        )
    postgres = os.environ.get(POSTGRES_ENV)
    if not postgres:
        results["postgresql_2_workers"] = None
        return results
    _progress("lab day on PostgreSQL, 2 workers")
    _reset_postgres(postgres)
    with serving(postgres, "--demo"):
        pass  # the demo data, seeded by one process before two workers share the database
    with serving(postgres, "--workers", "2") as server:
        accounts = server.demo_accounts()
        results["postgresql_2_workers"] = lab_day.run(
            server.url, postgres, server.process.pid, accounts, workdir, quick=quick
        )
    return results


# --- the kiosk ------------------------------------------------------------------------------


def run_kiosk(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Start-up ratio, key latency, the flow and its memory, against one demo server."""
    _progress("kiosk: start-up, keys, flow, memory")
    with serving(f"sqlite+aiosqlite:///{workdir}/kiosk.db", "--demo") as server:
        accounts = server.demo_accounts()
        key = accounts["terminal_key"]
        logins = [[s["username"], s["password"]] for s in accounts["students"]]
        start = kiosk_bench.startup(server.url, key, workdir, runs=3 if quick else 7)
        keys = _python("bench.kiosk_bench", "keys", "--passes", "2" if quick else "5")
        flow = _python(
            "bench.kiosk_bench", "flow", "--url", server.url, "--terminal-key", key,
            "--accounts", json.dumps(logins[1:]), "--runs", "2" if quick else "5",
        )  # fmt: skip
        traced = _python(
            "bench.kiosk_bench", "flow", "--url", server.url, "--terminal-key", key,
            "--accounts", json.dumps(logins[-1:]), "--tracemalloc",
        )  # fmt: skip
    return {"startup": start, "keys": keys, "flow": flow | traced}


# --- the report -----------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def budgets(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(budget, measured, PASS/MISS, note) rows for the report."""
    rows: list[tuple[str, str, str, str]] = []
    kiosk = report.get("kiosk")
    if kiosk:
        start = kiosk["startup"]
        rows.append((
            f"start to first frame ≤ {START_RATIO_MAX}× hello world",
            f"{start['ratio']}× ({start['kiosk_median_ms']} ms vs {start['hello_median_ms']} ms)",
            _verdict(start["ratio"] <= START_RATIO_MAX), f"medians of {start['runs']} runs each, real pty",
        ))  # fmt: skip
        keys = kiosk["keys"]["y_next_field"]
        arrows = kiosk["keys"]["arrow_move"]
        burst = kiosk["keys"]["y_back_to_back"]
        rows.append((
            f"key → next field median ≤ {KEY_MEDIAN_MAX_MS:g} ms",
            f"Y: median {keys['median_ms']} ms, p95 {keys['p95_ms']} ms (n={keys['n']}); "
            f"←/→: median {arrows['median_ms']} ms, p95 {arrows['p95_ms']} ms; "
            f"Y back to back: median {burst['median_ms']} ms",
            _verdict(keys["median_ms"] <= KEY_MEDIAN_MAX_MS),
            f"fake client, headless frame; each key {kiosk['keys']['gap_ms']:g} ms after the "
            "last (back to back, Textual's 60 fps cap dominates)",
        ))  # fmt: skip
        flow = kiosk["flow"]
        rows.append((
            f"student flow ≤ {FLOW_MAX_MS / 1000:g} s",
            f"median {flow['median_ms']} ms, max {flow['max_ms']} ms (n={len(flow['flow_ms'])})",
            _verdict(flow["median_ms"] <= FLOW_MAX_MS), "real server on loopback, SQLite",
        ))  # fmt: skip
        rows.append((
            f"kiosk peak memory ≤ {PEAK_MAX_MIB:g} MiB",
            f"ru_maxrss {flow['ru_maxrss_mib']} MiB; tracemalloc peak "
            f"{flow['tracemalloc_peak_mib']} MiB",
            _verdict(flow["ru_maxrss_mib"] <= PEAK_MAX_MIB), "whole process after the flows",
        ))  # fmt: skip
    loaded = (report.get("server") or {}).get("import_load")
    if loaded:
        quiet, worst, ratio = loaded["quiet"], loaded["loaded_p99_ms"], loaded["ratio"]
        rows.append((
            f"p99 during a {loaded['rows']:,}-row import (check + apply), reported only",
            f"/health {worst['health']} ms ({ratio['health']}× quiet "
            f"{quiet['health']['p99_ms']} ms); submissions {worst['submit']} ms "
            f"({ratio['submit']}× quiet {quiet['submit']['p99_ms']} ms)",
            "-",
            f"import {loaded['import'].get('import_s')} s; worst of "
            f"{len(loaded['slices'])} slices; SQLite, 8+8 connections",
        ))  # fmt: skip
    for name, label in (
        ("sqlite", "SQLite, 1 worker"),
        ("postgresql", "PostgreSQL, 1 worker"),
        ("postgresql_2_workers", "PostgreSQL, 2 workers"),
    ):
        server = (report.get("server") or {}).get(name, "skipped")
        budget = f"≥ {SUBMISSIONS_MIN_PER_S:g} submissions/s, p99 ≤ {SUBMISSION_P99_MAX_MS:g} ms ({label})"
        if server == "skipped":
            continue
        if server is None:
            rows.append((budget, "not run", "-", f"set {POSTGRES_ENV}"))
            continue
        submit, health, login = server["submit"], server["health"], server["login"]
        ok = submit["per_s"] >= SUBMISSIONS_MIN_PER_S and submit["p99_ms"] <= SUBMISSION_P99_MAX_MS
        errors = submit["requests"] - submit["ok"]
        rows.append((
            budget,
            f"{submit['per_s']}/s, p50 {submit['p50_ms']} ms, p99 {submit['p99_ms']} ms, "
            f"{errors} errors; {submit['ratio_to_health']}× /health ({health['per_s']}/s, "
            f"p99 {health['p99_ms']} ms)",
            _verdict(ok),
            f"server CPU {submit['server_cpu_ms_per_request']} ms/submission, "
            f"{health['server_cpu_ms_per_request']} ms/health",
        ))  # fmt: skip
        cpu_ratio = submit["server_cpu_ms_per_request"] / max(
            0.01, health["server_cpu_ms_per_request"]
        )
        rows.append((
            f"submission server CPU ≤ {SUBMISSION_CPU_MAX_RATIO:g}× /health's ({label})",
            f"{cpu_ratio:.1f}× ({submit['server_cpu_ms_per_request']} ms against "
            f"{health['server_cpu_ms_per_request']} ms)",
            _verdict(cpu_ratio <= SUBMISSION_CPU_MAX_RATIO),
            "same run, from /proc",
        ))  # fmt: skip
        rows.append((
            f"logins/s, argon2-bound, reported only ({label})",
            f"{login['per_s']}/s, p50 {login['p50_ms']} ms, p99 {login['p99_ms']} ms",
            "-",
            f"8 concurrent; server CPU {login['server_cpu_ms_per_request']} ms/login",
        ))  # fmt: skip
    rows += lab_day_rows(report.get("lab_day") or {})
    rows += growth_rows(report.get("growth"))
    return rows


def growth_rows(growth: dict[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """The corrections queue at two sizes: time ratio against the ratio of rows returned;
    the progress view of the whole school against its budget at each size."""
    if not growth:
        return []
    small, large = growth["sizes"][0], growth["sizes"][-1]
    rows: list[tuple[str, str, str, str]] = []
    for name, label in (("queue_first_page", "first page"), ("one_class", "one class")):
        ratio = growth["ratios"][name]
        rows.append((
            f"corrections queue ({label}) grows no faster than its rows",
            f"{small[name]['median_ms']} ms at {small['students']:,} students, "
            f"{large[name]['median_ms']} ms at {large['students']:,}: ×{ratio['time_ratio']} "
            f"for ×{ratio['rows_ratio']} rows (×{ratio['total_ratio']} counted)",
            _verdict(ratio["time_ratio"] <= max(1.0, ratio["rows_ratio"]) * 1.2),
            "in-process, SQLite, medians",
        ))  # fmt: skip
    if "progress_school" in large:
        budget = growth.get("progress_budget_ms", 200.0)
        ratio = growth["ratios"]["progress_school"]
        rows.append((
            f"progress view, whole school ≤ {budget:.0f} ms",
            f"{small['progress_school']['median_ms']} ms at {small['students']:,} students, "
            f"{large['progress_school']['median_ms']} ms at {large['students']:,} "
            f"(×{ratio['time_ratio']} for ×{ratio['total_ratio']} students)",
            _verdict(all(size["progress_school"]["median_ms"] <= budget
                         for size in growth["sizes"])),
            "in-process, SQLite, medians; three grouped queries whatever the size",
        ))  # fmt: skip
    return rows


def lab_day_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The lab day's budgets, per database."""
    rows: list[tuple[str, str, str, str]] = []
    for name, label in (
        ("sqlite", "SQLite, 1 worker"),
        ("postgresql_2_workers", "PostgreSQL, 2 workers"),
    ):
        if name not in results:
            continue
        day = results[name]
        if day is None:
            rows.append((f"lab day ({label})", "not run", "-", f"set {POSTGRES_ENV}"))
            continue
        kinds = day["kinds"]
        where = f"lab day, {label}, {day['rows']:,} rows imported in {day['import_s']} s"
        for kind in ("heartbeat", "submit"):
            k = kinds.get(kind, {"quiet": {}, "during_import": {}, "p99_ratio": None})
            quiet, during = k["quiet"], k["during_import"]
            for part, numbers in (("quiet", quiet), ("during the import", during)):
                p99 = numbers.get("p99_ms")
                rows.append((
                    f"{kind} p99 ≤ {LAB_P99_MAX_MS:g} ms, {part} ({label})",
                    f"p50 {numbers.get('p50_ms')} ms, p99 {p99} ms (n={numbers.get('n')})",
                    _verdict(p99 is not None and p99 <= LAB_P99_MAX_MS),
                    where if part == "quiet" else f"p99 ratio during/quiet {k['p99_ratio']}",
                ))  # fmt: skip
        others = "; ".join(
            f"{kind} {k['quiet']['p50_ms']}/{k['quiet']['p99_ms']} ms quiet, "
            f"{k['during_import']['p50_ms']}/{k['during_import']['p99_ms']} ms during"
            for kind, k in kinds.items()
            if kind not in ("heartbeat", "submit")
        )
        rows.append((
            f"lab day: other requests, p50/p99 ({label})", others, "-", "reported only",
        ))  # fmt: skip
        rows.append((
            f"server RSS growth ≤ {LAB_RSS_GROWTH_MAX:.0%} ({label})",
            f"{day['rss_start_mib']} → {day['rss_end_mib']} MiB ({day['rss_growth']:+.1%})",
            _verdict(day["rss_growth"] is not None and day["rss_growth"] <= LAB_RSS_GROWTH_MAX),
            "the process and its workers, before and after the day",
        ))  # fmt: skip
        errors = {kind: k["errors"] for kind, k in kinds.items() if k["errors"]}
        import_ok = all(step.get("status") == 200 for step in day["import"].values())
        import_ok = import_ok and day["import"].get("apply", {}).get("applied") is True
        rows.append((
            f"lab day: 0 errors ({label})",
            f"{day['errors']} errors {errors or ''}; import {json.dumps(day['import'])}",
            _verdict(day["errors"] == 0 and import_ok),
            f"{day['duration_s']:g} s of load, {day['elapsed_s']} s in all",
        ))  # fmt: skip
    return rows


def write_report(report: dict[str, Any]) -> str:
    """``report.json`` and ``report.md``; returns the Markdown."""
    (HERE / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# make bench",
        "",
        f"{report['started_at']} · {report['elapsed_s']} s · {report['machine']}",
        f"load average before {report['load_before']}, after {report['load_after']} "
        "(other processes on the machine inflate every figure)",
        "",
        "| budget | measured | | note |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | **{c}** | {d} |" for a, b, c, d in budgets(report)]
    lines += ["", "Every number is in `bench/report.json`; methods: `bench/kiosk_bench.py`,"]
    lines += ["`bench/load.py` and the README's Benchmarks section.", ""]
    text = "\n".join(lines)
    (HERE / "report.md").write_text(text)
    return text


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> int:
    """Run what was asked, write the report, print the Markdown."""
    parser = argparse.ArgumentParser(description="measure the kiosk and the server")
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter loads")
    parser.add_argument("--skip-kiosk", action="store_true")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-lab-day", action="store_true")
    parser.add_argument("--lab-day-only", action="store_true", help="only the lab day")
    parser.add_argument("--skip-growth", action="store_true")
    args = parser.parse_args(argv)
    if args.lab_day_only:
        args.skip_kiosk = args.skip_server = args.skip_growth = True
    started = time.monotonic()
    report: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.machine()}",
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }
    postgres = os.environ.get(POSTGRES_ENV)
    if postgres and not (args.skip_server and args.skip_lab_day):
        # Fail before the kiosk half, not after it, when the database cannot be wiped.
        _reset_postgres(postgres)
    with _workdir() as workdir:
        if not args.skip_kiosk:
            report["kiosk"] = run_kiosk(workdir, quick=args.quick)
        if not args.skip_server:
            report["server"] = run_server(workdir, quick=args.quick)
        if not args.skip_lab_day:
            report["lab_day"] = run_lab_day(workdir, quick=args.quick)
        if not args.skip_growth:
            _progress(
                "growth: the corrections queue and the progress view at 5,000 and 50,000 students"
            )
            sizes = ["2000", "20000"] if args.quick else ["5000", "50000"]
            report["growth"] = _python("bench.growth", "--sizes", *sizes, timeout=600)
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    print(write_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
