"""Work the server does in the background of its lifespan, in rounds.

Every worker process runs its own rounds against the shared database; the rounds are
written so that two workers doing the same round at once is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable

from server.logs import exception_summary

log = logging.getLogger(__name__)

_LONG_NUMBER = re.compile(r"\d{6,}")
_ADDRESS = re.compile(r"\S+@\S+")


def safe_error(exc: BaseException) -> str:
    """An error for a table staff read: no codes, numbers or addresses, at most 300 chars.

    Logs get :func:`server.logs.exception_summary` instead: no message at all.
    """
    text = f"{type(exc).__name__}: {exc}"
    text = _ADDRESS.sub("<address>", _LONG_NUMBER.sub("<number>", text))
    return text[:300]


class Periodic:
    """Runs ``round`` in a task: again at once while it answers truthy, else after a pause.

    The pause is ``interval_s()`` (read each time, so tests and settings can change it) or
    until :meth:`wake`. A round that raises is logged through :func:`safe_error` and tried
    again after the pause: the database may be briefly unavailable, and the task must live.
    """

    def __init__(
        self, name: str, round_: Callable[[], Awaitable[object]], interval_s: Callable[[], float]
    ) -> None:
        self.name = name
        self._round = round_
        self._interval_s = interval_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the task (in the app's lifespan)."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop the task; a round in progress is abandoned (its transaction rolls back).

        Besides the cancellation, the task is told to stop and woken: a library in the round
        may swallow a cancellation (seen at shutdown, a delivery round on PostgreSQL), and
        the task must end all the same."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Run the next round now rather than after the pause."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the round, so a wake-up during it starts the next one at once.
            self._wake.clear()
            try:
                while await self._round() and not self._stopping:
                    pass
            except Exception as exc:
                log.error("%s round failed: %s", self.name, exception_summary(exc))
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the event is set (a wake() just before stop()), and stop() then
            # waited for a task that never ended.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s()):
                    await self._wake.wait()
