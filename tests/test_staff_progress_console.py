"""The console's check progress screen (F1) against a real server on loopback: the numbers,
the students behind one, a reminder after its preview, the 核对统计表; snapshots at 80x24."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from screens.staff.app import StaffApp
from screens.staff.progress import DrillDownModal, ProgressScreen
from screens.staff.save_report import SaveReportModal
from screens.widgets.confirm import ConfirmModal
from tests.server.conftest import PASSWORD
from tests.staff_console_server import LiveServer, email, log_in, result_for, text, wait_for

SIZE = (80, 24)
NOT_YET_COLUMN = 6
REMINDED_COLUMN = 9


async def _report_major(server: LiveServer) -> None:
    """Student 1 checks and reports 专业名称; the other three have not checked."""
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    await kiosk.submit(result_for(await kiosk.record(), "major"), str(uuid.uuid4()))
    await kiosk.aclose()


async def _open(pilot: Pilot[None], app: StaffApp, who: str) -> DataTable[Any]:
    await log_in(pilot, who)
    await pilot.press("f1")
    await wait_for(pilot, lambda: isinstance(app.screen, ProgressScreen))
    table = app.screen.query_one("#campaign-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == 2)
    return table


def _row(table: DataTable[Any], row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_the_registrar_lists_reminds_and_exports(server: LiveServer, tmp_path: Path) -> None:
    await _report_major(server)
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        table = await _open(pilot, app, "registrar")
        assert "全校" in text(app, "#campaign-summary")
        totals = text(app, "#campaign-totals")
        assert "毕业生 4" in totals and "报告有误 1" in totals and "待处理勘误 1" in totals
        assert _row(table, 0)[:7] == ["信息工程学院", "4", "4", "1", "0", "1", "3"]
        assert _row(table, 1)[0].strip() == "计算机221"

        # The students behind 未核对 of the class.
        table.move_cursor(row=1, column=NOT_YET_COLUMN)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillDownModal))
        drill = app.screen.query_one("#drill-table", DataTable)
        await wait_for(pilot, lambda: drill.row_count == 3)
        assert "未核对：共 3 人" in text(app, "#drill-title")
        assert [_row(drill, n)[0] for n in range(3)] == [
            "202210010002", "202210010003", "202210010004",
        ]  # fmt: skip
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ProgressScreen))

        # A reminder asks first, with the preview's counts; then the view shows it.
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "将提醒 3 人（邮件 3，短信 0）" in text(app, "#confirm-body")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "已提醒 3 人" in text(app, "#message"))
        await wait_for(pilot, lambda: _row(table, 1)[REMINDED_COLUMN] == "3")
        await pilot.press("r")
        await wait_for(pilot, lambda: "没有可以提醒的学生" in text(app, "#message"))

        target = tmp_path / "progress.csv"
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveReportModal))
        suggested = Path(app.screen.query_one(Input).value).name
        assert suggested.startswith("核对统计表-全校-") and suggested.endswith(".csv")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists() and "已保存" in text(app, "#message"))
        rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
        assert rows[0] == ["核对统计表（全校）"]
        assert rows[5][:8] == ["信息工程学院", "计算机221", "4", "4", "1", "0", "1", "3"]


async def test_only_record_keepers_open_it(server: LiveServer) -> None:
    app = server.console("en")
    async with app.run_test(size=SIZE) as pilot:
        table = await _open(pilot, app, "office")
        assert "信息工程学院" in text(app, "#campaign-summary")
        assert table.row_count == 2
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillDownModal))
        await wait_for(pilot, lambda: "no contact: 0 students" in text(app, "#drill-title"))
        assert text(app, "#drill-message") == "No students."
        await pilot.press("escape")
        await pilot.press("f10")
        await wait_for(pilot, lambda: not isinstance(app.screen, ProgressScreen))
        await log_in(pilot, "proctor")
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, ProgressScreen)


pytestmark = pytest.mark.usefixtures("no_blinking_cursor")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_progress_snapshot(snap_compare: Any, server: LiveServer, lang: str) -> None:
    app = server.console(lang)

    async def run_before(pilot: Pilot[None]) -> None:
        await _report_major(server)
        await _open(pilot, app, "registrar")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_drill_down_snapshot(snap_compare: Any, server: LiveServer) -> None:
    app = server.console("en")

    async def run_before(pilot: Pilot[None]) -> None:
        table = await _open(pilot, app, "registrar")
        table.move_cursor(row=1, column=NOT_YET_COLUMN)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DrillDownModal))
        drill = app.screen.query_one("#drill-table", DataTable)
        await wait_for(pilot, lambda: drill.row_count == 4)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)
