"""The progress view through the API: counts per class and college, scoping, drill-down, the
核对统计表 export."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from openpyxl import load_workbook

from server.progress.table import progress_columns
from tests.documents.pdftext import needs_poppler, pdf_text
from tests.server.conftest import World, record
from tests.server.staff_world import (
    COLLEGE,
    OTHER_COLLEGE,
    add_staff,
    check_and_submit,
    staff_headers,
)

BASE = "/api/v1/staff/progress"
CLASS = "计算机221"
OTHER_CLASS = "计算机222"
OTHER_COLLEGE_CLASS = "汉语言221"


async def campaign(world: World) -> None:
    """Students in every state: two classes of one college, one class of another.

    1 all correct, 2 reported (major), 3 registered and window open, 4 registered and
    window closed, 5 not registered (class 计算机221); 6 not registered (计算机222);
    7 registered and window open, 8 not registered (文学院).
    """
    await add_staff(world)
    for n in (1, 2, 3):
        await world.add_student(n, email=f"s{n}@test")
    await world.add_student(4, email="s4@test", window_hours=-1)
    await world.add_student(5)
    await world.add_student(6, class_name=OTHER_CLASS)
    await world.add_student(7, email="s7@test", college=OTHER_COLLEGE,
                            class_name=OTHER_COLLEGE_CLASS)  # fmt: skip
    await world.add_student(8, college=OTHER_COLLEGE, class_name=OTHER_COLLEGE_CLASS)
    await check_and_submit(world, "s1@test")
    await check_and_submit(world, "s2@test", "major")


async def _get(world: World, who: str, path: str = "", **params: Any) -> Any:
    return await world.client.get(
        BASE + path, params=params, headers=await staff_headers(world, who)
    )


def _numbers(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("graduates", "registered", "checked", "all_correct", "reported", "not_checked",
            "not_registered", "registered_not_checked", "window_closed", "corrections_open")  # fmt: skip
    return {key: row[key] for key in keys}


async def test_the_registrar_sees_every_class_college_and_the_school(world: World) -> None:
    world.ctx.settings.campaign_deadline = world.clock().date()
    await campaign(world)
    answer = await _get(world, "registrar")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["deadline"] == world.clock().date().isoformat()
    assert report["college"] is None
    classes = {(row["college"], row["class_name"]): row for row in report["classes"]}
    assert _numbers(classes[COLLEGE, CLASS]) == {
        "graduates": 5, "registered": 4, "checked": 2, "all_correct": 1, "reported": 1,
        "not_checked": 3, "not_registered": 1, "registered_not_checked": 1,
        "window_closed": 1, "corrections_open": {"reported": 1},
    }  # fmt: skip
    assert classes[COLLEGE, OTHER_CLASS]["not_registered"] == 1
    colleges = {row["college"]: row for row in report["colleges"]}
    assert colleges[COLLEGE]["graduates"] == 6
    assert colleges[COLLEGE]["not_checked"] == 4
    assert colleges[OTHER_COLLEGE]["registered_not_checked"] == 1
    assert report["total"]["graduates"] == 8
    assert report["total"]["checked"] == 2
    assert report["total"]["not_registered"] == 3


async def test_a_college_office_sees_only_its_own_college(world: World) -> None:
    await campaign(world)
    own = (await _get(world, "office")).json()
    assert own["college"] == COLLEGE
    assert {row["college"] for row in own["classes"]} == {COLLEGE}
    assert own["total"]["graduates"] == 6
    refused = await _get(world, "office", college=OTHER_COLLEGE)
    assert refused.status_code == 403
    assert refused.json()["code"] == "other_college"
    refused = await _get(world, "office", "/students", number="graduates", college=OTHER_COLLEGE)
    assert refused.json()["code"] == "other_college"
    assert (await _get(world, "proctor")).status_code == 403


async def test_the_drill_down_lists_the_students_behind_a_number(world: World) -> None:
    await campaign(world)
    page = (await _get(world, "registrar", "/students", number="not_checked")).json()
    assert page["total"] == 6
    assert [s["student_no"] for s in page["students"]] == [
        record(n)["student_no"] for n in (3, 4, 5, 6, 7, 8)
    ]  # ordered by college, class, 学号
    by_no = {s["student_no"]: s for s in page["students"]}
    assert by_no[record(4)["student_no"]]["status"] == "window_closed"
    assert by_no[record(5)["student_no"]]["has_contact"] is False
    assert by_no[record(3)["student_no"]]["has_contact"] is True
    second = (
        await _get(world, "registrar", "/students", number="not_checked", offset=4, limit=4)
    ).json()
    assert [s["student_no"] for s in second["students"]] == [
        record(n)["student_no"] for n in (7, 8)
    ]
    reported = (
        await _get(world, "office", "/students", number="corrections_open", class_name=CLASS)
    ).json()
    assert [(s["student_no"], s["open_corrections"]) for s in reported["students"]] == [
        (record(2)["student_no"], 1)
    ]
    calls = (await _get(world, "office", "/students", number="no_contact")).json()
    assert [s["student_no"] for s in calls["students"]] == [record(n)["student_no"] for n in (5, 6)]
    bad = await _get(world, "registrar", "/students", number="everyone")
    assert bad.status_code == 422


def _rows(answer: Any, fmt: str) -> list[list[Any]]:
    if fmt == "csv":
        return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


async def test_the_progress_export_is_the_table_in_csv_and_excel(world: World) -> None:
    await campaign(world)
    for fmt in ("csv", "xlsx"):
        answer = await _get(world, "registrar", "/export", format=fmt)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-store"
        name = quote(f"核对统计表-全校-{world.clock():%Y-%m-%d}.{fmt}")
        assert name in answer.headers["content-disposition"]
        rows = _rows(answer, fmt)
        assert rows[0][0] == "核对统计表（全校）"
        heading = rows.index([str(c) if fmt == "csv" else c for c in progress_columns()])
        lines = {(line[0], line[1]): line for line in rows[heading + 1 :]}
        graduates = 2
        assert int(lines[COLLEGE, CLASS][graduates]) == 5
        assert int(lines[COLLEGE, "学院合计"][graduates]) == 6
        assert int(lines["全校", ""][graduates]) == 8
        assert lines[COLLEGE, CLASS][11] == "40.0%"  # 2 of 5 checked
    office = await _get(world, "office", "/export", format="csv")
    assert quote(f"核对统计表-{COLLEGE}-") in office.headers["content-disposition"]
    rows = _rows(office, "csv")
    assert all(line[0] != OTHER_COLLEGE and line[0] != "全校" for line in rows[5:])


@needs_poppler
async def test_the_progress_export_as_pdf_carries_the_table_and_signature_lines(
    world: World,
) -> None:
    await campaign(world)
    answer = await _get(world, "office", "/export", format="pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        quote(f"核对统计表-{COLLEGE}-{world.clock():%Y-%m-%d}.pdf")
        in (answer.headers["content-disposition"])
    )
    text = pdf_text(answer.content)
    # Narrow columns wrap a class's name inside its cell; the header names the college whole.
    assert "核对统计表" in text and f"学院：{COLLEGE}" in text and "学院合计" in text
    assert OTHER_COLLEGE not in text
    assert "40.0%" in text
    assert "制表人" in text and "学院负责人（盖章）" in text
