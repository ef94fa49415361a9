"""Supervised sessions are edited or cancelled while planned, and extended while running."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.models import AuditEvent, RosterEntry
from tests.server.conftest import World, record
from tests.server.test_supervision import SESSIONS, plan, proctor  # noqa: F401 - a fixture


async def _planned(world: World, proctor: dict[str, str], **overrides: Any) -> Any:
    created = await world.client.post(SESSIONS, json=plan(**overrides), headers=proctor)
    assert created.status_code == 201, created.text
    return created.json()


async def _audited(world: World, action: str) -> list[AuditEvent]:
    async with world.ctx.db.sessions() as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.scalars())


async def test_a_planned_session_is_edited(world: World, proctor: dict[str, str]) -> None:
    for n in (1, 2, 3):
        await world.add_student(n)
    info = await _planned(world, proctor)
    assert info["roster_size"] == 3
    url = f"{SESSIONS}/{info['id']}"
    numbers = [record(1)["student_no"], record(3)["student_no"]]
    edited = await world.client.patch(
        url,
        json={"title": "补测", "ends_at": "2026-06-01T12:00:00Z", "student_nos": numbers},
        headers=proctor,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["lab"], body["state"]) == ("补测", "A101", "planned")
    assert body["ends_at"].startswith("2026-06-01T12:00") and body["roster_size"] == 2
    assert body["class_name"] is None
    [row] = await _audited(world, "staff.update_session")
    assert row.target == f"supervised_session:{info['id']}"

    # Refused edits change nothing.
    for change, code in (
        ({"ends_at": "2026-06-01T08:00:00Z"}, "end_before_start"),
        ({"lab": "Z999"}, "unknown_lab"),
        ({"class_name": "没有这个班"}, "unknown_class"),
    ):
        refused = await world.client.patch(url, json=change, headers=proctor)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["code"] == code
    listed = (await world.client.get(SESSIONS, headers=proctor)).json()
    assert listed[0]["title"] == "补测" and listed[0]["roster_size"] == 2


async def test_a_planned_session_is_cancelled(world: World, proctor: dict[str, str]) -> None:
    await world.add_student(1)
    info = await _planned(world, proctor)
    url = f"{SESSIONS}/{info['id']}"
    cancelled = await world.client.delete(url, headers=proctor)
    assert cancelled.status_code == 204, cancelled.text
    assert (await world.client.get(SESSIONS, headers=proctor)).json() == []
    async with world.ctx.db.sessions() as session:
        assert (await session.execute(select(RosterEntry))).first() is None
    [row] = await _audited(world, "staff.cancel_session")
    assert row.target == f"supervised_session:{info['id']}"
    assert (await world.client.delete(url, headers=proctor)).status_code == 404


async def test_a_running_session_is_only_extended(world: World, proctor: dict[str, str]) -> None:
    await world.add_student(1)
    info = await _planned(world, proctor)
    url = f"{SESSIONS}/{info['id']}"
    assert (await world.client.post(f"{url}/start", headers=proctor)).status_code == 200
    for change in ({"title": "改名"}, {"ends_at": "2026-06-01T13:00:00Z", "lab": "A101"}):
        refused = await world.client.patch(url, json=change, headers=proctor)
        assert refused.status_code == 409 and refused.json()["code"] == "session_state"
    earlier = await world.client.patch(
        url, json={"ends_at": "2026-06-01T10:00:00Z"}, headers=proctor
    )
    assert earlier.status_code == 422
    assert earlier.json()["errors"][0]["code"] == "end_not_later"
    cancel = await world.client.delete(url, headers=proctor)
    assert cancel.status_code == 409 and cancel.json()["code"] == "session_state"
    later = await world.client.patch(url, json={"ends_at": "2026-06-01T13:00:00Z"}, headers=proctor)
    assert later.status_code == 200, later.text
    assert later.json()["ends_at"].startswith("2026-06-01T13:00")
    assert later.json()["state"] == "running"
    # The kiosks' banner shows the new end.
    beat = await world.client.post(
        "/api/v1/terminals/heartbeat", json={"state": "idle"},
        headers={"Terminal-Key": world.terminal_key},
    )  # fmt: skip
    assert beat.json()["supervised_session"]["ends_at"].startswith("2026-06-01T13:00")

    assert (await world.client.post(f"{url}/end", headers=proctor)).status_code == 200
    ended: dict[str, Any]
    for ended in ({"ends_at": "2026-06-01T14:00:00Z"}, {"title": "x"}):
        refused = await world.client.patch(url, json=ended, headers=proctor)
        assert refused.status_code == 409 and refused.json()["code"] == "session_state"
    assert (await world.client.delete(url, headers=proctor)).status_code == 409


async def test_only_supervisors_edit_sessions(world: World, proctor: dict[str, str]) -> None:
    from tests.server.staff_world import staff_headers

    await world.add_student(1)
    info = await _planned(world, proctor)
    office = await staff_headers(world, "office")
    url = f"{SESSIONS}/{info['id']}"
    assert (await world.client.patch(url, json={"title": "x"}, headers=office)).status_code == 403
    assert (await world.client.delete(url, headers=office)).status_code == 403
