"""Snapshots of the staff console's screens at 80x24, in Chinese and English.

The console runs against a real server (frozen clock) in a background thread. Update with
``pytest tests/test_staff_snapshots.py --snapshot-update`` and look at the SVGs first.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kiosk.client import ApiClient
from kiosk.protocol.corrections import CollegeDecision, RegistrarDecision
from kiosk.protocol.province import ProvinceBatchCreate
from kiosk.protocol.student import PhotoDecision
from kiosk.protocol.terminal import HeartbeatRequest
from kiosk.staff_client import StaffClient
from screens.staff.app import StaffApp
from screens.staff.terminal_table import TerminalTable
from tests.server.conftest import PASSWORD, record
from tests.server.staff_world import STAFF
from tests.server.test_imports import csv_file
from tests.staff_console_server import LiveServer, email, log_in, result_for, text, wait_for

Step = Callable[[Pilot[None], StaffApp], Awaitable[None]]


pytestmark = pytest.mark.usefixtures("no_blinking_cursor")


async def login(pilot: Pilot[None], app: StaffApp) -> None:
    await pilot.press(*"proctor@test")


async def board(pilot: Pilot[None], app: StaffApp) -> None:
    await log_in(pilot, "proctor")
    await wait_for(pilot, lambda: bool(text(app, "#progress-text")))


async def sessions(pilot: Pilot[None], app: StaffApp) -> None:
    await log_in(pilot, "registrar")
    await pilot.press("f4")
    await wait_for(pilot, lambda: bool(app.screen.query(DataTable)))
    await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 1)
    # The header takes the new column widths on the refresh after the row's: wait for it,
    # or the snapshot may catch the header still at its empty-table widths.
    await pilot.pause()
    await pilot.pause()


async def plan(pilot: Pilot[None], app: StaffApp) -> None:
    await sessions(pilot, app)
    await pilot.press("n")
    await wait_for(pilot, lambda: bool(app.screen.query("#plan")))


async def student(pilot: Pilot[None], app: StaffApp) -> None:
    await log_in(pilot, "office")
    await pilot.press(*"202210010001", "enter")
    await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 1)
    await pilot.press("enter")
    await wait_for(pilot, lambda: bool(text(app, "#detail")))


async def confirm_end(pilot: Pilot[None], app: StaffApp) -> None:
    await sessions(pilot, app)
    await pilot.press("e")
    await wait_for(pilot, lambda: bool(app.screen.query("#confirm")))


STEPS: dict[str, Step] = {
    step.__name__: step for step in (login, board, sessions, plan, student, confirm_end)
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(STEPS))
def test_console_snapshot(snap_compare: Any, server: LiveServer, name: str, lang: str) -> None:
    # The login screen shows the server's address, whose port changes from run to run.
    app = server.console(lang, url="http://xj.example.edu.cn" if name == "login" else None)

    async def run_before(pilot: Pilot[None]) -> None:
        await STEPS[name](pilot, app)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize(
    ("size", "lang"), [((80, 24), "zh"), ((80, 24), "en"), ((100, 30), "zh"), ((200, 50), "en")]
)
def test_board_of_a_120_terminal_lab(
    snap_compare: Any, server: LiveServer, size: tuple[int, int], lang: str
) -> None:
    app = server.console(lang)

    async def run_before(pilot: Pilot[None]) -> None:
        keys = await server.add_lab("C303", 120)
        kiosk = ApiClient(server.url, keys[1])
        busy = HeartbeatRequest(
            state="in_use", step="fields", student_masked="王*", results_waiting=1
        )
        await kiosk.heartbeat(busy)
        await kiosk.aclose()
        await log_in(pilot, "proctor")
        await pilot.press("l", "l")
        await wait_for(pilot, lambda: "C303" in text(app, "#board-where"))
        await wait_for(pilot, lambda: app.screen.query_one(TerminalTable).row_count == 120)
        await pilot.press(*["pagedown"] * 3)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=size)


async def _rejected_by_the_registrar(server: LiveServer, app: StaffApp) -> None:
    """Student 1 reports 专业名称 and the photo; the office accepts the first, the registrar
    rejects it."""
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    result = result_for(await kiosk.record(), "major")
    blurred = PhotoDecision(verdict="incorrect", reason="blurred")
    await kiosk.submit(result.model_copy(update={"photo": blurred}), str(uuid.uuid4()))
    await kiosk.aclose()
    office = StaffClient(server.url)
    await office.login(STAFF["office"][0], PASSWORD)
    (major,) = [row for row in (await office.corrections()).corrections if row.field == "major"]
    await office.decide(major.id, CollegeDecision(decision="accept", comment="属实"), "college")
    await office.logout()
    await office.aclose()
    await app.client.decide(
        major.id, RegistrarDecision(decision="reject", comment="证明不足"), "registrar"
    )


async def _confirmed_and_one_batch(server: LiveServer, app: StaffApp) -> None:
    """Students 1 and 2 report 专业名称; both are accepted and confirmed; the first goes to
    the province in a batch, the second waits for one."""
    office = StaffClient(server.url)
    await office.login(STAFF["office"][0], PASSWORD)
    for n in (1, 2):
        kiosk = server.kiosk(0)
        await kiosk.login(email(n), PASSWORD)
        await kiosk.submit(result_for(await kiosk.record(), "major"), str(uuid.uuid4()))
        await kiosk.aclose()
    rows = (await office.corrections()).corrections
    for row in rows:
        await office.decide(row.id, CollegeDecision(decision="accept", comment="属实"), "college")
        await app.client.decide(
            row.id, RegistrarDecision(decision="confirm", comment="同意"), "registrar"
        )
    await office.logout()
    await office.aclose()
    await app.client.create_province_batch(ProvinceBatchCreate(ids=[rows[0].id]))


@pytest.mark.parametrize("name", ["corrections", "import_problems", "batches"])
def test_registrar_screens_at_80x24(
    snap_compare: Any, server: LiveServer, tmp_path: Path, name: str
) -> None:
    app = server.console("en")
    records = tmp_path / "records.csv"
    records.write_bytes(csv_file([record(n, birth_date="2003-02-30") for n in range(10, 40)]))

    async def run_before(pilot: Pilot[None]) -> None:
        await log_in(pilot, "registrar")
        if name == "corrections":
            await _rejected_by_the_registrar(server, app)
            await pilot.press("f7")
            await wait_for(pilot, lambda: bool(app.screen.query("#corrections-table")))
            table = app.screen.query_one("#corrections-table", DataTable)
            await wait_for(pilot, lambda: table.row_count == 2)
        elif name == "batches":
            await _confirmed_and_one_batch(server, app)
            await pilot.press("f7")
            await wait_for(pilot, lambda: bool(app.screen.query("#corrections-table")))
            await pilot.press("ctrl+b")
            await wait_for(pilot, lambda: bool(app.screen.query("#batch-list")))
            await wait_for(pilot, lambda: app.screen.query_one("#batch-list", DataTable).row_count)
            await pilot.press("space")
            await pilot.pause()
        else:
            await pilot.press("f8")
            await wait_for(pilot, lambda: bool(app.screen.query("#import-path")))
            app.screen.query_one("#import-path", Input).value = str(records)
            await pilot.press("enter")
            await wait_for(pilot, lambda: "30 problems" in text(app, "#import-report"))
            # The path is the test's temporary folder: show a fixed one.
            app.screen.query_one("#import-path", Input).value = "records.csv"
            await pilot.press("pagedown")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
