"""Every write to a master record validates the whole record, and four eyes decide key fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Correction, Student
from tests.server.conftest import World, id_number, make_world, record
from tests.server.staff_world import add_staff, check_and_submit, staff_headers, through_province

BASE = "/api/v1/staff/corrections"


async def _post(world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return await world.client.post(
        f"{BASE}/{path}", json=body, headers=await staff_headers(world, who)
    )


# What a student may propose for each field (the tests then change it where needed).
PLAUSIBLE = {
    "birth_date": "2003-05-18",
    "gender": "女",
    "enrollment_date": "2022-09-02",
    "id_number": id_number("330502", "2003-05-17", 105),
}


async def _reported(world: World, n: int, *fields: str) -> dict[str, int]:
    """Student ``n`` reports ``fields`` wrong; correction ids by field."""
    email = f"s{n}@test"
    await world.add_student(n, email=email)
    await check_and_submit(world, email, *fields, proposed=PLAUSIBLE)
    headers = await staff_headers(world, "registrar")
    found = await world.client.get(BASE, params={"q": record(n)["student_no"]}, headers=headers)
    return {row["field"]: row["id"] for row in found.json()["corrections"]}


async def _propose(world: World, cid: int, value: str) -> None:
    async with world.ctx.db.sessions.begin() as session:
        correction = await session.get(Correction, cid)
        assert correction is not None
        correction.proposed = value


async def _confirmed(world: World, cid: int, confirmer: str = "registrar") -> None:
    """The college office accepts (with proof) and ``confirmer`` confirms ``cid``."""
    accept = {"decision": "accept", "comment": "属实", "proof": "身份证、出生医学证明"}
    assert (await _post(world, "office", f"{cid}/college", accept)).status_code == 200
    confirm = {"decision": "confirm", "comment": "同意"}
    assert (await _post(world, confirmer, f"{cid}/registrar", confirm)).status_code == 200


async def _snapshot(world: World) -> tuple[Any, ...]:
    """The master records, the corrections' states and the audited correction steps."""
    async with world.ctx.db.sessions() as session:
        students = [
            (s.name, s.gender, s.birth_date, s.id_number, s.enrollment_date, s.record_version)
            for s in (await session.execute(select(Student).order_by(Student.id))).scalars()
        ]
        states = (await session.execute(select(Correction.state).order_by(Correction.id))).scalars()
        # Logging in for each request is audited too; what matters is no correction step.
        audited = (
            await session.execute(
                select(func.count(AuditEvent.id)).where(AuditEvent.action.startswith("correction."))
            )
        ).scalar_one()
    return tuple(students), tuple(states), audited


# Student 1: born 2003-05-17, male, as the ID number says (tests.server.conftest.record).
INCONSISTENT = [
    ("birth_date", "2005-01-01", "birth_date_id_mismatch"),
    ("gender", "女", "gender_id_mismatch"),
    ("enrollment_date", "2001-09-01", "enrollment_before_birth"),
    ("id_number", id_number("330502", "2004-01-01", 103), "birth_date_id_mismatch"),
    ("id_number", id_number("330502", "2003-05-17", 104), "gender_id_mismatch"),
]


@pytest.mark.parametrize(("field", "value", "code"), INCONSISTENT)
@pytest.mark.parametrize("bulk", [False, True], ids=["one", "bulk"])
async def test_an_inconsistent_record_is_never_written(
    world: World, field: str, value: str, code: str, bulk: bool
) -> None:
    await add_staff(world)
    cid = (await _reported(world, 1, field))[field]
    await _propose(world, cid, value)
    await _confirmed(world, cid)
    await through_province(world, cid)
    before = await _snapshot(world)
    if bulk:
        body = {"action": "apply", "ids": [cid], "comment": "批量"}
        refused = await _post(world, "registrar2", "bulk", body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "bulk_failed"
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("ids.0", code)]
        assert refused.json()["errors"][0]["message"].startswith(f"{cid}: ")
    else:
        refused = await _post(world, "registrar2", f"{cid}/apply", {})
        assert refused.status_code == 422, refused.text
        assert code in {e["code"] for e in refused.json()["errors"]}
    assert await _snapshot(world) == before


async def test_an_id_number_and_birth_date_pair_goes_in_together(world: World) -> None:
    await add_staff(world)
    ids = await _reported(world, 1, "id_number", "birth_date")
    await _propose(world, ids["id_number"], id_number("330502", "2004-01-01", 103))
    await _propose(world, ids["birth_date"], "2004-01-01")
    for cid in ids.values():
        await _confirmed(world, cid)
    await through_province(world, *ids.values())
    # One at a time, each contradicts the record as it stands.
    alone = await _post(world, "registrar2", f"{ids['birth_date']}/apply", {})
    assert alone.status_code == 422
    assert alone.json()["errors"][0]["code"] == "birth_date_id_mismatch"
    both = await _post(
        world, "registrar2", "bulk", {"action": "apply", "ids": list(ids.values()), "comment": "c"}
    )
    assert both.status_code == 200, both.text
    async with world.ctx.db.sessions() as session:
        student = (await session.execute(select(Student))).scalar_one()
    assert student.birth_date == "2004-01-01"
    assert student.id_number == id_number("330502", "2004-01-01", 103)


# --- four eyes ------------------------------------------------------------------------------


async def test_who_accepted_for_the_college_may_not_confirm(world: World) -> None:
    await add_staff(world)
    cid = (await _reported(world, 1, "department"))["department"]
    accept = {"decision": "accept", "comment": "属实"}
    assert (await _post(world, "registrar", f"{cid}/college", accept)).status_code == 200
    before = await _snapshot(world)
    confirm = {"decision": "confirm", "comment": "同意"}
    refused = await _post(world, "registrar", f"{cid}/registrar", confirm)
    assert refused.status_code == 409 and refused.json()["code"] == "four_eyes"
    assert refused.json()["step"] == "college_accept"
    assert await _snapshot(world) == before
    bulk = await _post(
        world, "registrar", "bulk", {"action": "confirm", "ids": [cid], "comment": "c"}
    )
    assert bulk.status_code == 409 and bulk.json()["errors"][0]["code"] == "four_eyes"
    assert await _snapshot(world) == before
    assert (await _post(world, "registrar2", f"{cid}/registrar", confirm)).status_code == 200


@pytest.mark.parametrize("field", ["name", "major", "enrollment_date"])
async def test_who_confirmed_a_key_field_may_not_apply_it(world: World, field: str) -> None:
    await add_staff(world)
    ids = await _reported(world, 1, field, "department")
    for cid in ids.values():
        await _confirmed(world, cid)
    await through_province(world, ids[field])
    before = await _snapshot(world)
    refused = await _post(world, "registrar", f"{ids[field]}/apply", {})
    assert refused.status_code == 409 and refused.json()["code"] == "four_eyes"
    assert refused.json()["step"] == "registrar_confirm"
    assert await _snapshot(world) == before
    # All or none: the bulk names the row that stopped it, the department is not applied.
    body = {"action": "apply", "ids": [ids["department"], ids[field]], "comment": "c"}
    bulk = await _post(world, "registrar", "bulk", body)
    assert bulk.status_code == 409
    assert [(e["field"], e["code"]) for e in bulk.json()["errors"]] == [("ids.1", "four_eyes")]
    assert await _snapshot(world) == before
    # Not a key field: the confirmer may apply it. A key field: another registrar may.
    assert (await _post(world, "registrar", f"{ids['department']}/apply", {})).status_code == 200
    assert (await _post(world, "registrar2", f"{ids[field]}/apply", {})).status_code == 200


@pytest.fixture
async def one_registrar(database_url: str) -> AsyncIterator[World]:
    """A server with ``[server] four_eyes = false``."""
    async for item in make_world(database_url, four_eyes=False):
        yield item


async def test_four_eyes_off_lets_one_registrar_apply(one_registrar: World) -> None:
    world = one_registrar
    await add_staff(world)
    cid = (await _reported(world, 1, "major"))["major"]
    await _confirmed(world, cid)
    await through_province(world, cid)
    applied = await _post(world, "registrar", f"{cid}/apply", {})
    assert applied.status_code == 200, applied.text
    # Confirming one's own college acceptance stays refused.
    other = (await _reported(world, 2, "major"))["major"]
    accept = {"decision": "accept", "comment": "属实"}
    assert (await _post(world, "registrar", f"{other}/college", accept)).status_code == 200
    confirm = {"decision": "confirm", "comment": "c"}
    refused = await _post(world, "registrar", f"{other}/registrar", confirm)
    assert refused.status_code == 409 and refused.json()["code"] == "four_eyes"
