"""Corrections through the API: the lifecycle, invalid moves, college scoping, bulk, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kiosk.catalogue import correction_field_label
from server.corrections.exports import EXPORT_COLUMNS
from server.models import AuditEvent, Student
from tests.server.conftest import World, record
from tests.server.staff_world import (
    COLLEGE,
    OTHER_COLLEGE,
    add_staff,
    check_and_submit,
    staff_headers,
    through_province,
)

BASE = "/api/v1/staff/corrections"


async def _reported(world: World, n: int = 1, *wrong: str, **overrides: str) -> dict[str, int]:
    """A student of ``n`` who reported ``wrong``; correction ids by field."""
    email = f"s{n}@test"
    await world.add_student(n, email=email, **overrides)
    await check_and_submit(world, email, *wrong)
    headers = await staff_headers(world, "registrar")
    found = (
        await world.client.get(BASE, params={"q": record(n)["student_no"]}, headers=headers)
    ).json()
    return {row["field"]: row["id"] for row in found["corrections"]}


async def _post(world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return await world.client.post(
        f"{BASE}/{path}", json=body, headers=await staff_headers(world, who)
    )


async def _my_record(world: World, n: int) -> Any:
    token = await world.token_for(f"s{n}@test")
    return (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()


async def test_a_field_correction_from_report_to_applied(world: World) -> None:
    await add_staff(world)
    ids = await _reported(world, 1, "major")
    cid = ids["major"]
    detail = (
        await world.client.get(f"{BASE}/{cid}", headers=await staff_headers(world, "office"))
    ).json()
    assert detail["correction"]["current_value"] == "计算机科学与技术"
    assert detail["correction"]["proposed"] == "李四" and not detail["correction"]["needs_proof"]

    accepted = await _post(
        world, "office", f"{cid}/college", {"decision": "accept", "comment": "属实"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["correction"]["state"] == "college_accepted"
    confirmed = await _post(
        world, "registrar", f"{cid}/registrar", {"decision": "confirm", "comment": "同意"}
    )
    assert confirmed.json()["correction"]["state"] == "registrar_confirmed"
    # The student sees where it stands and the reviewer's latest comment.
    [summary] = (await _my_record(world, 1))["corrections"]
    assert (summary["state"], summary["comment"]) == ("registrar_confirmed", "同意")
    # A key field goes to the province first: applying it now is a wrong move.
    early = await _post(world, "registrar2", f"{cid}/apply", {})
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    await through_province(world, cid)
    [summary] = (await _my_record(world, 1))["corrections"]
    assert summary["state"] == "province_approved"
    applied = await _post(world, "registrar2", f"{cid}/apply", {})
    assert applied.status_code == 200, applied.text
    history = applied.json()["history"]
    assert [step["to_state"] for step in history] == [
        "reported", "college_accepted", "registrar_confirmed", "submitted_to_province",
        "province_approved", "applied",
    ]  # fmt: skip
    assert history[3]["comment"].startswith("批次 ") and "浙教学函" in history[4]["comment"]
    assert history[1]["by"] == "office@test" and history[1]["comment"] == "属实"

    mine = await _my_record(world, 1)
    assert mine["state"] == "check_again" and mine["recheck_fields"] == ["major"]
    assert mine["record_version"] == 2
    assert {"major": "李四"}.items() <= {f["key"]: f["value"] for f in mine["fields"]}.items()
    assert [c["state"] for c in mine["corrections"]] == ["applied"]
    async with world.ctx.db.sessions() as session:
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert {
        "correction.college_accept", "correction.registrar_confirm",
        "correction.submit_to_province", "correction.province_approve", "correction.apply",
    } <= set(actions)  # fmt: skip
    # Checking again clears the list.
    await check_and_submit(world, "s1@test")
    again = await _my_record(world, 1)
    assert again["state"] == "submitted" and again["recheck_fields"] == []


async def test_identity_fields_need_proof(world: World) -> None:
    await add_staff(world)
    cid = (await _reported(world, 1, "name"))["name"]
    refused = await _post(
        world, "office", f"{cid}/college", {"decision": "accept", "comment": "ok"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "proof_required"
    ok = await _post(
        world,
        "office",
        f"{cid}/college",
        {"decision": "accept", "comment": "ok", "proof": "户口本原件"},
    )
    assert ok.json()["proof"] == "户口本原件" and ok.json()["history"][1]["proof"] == "户口本原件"


async def test_a_proposal_that_no_longer_fits_is_not_applied(world: World) -> None:
    await add_staff(world)
    cid = (await _reported(world, 1, "name"))["name"]
    async with world.ctx.db.sessions.begin() as session:
        from server.models import Correction

        correction = await session.get(Correction, cid)
        assert correction is not None
        correction.proposed = "李四123"
    await _post(
        world, "office", f"{cid}/college", {"decision": "accept", "comment": "c", "proof": "p"}
    )
    await _post(world, "registrar", f"{cid}/registrar", {"decision": "confirm", "comment": "c"})
    await through_province(world, cid)
    refused = await _post(world, "registrar2", f"{cid}/apply", {})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "name_characters"
    async with world.ctx.db.sessions() as session:
        student = (await session.execute(select(Student))).scalar_one()
        assert student.record_version == 1 and student.name == record(1)["name"]


@pytest.mark.parametrize(
    ("steps", "action", "body"),
    [
        ([], "registrar", {"decision": "confirm", "comment": "c"}),
        ([], "apply", {}),
        ([], "send-to-vendor", {}),
        (["college_reject"], "college", {"decision": "accept", "comment": "c"}),
        (["college_accept"], "college", {"decision": "reject", "comment": "c"}),
        (["college_accept"], "apply", {}),
        (
            ["college_accept", "registrar_reject"],
            "registrar",
            {"decision": "confirm", "comment": "c"},
        ),
        (
            ["college_accept", "registrar_confirm"],
            "registrar",
            {"decision": "reject", "comment": "c"},
        ),
        (["college_accept", "registrar_confirm"], "send-to-vendor", {}),
        (["college_accept", "registrar_confirm", "apply"], "apply", {}),
    ],
)
async def test_invalid_transitions_are_409(
    world: World, steps: list[str], action: str, body: dict[str, Any]
) -> None:
    await add_staff(world)
    # A school field: applied straight after the registrar confirmed it.
    cid = (await _reported(world, 1, "department"))["department"]
    moves = {
        "college_accept": ("office", "college", {"decision": "accept", "comment": "c"}),
        "college_reject": ("office", "college", {"decision": "reject", "comment": "c"}),
        "registrar_confirm": ("registrar", "registrar", {"decision": "confirm", "comment": "c"}),
        "registrar_reject": ("registrar", "registrar", {"decision": "reject", "comment": "c"}),
        "apply": ("registrar2", "apply", {}),
    }
    for step in steps:
        who, path, move = moves[step]
        assert (await _post(world, who, f"{cid}/{path}", move)).status_code == 200
    answer = await _post(world, "registrar", f"{cid}/{action}", body)
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "invalid_transition"
    assert "state" in answer.json()


async def test_a_photo_goes_to_the_vendor_and_the_import_applies_it(world: World) -> None:
    from server.corrections.workflow import Actor
    from server.imports import import_photos
    from tests.server.test_imports import spec_jpeg

    await add_staff(world)
    cid = (await _reported(world, 1, "photo"))["photo"]
    await _post(world, "office", f"{cid}/college", {"decision": "accept", "comment": "模糊"})
    # A field correction cannot go to the vendor, nor a photo be applied by hand.
    assert (await _post(world, "registrar", f"{cid}/apply", {})).status_code == 409
    sent = await _post(world, "registrar", f"{cid}/send-to-vendor", {"comment": "重拍"})
    assert sent.json()["correction"]["state"] == "sent_to_vendor"
    report = await import_photos(
        world.ctx.db, iter([(f"{record(1)['student_no']}.jpg", spec_jpeg())]),
        world.ctx.settings, world.clock(), Actor("admin:test"),
    )  # fmt: skip
    assert report.corrections_applied == 1 and report.stored[0].version == 2
    mine = await _my_record(world, 1)
    assert mine["state"] == "check_again" and mine["recheck_fields"] == ["photo"]
    assert mine["photo"]["version"] == 2 and mine["corrections"][0]["state"] == "applied"


async def test_a_college_office_acts_only_for_its_college(world: World) -> None:
    await add_staff(world)
    cid = (await _reported(world, 1, "major"))["major"]
    other = await staff_headers(world, "other_office")
    assert (await world.client.get(f"{BASE}/{cid}", headers=other)).status_code == 403
    decided = await _post(
        world, "other_office", f"{cid}/college", {"decision": "accept", "comment": "c"}
    )
    assert decided.status_code == 403 and decided.json()["code"] == "other_college"
    assert "another college's student" in decided.json()["detail"]
    listed = (await world.client.get(BASE, headers=other)).json()
    assert listed["corrections"] == [] and listed["total"] == 0
    asked = await world.client.get(BASE, params={"college": COLLEGE}, headers=other)
    assert asked.status_code == 403 and asked.json()["code"] == "other_college"
    # A college office may not confirm; a proctor sees nothing.
    confirm = await _post(
        world, "office", f"{cid}/registrar", {"decision": "confirm", "comment": "c"}
    )
    assert confirm.status_code == 403 and confirm.json()["code"] == "forbidden"
    proctor = await staff_headers(world, "proctor")
    assert (await world.client.get(BASE, headers=proctor)).status_code == 403
    async with world.ctx.db.sessions() as session:
        denied = (
            (await session.execute(select(AuditEvent).where(AuditEvent.outcome == "denied")))
            .scalars()
            .all()
        )
    assert {e.target for e in denied} >= {f"correction:{cid}", f"college:{COLLEGE}"}
    assert {e.action for e in denied} >= {"staff.college_decision", "staff.registrar_decision"}


async def test_filters_and_search(world: World) -> None:
    await add_staff(world)
    await _reported(world, 1, "major", "photo")
    await _reported(world, 2, "major", college=OTHER_COLLEGE, class_name="汉语言221")
    headers = await staff_headers(world, "registrar")

    async def count(**params: str) -> int:
        answer = await world.client.get(BASE, params=params, headers=headers)
        return int(answer.json()["total"])

    assert await count() == 3
    assert await count(college=OTHER_COLLEGE) == 1
    assert await count(class_name="计算机221") == 2
    assert await count(field="photo") == 1
    assert await count(state="reported") == 3 and await count(state="applied") == 0
    assert await count(q=record(2)["name"][:1]) >= 1
    assert await count(q=record(1)["student_no"]) == 2
    office = await staff_headers(world, "office")
    assert (await world.client.get(BASE, headers=office)).json()["total"] == 2


async def test_bulk_is_all_or_nothing(world: World) -> None:
    await add_staff(world)
    ids = await _reported(world, 1, "major", "department")
    await _post(world, "office", f"{ids['major']}/college", {"decision": "accept", "comment": "c"})
    failed = await _post(
        world, "registrar", "bulk",
        {"action": "confirm", "ids": [ids["major"], ids["department"], 9999], "comment": "批量"},
    )  # fmt: skip
    assert failed.status_code == 409 and failed.json()["code"] == "bulk_failed"
    errors = {e["field"]: e["code"] for e in failed.json()["errors"]}
    assert errors == {"ids.1": "invalid_transition", "ids.2": "not_found"}
    detail = await world.client.get(
        f"{BASE}/{ids['major']}", headers=await staff_headers(world, "registrar")
    )
    assert detail.json()["correction"]["state"] == "college_accepted"

    await _post(
        world, "office", f"{ids['department']}/college", {"decision": "accept", "comment": "c"}
    )
    everything = list(ids.values())
    confirmed = await _post(
        world, "registrar", "bulk", {"action": "confirm", "ids": everything, "comment": "批量"}
    )
    assert confirmed.status_code == 200, confirmed.text
    await through_province(world, ids["major"])
    applied = await _post(
        world, "registrar2", "bulk", {"action": "apply", "ids": everything, "comment": "批量"}
    )
    assert {row["state"] for row in applied.json()["corrections"]} == {"applied"}
    mine = await _my_record(world, 1)
    assert mine["recheck_fields"] == ["department", "major"] and mine["record_version"] == 3


async def _download(world: World, who: str, fmt: str, **params: str) -> Any:
    answer = await world.client.get(
        f"{BASE}/export", params={"format": fmt, **params}, headers=await staff_headers(world, who)
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer


async def _export(world: World, who: str, fmt: str, **params: str) -> list[list[str]]:
    answer = await _download(world, who, fmt, **params)
    if fmt == "csv":
        assert answer.content.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None and sheet.title == "勘误汇总表"
    return [
        ["" if v is None else f"{v:%Y-%m-%d %H:%M}" if isinstance(v, dt.datetime) else str(v)
         for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]  # fmt: skip


async def test_exports_read_back(world: World) -> None:
    await add_staff(world)
    ids = await _reported(world, 1, "name", "photo", name="=HYPERLINK")
    await _reported(world, 2, "major", college=OTHER_COLLEGE)
    await _post(world, "office", f"{ids['name']}/college",
                {"decision": "accept", "comment": "属实", "proof": "户口本"})  # fmt: skip
    world.clock.advance(hours=1)
    await _post(world, "registrar", f"{ids['name']}/registrar",
                {"decision": "confirm", "comment": "同意"})  # fmt: skip
    school = await _export(world, "registrar", "csv")
    assert school[0] == list(EXPORT_COLUMNS)
    assert len(school) == 4
    by_field = {row[4]: row for row in school[1:]}
    name_row = dict(zip(EXPORT_COLUMNS, by_field["姓名"], strict=True))
    # CSV keeps the quote that stops a formula; Excel stores text as text (below).
    assert name_row["姓名"] == name_row["原值"] == "'=HYPERLINK"
    assert name_row["更正值"] == "李四" and name_row["状态"] == "学籍科已确认"
    # Beijing time (START is 08:00 UTC): the report, then each office's reviewer and comment.
    assert name_row["报告时间"] == "2026-06-01 16:00"
    assert (name_row["学院审核人"], name_row["学院意见"], name_row["学院审核时间"]) == (
        "office@test", "属实", "2026-06-01 16:00",
    )  # fmt: skip
    assert (name_row["学籍科审核人"], name_row["学籍科意见"], name_row["学籍科审核时间"]) == (
        "registrar@test", "同意", "2026-06-01 17:00",
    )  # fmt: skip
    photo = dict(zip(EXPORT_COLUMNS, by_field["照片"], strict=True))
    assert (photo["原值"], photo["更正值"], photo["状态"]) == (
        "照片（第 1 版）",
        "模糊不清",
        "已报告",
    )
    assert photo["学院审核人"] == "" and by_field["专业名称"][2] == OTHER_COLLEGE

    answer = await _download(world, "registrar", "xlsx")
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book["勘误汇总表"]
    cells = {sheet.cell(1, i + 1).value: i + 1 for i in range(len(EXPORT_COLUMNS))}
    line = next(r for r in range(2, 5) if sheet.cell(r, 5).value == "姓名")
    name_cell = sheet.cell(line, cells["姓名"])
    assert name_cell.value == "=HYPERLINK" and name_cell.data_type == "s"
    reviewed = sheet.cell(line, cells["学籍科审核时间"])
    assert reviewed.value == dt.datetime(2026, 6, 1, 17, 0) and reviewed.is_date
    assert reviewed.number_format == "yyyy-mm-dd hh:mm"
    excel = await _export(world, "registrar", "xlsx")
    assert excel == [[cell.removeprefix("'") for cell in row] for row in school]
    own = await _export(world, "office", "xlsx")
    assert [row[2] for row in own[1:]] == [COLLEGE, COLLEGE]
    one_college = await _export(world, "registrar", "csv", college=OTHER_COLLEGE)
    assert len(one_college) == 2


async def test_an_export_is_what_the_queue_shows(world: World) -> None:
    await add_staff(world)
    await _reported(world, 1, "major", "photo")
    await _reported(world, 2, "major", "department")
    await _reported(world, 3, "major", college=OTHER_COLLEGE)
    headers = await staff_headers(world, "registrar")
    for params in (
        {},
        {"q": record(2)["student_no"]},
        {"college": COLLEGE},
        {"college": OTHER_COLLEGE, "state": "reported"},
        {"field": "major", "q": record(1)["name"]},
        {"state": "applied"},
    ):
        queue = (await world.client.get(BASE, params=params, headers=headers)).json()
        listed = sorted(
            (row["student_no"], correction_field_label(row["field"]).zh)
            for row in queue["corrections"]
        )
        exported = await _export(world, "registrar", "csv", **params)
        assert sorted((row[0], row[4]) for row in exported[1:]) == listed, params

    # The file is named for the college and the day in Beijing time (16:00 there at START).
    world.clock.advance(hours=9)  # 01:00 on 2 June in Beijing, still 1 June in UTC
    answer = await _download(world, "registrar", "xlsx", college=COLLEGE)
    disposition = answer.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('勘误汇总表-信息工程学院-2026-06-02.xlsx')}" in disposition
    assert 'filename="' in disposition and disposition.isascii()
    whole = await _download(world, "registrar", "csv")
    assert quote("勘误汇总表-全校-2026-06-02.csv") in whole.headers["content-disposition"]
    office = await _download(world, "office", "csv")
    assert quote(f"勘误汇总表-{COLLEGE}-") in office.headers["content-disposition"]
