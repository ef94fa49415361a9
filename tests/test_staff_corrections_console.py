"""The corrections queue at the console (Pilot against a real server): a college office
accepts, the registrar confirms and applies, the 勘误汇总表 is saved, a record file imported."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from pathlib import Path

import openpyxl
from dbfread import DBF
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kiosk.protocol.student import PhotoDecision
from screens.staff.app import StaffApp
from screens.staff.batches import BatchesScreen
from screens.staff.correction_detail import CorrectionModal
from screens.staff.corrections import CorrectionsScreen
from screens.staff.imports import ImportsScreen
from screens.staff.login import LoginScreen
from screens.staff.save_report import SaveReportModal
from screens.staff.text import CORRECTION_COLUMNS
from screens.widgets.confirm import ConfirmModal
from tests.server.conftest import PASSWORD
from tests.staff_console_server import (
    LiveServer,
    email,
    log_in,
    result_for,
    text,
    wait_for,
)
from tests.waiting import settle

SIZE = (100, 30)


async def _report_major(server: LiveServer) -> None:
    """Student 1 reports 专业名称 wrong at terminal t01."""
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    current = await kiosk.record()
    await kiosk.submit(result_for(current, "major"), str(uuid.uuid4()))


def _states(app: StaffApp) -> list[str]:
    table = app.screen.query_one(DataTable)
    state = [column.zh for column in CORRECTION_COLUMNS].index("状态")
    return [str(table.get_row_at(i)[state]) for i in range(table.row_count)]


async def _decide(
    pilot: Pilot[None], app: StaffApp, comment: str, key: str, *, asks: bool = False
) -> None:
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, CorrectionModal))
    await wait_for(pilot, lambda: "李四" in text(app, "#correction-body"))
    app.screen.query_one("#comment", Input).value = comment
    await pilot.press(key)
    if asks:
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))


async def _log_out_and_in(pilot: Pilot[None], app: StaffApp, who: str) -> None:
    await pilot.press("f10")
    await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
    await log_in(pilot, who)
    await pilot.press("f7")
    await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))


async def _through_province(pilot: Pilot[None], app: StaffApp, folder: Path) -> None:
    """From the queue (Ctrl+B) to the batches: mark, submit (F9), save the DBF (F11), record
    the province's approval (Ctrl+O), back to the queue (F7)."""
    await pilot.press("ctrl+b")
    await wait_for(pilot, lambda: isinstance(app.screen, BatchesScreen))
    candidates = app.screen.query_one("#batch-candidates", DataTable)
    await wait_for(pilot, lambda: candidates.row_count == 1)
    await pilot.press("f9")  # nothing marked yet: said, nothing sent
    await wait_for(pilot, lambda: "请先用空格键" in text(app, "#message"))
    await pilot.press("space", "f9")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
    await pilot.press("enter")
    await wait_for(pilot, lambda: "已报送（1 条）" in text(app, "#message"))
    batches = app.screen.query_one("#batch-list", DataTable)
    assert candidates.row_count == 0 and batches.row_count == 1
    number = str(batches.get_row_at(0)[0])

    target = folder / "batch.dbf"
    await pilot.press("f11")
    await wait_for(pilot, lambda: isinstance(app.screen, SaveReportModal))
    assert Path(app.screen.query_one(Input).value).name == f"学籍变更上报-{number}.dbf"
    app.screen.query_one(Input).value = str(target)
    await pilot.press("enter")
    await wait_for(pilot, lambda: target.exists() and "已保存" in text(app, "#message"))
    [row] = list(DBF(str(target), encoding="gbk"))
    assert (row["XH"], row["ZYMC"], row["BZ"]) == ("202210010001", "李四", "更正专业名称")

    await pilot.press("ctrl+o")  # no reference typed yet
    await wait_for(pilot, lambda: "批复文号" in text(app, "#message"))
    app.screen.query_one("#batch-reference", Input).value = "浙教学函〔2026〕3号"
    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
    await pilot.press("enter")
    await wait_for(pilot, lambda: "批复已登记" in text(app, "#message"))
    assert str(app.screen.query_one("#batch-list", DataTable).get_row_at(0)[3]) == "0"
    await pilot.press("f7")
    await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))


async def test_a_correction_through_the_console(server: LiveServer, tmp_path: Path) -> None:
    await _report_major(server)
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await wait_for(pilot, lambda: _states(app) == ["已报告"])
        assert "共 1 条" in text(app, "#corrections-filter")

        await _decide(pilot, app, "属实", "ctrl+a")
        await wait_for(pilot, lambda: _states(app) == ["学院已通过"])
        assert "学院已通过" in text(app, "#message")

        await _log_out_and_in(pilot, app, "registrar")
        await wait_for(pilot, lambda: _states(app) == ["学院已通过"])
        await _decide(pilot, app, "同意", "ctrl+a")
        await wait_for(pilot, lambda: _states(app) == ["学籍科已确认"])
        # 专业名称 is a key field: it goes to the province in a batch first.
        await _through_province(pilot, app, tmp_path)
        await wait_for(pilot, lambda: _states(app) == ["省教育厅已批准"])
        # Four eyes: who confirmed a key field does not apply it; the dialog says why.
        await pilot.press("enter")
        await wait_for(pilot, lambda: "李四" in text(app, "#correction-body"))
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "另一位" in text(app, "#correction-message"))
        await pilot.press("escape")
        await _log_out_and_in(pilot, app, "registrar2")
        await wait_for(pilot, lambda: _states(app) == ["省教育厅已批准"])
        await _decide(pilot, app, "已更正", "ctrl+p", asks=True)
        await wait_for(pilot, lambda: _states(app) == ["已更正"])

        target = tmp_path / "summary.csv"
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveReportModal))
        # The server names the file for the college and the day (Beijing time).
        suggested = Path(app.screen.query_one(Input).value).name
        assert suggested.startswith("勘误汇总表-全校-") and suggested.endswith(".csv")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists() and "已保存" in text(app, "#message"))
        rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
        assert rows[0][:5] == ["学号", "姓名", "学院", "班级", "字段"]
        assert rows[1][4:7] == ["专业名称", "计算机科学与技术", "李四"] and rows[1][9] == "已更正"

        # The student's history says it in words, not in codes.
        await pilot.press("f5")
        await pilot.press(*"20221001", "enter")
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 4)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "勘误" in text(app, "#detail"))
        history = text(app, "#detail")
        assert "专业名称 已更正" in history and "提交" in history
        assert not any(code in history for code in ("applied", " ok", "major"))

    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    mine = await kiosk.record()
    assert mine.state == "check_again" and mine.recheck_fields == ["major"]


async def test_the_registrar_confirms_and_applies_marked_corrections(
    server: LiveServer, tmp_path: Path
) -> None:
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    current = await kiosk.record()
    await kiosk.submit(result_for(current, "major", "department"), str(uuid.uuid4()))
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        await pilot.press("f7")
        await wait_for(pilot, lambda: _states(app) == ["已报告", "已报告"])
        for _ in range(2):  # the college step, one by one
            await _decide(pilot, app, "属实", "ctrl+a")
            await pilot.press("down")
        await wait_for(pilot, lambda: _states(app) == ["学院已通过", "学院已通过"])
        await _log_out_and_in(pilot, app, "registrar")
        await wait_for(pilot, lambda: _states(app) == ["学院已通过", "学院已通过"])

        await pilot.press("up", "space", "down", "space")
        await wait_for(pilot, lambda: "已选 2 条" in text(app, "#corrections-filter"))
        await pilot.press("f9")
        await wait_for(pilot, lambda: _states(app) == ["学籍科已确认", "学籍科已确认"])
        assert "已确认 2 条" in text(app, "#message")
        assert "已选 0 条" in text(app, "#corrections-filter")
        # 专业名称 (the second) goes to the province; 系 (a school field) does not.
        await _through_province(pilot, app, tmp_path)
        await wait_for(pilot, lambda: _states(app) == ["学籍科已确认", "省教育厅已批准"])

        # All or none: one marked correction that cannot be confirmed again stops the action.
        await pilot.press("space", "f9")
        await wait_for(pilot, lambda: "批量操作未执行" in text(app, "#message"))
        assert "该勘误当前状态下不能进行此操作" in text(app, "#message")
        assert "invalid_transition" not in text(app, "#message")

        await pilot.press("down", "space")
        await wait_for(pilot, lambda: "已选 2 条" in text(app, "#corrections-filter"))
        # Four eyes: the 专业名称 this registrar confirmed stops the bulk, by name.
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "批量操作未执行" in text(app, "#message"))
        assert "专业名称" in text(app, "#message") and "另一位" in text(app, "#message")
        await _log_out_and_in(pilot, app, "registrar2")
        await wait_for(pilot, lambda: _states(app) == ["学籍科已确认", "省教育厅已批准"])
        await pilot.press("space", "down", "space")
        await wait_for(pilot, lambda: "已选 2 条" in text(app, "#corrections-filter"))
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "已选的 2 条勘误将写入学籍档案" in text(app, "#confirm-body")
        await pilot.press("escape")  # cancelled: nothing is applied
        await settle(pilot)
        assert _states(app) == ["学籍科已确认", "省教育厅已批准"]
        assert "已选 2 条" in text(app, "#corrections-filter")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: _states(app) == ["已更正", "已更正"])
        assert "已更正 2 条" in text(app, "#message")

    await kiosk.login(email(1), PASSWORD)
    mine = await kiosk.record()
    assert mine.state == "check_again"
    assert sorted(mine.recheck_fields) == ["department", "major"]


async def test_a_college_office_sees_why_it_may_not_confirm(server: LiveServer) -> None:
    await _report_major(server)
    app = server.console("en")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "other_office")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await wait_for(pilot, lambda: "No corrections match" in text(app, "#message"))


async def _save_problems(pilot: Pilot[None], app: StaffApp, key: str, target: Path) -> None:
    await pilot.press(key)
    await wait_for(pilot, lambda: bool(app.screen.query("#save-path")))
    app.screen.query_one("#save-path", Input).value = str(target)
    await pilot.press("enter")
    await wait_for(pilot, lambda: f"问题清单已保存：{target}" in text(app, "#message"))
    assert target.exists()


async def test_a_long_import_report_scrolls_saves_and_the_import_asks_first(
    server: LiveServer, tmp_path: Path
) -> None:
    from tests.server.conftest import record
    from tests.server.test_imports import csv_file

    bad = tmp_path / "records.csv"
    wrong_dates = [record(n, birth_date="2003-02-30") for n in range(10, 70)]
    bad.write_bytes(csv_file([record(1), *wrong_dates]))
    app = server.console()
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "registrar")
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportsScreen))
        app.screen.query_one(Input).value = str(bad)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: "发现 60 个问题，未导入任何记录" in text(app, "#import-report")
        )
        table = app.screen.query_one("#import-problems", DataTable)
        assert app.focused is table and table.row_count == 60
        visible = table.scrollable_content_region.height - table.header_height
        assert 3 <= visible < 60
        for line in range(3, 63):  # every problem can be reached with the arrow keys
            row = [str(cell) for cell in table.get_row_at(table.cursor_row)]
            assert row == [str(line), "出生日期", "没有这一天，请检查年月日。"]
            top = round(table.scroll_y)
            assert top <= table.cursor_row < top + visible
            await pilot.press("down")

        await _save_problems(pilot, app, "f11", tmp_path / "problems.csv")
        await _save_problems(pilot, app, "f12", tmp_path / "problems.xlsx")
        rows = list(csv.reader(io.StringIO((tmp_path / "problems.csv").read_text("utf-8-sig"))))
        assert rows[0] == ["行", "列或文件", "问题"] and len(rows) == 61
        assert rows[1][:2] == ["3", "出生日期"] and "/" not in rows[1][2]
        book = openpyxl.load_workbook(tmp_path / "problems.xlsx")
        assert book.active is not None and book.active.max_row == 61

        changed = [record(1, major="软件工程"), record(9)]
        await asyncio.to_thread(bad.write_bytes, csv_file(changed))
        app.screen.query_one(Input).focus()
        await pilot.press("f6")
        await wait_for(pilot, lambda: "全部有效" in text(app, "#import-report"))
        assert not table.display
        # The preview: the real counts and who would change how.
        report = text(app, "#import-report")
        assert "将新增 1，更新 1，未变 0" in report
        assert f"第 2 行 {record(1)['student_no']}" in report
        assert "专业名称 计算机科学与技术 → 软件工程" in report
        assert f"第 3 行 {record(9)['student_no']} {record(9)['name']}：新增" in report
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        asked = text(app, "#confirm-body")
        assert "2 行全部有效，将写入学籍档案：新增 1，更新 1，未变 0" in asked
        await pilot.press("escape")  # cancelled: the server imports nothing
        await wait_for(pilot, lambda: isinstance(app.screen, ImportsScreen))
        assert (await app.client.search("202210010009")).students == []
        assert "专业名称 计算机科学与技术 → 软件工程" in text(app, "#import-report")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "已导入 2 行" in text(app, "#import-report"))
        assert "专业名称 计算机科学与技术 → 软件工程" in text(app, "#import-report")
        assert len((await app.client.search("202210010009")).students) == 1


async def test_a_rejection_is_confirmed_first_and_escape_changes_nothing(
    server: LiveServer,
) -> None:
    await _report_major(server)
    app = server.console("en")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        await pilot.press("f7")
        await wait_for(pilot, lambda: _states(app) == ["reported"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: "李四" in text(app, "#correction-body"))
        app.screen.query_one("#comment", Input).value = "no proof shown"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        body = text(app, "#confirm-body")
        assert "correction of “Major” is rejected (1 row)" in body
        assert "no proof shown" in body
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionModal))
        assert app.screen.query_one("#comment", Input).value == "no proof shown"
        found = await app.client.corrections()
        assert [row.state for row in found.corrections] == ["reported"]
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: _states(app) == ["college rejected"])


async def test_states_outcomes_and_photo_reasons_are_shown_in_words(
    server: LiveServer, tmp_path: Path
) -> None:
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    result = result_for(await kiosk.record(), "major")
    result = result.model_copy(
        update={"photo": PhotoDecision(verdict="incorrect", reason="blurred")}
    )
    await kiosk.submit(result, str(uuid.uuid4()))
    await kiosk.aclose()
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        await pilot.press(*"202210010001", "enter")
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "校对时间" in text(app, "#detail"))
        detail = text(app, "#detail")
        assert "登录 成功" in detail and "提交" in detail
        assert "勘误 专业名称 已报告" in detail and "勘误 照片 已报告" in detail
        assert " ok" not in detail and "reported" not in detail and "major" not in detail

        await pilot.press("f7")
        await wait_for(pilot, lambda: len(_states(app)) == 2)
        table = app.screen.query_one(DataTable)
        rows = [" ".join(str(cell) for cell in table.get_row_at(i)) for i in range(2)]
        assert any("照片 已报告 模糊不清" in row for row in rows)
        assert not any("blurred" in row for row in rows)
        photo = next(i for i, row in enumerate(rows) if "照片" in row)
        table.move_cursor(row=photo)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "模糊不清" in text(app, "#correction-body"))
        assert "更正为：模糊不清" in text(app, "#correction-body")
        assert "blurred" not in text(app, "#correction-body")
        await pilot.press("escape")

        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await pilot.press("f11")
        await wait_for(pilot, lambda: bool(app.screen.query("#save-path")))
        app.screen.query_one("#save-path", Input).value = str(tmp_path / "nowhere" / "x.csv")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "无法写入该文件" in text(app, "#message"))
        assert text(app, "#message") == "无法写入该文件：文件夹不存在"


async def test_the_export_is_what_the_screen_shows(server: LiveServer, tmp_path: Path) -> None:
    from tests.server.conftest import record

    for n in (1, 2):
        kiosk = server.kiosk(0)
        await kiosk.login(email(n), PASSWORD)
        await kiosk.submit(result_for(await kiosk.record(), "major"), str(uuid.uuid4()))
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "registrar")
        await pilot.press("f7")
        await wait_for(pilot, lambda: _states(app) == ["已报告", "已报告"])
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "学院：信息工程学院" in text(app, "#corrections-filter"))
        wanted = record(2)["student_no"]
        app.screen.query_one("#corrections-search", Input).value = wanted
        app.screen.query_one("#corrections-search", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: _states(app) == ["已报告"])

        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveReportModal))
        suggested = Path(app.screen.query_one(Input).value).name
        assert suggested.startswith("勘误汇总表-信息工程学院-") and suggested.endswith(".csv")
        # A folder that does not exist: said in Chinese, not in the OS's English.
        app.screen.query_one(Input).value = str(tmp_path / "missing" / suggested)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "文件夹不存在" in text(app, "#message"))
        assert "No such file" not in text(app, "#message")

        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveReportModal))
        target = tmp_path / suggested
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists() and "已保存" in text(app, "#message"))
        rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
        assert [row[0] for row in rows[1:]] == [wanted]


async def test_the_province_answers_some_corrections_of_a_batch(server: LiveServer) -> None:
    from kiosk.protocol.corrections import CollegeDecision, RegistrarDecision
    from kiosk.staff_client import StaffClient
    from screens.staff.batch_detail import BatchModal
    from tests.server.staff_world import STAFF

    office = StaffClient(server.url)
    await office.login(STAFF["office"][0], PASSWORD)
    for n in (1, 2):
        kiosk = server.kiosk(0)
        await kiosk.login(email(n), PASSWORD)
        await kiosk.submit(result_for(await kiosk.record(), "major"), str(uuid.uuid4()))
        await kiosk.aclose()
    rows = (await office.corrections()).corrections
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "registrar")
        for row in rows:
            await office.decide(
                row.id, CollegeDecision(decision="accept", comment="属实"), "college"
            )
            confirm = RegistrarDecision(decision="confirm", comment="同意")
            await app.client.decide(row.id, confirm, "registrar")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchesScreen))
        candidates = app.screen.query_one("#batch-candidates", DataTable)
        await wait_for(pilot, lambda: candidates.row_count == 2)
        await pilot.press("space", "down", "space", "f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "已报送（2 条）" in text(app, "#message"))

        await pilot.press("tab", "enter")  # the batch list, then the batch itself
        await wait_for(pilot, lambda: isinstance(app.screen, BatchModal))
        items = app.screen.query_one("#batch-items", DataTable)
        await wait_for(pilot, lambda: items.row_count == 2)
        await pilot.press("ctrl+o")  # nothing marked
        await wait_for(pilot, lambda: "请先用空格键" in text(app, "#batch-message"))
        await pilot.press("space", "ctrl+o")  # marked, but no reference yet
        await wait_for(pilot, lambda: "批复文号" in text(app, "#batch-message"))
        app.screen.query_one("#batch-item-reference", Input).value = "浙教学函〔2026〕5号"
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchesScreen))
        await wait_for(pilot, lambda: "批复已登记" in text(app, "#message"))
        batches = app.screen.query_one("#batch-list", DataTable)
        await wait_for(pilot, lambda: str(batches.get_row_at(0)[3]) == "1")
    states = {row.id: row.state for row in (await office.corrections()).corrections}
    assert sorted(states.values()) == ["province_approved", "submitted_to_province"]
    await office.logout()
    await office.aclose()
