"""Staff login and role boundaries: every forbidden action is 403 and audited as denied."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from server.models import Account, AuditEvent, Student
from tests.server.conftest import World
from tests.server.staff_world import (
    OTHER_COLLEGE,
    STAFF,
    add_staff,
    staff_headers,
    staff_login,
)

EMAIL = "zhang.wei@stu.example.edu.cn"
PROCTORS = {"proctor", "registrar", "registrar2"}
RECORD_KEEPERS = {"office", "registrar", "registrar2"}


@pytest.fixture
async def staffed(world: World) -> World:
    """The World with every staff account, a student of the office's college, a session."""
    await add_staff(world)
    await world.add_student(1, email=EMAIL)
    headers = await staff_headers(world, "registrar")
    created = await world.client.post(
        "/api/v1/staff/supervised-sessions",
        json={
            "title": "计算机221 校对",
            "lab": "A101",
            "starts_at": "2026-06-01T08:00:00Z",
            "ends_at": "2026-06-01T10:00:00Z",
            "class_name": "计算机221",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return world


async def test_a_session_time_utc_cannot_express_is_422_not_500(world: World) -> None:
    await add_staff(world)
    headers = await staff_headers(world, "registrar")
    answer = await world.client.post(
        "/api/v1/staff/supervised-sessions",
        json={
            "title": "x",
            "lab": "A101",
            "starts_at": "0001-01-01T00:00:00+14:00",
            "ends_at": "2026-06-01T10:00:00Z",
        },
        headers=headers,
    )
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["starts_at"]


async def _student_id(world: World) -> int:
    async with world.ctx.db.sessions() as session:
        account = (
            await session.execute(select(Account).where(Account.username == EMAIL))
        ).scalar_one()
    assert account.student_id is not None
    return account.student_id


def _endpoints(student_id: int) -> list[tuple[str, str, dict[str, Any] | None, set[str]]]:
    """Every staff endpoint: method, path, JSON body, and who may call it."""
    plan = {
        "title": "x",
        "lab": "A101",
        "starts_at": "2026-06-01T08:00:00Z",
        "ends_at": "2026-06-01T09:00:00Z",
        "student_nos": ["202210010001"],
    }
    return [
        ("GET", "/api/v1/staff/me", None, set(STAFF)),
        ("GET", "/api/v1/staff/labs", None, PROCTORS),
        ("GET", "/api/v1/staff/board?lab=A101", None, PROCTORS),
        ("GET", "/api/v1/staff/supervised-sessions", None, PROCTORS),
        ("POST", "/api/v1/staff/supervised-sessions", plan, PROCTORS),
        ("GET", "/api/v1/staff/supervised-sessions/1/report", None, PROCTORS),
        ("GET", "/api/v1/staff/supervised-sessions/1/report?format=csv", None, PROCTORS),
        ("POST", "/api/v1/staff/supervised-sessions/1/start", None, PROCTORS),
        ("POST", "/api/v1/staff/supervised-sessions/1/end", None, PROCTORS),
        ("GET", "/api/v1/staff/students?q=2022", None, RECORD_KEEPERS | {"other_office"}),
        ("GET", f"/api/v1/staff/students/{student_id}", None, RECORD_KEEPERS),
        ("POST", f"/api/v1/staff/students/{student_id}/reopen", None, RECORD_KEEPERS),
    ]


async def _denials(world: World) -> list[AuditEvent]:
    async with world.ctx.db.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.outcome == "denied").order_by(AuditEvent.id)
        return list((await session.execute(query)).scalars())


async def test_every_forbidden_action_is_403_and_audited(staffed: World) -> None:
    world = staffed
    student_id = await _student_id(world)
    headers = {who: await staff_headers(world, who) for who in STAFF}
    ids = {}
    async with world.ctx.db.sessions() as session:
        for who, (username, _role, _college) in STAFF.items():
            ids[who] = (
                await session.execute(select(Account.id).where(Account.username == username))
            ).scalar_one()
    refused = 0
    for method, path, body, allowed in _endpoints(student_id):
        for who in STAFF:
            response = await world.client.request(method, path, json=body, headers=headers[who])
            if who in allowed:
                assert response.status_code != 403, (who, path, response.text)
                continue
            assert response.status_code == 403, (who, path, response.text)
            # An office may look students up, just not another college's: it is told so.
            other_college = who == "other_office" and "/students/" in path
            assert response.json()["code"] == ("other_college" if other_college else "forbidden")
            refused += 1
            denials = await _denials(world)
            assert len(denials) == refused, (who, path)
            assert denials[-1].actor == f"account:{ids[who]}"
            assert denials[-1].action.startswith("staff.")
            assert denials[-1].action != "staff.unknown"
    assert refused >= 20


async def test_a_college_office_sees_only_its_college(staffed: World) -> None:
    world = staffed
    await world.add_student(2, college=OTHER_COLLEGE, class_name="汉语言221")
    own = await staff_headers(world, "office")
    other = await staff_headers(world, "other_office")
    found = await world.client.get("/api/v1/staff/students?q=20221001", headers=own)
    assert [s["student_no"] for s in found.json()["students"]] == ["202210010001"]
    assert found.json()["students"][0]["id_number_masked"].count("*") == 11
    theirs = await world.client.get("/api/v1/staff/students?q=20221001", headers=other)
    assert [s["student_no"] for s in theirs.json()["students"]] == ["202210010002"]
    registrar = await staff_headers(world, "registrar")
    everyone = await world.client.get("/api/v1/staff/students?q=20221001", headers=registrar)
    assert len(everyone.json()["students"]) == 2

    student_id = await _student_id(world)
    for path in (
        f"/api/v1/staff/students/{student_id}",
        f"/api/v1/staff/students/{student_id}/reopen",
    ):
        method = "POST" if path.endswith("reopen") else "GET"
        response = await world.client.request(method, path, headers=other)
        assert response.status_code == 403 and response.json()["code"] == "other_college"
    denials = await _denials(world)
    assert [d.action for d in denials] == ["staff.student_detail", "staff.reopen_window"]
    assert all(d.target == f"student:{student_id}" for d in denials)
    assert (
        await world.client.get(f"/api/v1/staff/students/{student_id}", headers=own)
    ).status_code == 200


async def test_search_by_name_and_id_number(staffed: World) -> None:
    world = staffed
    headers = await staff_headers(world, "registrar")
    student_id = await _student_id(world)
    async with world.ctx.db.sessions() as session:
        student = await session.get(Student, student_id)
    assert student is not None
    for query in (student.name[:1], student.id_number.lower(), student.student_no):
        found = await world.client.get(
            "/api/v1/staff/students", params={"q": query}, headers=headers
        )
        assert [s["id"] for s in found.json()["students"]] == [student_id], query
    none = await world.client.get("/api/v1/staff/students", params={"q": "%"}, headers=headers)
    assert none.json()["students"] == []


async def test_staff_login_shares_the_lockout_and_tokens_do_not_cross(staffed: World) -> None:
    world = staffed
    threshold = world.ctx.settings.lockout_threshold
    for attempt in range(1, threshold):
        wrong = await staff_login(world, "proctor", "wrong-password")
        assert wrong.status_code == 401
        assert wrong.json()["attempts_left"] == threshold - attempt
    assert (await staff_login(world, "proctor", "wrong-password")).status_code == 423
    assert (await staff_login(world, "proctor")).status_code == 423

    ok = await staff_login(world, "registrar")
    assert ok.status_code == 201
    assert ok.json()["staff"] == {
        "username": "registrar@test",
        "role": "registrar",
        "college": None,
    }
    staff = {"Authorization": f"Bearer {ok.json()['token']}"}
    # A staff token is no student session, and a student's token is no staff session.
    assert (
        await world.client.get("/api/v1/me/record", headers=world.headers() | staff)
    ).status_code == 401
    student_token = await world.token_for(EMAIL)
    as_student = {"Authorization": f"Bearer {student_token}"}
    response = await world.client.get("/api/v1/staff/me", headers=as_student)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    # Students cannot log in as staff; the answer is the generic one.
    student_login = await world.client.post(
        "/api/v1/staff/sessions", json={"username": EMAIL, "password": "Correct-Horse-9"}
    )
    assert student_login.status_code == 401
    assert student_login.json()["code"] == "invalid_credentials"
    assert (await world.client.get("/api/v1/staff/me")).status_code == 401

    assert (
        await world.client.delete("/api/v1/staff/sessions/current", headers=staff)
    ).status_code == 204
    after = await world.client.get("/api/v1/staff/me", headers=staff)
    assert after.status_code == 401 and after.json()["code"] == "session_expired"


async def test_staff_sessions_expire_like_students(staffed: World) -> None:
    world = staffed
    headers = await staff_headers(world, "registrar")
    world.clock.advance(minutes=world.ctx.settings.session_idle_minutes + 1)
    expired = await world.client.get("/api/v1/staff/me", headers=headers)
    assert expired.status_code == 401 and expired.json()["code"] == "session_expired"


async def test_reopen_a_closed_window(staffed: World) -> None:
    world = staffed
    headers = await staff_headers(world, "office")
    student_id = await _student_id(world)
    path = f"/api/v1/staff/students/{student_id}/reopen"
    still_open = await world.client.post(path, headers=headers)
    assert still_open.status_code == 409 and still_open.json()["code"] == "window_not_closed"
    world.clock.advance(hours=25)
    assert (await world.login(EMAIL)).json()["code"] == "window_closed"
    headers = await staff_headers(world, "office")
    reopened = await world.client.post(path, headers=headers)
    assert reopened.status_code == 200, reopened.text
    detail = reopened.json()
    assert detail["window"]["is_open"] is True
    hours = world.ctx.settings.verification_window_hours
    closes = dt.datetime.fromisoformat(detail["window"]["closes_at"])
    assert closes == world.clock.now + dt.timedelta(hours=hours)
    assert (await world.login(EMAIL)).status_code == 201
    history = (
        await world.client.get(f"/api/v1/staff/students/{student_id}", headers=headers)
    ).json()
    kinds = [(e["kind"], e["outcome"]) for e in history["history"]]
    assert kinds == [("login", "denied"), ("reopen", "ok"), ("login", "ok")]
    assert history["registered"] is True


@pytest.mark.parametrize("huge", [2**31, 2**63])
async def test_a_number_beyond_the_database_integer_is_422_not_500(world: World, huge: int) -> None:
    await add_staff(world)
    headers = await staff_headers(world, "registrar")
    for path in (
        f"/api/v1/staff/students/{huge}",
        f"/api/v1/staff/corrections/{huge}",
        f"/api/v1/staff/supervised-sessions/{huge}/report",
    ):
        answer = await world.client.get(path, headers=headers)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["code"] == "validation_failed"
    beat = await world.client.post(
        "/api/v1/terminals/heartbeat",
        json={"state": "idle", "dead_letters": huge},
        headers={"Terminal-Key": world.terminal_key},
    )
    assert beat.status_code == 422, beat.text
