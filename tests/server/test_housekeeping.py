"""Housekeeping: what the server forgets, when, and that forgetting breaks nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from server.app import create_app
from server.background import Periodic
from server.housekeeping import Pruned, prune
from server.models import (
    LoginThrottle,
    MailboxEntry,
    OutgoingMessage,
    RateLimit,
    Registration,
    RegistrationCode,
    SendThrottle,
    SessionToken,
)
from tests.server.conftest import World, test_settings
from tests.server.test_registration import form, register, registered, verify

EMAIL = "zhang.wei@stu.example.edu.cn"


async def count(world: World, model: Any) -> int:
    async with world.ctx.db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_dead_sessions_go_a_day_after_they_died(world: World) -> None:
    await world.add_student(1, email=EMAIL, window_hours=72)
    idle_one = await world.token_for(EMAIL)
    logged_out = await world.token_for(EMAIL)
    response = await world.client.delete(
        "/api/v1/sessions/current", headers=world.headers(logged_out)
    )
    assert response.status_code == 204
    # A day after logout, and a day after the idle one died (idle limit 30 min): not yet.
    world.clock.advance(days=1)
    assert await prune(world.ctx) == Pruned()
    world.clock.advance(minutes=31)
    live = await world.token_for(EMAIL)
    assert await prune(world.ctx) == Pruned(sessions=2)
    assert await count(world, SessionToken) == 1
    record = await world.client.get("/api/v1/me/record", headers=world.headers(live))
    assert record.status_code == 200
    # A pruned token is unknown now: 401, which every client takes as "log in again".
    gone = await world.client.get("/api/v1/me/record", headers=world.headers(idle_one))
    assert gone.status_code == 401
    assert gone.json()["code"] == "unauthenticated"


async def test_unfinished_registrations_go_with_their_codes_and_addresses(world: World) -> None:
    await world.add_student(1)
    await world.add_student(2)
    pending, email_code, sms_code = await registered(world, 1)
    done, done_email, done_sms = await registered(
        world, 2, email="li.na@stu.example.edu.cn", mobile="13912345678"
    )
    assert (await verify(world, done, email_code=done_email, sms_code=done_sms)).status_code == 200
    ttl = world.ctx.settings.registration_ttl_hours
    # For a day after it lapsed, a kiosk coming back hears that it lapsed.
    world.clock.advance(hours=ttl, days=1)
    assert (await prune(world.ctx)).registrations == 0
    late = await verify(world, pending, email_code=email_code, sms_code=sms_code)
    assert late.json()["code"] == "registration_expired"
    world.clock.advance(minutes=1)
    assert (await prune(world.ctx)).registrations == 1
    async with world.ctx.db.sessions() as session:
        left = (await session.execute(select(Registration.id, Registration.status))).all()
    assert left == [(done, "active")]
    assert await count(world, RegistrationCode) == 2  # the finished one's
    after = await verify(world, pending, email_code=email_code, sms_code=sms_code)
    assert after.status_code == 404
    # The student can simply register again.
    assert (await register(world, form(1))).status_code == 201


async def test_login_failures_are_forgotten_after_a_quiet_day(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    threshold = world.ctx.settings.lockout_threshold
    for _ in range(threshold):
        await world.login(EMAIL, "wrong-password")
    await world.login("nobody@stu.example.edu.cn", "wrong-password")
    assert await count(world, LoginThrottle) == 2
    # The lock (at most an hour) is over, but the count stands until a quiet day passed.
    world.clock.advance(hours=23)
    assert (await prune(world.ctx)).login_throttle == 0
    again = await world.login(EMAIL, "wrong-password")
    assert again.json()["code"] == "account_locked"
    # A day after the last wrong password and the lock it brought (at most an hour).
    world.clock.advance(days=1, hours=1)
    assert (await prune(world.ctx)).login_throttle == 2
    fresh = await world.login(EMAIL, "wrong-password")
    assert fresh.status_code == 401
    assert fresh.json()["attempts_left"] == threshold - 1


async def test_a_throttle_row_deleted_during_the_password_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.add_student(1, email=EMAIL)
    assert (await world.login(EMAIL, "wrong-password")).status_code == 401
    world.clock.advance(days=1, seconds=1)
    passwords = world.ctx.passwords
    verify_password = passwords.verify

    async def verify_while_housekeeping_runs(stored: str | None, given: str) -> bool:
        # The quiet row is read before the hash is checked, and deleted while it is.
        assert (await prune(world.ctx)).login_throttle == 1
        return await verify_password(stored, given)

    monkeypatch.setattr(passwords, "verify", verify_while_housekeeping_runs)
    response = await world.login(EMAIL, "wrong-password")
    assert response.status_code == 401, response.text
    assert response.json()["attempts_left"] == world.ctx.settings.lockout_threshold - 1


async def test_send_throttles_go_a_day_after_their_window(world: World) -> None:
    await world.add_student(1)
    await registered(world, 1)
    assert await count(world, SendThrottle) == 2
    world.clock.advance(days=2)
    assert (await prune(world.ctx)).send_throttle == 0
    world.clock.advance(seconds=1)
    assert (await prune(world.ctx)).send_throttle == 2


async def test_rate_limit_rows_go_a_day_after_their_minute(world: World) -> None:
    await world.login("nobody@stu.example.edu.cn")
    await world.client.post(
        "/api/v1/staff/sessions", json={"username": "nobody@test", "password": "x" * 8}
    )
    # The terminal's and the address's minutes, and both names' hours of failures.
    assert await count(world, RateLimit) == 4
    world.clock.advance(days=1, minutes=1)
    assert (await prune(world.ctx)).rate_limits == 0
    world.clock.advance(seconds=1)
    assert (await prune(world.ctx)).rate_limits == 4


async def test_the_server_prunes_in_the_background_from_its_start(
    world: World, database_url: str
) -> None:
    await world.login("nobody@stu.example.edu.cn", "wrong-password")
    world.clock.advance(days=2)
    # A second worker on the same database: its first round runs as it starts.
    second = create_app(test_settings(database_url), clock=world.clock)
    async with LifespanManager(second):
        async with asyncio.timeout(10):
            while await count(world, LoginThrottle):
                await asyncio.sleep(0.02)


async def test_rounds_go_on_after_a_failure_and_repeat_while_there_is_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers: list[object] = [RuntimeError("database gone for 13800138000"), True, True, False]
    calls: list[object] = []
    done = asyncio.Event()

    async def round_() -> object:
        answer = answers[len(calls)] if len(calls) < len(answers) else False
        calls.append(answer)
        if len(calls) == len(answers):
            done.set()
        if isinstance(answer, Exception):
            raise answer
        return answer

    rounds = Periodic("test", round_, lambda: 0.01)
    with caplog.at_level(logging.ERROR):
        rounds.start()
        async with asyncio.timeout(5):
            await done.wait()
        await rounds.stop()
    # The failure was logged without the number in it, and the truthy rounds ran back to back.
    assert "test round failed" in caplog.text
    assert "13800138000" not in caplog.text
    assert calls[: len(answers)] == answers


async def test_mailbox_codes_go_when_they_expire_and_sent_messages_a_day_later(
    world: World,
) -> None:
    now = world.clock()
    async with world.ctx.db.sessions.begin() as session:
        session.add(MailboxEntry(channel="sms", recipient="13800000000", subject=None,
                                 body="验证码 123456", created_at=now))  # fmt: skip
        session.add(OutgoingMessage(channel="sms", recipient="13800000000", body=None,
                                    status="sent", next_attempt_at=now, created_at=now))  # fmt: skip
    world.clock.advance(minutes=world.ctx.settings.code_ttl_minutes - 1)
    assert await prune(world.ctx) == Pruned()
    world.clock.advance(minutes=2)  # the code has expired: the row holding it goes
    assert await prune(world.ctx) == Pruned(mailbox=1)
    assert await count(world, MailboxEntry) == 0
    world.clock.advance(days=1)
    assert await prune(world.ctx) == Pruned(outgoing_messages=1)
    assert await count(world, OutgoingMessage) == 0
