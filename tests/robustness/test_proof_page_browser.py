"""The proof upload page in a real browser: headless Chromium at phone size, a real server.

Chromium is driven over its DevTools protocol (tests.browser) at a phone's size: a photograph
is put into the form's file input as a person would pick one, and the form is posted by its
own button. The stored file is then read back from the database.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from kiosk.fields import FIELD_KEYS
from server.db import Database
from server.models import ProofFile
from tests.browser import PHONE, Browser, needs_chromium, phone_browser
from tests.e2e.serving import RunningServer, serving
from tests.server.test_proofs import GPS_IFD, phone_jpeg

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240), needs_chromium]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """A headless Chromium at a phone's size."""
    with phone_browser(tmp_path / "profile") as driver:
        yield driver


def proof_link(server: RunningServer) -> str:
    """A demo student reports a wrong name at the "terminal"; the receipt's proof link."""
    accounts: dict[str, Any] = server.demo_accounts()
    student = accounts["students"][0]
    headers = {"Terminal-Key": accounts["terminal_key"]}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        login = client.post(
            "/api/v1/sessions",
            json={"username": student["username"], "password": student["password"]},
        )
        assert login.status_code == 201, login.text
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        record = client.get("/api/v1/me/record", headers=auth).json()
        fields = [
            {"key": key, "verdict": "incorrect", "proposed": "李四", "note": "户口簿上是李四"}
            if key == "name"
            else {"key": key, "verdict": "correct"}
            for key in FIELD_KEYS
        ]
        result = {
            "result_id": str(uuid.uuid4()), "ticket": record["ticket"],
            "record_version": record["record_version"], "fields": fields,
            "photo": {"verdict": "correct"},
            "started_at": "2026-06-01T08:00:00Z", "finished_at": "2026-06-01T08:04:00Z",
        }  # fmt: skip
        sent = client.post(
            "/api/v1/verifications", json=result, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert sent.status_code == 201, sent.text
        link = client.post("/api/v1/me/proof-link", headers=auth)
        assert link.status_code == 200, link.text
    # The link names the configured public address; the browser goes to this server.
    return server.url + "/u/" + str(link.json()["url"]).rsplit("/u/", 1)[1]


async def _stored(database_url: str) -> list[ProofFile]:
    db = Database(database_url)
    try:
        async with db.sessions() as session:
            return list((await session.execute(select(ProofFile))).scalars())
    finally:
        await db.dispose()


def test_a_phone_uploads_a_photograph_through_the_form(browser: Browser, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/demo.db"
    photo = tmp_path / "id-front.jpg"
    photo.write_bytes(phone_jpeg((1600, 1200)))
    with serving(database_url, "--demo") as server:
        url = proof_link(server)
        browser.open(url)
        # Laid out for the phone: nothing wider than its 390 CSS pixels.
        width = browser.wait_for("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        assert browser.wait_for("document.querySelector('input[type=file]').accept")
        assert browser.wait_for(
            "document.querySelector('input[type=file]').hasAttribute('capture')"
        )
        text = browser.upload_proof("id_front", photo)
        assert "已保存：居民身份证 正面" in text and "Stored: ID card, front" in text
        assert "已上传 1 个，还可上传 7 个" in text
        files = asyncio.run(_stored(database_url))
    [file] = files
    assert (file.kind, file.width, file.height) == ("id_front", 1600, 1200)
    with Image.open(io.BytesIO(file.jpeg)) as image:
        assert image.format == "JPEG" and not image.getexif()
        assert image.getexif().get_ifd(GPS_IFD) == {}
