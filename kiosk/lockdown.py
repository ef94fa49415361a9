"""Keyboard signals on the lab terminal: ignored from the kiosk's first line until staff leave.

Standard library only, because it runs before anything else is imported: a Ctrl+C in the
half-second while Textual loads would otherwise end the kiosk and leave a shell. Windows has
neither SIGQUIT nor SIGTSTP, so every signal is looked up by name and skipped where missing.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

LOCKED_COMMANDS = frozenset({"run", "demo"})
"""The commands that put a student in front of the terminal."""

KEYBOARD_SIGNALS = ("SIGINT", "SIGQUIT", "SIGTSTP")
"""What a terminal sends for Ctrl+C, Ctrl+\\ and Ctrl+Z."""

_locked = False


def _present() -> list[signal.Signals]:
    return [getattr(signal, name) for name in KEYBOARD_SIGNALS if hasattr(signal, name)]


def command_of(argv: Sequence[str]) -> str | None:
    """The sub-command in ``kiosk``'s arguments, found without argparse (the only global
    option with a value is ``--config``)."""
    skip_value = False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg == "--config":
            skip_value = True
        elif not arg.startswith("-"):
            return arg
    return None


def lock_down(argv: Sequence[str]) -> bool:
    """Ignore the keyboard signals if ``argv`` starts the kiosk; returns whether it did."""
    global _locked
    if command_of(argv) not in LOCKED_COMMANDS:
        return False
    for number in _present():
        signal.signal(number, signal.SIG_IGN)
    _locked = True
    return True


def keep_locked() -> None:
    """Ignore the keyboard signals again after a library installed its own handlers.

    Textual's Linux driver handles SIGTSTP to suspend the app; on a locked terminal a
    ``kill -TSTP`` must not stop the kiosk either. Does nothing unless :func:`lock_down` ran,
    so apps built by tests leave their process alone.
    """
    if _locked:
        for number in _present():
            signal.signal(number, signal.SIG_IGN)


def release() -> None:
    """Give the keyboard signals back their default meaning: only for the staff exit."""
    global _locked
    if not _locked:
        return
    for number in _present():
        default = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
        signal.signal(number, default)
    _locked = False


def end_on_termination(loop: asyncio.AbstractEventLoop, end: Callable[[], object]) -> None:
    """Call ``end`` on SIGTERM and SIGHUP (a shutdown, the terminal gone) instead of dying.

    Ending through the app restores the terminal and closes the outbox, so a kiosk stopped
    by force leaves the result waiting and nothing of the student on the screen. Windows'
    event loops cannot watch signals; there the process just ends (the outbox is on disk).
    """
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None:
            continue
        try:
            loop.add_signal_handler(number, end)
        except NotImplementedError:
            return


CLEAR_SCREEN = "\x1b[H\x1b[2J\x1b[3J"
"""Home, erase the screen, erase the scrollback: what the kiosk leaves behind."""
