"""server.throttle: the one fixed-window counter, on a plain counter and a hand-moved clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.throttle import FixedWindow

START = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Row:
    """Stands for a database row: the two attributes the helper reads and writes."""

    window_started_at: dt.datetime
    attempts: int = 0


def test_spend_counts_up_to_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    window = FixedWindow(MINUTE, 3, clock)
    row = Row(START)
    assert [window.spend(row) for _ in range(3)] == [None, None, None]
    clock.advance(seconds=20)
    assert window.spend(row) == dt.timedelta(seconds=40)
    assert row.attempts == 3, "a refused event is not counted"
    assert window.full(row)


def test_a_passed_window_starts_again_at_the_next_event() -> None:
    clock = Clock()
    window = FixedWindow(MINUTE, 2, clock)
    row = Row(START, attempts=2)
    clock.advance(seconds=59)
    assert window.spend(row) == dt.timedelta(seconds=1)
    clock.advance(seconds=1)
    assert window.spend(row) is None
    assert (row.window_started_at, row.attempts) == (clock.now, 1)


def test_count_and_end_read_without_writing() -> None:
    clock = Clock()
    hour = FixedWindow(dt.timedelta(hours=1), 20, clock)
    row = Row(START, attempts=5)
    clock.advance(minutes=30)
    assert (hour.count(row), hour.ends(row)) == (5, START + dt.timedelta(hours=1))
    clock.advance(minutes=30)
    assert (hour.count(row), hour.ends(row)) == (0, clock.now + dt.timedelta(hours=1))
    assert (row.window_started_at, row.attempts) == (START, 5)
    assert (hour.count(None), hour.ends(None)) == (0, clock.now + dt.timedelta(hours=1))


def test_add_counts_past_the_limit_and_rolls_the_window() -> None:
    clock = Clock()
    window = FixedWindow(MINUTE, 1, clock)
    row = Row(START)
    assert [window.add(row) for _ in range(3)] == [1, 2, 3]
    clock.advance(minutes=1)
    assert window.add(row) == 1
    assert row.window_started_at == clock.now


def test_a_fresh_row_with_no_events_waits_a_whole_window_when_the_limit_is_zero() -> None:
    clock = Clock()
    window = FixedWindow(MINUTE, 0, clock)
    assert window.spend(Row(START)) == MINUTE
