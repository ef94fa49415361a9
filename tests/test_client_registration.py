"""kiosk.client's registration calls against a server played by httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from kiosk.client import ApiClient, ApiError
from kiosk.protocol.registration import RegistrationRequest, VerifyCodesRequest
from tests.test_client import BASE, NOW, TERMINAL_KEY, Server, problem

REGISTRATION = {
    "registration_id": "abc/123",
    "email_masked": "wa****m@x.cn",
    "mobile_masked": "139****2222",
    "code_expires_at": NOW,
    "resend_after": NOW,
    "expires_at": NOW,
}


def registration_handler(request: httpx.Request) -> httpx.Response:
    path = request.url.raw_path.decode()
    if path == "/api/v1/registrations":
        return httpx.Response(201, json=REGISTRATION)
    if path.endswith("/verify"):
        body = {"status": "active", "email_confirmed": True, "sms_confirmed": True}
        return httpx.Response(200, json={**body, "username": "w@x.cn", "window_closes_at": NOW})
    if path.endswith("/resend"):
        body = json.loads(request.content)
        answer = {"code_expires_at": NOW, "resend_after": NOW, "sends_left": 7}
        return httpx.Response(200, json={"channel": body["channel"], **answer})
    if path.startswith("/api/v1/demo/mailbox"):
        message = {"channel": "sms", "to": "13900002222", "subject": None, "text": "123456",
                   "created_at": NOW}  # fmt: skip
        return httpx.Response(200, json={"messages": [message]})
    return problem(404, "not_found")


@pytest.fixture
def server() -> Server:
    server = Server()
    server.handler = registration_handler
    return server


@pytest.fixture
async def client(server: Server) -> AsyncIterator[ApiClient]:
    api = ApiClient(BASE, TERMINAL_KEY, timeout_s=2.0, transport=httpx.MockTransport(server))
    yield api
    await api.aclose()


def request() -> RegistrationRequest:
    return RegistrationRequest(
        email="w@x.cn",
        password="Spring2026ok",
        name="王小明",
        gender="男",
        id_number="330502200203150010",
        birth_date="2002-03-15",
        mobile="13900002222",
    )


async def test_register_verify_resend(client: ApiClient, server: Server) -> None:
    created = await client.register(request())
    assert created.registration_id == "abc/123"
    done = await client.verify_registration(created.registration_id, VerifyCodesRequest(
        email_code="111111", sms_code="222222"))  # fmt: skip
    assert done.status == "active" and done.username == "w@x.cn"
    resent = await client.resend_code(created.registration_id, "sms")
    assert resent.channel == "sms" and resent.sends_left == 7
    first, verify, resend = server.requests
    assert json.loads(first.content)["id_type"] == "身份证"
    # The id is one path segment, whatever it holds.
    assert verify.url.raw_path == b"/api/v1/registrations/abc%2F123/verify"
    assert json.loads(verify.content) == {"email_code": "111111", "sms_code": "222222"}
    assert json.loads(resend.content) == {"channel": "sms"}
    assert all(r.headers["Terminal-Key"] == TERMINAL_KEY for r in server.requests)


async def test_refusals_keep_their_code_and_retry_time(client: ApiClient, server: Server) -> None:
    server.handler = lambda _r: problem(429, "resend_too_soon", retry_after_s=42)
    with pytest.raises(ApiError) as refused:
        await client.register(request())
    assert refused.value.code == "resend_too_soon"
    assert "42" in refused.value.message.zh
    assert refused.value.retryable


async def test_demo_mailbox_without_the_terminal_key(client: ApiClient, server: Server) -> None:
    [message] = await client.demo_mailbox("13900002222")
    assert message.text == "123456"
    sent = server.last
    assert sent.url.params["to"] == "13900002222"
    assert "Terminal-Key" not in sent.headers


async def test_demo_mailbox_is_empty_where_there_is_none(client: ApiClient, server: Server) -> None:
    server.handler = lambda _r: problem(404, "not_found")
    assert await client.demo_mailbox("w@x.cn") == []
