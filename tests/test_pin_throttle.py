"""The staff PIN's attempt limit: delays, the lock, and its file across restarts."""

from __future__ import annotations

import stat
from pathlib import Path

from kiosk.pin_throttle import (
    FREE_ATTEMPTS,
    LOCK_AFTER,
    LOCK_S,
    MAX_DELAY_S,
    PinThrottle,
    delay_after,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_delay_grows_after_three_and_locks_after_ten() -> None:
    delays = [delay_after(n) for n in range(12)]
    assert delays[:FREE_ATTEMPTS] == [0, 0, 0]
    assert delays[3:7] == [5, 10, 20, 40]
    assert all(delay == MAX_DELAY_S for delay in delays[7:LOCK_AFTER])
    assert delays[LOCK_AFTER:] == [LOCK_S, LOCK_S]
    assert LOCK_S >= 120  # "a lock for a few minutes"


def test_failures_wait_and_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "state" / "pins.json"
    throttle = PinThrottle.open(path, clock=clock)
    for _ in range(FREE_ATTEMPTS - 1):
        throttle.record_failure()
    assert throttle.wait_s() == 0
    throttle.record_failure()
    assert throttle.wait_s() == 5
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    clock.now += 2
    reopened = PinThrottle.open(path, clock=clock)
    assert (reopened.failures, reopened.wait_s()) == (FREE_ATTEMPTS, 3)
    clock.now += 3
    assert reopened.wait_s() == 0
    while reopened.failures < LOCK_AFTER:
        reopened.record_failure()
    assert reopened.locked and reopened.wait_s() == LOCK_S
    clock.now += LOCK_S
    assert not reopened.locked
    reopened.record_success()
    assert PinThrottle.open(path, clock=clock).failures == 0


def test_a_clock_set_back_does_not_stretch_the_wait(tmp_path: Path) -> None:
    clock = Clock()
    throttle = PinThrottle.open(tmp_path / "pins.json", clock=clock)
    for _ in range(FREE_ATTEMPTS):
        throttle.record_failure()
    clock.now -= 86_400
    assert throttle.wait_s() == delay_after(FREE_ATTEMPTS)


def test_a_damaged_file_neither_lifts_the_limit_nor_locks_for_long(tmp_path: Path) -> None:
    path = tmp_path / "pins.json"
    path.write_text("{not json", encoding="utf-8")
    throttle = PinThrottle.open(path, clock=Clock())
    assert throttle.failures == FREE_ATTEMPTS
    assert 0 < throttle.wait_s() <= delay_after(FREE_ATTEMPTS)
