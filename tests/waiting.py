"""Waiting in app tests for a condition, never for a stretch of time."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and the screen catch up: after it, whatever a key press set off
    (a request, its answer on the screen) has happened."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], limit_s: float = 5) -> float:
    """Let the app run until ``condition`` holds; returns how long it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > limit_s:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)
    return time.monotonic() - start
