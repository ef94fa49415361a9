"""Fixtures shared by the kiosk, client and console tests (the server's are in tests/server)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input

from kiosk.client import ApiClient
from tests.databases import POSTGRES_ENV, PostgresDatabases, migrated_sqlite
from tests.staff_console_server import LiveServer, live_server

Handler = Callable[[httpx.Request], httpx.Response]
"""What answers an in-memory client's requests (e.g. ``tests.test_submission.Script``)."""


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[[Handler], ApiClient]]:
    """Kiosk clients whose requests ``handler`` answers in memory; closed after the test."""
    clients: list[ApiClient] = []

    def make(handler: Handler) -> ApiClient:
        client = ApiClient("http://server.test", "t.k", transport=httpx.MockTransport(handler))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def no_blinking_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs draw their cursor steadily, so snapshots do not depend on the moment."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda _self: None)


@pytest.fixture
def stable_display(no_blinking_cursor: None) -> Iterator[None]:
    """One time zone for the times shown (China's), and no blinking cursor."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


@pytest.fixture(scope="session", autouse=True)
def own_tmux_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """This worker's terminals on a tmux server of its own, so parallel workers never share
    one (nor its environment). tmux finds its socket through ``TMUX_TMPDIR``, unless ``TMUX``
    names the server of the tmux the tests were started in: that one is left alone."""
    saved = {name: os.environ.pop(name, None) for name in ("TMUX", "TMUX_TMPDIR")}
    os.environ["TMUX_TMPDIR"] = str(tmp_path_factory.mktemp("tmux"))
    yield
    if shutil.which("tmux"):
        subprocess.run(["tmux", "kill-server"], capture_output=True, check=False)
    del os.environ["TMUX_TMPDIR"]
    os.environ.update({name: value for name, value in saved.items() if value is not None})


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head, once per worker; tests use copies of it."""
    return migrated_sqlite(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def postgres() -> PostgresDatabases:
    """This worker's own PostgreSQL databases, next to the one ``KIOSK_TEST_POSTGRES_URL``
    names (the test is skipped without it)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    return PostgresDatabases(url)


@pytest.fixture
def server(tmp_path: Path, migrated_template: Path) -> Iterator[LiveServer]:
    """A fresh university server in a background thread, for the staff console's tests."""
    with live_server(tmp_path, migrated_template) as running:
        yield running
