"""Snapshots of every kiosk screen at 80x24, in Chinese and in English.

Update with ``pytest tests/test_screens_snapshots.py --snapshot-update`` and look at the
SVGs (tests/__snapshots__/) before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from textual.pilot import Pilot

from tests.kiosk_fakes import (
    FakeClient,
    FakeMonotonic,
    api_error,
    build_app,
    settle,
    submit,
    to_fields,
    to_login,
    to_photo,
    to_record,
    to_review,
)

DEMO_ACCOUNTS = [
    ("demo1@example.edu.cn", "Demo-2025!", "全部正确 all correct"),
    ("2021010204", "Demo-2025!", "未注册 not registered"),
]
Step = Callable[[Pilot[None], FakeMonotonic], Awaitable[None]]


pytestmark = pytest.mark.usefixtures("stable_display")


async def welcome(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await settle(pilot)


async def login_error(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_login(pilot)
    await pilot.press(*"2021010203", "enter", *"wrong", "enter")
    await settle(pilot)


async def register(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_login(pilot)
    await pilot.press("f3")
    await settle(pilot)


async def record(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_record(pilot)


async def field(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_fields(pilot)
    await pilot.press("y")
    await settle(pilot)


async def field_editing(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_fields(pilot)
    await pilot.press("y", "y", "y", "n", *"2002-13-01")
    await settle(pilot)


async def photo(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_photo(pilot)


async def photo_editing(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_photo(pilot)
    await pilot.press("n")
    await settle(pilot)


async def review(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_review(pilot)


async def confirm(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_review(pilot)
    await pilot.press("space", "s")
    await settle(pilot)


async def receipt(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await to_review(pilot)
    await submit(pilot)


async def staff_pin(pilot: Pilot[None], _clock: FakeMonotonic) -> None:
    await settle(pilot)
    await pilot.press("ctrl+q")
    await settle(pilot)


async def idle_warning(pilot: Pilot[None], clock: FakeMonotonic) -> None:
    await to_fields(pilot)
    clock.advance(61)
    pilot.app.check_idle_timeout()  # type: ignore[attr-defined]
    await settle(pilot)


STEPS: dict[str, Step] = {
    step.__name__: step
    for step in (
        welcome,
        login_error,
        register,
        record,
        field,
        field_editing,
        photo,
        photo_editing,
        review,
        confirm,
        receipt,
        staff_pin,
        idle_warning,
    )
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(STEPS))
def test_screen_snapshot(snap_compare: Any, name: str, lang: str) -> None:
    client = FakeClient()
    clock = FakeMonotonic()
    if name == "login_error":
        client.fail("login", api_error("invalid_credentials", 401, attempts_left=2))
    app = build_app(
        client,
        clock,
        demo_accounts=DEMO_ACCOUNTS,
        language=lang,
        staff_pin_hash=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("1"),
    )
    app.animation_level = "none"

    async def run_before(pilot: Pilot[None]) -> None:
        await STEPS[name](pilot, clock)

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
