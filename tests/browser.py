"""Headless Chromium for the pages a phone opens (the photo preview, the proof upload).

Chromium is Debian's, started with a throw-away profile and nothing of its own on the
network. :func:`phone_browser` drives one page over the DevTools protocol at a phone's size
(390×844, touch, mobile); the pages have no script of their own, the protocol only stands
in for the finger.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.serving import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HEADLESS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)  # fmt: skip
"""Chromium's flags for a test: no window, no updates, no sync, nothing but the page."""
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}


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

    def upload_proof(self, kind: str, photo: Path) -> str:
        """On the proof upload page: choose ``kind``, pick ``photo`` as a person picks a file,
        press the form's own button; the text of the page that answers."""
        self.wait_for(f"(document.querySelector('select[name=kind]').value = {json.dumps(kind)})")
        document = self.call("DOM.getDocument")
        node = self.call(
            "DOM.querySelector", nodeId=document["root"]["nodeId"], selector="input[type=file]"
        )
        self.call("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[str(photo)])
        self.wait_for("(document.querySelector('button[type=submit]').click(), true)")
        text: str = self.wait_for(
            "document.getElementById('done') && document.body.innerText", timeout_s=60
        )
        return text


@contextmanager
def phone_browser(profile: Path) -> Iterator[Browser]:
    """A headless Chromium with the profile folder ``profile``, sized and behaving as a phone."""
    port = free_port()
    process = subprocess.Popen(
        [
            CHROMIUM, *HEADLESS, f"--user-data-dir={profile}",
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
