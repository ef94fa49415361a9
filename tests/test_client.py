"""kiosk.client against a server played by httpx.MockTransport."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from kiosk.client import ApiClient, ApiError
from kiosk.fields import FIELD_KEYS
from kiosk.protocol.base import ProblemDetails
from kiosk.protocol.student import FieldDecision, PhotoDecision, VerificationRequest
from kiosk.protocol.terminal import HeartbeatRequest

BASE = "http://server.test"
TERMINAL_KEY = "lab1-07.s3cr3t-terminal"
TOKEN = "tok-Zs9Qd0-secret"
PASSWORD = "pw-correct-horse"
NOW = "2025-05-01T08:00:00Z"

Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """A scripted server: answers with ``handler`` and remembers every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.handler: Handler = default_handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def problem(status: int, code: str, **extensions: Any) -> httpx.Response:
    body = {"type": "about:blank", "title": code, "status": status, "code": code, **extensions}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def record_json() -> dict[str, Any]:
    return {
        "student_no": "2021001",
        "fields": [{"key": key, "value": f"value of {key}"} for key in FIELD_KEYS],
        "record_version": 2,
        "photo": {"version": 1, "width": 480, "height": 640, "size_bytes": 40000},
        "window": {"closes_at": "2025-05-02T08:00:00Z", "is_open": True},
        "state": "not_checked",
        "ticket": "ticket-abc",
        "ticket_expires_at": "2025-05-08T08:00:00Z",
    }


def receipt_json() -> dict[str, Any]:
    return {"receipt_no": "R-2025-000123", "submitted_at": NOW, "corrections": []}


def default_handler(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/health":
        return httpx.Response(200, json={"status": "ok", "version": "1.0", "database": "ok"})
    if path == "/api/v1/sessions" and request.method == "POST":
        student = {"student_no": "2021001", "name": "张三", "college": "理学院"}
        return httpx.Response(201, json={"token": TOKEN, "expires_at": NOW, "student": student})
    if path == "/api/v1/sessions/current" and request.method == "DELETE":
        return httpx.Response(204)
    if path == "/api/v1/me/record":
        return httpx.Response(200, json=record_json())
    if path == "/api/v1/me/photo-link":
        return httpx.Response(201, json={"url": f"{BASE}/p/signed", "expires_at": NOW})
    if path.endswith("/photo.jpg") or path == "/api/v1/me/photo":
        return httpx.Response(200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"})
    if path == "/api/v1/verifications":
        return httpx.Response(201, json=receipt_json())
    if path == "/api/v1/terminals/heartbeat":
        return httpx.Response(200, json={"server_time": NOW, "terminal_name": "A-07", "lab": "A"})
    return problem(404, "not_found")


def verification() -> VerificationRequest:
    return VerificationRequest(
        result_id=uuid.uuid4(),
        ticket="ticket-abc",
        record_version=2,
        fields=[FieldDecision(key=key, verdict="correct") for key in FIELD_KEYS],
        photo=PhotoDecision(verdict="correct"),
        started_at=dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC),
        finished_at=dt.datetime(2025, 5, 1, 8, 5, tzinfo=dt.UTC),
    )


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
async def client(server: Server) -> AsyncIterator[ApiClient]:
    api = ApiClient(BASE, TERMINAL_KEY, timeout_s=2.0, transport=httpx.MockTransport(server))
    yield api
    await api.aclose()


async def logged_in(client: ApiClient) -> ApiClient:
    await client.login("student@example.edu", PASSWORD)
    return client


# --- headers ---------------------------------------------------------------------------


async def test_every_request_carries_the_terminal_key(client: ApiClient, server: Server) -> None:
    await client.health()
    await client.login("student@example.edu", PASSWORD)
    await client.record()
    await client.photo_link()
    await client.photo()
    await client.submit(verification(), str(uuid.uuid4()))
    await client.heartbeat(HeartbeatRequest(state="idle"))
    await client.logout()
    assert len(server.requests) == 8
    assert all(r.headers.get("Terminal-Key") == TERMINAL_KEY for r in server.requests)


async def test_bearer_after_login_and_none_after_logout(client: ApiClient, server: Server) -> None:
    await client.record()
    assert "Authorization" not in server.last.headers

    session = await client.login("student@example.edu", PASSWORD)
    assert session.student.student_no == "2021001"
    assert client.token == TOKEN
    assert "Authorization" not in server.last.headers
    assert json.loads(server.last.content) == {
        "username": "student@example.edu",
        "password": PASSWORD,
    }

    await client.record()
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"
    await client.photo_link()
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"

    await client.logout()
    assert (server.last.method, server.last.url.path) == ("DELETE", "/api/v1/sessions/current")
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert client.token is None

    await client.record()
    assert "Authorization" not in server.last.headers


async def test_logout_without_a_token_sends_nothing(client: ApiClient, server: Server) -> None:
    await client.logout()
    assert server.requests == []


async def test_forget_student_drops_the_token_without_a_request(
    client: ApiClient, server: Server
) -> None:
    await logged_in(client)
    client.forget_student()
    assert client.token is None
    assert len(server.requests) == 1


# --- submission -----------------------------------------------------------------------


async def test_submit_sends_key_and_the_exact_body(client: ApiClient, server: Server) -> None:
    await logged_in(client)
    request = verification()
    key = str(uuid.uuid4())
    # Formatted differently from model_dump_json, so a re-serialised body would show.
    body = json.dumps(request.model_dump(mode="json"), indent=2, ensure_ascii=False).encode()

    receipt, replayed = await client.submit(request, key, body)

    sent = server.last
    assert (sent.method, sent.url.path) == ("POST", "/api/v1/verifications")
    assert sent.headers["Idempotency-Key"] == key
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.content == body
    # The ticket authorises it; the outbox must be able to deliver after logout.
    assert "Authorization" not in sent.headers
    assert receipt.receipt_no == "R-2025-000123"
    assert replayed is False


async def test_submit_without_body_sends_the_model_json(client: ApiClient, server: Server) -> None:
    request = verification()
    await client.submit(request, str(uuid.uuid4()))
    assert server.last.content == request.model_dump_json().encode()


@pytest.mark.parametrize(("header", "replayed"), [("true", True), ("false", False), (None, False)])
async def test_submit_reports_a_replay(
    client: ApiClient, server: Server, header: str | None, replayed: bool
) -> None:
    headers = {"Idempotent-Replayed": header} if header else {}
    server.handler = lambda _: httpx.Response(200, json=receipt_json(), headers=headers)
    receipt, was_replayed = await client.submit(verification(), str(uuid.uuid4()))
    assert was_replayed is replayed
    assert receipt.receipt_no == "R-2025-000123"


async def test_heartbeat_sends_the_state(client: ApiClient, server: Server) -> None:
    beat = HeartbeatRequest(state="in_use", step="fields", student_masked="张*", results_waiting=2)
    answer = await client.heartbeat(beat)
    assert answer.terminal_name == "A-07"
    assert json.loads(server.last.content) == beat.model_dump(mode="json")


# --- photos ---------------------------------------------------------------------------


async def test_the_photo_is_fetched_over_the_api_with_the_students_token(
    client: ApiClient, server: Server
) -> None:
    await logged_in(client)
    data = await client.photo()
    assert data == b"\xff\xd8jpeg"
    assert str(server.last.url) == f"{BASE}/api/v1/me/photo"
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Terminal-Key" in server.last.headers


async def test_photo_that_is_not_an_image_is_a_bad_response(
    client: ApiClient, server: Server
) -> None:
    await logged_in(client)
    server.handler = lambda _: httpx.Response(200, html="<p>login portal</p>")
    with pytest.raises(ApiError) as caught:
        await client.photo()
    assert caught.value.code == "bad_response"


# --- errors ---------------------------------------------------------------------------


async def test_problem_json_becomes_an_api_error_with_its_extensions(
    client: ApiClient, server: Server
) -> None:
    server.handler = lambda _: problem(401, "invalid_credentials", attempts_left=2)
    with pytest.raises(ApiError) as caught:
        await client.login("student@example.edu", "wrong")
    error = caught.value
    assert (error.status, error.code) == (401, "invalid_credentials")
    assert isinstance(error.problem, ProblemDetails)
    assert error.problem.model_extra == {"attempts_left": 2}
    assert "2 attempts left" in error.message.en
    assert not error.retryable
    assert client.token is None


@pytest.mark.parametrize(
    ("response", "status", "code", "retryable"),
    [
        (problem(409, "request_in_progress"), 409, "request_in_progress", True),
        (problem(409, "record_changed", record_version=3), 409, "record_changed", False),
        (problem(429, "rate_limited"), 429, "rate_limited", True),
        (problem(503, "internal_error"), 503, "internal_error", True),
        (problem(422, "idempotency_key_reused"), 422, "idempotency_key_reused", False),
        (httpx.Response(500, text="Internal Server Error"), 500, "internal_error", True),
        (httpx.Response(502, html="<h1>Bad Gateway</h1>"), 502, "internal_error", True),
        (httpx.Response(429), 429, "rate_limited", True),
        (httpx.Response(404, text="Not Found"), 404, "bad_response", False),
        (httpx.Response(400, json={"detail": "no code here"}), 400, "bad_response", False),
        (httpx.Response(400, json=["not", "an", "object"]), 400, "bad_response", False),
    ],
)
async def test_error_answers_map_to_codes(
    client: ApiClient,
    server: Server,
    response: httpx.Response,
    status: int,
    code: str,
    retryable: bool,
) -> None:
    server.handler = lambda _: response
    with pytest.raises(ApiError) as caught:
        await client.submit(verification(), str(uuid.uuid4()))
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.retryable is retryable


async def test_a_code_without_a_valid_problem_document_is_still_used(
    client: ApiClient, server: Server
) -> None:
    server.handler = lambda _: httpx.Response(423, json={"code": "account_locked"})
    with pytest.raises(ApiError) as caught:
        await client.login("student@example.edu", PASSWORD)
    assert (caught.value.status, caught.value.code, caught.value.problem) == (
        423,
        "account_locked",
        None,
    )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"status": "fine"}),
        httpx.Response(200, text="<html>captive portal</html>"),
    ],
)
async def test_a_2xx_that_does_not_parse_is_a_bad_response(
    client: ApiClient, server: Server, response: httpx.Response
) -> None:
    server.handler = lambda _: response
    with pytest.raises(ApiError) as caught:
        await client.health()
    assert (caught.value.status, caught.value.code) == (200, "bad_response")
    assert not caught.value.retryable


async def test_redirects_are_not_followed(client: ApiClient, server: Server) -> None:
    server.handler = lambda _: httpx.Response(302, headers={"Location": "http://evil.test/"})
    with pytest.raises(ApiError) as caught:
        await client.health()
    assert (caught.value.status, caught.value.code) == (302, "bad_response")
    assert len(server.requests) == 1


def raising(exc: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("simulated", request=request)

    return handler


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx.ConnectError, "server_unreachable"),
        (httpx.RemoteProtocolError, "server_unreachable"),
        (httpx.ReadTimeout, "timeout"),
        (httpx.ConnectTimeout, "timeout"),
    ],
)
async def test_network_failures_map_to_kiosk_codes(
    client: ApiClient, server: Server, exc: type[httpx.TransportError], code: str
) -> None:
    server.handler = raising(exc)
    with pytest.raises(ApiError) as caught:
        await client.record()
    assert (caught.value.status, caught.value.code, caught.value.problem) == (0, code, None)
    assert caught.value.retryable
    assert "保留" in caught.value.message.zh


async def test_logout_forgets_the_token_when_the_server_is_unreachable(
    client: ApiClient, server: Server
) -> None:
    await logged_in(client)
    server.handler = raising(httpx.ConnectError)
    await client.logout()
    assert client.token is None
    assert len(server.requests) == 2


async def test_logout_forgets_the_token_when_the_server_fails(
    client: ApiClient, server: Server
) -> None:
    await logged_in(client)
    server.handler = lambda _: problem(500, "internal_error")
    await client.logout()
    assert client.token is None


@pytest.mark.parametrize("code", ["session_expired", "unauthenticated"])
async def test_a_dead_session_forgets_the_token(
    client: ApiClient, server: Server, code: str
) -> None:
    await logged_in(client)
    server.handler = lambda _: problem(401, code)
    with pytest.raises(ApiError) as caught:
        await client.record()
    assert caught.value.code == code
    assert client.token is None


async def test_a_stale_dead_session_answer_keeps_the_next_students_token(
    client: ApiClient, server: Server
) -> None:
    await logged_in(client)

    def expire_while_another_logs_in(request: httpx.Request) -> httpx.Response:
        client._token = "next-students-token"
        return problem(401, "session_expired")

    server.handler = expire_while_another_logs_in
    with pytest.raises(ApiError):
        await client.record()
    assert client.token == "next-students-token"


async def test_a_401_on_a_terminal_request_keeps_the_token(
    client: ApiClient, server: Server
) -> None:
    await logged_in(client)
    server.handler = lambda _: problem(401, "unauthenticated")
    with pytest.raises(ApiError):
        await client.heartbeat(HeartbeatRequest(state="in_use"))
    assert client.token == TOKEN


async def test_other_errors_keep_the_token(client: ApiClient, server: Server) -> None:
    await logged_in(client)
    server.handler = lambda _: problem(403, "window_closed", closes_at=NOW)
    with pytest.raises(ApiError):
        await client.record()
    assert client.token == TOKEN


@pytest.mark.parametrize(
    ("username", "password"), [("", PASSWORD), ("a@b.c", ""), ("a@b.c", "x" * 257)]
)
async def test_login_input_the_server_would_refuse_is_not_sent(
    client: ApiClient, server: Server, username: str, password: str
) -> None:
    with pytest.raises(ApiError) as caught:
        await client.login(username, password)
    assert (caught.value.status, caught.value.code) == (422, "validation_failed")
    assert server.requests == []


async def test_logs_hold_no_secrets_or_personal_data(
    client: ApiClient, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk")
    await logged_in(client)
    await client.record()
    server.handler = lambda _: problem(401, "session_expired", detail=f"token {TOKEN} expired")
    with pytest.raises(ApiError):
        await client.record()
    server.handler = lambda _: httpx.Response(410, html="gone")
    with pytest.raises(ApiError):
        await client.photo()
    server.handler = raising(httpx.ConnectError)
    with pytest.raises(ApiError):
        await client.login("student@example.edu", PASSWORD)

    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("kiosk"))
    assert "session_expired" in logged  # the log is useful ...
    for secret in (
        TOKEN,
        PASSWORD,
        TERMINAL_KEY,
        "signed-link-token",
        "student@example.edu",
        "张三",
    ):
        assert secret not in logged  # ... and holds nothing it must not
