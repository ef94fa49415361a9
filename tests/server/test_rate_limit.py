"""Limits on password attempts per terminal and per client address: counted in the database,
before any hashing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from server.app import create_app
from tests.server.conftest import PASSWORD, World, make_world, test_settings
from tests.server.staff_world import STAFF, add_staff, staff_login
from tests.server.test_registration import form, register

EMAIL = "zhang.wei@stu.example.edu.cn"
LIMIT = 3


@pytest.fixture
async def limited(database_url: str) -> AsyncIterator[World]:
    """A server where a terminal or an address may make three password attempts a minute."""
    limits = {"terminal_attempts_per_minute": LIMIT, "staff_login_attempts_per_minute": LIMIT}
    async for world in make_world(database_url, **limits):
        yield world


async def test_a_terminal_gets_a_few_attempts_a_minute(
    limited: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = limited
    await world.add_student(1, email=EMAIL)
    hashed: list[str] = []
    verify = world.ctx.passwords.verify

    async def counting_verify(stored: str | None, given: str) -> bool:
        hashed.append(given)
        return await verify(stored, given)

    monkeypatch.setattr(world.ctx.passwords, "verify", counting_verify)
    for _ in range(LIMIT):
        assert (await world.login(EMAIL, "wrong-password")).status_code == 401
    refused = await world.login(EMAIL, "wrong-password")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["retry_after_s"] == 60
    # Refused before the hash, and not counted as a wrong password.
    assert len(hashed) == LIMIT
    # Another terminal has its own minute.
    other = await world.login("nobody@stu.example.edu.cn", key=world.other_terminal_key)
    assert other.status_code == 401
    world.clock.advance(seconds=45)
    assert (await world.login(EMAIL)).headers["Retry-After"] == "15"
    world.clock.advance(seconds=15)
    again = await world.login(EMAIL, "wrong-password")
    assert again.status_code == 401
    threshold = world.ctx.settings.lockout_threshold
    assert again.json()["attempts_left"] == threshold - LIMIT - 1


async def test_registrations_share_the_terminal_budget(limited: World) -> None:
    world = limited
    await world.add_student(1)
    for _ in range(LIMIT - 1):
        assert (await world.login("nobody@stu.example.edu.cn")).status_code == 401
    # A refused registration counts too: each one can cost a hash.
    assert (await register(world, form(1, name="王五"))).json()["code"] == "record_not_found"
    refused = await register(world, form(1))
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"


async def test_the_count_is_shared_by_every_worker(limited: World, database_url: str) -> None:
    world = limited
    second = create_app(
        test_settings(database_url, terminal_attempts_per_minute=LIMIT), clock=world.clock
    )
    async with LifespanManager(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://kiosk.test") as client:
            for _ in range(LIMIT):
                assert (await world.login("nobody@stu.example.edu.cn")).status_code == 401
            body = {"username": "nobody@stu.example.edu.cn", "password": "x" * 8}
            refused = await client.post("/api/v1/sessions", json=body, headers=world.headers())
    assert refused.status_code == 429


async def test_concurrent_attempts_never_exceed_the_limit(limited: World) -> None:
    world = limited
    answers = await asyncio.gather(
        *(world.login(f"nobody{n}@stu.example.edu.cn") for n in range(4 * LIMIT))
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [401] * LIMIT + [429] * (3 * LIMIT)


async def test_staff_logins_are_limited_per_client_address(limited: World) -> None:
    world = limited
    await add_staff(world)
    for _ in range(LIMIT):
        assert (await staff_login(world, "registrar", "wrong-password")).status_code == 401
    refused = await staff_login(world, "registrar")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    # Another address has its own minute (the same app, reached from elsewhere).
    transport = httpx.ASGITransport(app=world.app, client=("192.0.2.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://kiosk.test") as client:
        body = {"username": STAFF["registrar"][0], "password": PASSWORD}
        elsewhere = await client.post("/api/v1/staff/sessions", json=body)
    assert elsewhere.status_code == 201, elsewhere.text
    # Terminals are counted apart from addresses.
    assert (await world.login("nobody@stu.example.edu.cn")).status_code == 401
