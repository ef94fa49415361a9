"""The staff PIN's attempt limit, kept on disk so that restarting the kiosk does not reset it.

A 4-digit PIN falls to a student at the keyboard in minutes without a limit. After
:data:`FREE_ATTEMPTS` wrong PINs each further try waits longer (5 s, doubling, at most a
minute); after :data:`LOCK_AFTER` the PIN is locked for :data:`LOCK_S`. A right PIN starts
over. The state is a small JSON file next to the outbox (owner-only), written atomically;
times are Unix time because a restart resets the monotonic clock.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FREE_ATTEMPTS = 3
"""Wrong PINs allowed without a wait."""
FIRST_DELAY_S = 5.0
"""The wait after the first wrong PIN beyond the free ones; it doubles with each."""
MAX_DELAY_S = 60.0
"""The longest wait before the lock."""
LOCK_AFTER = 10
"""Wrong PINs in a row that lock the PIN."""
LOCK_S = 300.0
"""How long the lock lasts."""
FILE_NAME = "staff_pin_attempts.json"
"""The state file's name, in the outbox's directory."""
_FILE_MODE = 0o600


def delay_after(failures: int) -> float:
    """Seconds the next try must wait after ``failures`` wrong PINs in a row."""
    if failures >= LOCK_AFTER:
        return LOCK_S
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2.0 ** (failures - FREE_ATTEMPTS))


@dataclass
class PinThrottle:
    """Wrong staff PINs in a row and when the last one was typed, persisted in ``path``."""

    path: Path
    clock: Callable[[], float] = time.time
    failures: int = 0
    last_failure_at: float = 0.0

    @classmethod
    def open(cls, path: Path, *, clock: Callable[[], float] = time.time) -> PinThrottle:
        """The throttle kept in ``path`` (a missing file: no wrong PINs yet).

        A file that cannot be read counts as :data:`FREE_ATTEMPTS` wrong PINs just now: a
        damaged file must not lift the limit, nor lock staff out for long.
        """
        throttle = cls(path, clock)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            throttle.failures = max(0, int(data["failures"]))
            throttle.last_failure_at = float(data["last_failure_at"])
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError):
            throttle.failures = FREE_ATTEMPTS
            throttle.last_failure_at = clock()
        return throttle

    def wait_s(self) -> float:
        """Seconds until the next try is allowed (0: now)."""
        if self.failures < FREE_ATTEMPTS:
            return 0.0
        ready_at = self.last_failure_at + delay_after(self.failures)
        # A clock set back must not stretch the wait beyond its length.
        return max(0.0, min(ready_at - self.clock(), delay_after(self.failures)))

    @property
    def locked(self) -> bool:
        """Whether the PIN is locked (not just delayed)."""
        return self.failures >= LOCK_AFTER and self.wait_s() > 0

    def record_failure(self) -> None:
        """A wrong PIN was typed."""
        self.failures += 1
        self.last_failure_at = self.clock()
        self._save()

    def record_success(self) -> None:
        """The right PIN: the count starts over."""
        self.failures = 0
        self.last_failure_at = 0.0
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps({"failures": self.failures, "last_failure_at": self.last_failure_at})
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.path)
