"""Snapshots of the photo drawn on the terminal: beside the QR code where the screen is wide,
on P instead of the code at 80×24.

Update with ``pytest tests/test_photo_image_snapshots.py --snapshot-update`` and look at the
SVGs before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.kiosk_fakes import FakeClient, build_app, settle, to_photo

pytestmark = pytest.mark.usefixtures("stable_display")


async def _photo(pilot: Pilot[None]) -> None:
    await to_photo(pilot)
    await settle(pilot)


async def _photo_on_p(pilot: Pilot[None]) -> None:
    await _photo(pilot)
    await pilot.press("p")
    await settle(pilot)


def test_the_photo_beside_the_code_on_a_wide_screen(snap_compare: Any) -> None:
    client = FakeClient()
    assert snap_compare(build_app(client), run_before=_photo, terminal_size=(120, 32))
    assert "photo" in client.calls


def test_the_photo_instead_of_the_code_on_p_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(build_app(FakeClient()), run_before=_photo_on_p, terminal_size=(80, 24))
