"""The proof upload page in a real browser: headless Chromium at phone size, a real server.

Chromium is driven over its DevTools protocol: the page is opened with a phone's screen
(390×844, touch, mobile), a photograph is put into the form's file input as a person would
pick one, and the form is posted by its own button. The page has no script of its own; the
protocol only stands in for the finger. The stored file is then read back from the database.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from websockets.sync.client import ClientConnection, connect

from kiosk.fields import FIELD_KEYS
from server.db import Database
from server.models import ProofFile
from tests.e2e.serving import RunningServer, serving
from tests.server.test_proofs import GPS_IFD, phone_jpeg

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (.ci/run installs it)",
    ),
]
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """One page of a headless Chromium, spoken to over the DevTools protocol."""

    def __init__(self, socket_: ClientConnection) -> None:
        self._socket = socket_
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events in between are passed over)."""
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=60))
            if message.get("id") == number:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    def wait_for(self, expression: str, timeout_s: float = 30) -> Any:
        """The value of ``expression`` once it is truthy (the page loads on its own time)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
            found = value["result"].get("value")
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"never true: {expression}")

    def open(self, url: str) -> None:
        """Go to ``url`` and wait until its document is complete."""
        self.call("Page.navigate", url=url)
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """A headless Chromium with a throw-away profile, sized and behaving as a phone."""
    port = free_port()
    process = subprocess.Popen(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
            f"--remote-debugging-port={port}", "--window-size=390,844", "about:blank",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                page = next(p for p in pages if p["type"] == "page")
                break
            except (httpx.HTTPError, StopIteration):
                assert time.monotonic() < deadline, "Chromium did not start"
                time.sleep(0.3)
        with connect(page["webSocketDebuggerUrl"], max_size=None) as socket_:
            driver = Browser(socket_)
            driver.call("Page.enable")
            driver.call("Emulation.setDeviceMetricsOverride", **PHONE)
            driver.call("Emulation.setTouchEmulationEnabled", enabled=True)
            yield driver
    finally:
        process.terminate()
        process.wait(timeout=30)


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
        browser.wait_for("(document.querySelector('select[name=kind]').value = 'id_front')")
        document = browser.call("DOM.getDocument")
        node = browser.call(
            "DOM.querySelector", nodeId=document["root"]["nodeId"], selector="input[type=file]"
        )
        browser.call("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[str(photo)])
        browser.wait_for("(document.querySelector('button[type=submit]').click(), true)")
        text = browser.wait_for(
            "document.getElementById('done') && document.body.innerText", timeout_s=60
        )
        assert "已保存：居民身份证 正面" in text and "Stored: ID card, front" in text
        assert "已上传 1 个，还可上传 7 个" in text
        files = asyncio.run(_stored(database_url))
    [file] = files
    assert (file.kind, file.width, file.height) == ("id_front", 1600, 1200)
    with Image.open(io.BytesIO(file.jpeg)) as image:
        assert image.format == "JPEG" and not image.getexif()
        assert image.getexif().get_ifd(GPS_IFD) == {}
