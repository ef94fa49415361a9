"""A real terminal for tests: tmux runs a command in a pty; keys go in one by one, as people
type them, and the screen is read back as text."""

from __future__ import annotations

import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest

requires_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
"""Mark for tests that need tmux."""

KEY_GAP_S = (0.05, 0.15)
"""The pause between two keys: a quick typist, but slower than one terminal read."""
POLL_S = 0.02
"""How often the screen is read while waiting for a change."""


class Terminal:
    """A detached tmux session running one command in a pty of ``width``×``height``."""

    def __init__(
        self,
        command: list[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        width: int = 80,
        height: int = 24,
    ) -> None:
        self.name = f"kiosk-term-{uuid.uuid4().hex[:8]}"
        # tmux starts the command through its server's environment, so settings go in with -e.
        settings = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
             "-c", str(cwd), *settings, " ".join(command)],
            check=True,
        )  # fmt: skip

    def screen(self) -> str:
        """What the terminal shows now, as text."""
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    def wait_for(self, text: str, timeout_s: float = 60) -> str:
        """Wait until ``text`` is on the screen; returns the screen."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(POLL_S)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        """Press ``keys`` one after another (tmux key names, or text with ``literal``).

        With ``literal`` each string is typed character by character. A terminal delivers a
        burst as one read, which Textual takes as a paste; people type with gaps.
        """
        for key in keys:
            for part in key if literal else (key,):
                subprocess.run(
                    ["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), part],
                    check=True,
                )
                time.sleep(random.uniform(*KEY_GAP_S))

    def paste(self, text: str) -> None:
        """Send ``text`` in one write, as a password manager or a card reader does."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def press_until(self, key: str, text: str, timeout_s: float = 10) -> float:
        """Press ``key`` and return the seconds until ``text`` shows on the screen."""
        if text in self.screen():
            raise AssertionError(f"{text!r} is on the screen already")
        started = time.monotonic()
        subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
        self.wait_for(text, timeout_s)
        return time.monotonic() - started

    def alive(self) -> bool:
        """Whether the command still runs (tmux closes the session when it ends)."""
        done = subprocess.run(
            ["tmux", "has-session", "-t", self.name], capture_output=True, check=False
        )
        return done.returncode == 0

    def wait_closed(self, timeout_s: float = 30) -> None:
        """Wait for the command to end."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.alive():
            time.sleep(0.2)
        assert not self.alive(), self.screen()

    def close(self) -> None:
        """End the session and its command."""
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)
