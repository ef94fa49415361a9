"""One demo server per module, and kiosks in real terminals against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.serving import ROOT, RunningServer, kiosk_command, serving
from tests.terminal.tmux import Terminal

StartKiosk = Callable[..., Terminal]
"""``start_kiosk(state_dir=None, **kiosk_settings)``: ``kiosk run`` in a new terminal."""


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, dict[str, Any]]]:
    """A ``kiosk serve --demo`` for the module, with its terminal key and student accounts."""
    path = tmp_path_factory.mktemp("terminal-server")
    with serving(f"sqlite+aiosqlite:///{path}/demo.db", "--demo") as server:
        yield server, server.demo_accounts()


@pytest.fixture
def start_kiosk(demo: tuple[RunningServer, dict[str, Any]], tmp_path: Path) -> Iterator[StartKiosk]:
    """Start ``kiosk run`` in an 80×24 tmux terminal against the demo server.

    Its state (outbox, PIN attempts) lives in ``state_dir`` (default: this test's own);
    ``kiosk_settings`` are more ``[kiosk]`` settings, e.g. ``idle_timeout_s=15``.
    """
    server, accounts = demo
    started: list[Terminal] = []

    def start(state_dir: Path | None = None, **kiosk_settings: object) -> Terminal:
        settings = {
            "server_url": server.url,
            "terminal_key": accounts["terminal_key"],
            "outbox_path": (state_dir or tmp_path) / "outbox.sqlite3",
            **kiosk_settings,
        }
        env = {f"KIOSK_KIOSK__{key.upper()}": str(value) for key, value in settings.items()}
        terminal = Terminal(kiosk_command("run"), cwd=ROOT, env=env)
        started.append(terminal)
        terminal.wait_for("按 Enter 开始")
        return terminal

    yield start
    for terminal in started:
        terminal.close()
