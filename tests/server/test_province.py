"""The province route: batches of key-field corrections, the platform's file, the answer,
and the policy rules at submission and at each decision (issue 14)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dbfread import DBF
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.models import Correction, ProvinceBatch
from server.province.platform_files import LAYOUT
from tests.server.conftest import World, id_number, make_world, record
from tests.server.staff_world import (
    BATCHES,
    add_staff,
    all_correct,
    check_and_submit,
    staff_headers,
)

BASE = "/api/v1/staff/corrections"
PROOF = {"decision": "accept", "comment": "属实", "proof": "身份证、户口簿、出生医学证明"}
NEW_ID = id_number("330502", "2004-01-01", 103)  # student 1 was born 2003-05-17


async def _post(world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return await world.client.post(path, json=body, headers=await staff_headers(world, who))


async def _submit(world: World, n: int, proposed: dict[str, str], note: str = "见身份证") -> Any:
    """Student ``n`` reports ``proposed`` wrong; the server's answer."""
    email = f"s{n}@test"
    login = await world.login(email)
    assert login.status_code == 201, login.text
    headers = world.headers(login.json()["token"])
    mine = (await world.client.get("/api/v1/me/record", headers=headers)).json()
    body = all_correct(mine, *proposed, proposed=proposed)
    for decision in body["fields"]:
        if decision["verdict"] == "incorrect":
            decision["note"] = note
    return await world.client.post(
        "/api/v1/verifications",
        json=body,
        headers=world.headers() | {"Idempotency-Key": str(uuid.uuid4())},
    )


async def _confirmed(world: World, n: int, proposed: dict[str, str], **over: str) -> dict[str, int]:
    """Student ``n`` reports, the college accepts, the registrar confirms; ids by field."""
    await world.add_student(n, email=f"s{n}@test", **over)
    answer = await _submit(world, n, proposed, note="出生医学证明")
    assert answer.status_code == 201, answer.text
    found = await world.client.get(
        BASE, params={"q": record(n)["student_no"]}, headers=await staff_headers(world, "registrar")
    )
    ids = {row["field"]: row["id"] for row in found.json()["corrections"]}
    for cid in ids.values():
        assert (await _post(world, "office", f"{BASE}/{cid}/college", PROOF)).status_code == 200
        confirm = {"decision": "confirm", "comment": "同意"}
        done = await _post(world, "registrar", f"{BASE}/{cid}/registrar", confirm)
        assert done.status_code == 200, done.text
    return ids


async def _states(world: World) -> list[tuple[int, str, int | None]]:
    async with world.ctx.db.sessions() as session:
        rows = await session.execute(
            select(Correction.id, Correction.state, Correction.batch_id).order_by(Correction.id)
        )
        return [(cid, state, batch) for cid, state, batch in rows.all()]


async def _batches(world: World) -> int:
    async with world.ctx.db.sessions() as session:
        return int((await session.execute(select(func.count(ProvinceBatch.id)))).scalar_one())


async def test_a_batch_goes_to_the_province_with_its_file(world: World, tmp_path: Path) -> None:
    await add_staff(world)
    first = await _confirmed(world, 1, {"id_number": NEW_ID})
    second = await _confirmed(world, 2, {"major": "数学与应用数学", "department": "数学系"})
    # The school field is not the province's, so the candidates are the two key fields.
    listed = await world.client.get(
        f"{BATCHES}/candidates", headers=await staff_headers(world, "registrar")
    )
    assert [row["id"] for row in listed.json()["corrections"]] == [
        first["id_number"], second["major"],
    ]  # fmt: skip
    made = await _post(world, "registrar", BATCHES, {"ids": [first["id_number"], second["major"]]})
    assert made.status_code == 201, made.text
    batch = made.json()["batch"]
    assert batch["number"] == "2026-001" and batch["submitted_on"] == "2026-06-01"
    assert (batch["corrections"], batch["waiting"]) == (2, 2)
    assert {c["correction"]["state"] for c in made.json()["corrections"]} == {
        "submitted_to_province"
    }

    headers = await staff_headers(world, "registrar")
    answer = await world.client.get(f"{BATCHES}/{batch['id']}/file", headers=headers)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert "2026-001.dbf" in answer.headers["content-disposition"]
    path = tmp_path / "batch.dbf"
    path.write_bytes(answer.content)
    table = DBF(str(path), encoding="gbk")
    assert [(f.name, f.type, f.length) for f in table.fields] == [
        (column.code, "C", column.width) for column in LAYOUT
    ]
    rows = list(table)
    assert [row["XH"] for row in rows] == [record(1)["student_no"], record(2)["student_no"]]
    assert rows[0]["SFZH"] == NEW_ID and rows[0]["XM"] == record(1)["name"]
    assert rows[0]["CSRQ"] == "20030517" and rows[0]["BZ"] == "更正身份证号"
    # The school field's correction is not in the province's file.
    assert rows[1]["ZYMC"] == "数学与应用数学" and rows[1]["XSH"] == record(2)["department"]
    assert answer.content[29] == 0x4D  # the language driver byte: GBK (cp936)

    sheet = await world.client.get(
        f"{BATCHES}/{batch['id']}/file", params={"format": "xlsx"}, headers=headers
    )
    book = load_workbook(io.BytesIO(sheet.content), read_only=True)
    values = [list(row) for row in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    assert values[0] == [column.code for column in LAYOUT]
    assert values[1][[c.code for c in LAYOUT].index("SFZH")] == NEW_ID

    # Submitted twice: refused, nothing changes.
    before = await _states(world)
    again = await _post(world, "registrar", BATCHES, {"ids": [first["id_number"]]})
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "invalid_transition"
    assert await _states(world) == before and await _batches(world) == 1


async def test_the_answer_per_correction_then_for_the_rest(world: World) -> None:
    await add_staff(world)
    one = (await _confirmed(world, 1, {"major": "数学"}))["major"]
    two = (await _confirmed(world, 2, {"major": "物理"}))["major"]
    batch = (await _post(world, "registrar", BATCHES, {"ids": [one, two]})).json()["batch"]
    path = f"{BATCHES}/{batch['id']}/answer"
    rejected = await _post(
        world, "registrar", path,
        {"decision": "reject", "reference": "浙教函〔2026〕7号", "comment": "材料不全", "ids": [two]},
    )  # fmt: skip
    assert rejected.status_code == 200, rejected.text
    by_id = {c["correction"]["id"]: c for c in rejected.json()["corrections"]}
    assert by_id[two]["correction"]["state"] == "province_rejected"
    assert by_id[two]["province_reference"] == "浙教函〔2026〕7号"
    assert rejected.json()["batch"]["waiting"] == 1
    # The whole batch: only what still waits.
    rest = await _post(world, "registrar", path, {"decision": "approve", "reference": "浙教函8号"})
    states = {c["correction"]["id"]: c["correction"]["state"] for c in rest.json()["corrections"]}
    assert states == {one: "province_approved", two: "province_rejected"}
    # Nothing waits any more; a rejected one cannot be approved.
    late = await _post(world, "registrar", path, {"decision": "approve", "reference": "x"})
    assert late.status_code == 409
    wrong = await _post(
        world, "registrar", path, {"decision": "approve", "reference": "x", "ids": [two, 99]}
    )
    assert [e["code"] for e in wrong.json()["errors"]] == ["invalid_transition", "not_found"]
    # A rejected one is never applied; the approved one is, by another registrar.
    assert (await _post(world, "registrar2", f"{BASE}/{two}/apply", {})).status_code == 409
    assert (await _post(world, "registrar", f"{BASE}/{one}/apply", {})).json()["code"] == (
        "four_eyes"
    )
    applied = await _post(world, "registrar2", f"{BASE}/{one}/apply", {})
    assert applied.status_code == 200, applied.text


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("major", "计算机科学与技术专业软件工程方向卓越班", "too_wide"),  # 19 characters: 38 bytes
        ("name", "张\U00020000", "not_encodable"),  # CJK Extension B: not in GBK
    ],
)
async def test_a_value_the_file_cannot_hold_is_reported_never_cut(
    world: World, field: str, value: str, code: str
) -> None:
    await add_staff(world)
    cid = (await _confirmed(world, 1, {field: value}))[field]
    before = await _states(world)
    refused = await _post(world, "registrar", BATCHES, {"ids": [cid]})
    assert refused.status_code == 422 and refused.json()["code"] == "platform_file_problems"
    column = {"major": "ZYMC", "name": "XM"}[field]
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == (f"corrections.{cid}.{column}", code)
    assert value in error["message"]
    assert await _states(world) == before and await _batches(world) == 0


async def test_batches_are_the_registrars(world: World) -> None:
    await add_staff(world)
    cid = (await _confirmed(world, 1, {"major": "数学"}))["major"]
    for who in ("office", "proctor"):
        headers = await staff_headers(world, who)
        assert (await world.client.get(BATCHES, headers=headers)).status_code == 403
        made = await world.client.post(BATCHES, json={"ids": [cid]}, headers=headers)
        assert made.status_code == 403
    batch = (await _post(world, "registrar", BATCHES, {"ids": [cid]})).json()["batch"]
    # The college office follows its own college's corrections through the province.
    office = await world.client.get(BASE, headers=await staff_headers(world, "office"))
    assert [row["state"] for row in office.json()["corrections"]] == ["submitted_to_province"]
    detail = await world.client.get(f"{BASE}/{cid}", headers=await staff_headers(world, "office"))
    assert batch["number"] in detail.json()["history"][-1]["comment"]
    listed = await world.client.get(BATCHES, headers=await staff_headers(world, "registrar"))
    assert [b["number"] for b in listed.json()["batches"]] == [batch["number"]]


# --- the policy rules ---------------------------------------------------------------------


async def test_the_rules_at_submission(world: World) -> None:
    await world.add_student(1, email="s1@test")
    both = await _submit(world, 1, {"name": "张三", "id_number": NEW_ID}, note="出生医学证明")
    assert both.status_code == 422 and both.json()["code"] == "policy_name_with_id_number"
    assert both.json()["rule"] == "name_with_id_number"
    no_certificate = await _submit(world, 1, {"id_number": NEW_ID})
    assert no_certificate.status_code == 422
    assert no_certificate.json()["code"] == "policy_birth_certificate_required"
    listed = await _submit(world, 1, {"id_number": NEW_ID}, note="出生医学证明和户口簿")
    assert listed.status_code == 201, listed.text


@pytest.fixture
async def frozen(database_url: str) -> AsyncIterator[World]:
    """A register published at the end of 1 June 2026, the tests' first day."""
    async for item in make_world(database_url, register_freeze_date=dt.date(2026, 6, 1)):
        yield item


async def test_nothing_changes_after_the_freeze(frozen: World) -> None:
    world = frozen
    await add_staff(world)
    await world.add_student(1, email="s1@test")
    reported = await _submit(world, 1, {"class_name": "计科2202"})
    assert reported.status_code == 201, reported.text
    world.clock.advance(hours=9)  # 01:00 on 2 June in Beijing: the register is published
    refused = await _submit(world, 1, {"class_name": "计科2203"})
    assert refused.status_code == 422 and refused.json()["code"] == "register_frozen"
    # Saying all is right is always welcome.
    await check_and_submit(world, "s1@test")
    # What was reported before cannot move on now, but can still be turned down.
    [(cid, _state, _batch)] = await _states(world)
    accept = await _post(world, "office", f"{BASE}/{cid}/college", PROOF)
    assert accept.status_code == 422 and accept.json()["code"] == "register_frozen"
    assert await _states(world) == [(cid, "reported", None)]
    reject = {"decision": "reject", "comment": "已公布"}
    assert (await _post(world, "office", f"{BASE}/{cid}/college", reject)).status_code == 200


@pytest.fixture
async def lenient(database_url: str) -> AsyncIterator[World]:
    """A province that lets 姓名 and 身份证号 change together, and whose key fields are only
    the identity fields."""
    async for item in make_world(
        database_url,
        policy_rules_off=["name_with_id_number"],
        key_fields=["name", "gender", "ethnicity", "birth_date", "id_number"],
    ):
        yield item


async def test_a_province_switches_a_rule_off_and_moves_the_split(lenient: World) -> None:
    world = lenient
    await add_staff(world)
    await world.add_student(1, email="s1@test")
    both = await _submit(world, 1, {"name": "张三", "id_number": NEW_ID}, note="出生医学证明")
    assert both.status_code == 201, both.text
    # 专业名称 is a school field here: applied without the province.
    cid = (await _confirmed(world, 2, {"major": "数学"}))["major"]
    applied = await _post(world, "registrar2", f"{BASE}/{cid}/apply", {})
    assert applied.status_code == 200, applied.text
    mine = await world.client.get(
        "/api/v1/me/record",
        headers=world.headers((await world.login("s2@test")).json()["token"]),
    )
    assert "major" not in mine.json()["key_fields"] and "name" in mine.json()["key_fields"]


# --- the command line -----------------------------------------------------------------------


async def test_the_command_line_does_the_same(
    world: World, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli import main

    await add_staff(world)
    one = (await _confirmed(world, 1, {"major": "数学"}))["major"]
    config = Path(__file__).resolve().parents[2] / "config.toml"
    base = ["--config", str(config), "admin", "--database-url", database_url, "province-batch"]

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*base, *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert await asyncio.to_thread(run, "create") == (
        2, "", "没有可提交的勘误：请给出编号或 --all。 / Nothing to submit: give IDs or --all.\n"
    )  # fmt: skip
    code, out, _err = await asyncio.to_thread(run, "create", "--all", "--comment", "六月")
    assert code == 0 and "1 correction submitted" in out
    found = re.search(r"[0-9]{4}-[0-9]{3}", out)
    assert found is not None, out
    number = found[0]
    code, out, _err = await asyncio.to_thread(run, "list")
    assert code == 0 and f"{number}" in out and "corrections 1, waiting 1" in out
    code, out, _err = await asyncio.to_thread(run, "files", number, "--out", str(tmp_path))
    assert code == 0
    rows = list(DBF(str(tmp_path / f"学籍变更上报-{number}.dbf"), encoding="gbk"))
    assert [row["ZYMC"] for row in rows] == ["数学"]
    assert (tmp_path / f"学籍变更上报-{number}.xlsx").stat().st_size > 0
    # A wrong move is refused and named; nothing changes.
    code, _out, err = await asyncio.to_thread(
        run, "answer", number, "--approve", "--reference", "R1", "--ids", "999"
    )
    assert code == 1 and "bulk_failed" in err and "999: not in batch" in err
    code, out, _err = await asyncio.to_thread(
        run, "answer", number, "--approve", "--reference", "浙教函〔2026〕9号"
    )
    assert code == 0
    assert [(cid, state) for cid, state, _b in await _states(world)] == [(one, "province_approved")]
    code, _out, err = await asyncio.to_thread(run, "files", "1999-001")
    assert code == 1 and "No batch 1999-001" in err


async def test_batches_made_at_once_get_their_own_numbers_and_corrections(world: World) -> None:
    """Two registrars at the same moment (on PostgreSQL truly at once): different
    corrections make two batches with two numbers; the same correction goes into one batch,
    and the other request is refused as any late step is (409), never a 500."""
    await add_staff(world)
    first = await _confirmed(world, 1, {"id_number": NEW_ID})
    second = await _confirmed(world, 2, {"major": "数学与应用数学"})
    third = await _confirmed(world, 3, {"major": "数学与应用数学"})
    two = await asyncio.gather(
        _post(world, "registrar", BATCHES, {"ids": [first["id_number"]]}),
        _post(world, "registrar", BATCHES, {"ids": [second["major"]]}),
    )
    assert [answer.status_code for answer in two] == [201, 201], [a.text for a in two]
    assert sorted(answer.json()["batch"]["number"] for answer in two) == ["2026-001", "2026-002"]
    same = await asyncio.gather(
        *(_post(world, "registrar", BATCHES, {"ids": [third["major"]]}) for _ in range(2))
    )
    assert sorted(answer.status_code for answer in same) == [201, 409], [a.text for a in same]
    assert await _batches(world) == 3
    states = {cid: (state, batch) for cid, state, batch in await _states(world)}
    assert states[third["major"]][0] == "submitted_to_province"
