"""Logins, lockout, tokens and terminal keys."""

from __future__ import annotations

from sqlalchemy import func, select

from server.models import AuditEvent, LoginThrottle
from tests.server.conftest import World

EMAIL = "zhang.wei@stu.example.edu.cn"


async def test_login_by_email_or_student_no_and_logout(world: World) -> None:
    student = await world.add_student(1, email=EMAIL)
    for username in (EMAIL.upper(), f" {student.student_no} "):
        response = await world.login(username)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["student"] == {
            "student_no": student.student_no,
            "name": student.name,
            "college": student.college,
        }
        assert len(body["token"]) >= 40
    token = body["token"]
    assert (
        await world.client.get("/api/v1/me/record", headers=world.headers(token))
    ).status_code == 200
    logout = await world.client.delete("/api/v1/sessions/current", headers=world.headers(token))
    assert logout.status_code == 204
    after = await world.client.get("/api/v1/me/record", headers=world.headers(token))
    assert after.status_code == 401
    assert after.json()["code"] == "session_expired"
    assert after.headers["content-type"].startswith("application/problem+json")


async def test_wrong_password_counts_down_then_locks_with_growing_delay(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    threshold = world.ctx.settings.lockout_threshold
    for attempt in range(1, threshold):
        response = await world.login(EMAIL, "wrong-password")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
        assert response.json()["attempts_left"] == threshold - attempt
    locked = await world.login(EMAIL, "wrong-password")
    assert locked.status_code == 423
    assert locked.json()["code"] == "account_locked"
    first_lock = locked.json()["locked_until"]
    # Even the right password is refused while locked.
    assert (await world.login(EMAIL)).status_code == 423
    world.clock.advance(seconds=world.ctx.settings.lockout_base_s + 1)
    again = await world.login(EMAIL, "wrong-password")
    assert again.status_code == 423
    assert again.json()["locked_until"] > first_lock
    second = world.clock.now
    world.clock.advance(seconds=2 * world.ctx.settings.lockout_base_s + 1)
    assert world.clock.now > second
    ok = await world.login(EMAIL)
    assert ok.status_code == 201
    # A success clears the count.
    assert (await world.login(EMAIL, "wrong")).json()["attempts_left"] == threshold - 1


async def test_unknown_user_is_answered_like_a_wrong_password(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    known = await world.login(EMAIL, "wrong-password")
    unknown = await world.login("nobody@example.edu.cn", "wrong-password")
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()
    async with world.ctx.db.sessions() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "refused")))
            .scalars()
            .all()
        )
        throttles = (
            await session.execute(select(func.count()).select_from(LoginThrottle))
        ).scalar_one()
    assert [(e.outcome, e.target, e.details["count"]) for e in events] == [
        ("denied", "401 invalid_credentials", 1),
        ("denied", "401 invalid_credentials", 1),
    ]
    assert sorted(e.actor for e in events) == ["account:1", "unknown"]
    assert throttles == 2
    # The audit log names accounts by id, never by what was typed.
    assert all("nobody" not in str(e.details) and "nobody" not in e.actor for e in events)


async def test_window_closed(world: World) -> None:
    await world.add_student(1, email=EMAIL, window_hours=1)
    world.clock.advance(hours=2)
    response = await world.login(EMAIL)
    assert response.status_code == 403
    assert response.json()["code"] == "window_closed"
    assert response.json()["closes_at"]


async def test_session_idle_and_absolute_expiry(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    token = await world.token_for(EMAIL)
    idle = world.ctx.settings.session_idle_minutes
    world.clock.advance(minutes=idle - 1)
    assert (
        await world.client.get("/api/v1/me/record", headers=world.headers(token))
    ).status_code == 200
    world.clock.advance(minutes=idle - 1)  # still alive: the last request counted as activity
    assert (
        await world.client.get("/api/v1/me/record", headers=world.headers(token))
    ).status_code == 200
    world.clock.advance(minutes=idle + 1)
    expired = await world.client.get("/api/v1/me/record", headers=world.headers(token))
    assert expired.status_code == 401 and expired.json()["code"] == "session_expired"

    token = await world.token_for(EMAIL)
    hours = world.ctx.settings.session_absolute_hours
    for _ in range(int(hours * 60 / (idle - 1)) + 1):
        world.clock.advance(minutes=idle - 1)
        response = await world.client.get("/api/v1/me/record", headers=world.headers(token))
        if response.status_code != 200:
            break
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


async def test_terminal_key_required_and_checked(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    body = {"username": EMAIL, "password": "x"}
    missing = await world.client.post("/api/v1/sessions", json=body)
    assert missing.status_code == 401 and missing.json()["code"] == "terminal_key_missing"
    ident, _, secret = world.terminal_key.partition(".")
    for bad in (f"{ident}.wrong", "nonsense", f"999.{secret}", f".{secret}", f"{ident}."):
        response = await world.client.post(
            "/api/v1/sessions", json=body, headers={"Terminal-Key": bad}
        )
        assert response.status_code == 401, bad
        assert response.json()["code"] == "terminal_key_invalid"


async def test_token_is_bound_to_its_terminal(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    token = await world.token_for(EMAIL)
    elsewhere = await world.client.get(
        "/api/v1/me/record", headers=world.headers(token, key=world.other_terminal_key)
    )
    assert elsewhere.status_code == 401 and elsewhere.json()["code"] == "unauthenticated"
    forged = await world.client.get("/api/v1/me/record", headers=world.headers("forged-token"))
    assert forged.status_code == 401 and forged.json()["code"] == "unauthenticated"


async def test_login_body_is_validated(world: World) -> None:
    for body in (
        {},
        {"username": "", "password": "x"},
        {"username": "a", "password": "x", "extra": 1},
        {"username": "a" * 300, "password": "x"},
    ):
        response = await world.client.post("/api/v1/sessions", json=body, headers=world.headers())
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_failed"
        assert response.json()["errors"]


async def test_tokens_are_stored_hashed(world: World) -> None:
    from server.models import SessionToken

    await world.add_student(1, email=EMAIL)
    token = await world.token_for(EMAIL)
    async with world.ctx.db.sessions() as session:
        stored = (await session.execute(select(SessionToken.token_hash))).scalars().all()
    assert stored and token not in stored and all(len(s) == 64 for s in stored)
