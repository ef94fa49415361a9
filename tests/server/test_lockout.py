"""Lockout without denial of service: per account and place, an hourly ceiling with a delay,
refusals audited at most once per account, code and minute."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from server.models import AuditEvent
from server.terminals import add_terminal
from tests.server.conftest import World, make_world
from tests.server.staff_world import add_staff, staff_login

EMAIL = "zhang.wei@stu.example.edu.cn"
CEILING = 6


@pytest.fixture
async def ceilinged(database_url: str) -> AsyncIterator[World]:
    """A server whose accounts may fail six times an hour, with no wait past that."""
    limits = {"account_failures_per_hour": CEILING, "account_slowdown_s": 0}
    async for world in make_world(database_url, **limits):
        yield world


async def refusals(world: World) -> list[AuditEvent]:
    async with world.ctx.db.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.action == "refused").order_by(AuditEvent.id)
        return list((await session.execute(query)).scalars().all())


async def test_a_lock_at_one_terminal_leaves_the_owner_in_at_another(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    threshold = world.ctx.settings.lockout_threshold
    answers = [(await world.login(EMAIL, "wrong")).status_code for _ in range(threshold)]
    assert answers == [401] * (threshold - 1) + [423]
    assert (await world.login(EMAIL)).status_code == 423  # locked *here*
    elsewhere = await world.login(EMAIL, key=world.other_terminal_key)
    assert elsewhere.status_code == 201, elsewhere.text


async def test_past_the_hourly_ceiling_failed_places_wait_and_clean_ones_get_in(
    ceilinged: World,
) -> None:
    world = ceilinged
    await world.add_student(1, email=EMAIL)
    for attempt in range(CEILING):
        # Spread over places so that no single place locks (threshold 5 each).
        key = world.terminal_key if attempt % 2 else world.other_terminal_key
        assert (await world.login(EMAIL, "wrong", key=key)).status_code == 401
    slowed = await world.login(EMAIL)
    assert slowed.status_code == 429
    assert slowed.json()["code"] == "login_slowed"
    assert 0 < int(slowed.headers["Retry-After"]) <= 3600
    # A terminal that never failed: the right password still works.
    async with world.ctx.db.sessions.begin() as session:
        _t, clean = await add_terminal(session, "B202", "t03")
    assert (await world.login(EMAIL, key=clean)).status_code == 201
    # An hour later the failed places may try again.
    world.clock.advance(hours=1, seconds=1)
    assert (await world.login(EMAIL)).status_code == 201


async def test_refusals_are_audited_once_a_minute_with_a_count(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    for _ in range(3):
        await world.login(EMAIL, "wrong")
    for _ in range(4):
        await world.client.get("/api/v1/me/record", headers=world.headers("not-a-token"))
    rows = await refusals(world)
    assert [(r.actor, r.target, r.details["count"]) for r in rows] == [
        ("account:1", "401 invalid_credentials", 3),
        ("address:127.0.0.1", "401 unauthenticated", 4),
    ]
    world.clock.advance(minutes=1)
    await world.login(EMAIL, "wrong")
    assert len(await refusals(world)) == 3  # a new minute, a new row


async def test_staff_see_the_accounts_under_attack(world: World) -> None:
    await world.add_student(1, email=EMAIL)
    await add_staff(world)
    for _ in range(world.ctx.settings.lockout_threshold):
        await world.login(EMAIL, "wrong")
    token = (await staff_login(world, "proctor")).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    listed = await world.client.get("/api/v1/staff/accounts-under-attack", headers=auth)
    assert listed.status_code == 200
    assert [(a["username"], a["failures"]) for a in listed.json()] == [
        (EMAIL, world.ctx.settings.lockout_threshold)
    ]
    board = await world.client.get("/api/v1/staff/board", params={"lab": "A101"}, headers=auth)
    assert board.json()["accounts_under_attack"] == 1
    # A college office may not see it.
    office = (await staff_login(world, "office")).json()["token"]
    refused = await world.client.get(
        "/api/v1/staff/accounts-under-attack", headers={"Authorization": f"Bearer {office}"}
    )
    assert refused.status_code == 403
