"""Snapshots of each registration step at 80x24, in Chinese and in English.

Update with ``pytest tests/test_register_snapshots.py --snapshot-update`` and look at the
SVGs (tests/__snapshots__/) before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.kiosk_fakes import CODES, FakeClient, FakeMonotonic, build_app, settle
from tests.test_register_screens import put_account, put_identity, to_codes, to_register

DEMO_ACCOUNTS = [("demo1@example.edu.cn", "Demo-2025!", "全部正确 all correct")]
Step = Callable[[Pilot[None]], Awaitable[None]]


pytestmark = pytest.mark.usefixtures("stable_display")


async def account(pilot: Pilot[None]) -> None:
    """Step 1 with a weak password being typed."""
    await to_register(pilot)
    await pilot.press(*"wang.xm@stu.example.edu.cn", "tab", *"spring")
    await settle(pilot)


async def identity(pilot: Pilot[None]) -> None:
    """Step 2 filled in, the birth date typed against the ID number."""
    await to_register(pilot)
    await put_account(pilot)
    await put_identity(pilot, birth_date="2002-03-16", mobile="1390000")


async def codes(pilot: Pilot[None]) -> None:
    """Step 3 in demo mode, after a wrong e-mail code."""
    await to_codes(pilot)
    await pilot.press(*"111111", "enter", *CODES["sms"], "enter")
    await settle(pilot)


async def done(pilot: Pilot[None]) -> None:
    """Step 4."""
    await to_codes(pilot)
    await pilot.press(*CODES["email"], "enter", *CODES["sms"], "enter")
    await settle(pilot)


STEPS: dict[str, Step] = {step.__name__: step for step in (account, identity, codes, done)}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(STEPS))
def test_register_snapshot(snap_compare: Any, name: str, lang: str) -> None:
    app = build_app(FakeClient(), FakeMonotonic(), demo_accounts=DEMO_ACCOUNTS, language=lang)
    app.animation_level = "none"

    async def run_before(pilot: Pilot[None]) -> None:
        await STEPS[name](pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
