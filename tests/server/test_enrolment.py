"""Enrolment codes: made by supervisors, traded for terminal keys, refused clearly; retiring."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kiosk.protocol.base import TERMINAL_KEY_HEADER
from server.enrolment import code_hash, normalise
from server.models import AuditEvent, EnrolmentCode
from tests.server.conftest import World
from tests.server.staff_world import add_staff, staff_headers

CODES = "/api/v1/staff/enrolment-codes"
ENROL = "/api/v1/terminals/enrol"


@pytest.fixture
async def staff(world: World) -> dict[str, dict[str, str]]:
    await add_staff(world)
    return {who: await staff_headers(world, who) for who in ("proctor", "registrar", "office")}


async def make_code(world: World, headers: dict[str, str], uses: int = 2) -> Any:
    response = await world.client.post(CODES, json={"lab": "B202", "uses": uses}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def enrol(world: World, code: str, name: str) -> Any:
    return await world.client.post(ENROL, json={"code": code, "name": name})


async def heartbeat(world: World, key: str) -> int:
    response = await world.client.post(
        "/api/v1/terminals/heartbeat", json={"state": "idle"}, headers={TERMINAL_KEY_HEADER: key}
    )
    return response.status_code


async def test_only_the_hash_is_stored_and_each_use_is_audited(
    world: World, staff: dict[str, dict[str, str]]
) -> None:
    made = await make_code(world, staff["registrar"])
    assert len(normalise(made["code"])) == 12
    # Typed loosely: lower case, without dashes, O for 0.
    typed = normalise(made["code"]).lower().replace("0", "o")
    response = await enrol(world, typed, "lab3-07")
    assert response.status_code == 201, response.text
    assert response.json()["lab"] == "B202"
    assert await heartbeat(world, response.json()["terminal_key"]) == 200
    async with world.ctx.db.sessions() as session:
        stored = (await session.execute(select(EnrolmentCode))).scalar_one()
        actions = (await session.execute(select(AuditEvent.action, AuditEvent.outcome))).all()
    assert stored.code_hash == code_hash(world.ctx.settings.secret_key, made["code"])
    assert made["code"] not in stored.code_hash and stored.used == 1
    assert ("staff.create_enrolment_code", "ok") in actions and ("enrol", "ok") in actions


async def test_used_up_expired_unknown_and_taken_are_refused_and_audited(
    world: World, staff: dict[str, dict[str, str]]
) -> None:
    made = await make_code(world, staff["proctor"], uses=2)
    assert (await enrol(world, made["code"], "pc-1")).status_code == 201
    taken = await enrol(world, made["code"], "pc-1")
    assert (taken.status_code, taken.json()["code"]) == (409, "terminal_name_taken")
    assert (await enrol(world, made["code"], "pc-2")).status_code == 201
    used_up = await enrol(world, made["code"], "pc-3")
    assert (used_up.status_code, used_up.json()["code"]) == (410, "enrolment_code_used_up")
    later = await make_code(world, staff["proctor"])
    world.clock.advance(minutes=61)
    expired = await enrol(world, later["code"], "pc-4")
    assert (expired.status_code, expired.json()["code"]) == (410, "enrolment_code_expired")
    unknown = await enrol(world, "AAAA-BBBB-CCCC", "pc-5")
    assert (unknown.status_code, unknown.json()["code"]) == (403, "enrolment_code_invalid")
    async with world.ctx.db.sessions() as session:
        denied = (
            await session.execute(
                select(AuditEvent.details).where(
                    AuditEvent.action == "enrol", AuditEvent.outcome == "denied"
                )
            )
        ).scalars()
        reasons = sorted(details["reason"] for details in denied)
    assert reasons == sorted(
        [
            "terminal_name_taken",
            "enrolment_code_used_up",
            "enrolment_code_expired",
            "enrolment_code_invalid",
        ]
    )


async def test_a_college_office_may_not_make_codes_or_retire(
    world: World, staff: dict[str, dict[str, str]]
) -> None:
    response = await world.client.post(
        CODES, json={"lab": "B202", "uses": 1}, headers=staff["office"]
    )
    assert response.status_code == 403
    response = await world.client.post("/api/v1/staff/terminals/1/retire", headers=staff["office"])
    assert response.status_code == 403


async def test_a_retired_terminal_is_refused_at_once_and_can_be_enrolled_again(
    world: World, staff: dict[str, dict[str, str]]
) -> None:
    made = await make_code(world, staff["proctor"], uses=2)
    first = (await enrol(world, made["code"], "lab3-07")).json()
    retired = await world.client.post(
        f"/api/v1/staff/terminals/{first['terminal_id']}/retire", headers=staff["proctor"]
    )
    assert retired.status_code == 204
    assert await heartbeat(world, first["terminal_key"]) == 401
    again = (await enrol(world, made["code"], "lab3-07")).json()
    assert again["terminal_id"] == first["terminal_id"]
    assert await heartbeat(world, again["terminal_key"]) == 200
    assert await heartbeat(world, first["terminal_key"]) == 401  # the old key stays dead
    missing = await world.client.post(
        "/api/v1/staff/terminals/9999/retire", headers=staff["proctor"]
    )
    assert missing.status_code == 404


async def test_enrolment_is_rate_limited_per_address(world: World) -> None:
    limit = world.ctx.settings.enrolment_attempts_per_minute
    for _ in range(limit):
        assert (await enrol(world, "AAAA-BBBB-CCCC", "pc")).status_code == 403
    refused = await enrol(world, "AAAA-BBBB-CCCC", "pc")
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    world.clock.advance(minutes=1)
    assert (await enrol(world, "AAAA-BBBB-CCCC", "pc")).status_code == 403
