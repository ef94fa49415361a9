"""Kiosk measurements, each run by ``bench`` in its own process.

    python -m bench.kiosk_bench start-child kiosk|hello STAMP_FILE   (inside a pty, see startup)
    python -m bench.kiosk_bench keys [--passes 5]
    python -m bench.kiosk_bench flow --url URL --terminal-key K --accounts JSON [--tracemalloc]

Every mode prints one JSON object on stdout.

**Start-up** (``startup()``, called by ``bench``): the parent notes ``time.monotonic()`` (a
system-wide clock on Linux), starts a child in a real pseudo-terminal (80×24) and drains the
terminal's output. The child installs Textual's message hook and, when the first
``events.Ready`` is posted — Textual posts it right after the first screen's first compositor
refresh, i.e. the first frame written to the terminal — writes ``time.monotonic()`` to a
file and exits. So the figure is interpreter start, imports, configuration, app construction,
first compose, layout and the first frame. The kiosk child goes through ``kiosk run`` itself
(``kiosk.cli.main``: settings from config.toml and the environment, the outbox, the
sender, ``screens.app.create_app``); the hello-world child is a Textual app with one
``Static``. Runs alternate between the two, and the medians are compared.

**Key to next field** (``keys``): the kiosk with the in-memory client of the screen tests
(``tests.kiosk_fakes``), headless at 80×24. On the field screen, each ``Y`` is timed from
sending the key event (as Pilot sends it) to the first compositor frame of the screen that
shows the next field: ``App._display`` is wrapped to note the time of each frame, and
headless Textual composes every frame in full (it only skips the write to a terminal).
``←``/``→`` are timed the same way and reported next to it. Pilot's ``press`` is not used for
timing: it waits for idleness in 20 ms slices.

Each timed key is sent 100 ms after the previous one was handled, as a student reads a field
before answering. Keys sent back to back are reported too (``y_back_to_back``), but they
measure Textual's frame cap rather than the kiosk: Textual paints at most 60 frames a second
on a fixed 16.7 ms grid, so a key arriving right after a frame waits for the next slot
(12-14 ms median on 2 cores, with or without the kiosk's own work; 4-5 ms after a pause).

**Flow** (``flow``): the kiosk with the real ``ApiClient`` against a ``kiosk serve --demo`` on
loopback, headless; timed from Enter on the welcome screen through login, 17 × Y, the photo
(link, QR code), the review, the declaration, submit and confirm, to the receipt screen. Keys
are sent one by one, each after the previous one and its workers (HTTP calls) are done.
Peak memory is the process's ``ru_maxrss`` after the flows (everything the kiosk process
ever held, interpreter included); with ``--tracemalloc`` one flow runs under tracemalloc and
its peak of Python allocations is reported instead of times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import resource
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
import tracemalloc
from fcntl import ioctl
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZE = (80, 24)
KEY_GAP_S = 0.1
"""Time between a frame and the next timed key: a student reads the field before pressing Y."""
START_TIMEOUT_S = 60.0
"""A child that has not drawn its first frame by then is killed and the run fails."""


# --- start-up -------------------------------------------------------------------------------


def _start_child(kind: str, stamp: Path) -> int:
    """In the pty: run ``kind`` until its first frame, note the time, exit."""
    from textual import events
    from textual._context import active_app, message_hook
    from textual.message import Message

    def hook(message: Message) -> None:
        if isinstance(message, events.Ready) and not stamp.exists():
            stamp.write_text(repr(time.monotonic()))
            active_app.get().exit()

    # Set before asyncio.run: the app's tasks copy this context, so the hook sees every post.
    message_hook.set(hook)
    if kind == "hello":
        from textual.app import App, ComposeResult
        from textual.widgets import Static

        class Hello(App[None]):
            def compose(self) -> ComposeResult:
                yield Static("Hello, world")

        Hello().run()
        return 0
    from kiosk.cli import main

    return main(["--config", str(ROOT / "config.toml"), "run"])


def _one_start(kind: str, env: dict[str, str], workdir: Path, index: int) -> float:
    """Milliseconds from spawning the child to its first frame, in a fresh 80×24 pty."""
    stamp = workdir / f"{kind}-{index}.stamp"
    primary, secondary = pty.openpty()
    ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))

    def drain() -> None:
        # The child blocks once the pty's buffer is full, so its output is read and dropped.
        while True:
            try:
                if not os.read(primary, 65536):
                    return
            except OSError:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    command = [sys.executable, "-m", "bench.kiosk_bench", "start-child", kind, str(stamp)]
    started = time.monotonic()
    child = subprocess.Popen(
        command, stdin=secondary, stdout=secondary, stderr=secondary, cwd=ROOT, env=env,
        start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    try:
        child.wait(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    finally:
        os.close(primary)
        reader.join(timeout=5)
    if not stamp.exists():
        raise RuntimeError(f"{kind} did not draw a first frame (exit code {child.returncode})")
    return (float(stamp.read_text()) - started) * 1000


def startup(server_url: str, terminal_key: str, workdir: Path, runs: int = 7) -> dict[str, Any]:
    """Alternating kiosk and hello-world starts; medians and their ratio."""
    env = dict(
        os.environ,
        TERM="xterm-256color",
        KIOSK_KIOSK__SERVER_URL=server_url,
        KIOSK_KIOSK__TERMINAL_KEY=terminal_key,
        # The kiosk's outbox and any files go to the scratch directory, not ./var.
        KIOSK_KIOSK__OUTBOX_PATH=str(workdir / "outbox.sqlite3"),
    )
    env.pop("TEXTUAL", None)
    # With this set (as some shells and CI images do) no start ever finds the project's
    # .pyc files, and each kiosk start would recompile kiosk/ and screens/ from source, a
    # cost a deployed terminal pays once; hello world has no sources of its own to compile.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples: dict[str, list[float]] = {"hello": [], "kiosk": []}
    # One unmeasured start each, so that both find the .pyc files and the page cache warm.
    for kind in samples:
        _one_start(kind, env, workdir, -1)
    for index in range(runs):
        for kind in ("hello", "kiosk"):
            samples[kind].append(round(_one_start(kind, env, workdir, index), 1))
    hello = statistics.median(samples["hello"])
    kiosk = statistics.median(samples["kiosk"])
    return {
        "runs": runs,
        "hello_ms": samples["hello"],
        "kiosk_ms": samples["kiosk"],
        "hello_median_ms": round(hello, 1),
        "kiosk_median_ms": round(kiosk, 1),
        "ratio": round(kiosk / hello, 3),
    }


# --- driving the kiosk without Pilot's idle sleeps ---------------------------------------------
#
# Pilot.press waits for the process to look idle in 20 ms slices (textual._wait), so any key
# takes 40-70 ms through it even in a hello-world app: useless against a 10 ms budget. These
# helpers send the same key event Pilot sends and then wait, event-driven, until the app, the
# screen and its widgets have processed everything queued (Pilot's own _wait_for_screen).


async def send_key(pilot: Any, key: str) -> None:
    """Send ``key`` as Pilot does (character lookup included), without waiting."""
    from textual import events
    from textual.keys import _character_to_key  # the same mapping Pilot uses

    char: str | None = key if len(key) == 1 else None
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    elif key == "space":
        char = " "
    event = events.Key(key, char)
    event.set_sender(pilot.app)
    pilot.app._driver.send_message(event)


async def settled(pilot: Any) -> None:
    """Until the app, the screen and its widgets have handled what was queued, workers too."""
    await asyncio.sleep(0)
    await pilot._wait_for_screen()
    await pilot.app.workers.wait_for_complete()
    await pilot._wait_for_screen()


async def press(pilot: Any, *keys: str) -> None:
    """Each key, then :func:`settled`."""
    for key in keys:
        await send_key(pilot, key)
        await settled(pilot)


async def until(condition: Any, timeout_s: float = 30.0, app: Any = None) -> None:
    """Poll ``condition`` every millisecond; bounded by ``timeout_s``."""
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            shown = ""
            if app is not None:
                from tests.kiosk_fakes import screen_text

                shown = f"; the screen shows:\n{screen_text(app)}"
            raise TimeoutError(f"the kiosk did not reach the expected state{shown}")
        await asyncio.sleep(0.001)


# --- key to next field ----------------------------------------------------------------------


def _summary(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


async def _key_pass(verdict: list[float], arrows: list[float], gap_s: float) -> None:
    """One app: Y on fields 1..16, then 16 × ← and 16 × →, each timed to its frame.

    Each key is sent ``gap_s`` after the previous one was handled.
    """
    from screens.field_check import FieldCheckScreen
    from tests.kiosk_fakes import build_app, to_fields

    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_fields(pilot)
        screen = app.screen
        assert isinstance(screen, FieldCheckScreen)
        # The frame: App._display receives each compositor update of the screen (headless
        # Textual composes it in full and only skips writing it to a terminal).
        shown: list[tuple[float, int]] = []
        display = app._display

        def recording_display(on: Any, renderable: Any) -> None:
            shown.append((time.perf_counter(), screen.index))
            display(on, renderable)

        app._display = recording_display  # type: ignore[method-assign,assignment]

        async def timed(key: str, expected: int) -> float:
            await asyncio.sleep(gap_s)
            shown.clear()
            started = time.perf_counter()
            await send_key(pilot, key)
            await until(lambda: any(index == expected for _t, index in shown), 10)
            frame = next(t for t, index in shown if index == expected)
            await settled(pilot)  # nothing left over for the next key
            return (frame - started) * 1000

        # Y on fields 1..16 shows the next field (Y on the 17th opens the photo).
        for expected in range(1, 17):
            verdict.append(await timed("y", expected))
        for key, step in (("left", -1), ("right", 1)):
            for _ in range(16):
                arrows.append(await timed(key, screen.index + step))


async def _keys(passes: int) -> dict[str, Any]:
    verdict: list[float] = []
    arrows: list[float] = []
    burst: list[float] = []
    for _ in range(passes):
        await _key_pass(verdict, arrows, KEY_GAP_S)
        await _key_pass(burst, [], 0.0)
    return {
        "y_next_field": _summary(verdict),
        "arrow_move": _summary(arrows),
        "y_back_to_back": _summary(burst),
        "gap_ms": KEY_GAP_S * 1000,
        "passes": passes,
    }


# --- the whole flow against a real server -----------------------------------------------------


async def _one_flow(url: str, terminal_key: str, username: str, password: str) -> float:
    from kiosk.client import ApiClient
    from screens.app import create_app
    from screens.field_check import FieldCheckScreen
    from screens.login import LoginScreen
    from screens.photo import PhotoScreen
    from screens.receipt import ReceiptScreen
    from screens.record import RecordScreen
    from screens.review import ReviewScreen
    from tests.kiosk_fakes import settings

    client = ApiClient(url, terminal_key, timeout_s=30)
    app = create_app(settings(), client)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            started = time.perf_counter()
            await press(pilot, "enter")
            await until(lambda: isinstance(app.screen, LoginScreen), app=app)
            await press(pilot, *username, "enter", *password, "enter")
            await until(lambda: isinstance(app.screen, RecordScreen), app=app)
            # A student presses Enter once the record is on screen, not while it loads.
            await until(lambda: app.session is not None and app.session.record is not None)
            await settled(pilot)
            await press(pilot, "enter")
            await until(lambda: isinstance(app.screen, FieldCheckScreen), app=app)
            await press(pilot, *["y"] * 17)
            await until(lambda: isinstance(app.screen, PhotoScreen), app=app)
            await settled(pilot)  # the photo link and its QR code
            await press(pilot, "y")
            await until(lambda: isinstance(app.screen, ReviewScreen), app=app)
            # The declaration, submit, confirm (as tests.kiosk_fakes.submit does).
            await press(pilot, "space", "s")
            await press(pilot, "y")
            await until(lambda: isinstance(app.screen, ReceiptScreen), app=app)
            return (time.perf_counter() - started) * 1000
    finally:
        await client.aclose()


async def _flows(args: argparse.Namespace) -> dict[str, Any]:
    accounts: list[list[str]] = json.loads(args.accounts)
    if args.tracemalloc:
        tracemalloc.start()
        await _one_flow(args.url, args.terminal_key, *accounts[0])
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"tracemalloc_peak_mib": round(peak / 2**20, 1)}
    times = [
        round(await _one_flow(args.url, args.terminal_key, *account), 1)
        for account in accounts[: args.runs]
    ]
    # ru_maxrss is in KiB on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "flow_ms": times,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": max(times),
        "ru_maxrss_mib": round(peak_mib, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """The modes above; each prints JSON (the start-up child prints nothing)."""
    parser = argparse.ArgumentParser(description="kiosk measurements for make bench")
    modes = parser.add_subparsers(dest="mode", required=True)
    child = modes.add_parser("start-child")
    child.add_argument("kind", choices=["kiosk", "hello"])
    child.add_argument("stamp", type=Path)
    keys = modes.add_parser("keys")
    keys.add_argument("--passes", type=int, default=5)
    flow = modes.add_parser("flow")
    flow.add_argument("--url", required=True)
    flow.add_argument("--terminal-key", required=True)
    flow.add_argument("--accounts", required=True, help="JSON list of [username, password]")
    flow.add_argument("--runs", type=int, default=3)
    flow.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    if args.mode == "start-child":
        return _start_child(args.kind, args.stamp)
    keys_mode = args.mode == "keys"
    result = asyncio.run(_keys(args.passes)) if keys_mode else asyncio.run(_flows(args))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
