"""One fixed-window counter for every throttle of the server.

Logins and registrations per terminal, staff logins and enrolments per client address
(``server/rate_limit.py``), wrong passwords per account per hour (``server/auth.py``) and codes
per address per day (``server/registration.py``) all count events in a window that starts at
its first event and lasts ``length``; once it has passed, the next event starts a new one.
The counts live in database rows, so that all workers share them; this module holds only the
arithmetic, on anything with the two attributes of :class:`Counter`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Counter(Protocol):
    """A stored count: when its window started, and how many events fell in it."""

    window_started_at: dt.datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class FixedWindow:
    """At most ``limit`` events per window of ``length``, by the time ``clock`` tells."""

    length: dt.timedelta
    limit: int
    clock: Callable[[], dt.datetime]

    def roll(self, counter: Counter) -> None:
        """Start a new window at zero if the counter's has passed (the row is written)."""
        now = self.clock()
        if now - counter.window_started_at >= self.length:
            counter.window_started_at = now
            counter.attempts = 0

    def count(self, counter: Counter | None) -> int:
        """Events in the current window, without writing anything (no row: none)."""
        if counter is None or self.clock() - counter.window_started_at >= self.length:
            return 0
        return counter.attempts

    def ends(self, counter: Counter | None) -> dt.datetime:
        """When the current window ends (no row, or a passed window: one length from now)."""
        now = self.clock()
        if counter is None or now - counter.window_started_at >= self.length:
            return now + self.length
        return counter.window_started_at + self.length

    def full(self, counter: Counter) -> bool:
        """True when the current window has had ``limit`` events."""
        return self.count(counter) >= self.limit

    def wait(self, counter: Counter) -> dt.timedelta:
        """How long until the counter's window ends."""
        return self.ends(counter) - self.clock()

    def add(self, counter: Counter) -> int:
        """Count one event, whatever the limit; the new count."""
        self.roll(counter)
        counter.attempts += 1
        return counter.attempts

    def spend(self, counter: Counter) -> dt.timedelta | None:
        """Count one event if the window has room; otherwise (not counted) the wait for one."""
        self.roll(counter)
        if counter.attempts >= self.limit:
            return self.wait(counter)
        counter.attempts += 1
        return None
