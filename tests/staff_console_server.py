"""A real university server on loopback, in a background thread, for the console's tests.

uvicorn serves the app in its own thread and event loop, so the console (and kiosks played
by the real :class:`~kiosk.client.ApiClient`) talk to it over HTTP exactly as in a lab. The
server's clock is frozen: terminals stay online, and every time shown is the same each run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from textual.pilot import Pilot

from kiosk.client import ApiClient
from kiosk.config import KioskSettings
from kiosk.protocol.student import (
    FieldDecision,
    PhotoDecision,
    RecordResponse,
    VerificationRequest,
    new_result_id,
)
from kiosk.staff_client import StaffClient
from screens.staff.app import StaffApp, create_staff_app
from screens.staff.login import LoginScreen
from screens.widgets.i18n import Tr
from server.app import create_app
from server.db import Database
from server.models import Account, RosterEntry, Student, SupervisedSession
from server.security import Passwords
from server.seed import add_photo
from server.terminals import add_terminal
from tests.databases import copy_database
from tests.e2e.serving import free_port
from tests.server.conftest import PASSWORD, START, record, test_settings, tiny_jpeg
from tests.server.staff_world import STAFF, staff_accounts
from tests.waiting import wait_for

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
STUDENTS = 4
"""Students of 计算机221, all on the running session's roster."""


def email(n: int) -> str:
    """The e-mail address of demo student ``n``."""
    return f"student{n}@stu.example.edu.cn"


@dataclass
class LiveServer:
    """A running server with students, staff, three terminals and a running session."""

    url: str
    terminal_keys: list[str]
    session_id: int
    database_url: str

    def console(self, language: str = "zh", *, url: str | None = None) -> StaffApp:
        """A console app against this server (or ``url``), with its clock frozen too."""
        url = url or self.url
        settings = KioskSettings(server_url=url, language=language)  # type: ignore[arg-type]
        app = create_staff_app(settings, StaffClient(url), clock=lambda: START.astimezone(SHANGHAI))
        app.animation_level = "none"
        return app

    def kiosk(self, terminal: int = 0) -> ApiClient:
        """The client of lab terminal ``terminal`` (0 and 1 in A101, 2 in B202)."""
        return ApiClient(self.url, self.terminal_keys[terminal])

    async def add_lab(self, lab: str, count: int) -> list[str]:
        """Register ``count`` terminals ``t001``… in ``lab`` (as ``kiosk admin`` does); their keys."""
        db = Database(self.database_url)
        try:
            async with db.sessions.begin() as session:
                return [
                    (await add_terminal(session, lab, f"t{n:03d}"))[1] for n in range(1, count + 1)
                ]
        finally:
            await db.dispose()


async def _seed(database_url: str, passwords: Passwords) -> tuple[list[str], int]:
    db = Database(database_url)
    try:
        async with db.sessions.begin() as session:
            keys = [
                (await add_terminal(session, lab, name))[1]
                for lab, name in (("A101", "t01"), ("A101", "t02"), ("B202", "t01"))
            ]
            staff = staff_accounts(passwords)
            session.add_all(staff)
            await session.flush()
            students = []
            for n in range(1, STUDENTS + 1):
                student = Student(**record(n), record_version=1, photo_version=0)
                student.window_closes_at = START + dt.timedelta(hours=24)
                session.add(student)
                await session.flush()
                await add_photo(session, student, tiny_jpeg())
                session.add(
                    Account(
                        username=email(n),
                        password_hash=passwords.hash_sync(PASSWORD),
                        student_id=student.id,
                    )
                )
                students.append(student)
            running = SupervisedSession(
                title="计算机221 校对", lab="A101", state="running", class_name="计算机221",
                starts_at=START - dt.timedelta(minutes=10), ends_at=START + dt.timedelta(hours=2),
                started_at=START - dt.timedelta(minutes=10), created_by=staff[0].id,
            )  # fmt: skip
            session.add(running)
            await session.flush()
            session.add_all(RosterEntry(session_id=running.id, student_id=s.id) for s in students)
        return keys, running.id
    finally:
        await db.dispose()


@contextmanager
def live_server(tmp_path: Path, migrated: Path) -> Iterator[LiveServer]:
    """Fill a copy of the ``migrated`` SQLite database, serve it on a free port, stop afterwards."""
    database_url = copy_database(migrated, tmp_path, "console.db")
    settings = test_settings(database_url)
    keys, session_id = asyncio.run(_seed(database_url, Passwords(settings)))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, clock=lambda: START),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, name="console-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", keys, session_id, database_url)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def result_for(current: RecordResponse, *wrong: str) -> VerificationRequest:
    """A complete result for ``current``: every field correct but the keys in ``wrong``."""
    return VerificationRequest(
        result_id=new_result_id(),
        ticket=current.ticket,
        record_version=current.record_version,
        fields=[
            FieldDecision(key=item.key, verdict="incorrect", proposed="李四")
            if item.key in wrong
            else FieldDecision(key=item.key, verdict="correct")
            for item in current.fields
        ],
        photo=PhotoDecision(verdict="correct"),
        started_at=START,
        finished_at=START,
    )


def text(app: StaffApp, selector: str) -> str:
    """What a Tr shows now."""
    widget = app.screen.query_one(selector, Tr)
    return widget.text_in(app.lang) if widget.display else ""


async def log_in(pilot: Pilot[None], who: str, password: str = PASSWORD) -> None:
    """Type a staff member's credentials and wait for the next screen."""
    app = pilot.app
    assert isinstance(app.screen, LoginScreen)
    await pilot.press(*STAFF[who][0], "enter", *password, "enter")
    await wait_for(
        pilot,
        lambda: (
            not isinstance(app.screen, LoginScreen)
            or app.screen.query_one("#message").has_class("-error")
        ),
    )
