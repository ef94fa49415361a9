"""The kiosk (Pilot) against a real `kiosk serve --demo` process on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Select

from kiosk.client import ApiClient
from screens.app import KioskApp, create_app
from screens.field_check import FieldCheckScreen
from screens.photo import PhotoScreen
from screens.receipt import ReceiptScreen
from screens.review import ReviewScreen
from tests.e2e.serving import RunningServer, serving
from tests.kiosk_fakes import screen_text, settings, settle, submit

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
SIZE = (80, 24)


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, dict[str, Any]]]:
    """One demo server for the module; each test uses its own demo student."""
    path: Path = tmp_path_factory.mktemp("journey")
    with serving(f"sqlite+aiosqlite:///{path}/demo.db", "--demo") as server:
        yield server, server.demo_accounts()


def student(demo: tuple[RunningServer, dict[str, Any]], index: int) -> tuple[str, str]:
    row = demo[1]["students"][index]
    return row["username"], row["password"]


async def kiosk(demo: tuple[RunningServer, dict[str, Any]]) -> tuple[KioskApp, ApiClient]:
    server, accounts = demo
    client = ApiClient(server.url, accounts["terminal_key"], timeout_s=30)
    return create_app(settings(), client), client


async def log_in_to_fields(pilot: Pilot[None], username: str, password: str) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press(*username, "enter", *password, "enter")
    await settle(pilot)
    assert "学籍档案" in screen_text(pilot.app), screen_text(pilot.app)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FieldCheckScreen)


def record_after(
    demo: tuple[RunningServer, dict[str, Any]], username: str, password: str
) -> dict[str, Any]:
    """The record as the server has it now, read by logging in again over HTTP."""
    server, accounts = demo
    headers = {"Terminal-Key": accounts["terminal_key"]}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        token = http.post(
            "/api/v1/sessions", json={"username": username, "password": password}
        ).json()["token"]
        record = http.get("/api/v1/me/record", headers={"Authorization": f"Bearer {token}"}).json()
        http.delete("/api/v1/sessions/current", headers={"Authorization": f"Bearer {token}"})
    assert isinstance(record, dict)
    return record


async def test_all_correct(demo: tuple[RunningServer, dict[str, Any]]) -> None:
    username, password = student(demo, 1)
    app, client = await kiosk(demo)
    async with app.run_test(size=SIZE) as pilot:
        await log_in_to_fields(pilot, username, password)
        await pilot.press(*["y"] * 17)
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen)
        assert "/p/" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen), screen_text(app)
        text = screen_text(app)
    await client.aclose()
    record = record_after(demo, username, password)
    assert record["state"] == "submitted"
    assert record["last_receipt_no"] in text


async def test_three_fields_and_the_photo_wrong(demo: tuple[RunningServer, dict[str, Any]]) -> None:
    username, password = student(demo, 2)
    app, client = await kiosk(demo)
    async with app.run_test(size=SIZE) as pilot:
        await log_in_to_fields(pilot, username, password)
        await pilot.press("y", "y", "n")  # ethnicity is a choice list
        await settle(pilot)
        app.screen.query_one("#proposed-choice", Select).value = "回族"
        await settle(pilot)
        await pilot.press("tab", "enter")  # to the note, where Enter saves
        await settle(pilot)
        await pilot.press(*["y"] * 5)  # birth date .. college
        await pilot.press("n", *"中文系", "enter")  # department, free text
        await settle(pilot)
        await pilot.press(*["y"] * 5)  # major .. education category
        await pilot.press("y")  # study mode
        await pilot.press("n", *"2020-09-01", "enter")  # enrollment date
        await settle(pilot)
        await pilot.press("y")  # status
        await settle(pilot)
        assert isinstance(app.screen, PhotoScreen), screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("enter", "tab", *"不是我", "enter")  # the first reason (not me), a note
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen), screen_text(app)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen), screen_text(app)
    await client.aclose()
    record = record_after(demo, username, password)
    assert record["state"] == "corrections_pending"
    reported = {c["field"]: c["proposed"] for c in record["corrections"]}
    assert reported == {
        "ethnicity": "回族",
        "department": "中文系",
        "enrollment_date": "2020-09-01",
        "photo": "not_me",
    }


async def test_back_from_review_to_change_a_decision(
    demo: tuple[RunningServer, dict[str, Any]],
) -> None:
    username, password = student(demo, 3)
    app, client = await kiosk(demo)
    async with app.run_test(size=SIZE) as pilot:
        await log_in_to_fields(pilot, username, password)
        await pilot.press(*["y"] * 17, "y")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        app.screen.query_one(OptionList).highlighted = 10  # class_name
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FieldCheckScreen)
        await pilot.press("n", *"计算机232", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen), screen_text(app)
    await client.aclose()
    record = record_after(demo, username, password)
    assert [(c["field"], c["proposed"]) for c in record["corrections"]] == [
        ("class_name", "计算机232")
    ]
