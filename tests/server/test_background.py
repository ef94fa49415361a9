"""Background rounds stop when asked, even when a wake-up arrives at the same moment."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from server.background import Periodic

STOP_WITHIN_S = 2.0
"""A correctness bound: stop() cancels a task that is only waiting."""


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_stop_right_after_a_wake_up_ends_the_task(turns: int) -> None:
    """wake() then stop(), with ``turns`` of the event loop between them: on Python 3.11
    asyncio.wait_for swallowed the cancellation when its wait had just ended, and the
    rounds went on (a server's shutdown then timed out)."""
    rounds = 0

    async def round_() -> bool:
        nonlocal rounds
        rounds += 1
        return False

    periodic = Periodic("test", round_, lambda: 60.0)
    periodic.start()
    while rounds == 0:
        await asyncio.sleep(0)
    for _ in range(20):
        periodic.wake()
        for _ in range(turns):
            await asyncio.sleep(0)
        asked = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(periodic.stop(), STOP_WITHIN_S)
        assert time.monotonic() - asked < STOP_WITHIN_S, "the rounds went on after stop()"
        periodic.start()
        await asyncio.sleep(0.01)
    await periodic.stop()


async def test_a_round_that_swallows_the_cancellation_still_lets_stop_end_the_task() -> None:
    """Some library code catches a cancellation and goes on; the task ends all the same."""
    started = asyncio.Event()

    async def round_() -> bool:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # what a careless library does
            await asyncio.sleep(30)
        return True  # "more work": the round would run again at once

    periodic = Periodic("swallowing", round_, lambda: 60.0)
    periodic.start()
    await started.wait()
    asked = time.monotonic()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(periodic.stop(), STOP_WITHIN_S)
    assert time.monotonic() - asked < STOP_WITHIN_S
