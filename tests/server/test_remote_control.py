"""Remote control of terminals: carried by the heartbeat's answer, audited, and limited to the
proctor of a running session in that lab, or the registrar."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.models import Account, AuditEvent
from tests.server.conftest import PASSWORD, World
from tests.server.staff_world import add_staff, staff_headers
from tests.server.test_supervision import SESSIONS, beat, plan

CONTROL = "/api/v1/staff/terminals/{id}/control"


async def control(world: World, headers: dict[str, str], terminal: int = 1, **body: Any) -> int:
    response = await world.client.post(CONTROL.format(id=terminal), json=body, headers=headers)
    return response.status_code


async def _running_session(world: World, headers: dict[str, str]) -> None:
    await world.add_student(1)
    created = await world.client.post(SESSIONS, json=plan(), headers=headers)
    assert created.status_code == 201, created.text
    started = await world.client.post(f"{SESSIONS}/{created.json()['id']}/start", headers=headers)
    assert started.status_code == 200, started.text


async def test_lock_message_and_end_session_reach_the_terminal_with_its_heartbeat(
    world: World,
) -> None:
    await add_staff(world)
    proctor = await staff_headers(world, "proctor")
    answer = await beat(world)
    assert (answer["locked"], answer["message"], answer["end_session"]) == (False, None, False)
    # Without a running session of theirs in A101, a proctor may not.
    assert await control(world, proctor, action="lock") == 403
    await _running_session(world, proctor)

    assert await control(world, proctor, action="lock") == 204
    assert await control(world, proctor, action="message", text="请保持安静") == 204
    assert await control(world, proctor, action="end_session") == 204
    answer = await beat(world)
    assert (answer["locked"], answer["message"], answer["end_session"]) == (
        True,
        "请保持安静",
        True,
    )
    answer = await beat(world)  # the end is said once; the lock and the message stay
    assert (answer["locked"], answer["message"], answer["end_session"]) == (
        True,
        "请保持安静",
        False,
    )
    other = await beat(world, world.other_terminal_key)
    assert (other["locked"], other["message"]) == (False, None)  # only the terminal asked

    assert await control(world, proctor, action="unlock") == 204
    assert await control(world, proctor, action="message", text="") == 204
    answer = await beat(world)
    assert (answer["locked"], answer["message"]) == (False, None)

    async with world.ctx.db.sessions() as session:
        rows = (
            await session.execute(
                select(AuditEvent.outcome, AuditEvent.details)
                .where(AuditEvent.action == "staff.control_terminal", AuditEvent.outcome == "ok")
                .order_by(AuditEvent.id)
            )
        ).all()
    assert [details["control"] for _, details in rows] == [
        "lock", "message", "end_session", "unlock", "message",
    ]  # fmt: skip
    assert all("请保持安静" not in str(details) for _, details in rows)


async def test_only_the_sessions_proctor_or_the_registrar_may(world: World) -> None:
    await add_staff(world)
    proctor = await staff_headers(world, "proctor")
    await _running_session(world, proctor)
    async with world.ctx.db.sessions.begin() as session:
        password_hash = world.ctx.passwords.hash_sync(PASSWORD)
        session.add(Account(username="proctor2@test", password_hash=password_hash, role="proctor"))
    login = await world.client.post(
        "/api/v1/staff/sessions", json={"username": "proctor2@test", "password": PASSWORD}
    )
    second = {"Authorization": f"Bearer {login.json()['token']}"}
    assert await control(world, second, action="lock") == 403
    assert await control(world, await staff_headers(world, "office"), action="lock") == 403
    assert await control(world, await staff_headers(world, "registrar"), action="lock") == 204
    assert await control(world, proctor, action="lock", terminal=999) == 404
    async with world.ctx.db.sessions() as session:
        denied = (
            (await session.execute(select(AuditEvent.action).where(AuditEvent.outcome == "denied")))
            .scalars()
            .all()
        )
    assert denied.count("staff.control_terminal") == 2
