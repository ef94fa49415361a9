"""Hostile requests against a real ``kiosk serve`` on loopback (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.serving import RunningServer, serving


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    """Where the demo server's stdout and stderr go."""
    return tmp_path / "server.log"


@pytest.fixture
def demo_server(tmp_path: Path, server_log: Path) -> Iterator[RunningServer]:
    """A demo server of its own on a throw-away SQLite database."""
    with serving(f"sqlite+aiosqlite:///{tmp_path}/demo.db", "--demo", log=server_log) as server:
        yield server
