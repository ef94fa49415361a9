"""Checking again at the kiosk: after a correction was applied, only the changed fields
(and the photo, if it changed) are asked; the rest stands as confirmed."""

from __future__ import annotations

from screens.field_check import FieldCheckScreen
from screens.photo import PhotoScreen
from screens.record import RecordScreen
from screens.review import ReviewScreen
from tests.kiosk_fakes import FakeClient, build_app, make_record, settle, submit, to_record

SIZE = (80, 24)


async def test_only_the_changed_fields_are_asked_again() -> None:
    client = FakeClient(make_record(2, state="check_again", recheck_fields=["major", "level"]))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_record(pilot)
        assert isinstance(app.screen, RecordScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        assert app.screen.spec.key == "major"
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.spec.key == "level"
        await pilot.press("y")
        await settle(pilot)
        # The photo did not change: it is shown with its earlier "correct" and goes on.
        assert isinstance(app.screen, PhotoScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await submit(pilot)
        [(request, _key, _body)] = client.submissions
        assert request.record_version == 2
        assert all(d.verdict == "correct" for d in request.fields)


async def test_only_the_photo_is_asked_again() -> None:
    client = FakeClient(make_record(3, state="check_again", recheck_fields=["photo"]))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await to_record(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
