"""Real local receivers for outgoing messages: an SMTP server and an HTTP SMS gateway."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.e2e.serving import free_port


async def _wait_for(items: list[Any], count: int, timeout: float = 10.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(items) < count:
        if loop.time() > deadline:
            raise AssertionError(f"expected {count} messages, got {len(items)}")
        await asyncio.sleep(0.01)
    return items[count - 1]


class SmtpReceiver:
    """An aiosmtpd server in a thread that keeps every mail it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        # Controller(port=0) does not work in aiosmtpd 1.4 (it connects to port 0 to check
        # that the server is up), so pick a free port first.
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        """Store the message; aiosmtpd calls this for every mail."""
        content = envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int) -> EmailMessage:
        """The ``count``-th mail, once it has arrived."""
        found = await _wait_for(self.messages, count)
        assert isinstance(found, EmailMessage)
        return found


class SmsGateway:
    """An HTTP server in a thread that records each POST (headers and JSON body)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output should not fill with access lines."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    async def wait_for(self, count: int) -> dict[str, Any]:
        """The ``count``-th request, once it has arrived."""
        found = await _wait_for(self.requests, count)
        assert isinstance(found, dict)
        return found


@pytest.fixture
def smtp_server() -> Iterator[SmtpReceiver]:
    """A real SMTP server on a loopback port."""
    receiver = SmtpReceiver()
    receiver.controller.start()
    yield receiver
    receiver.controller.stop()


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    """A real HTTP SMS gateway on a loopback port."""
    gateway = SmsGateway()
    gateway.thread.start()
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()
