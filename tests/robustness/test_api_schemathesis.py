"""Schemathesis against the server's own OpenAPI document: no 5xx, every answer as documented.

The app runs in-process (ASGI) on a fresh migrated SQLite database with one terminal, one
student with an account and one registrar. Requests carry the terminal key and, depending on
the path, the student's or the registrar's bearer token, so generated requests reach the
business logic instead of stopping at 401. A logout operation revokes the token it was sent
with; the tokens are renewed after every such call.

Deliberate exceptions (the README's API section lists the same):

- ``positive_data_acceptance`` is not applied where the contract answers a schema-valid
  request with a documented refusal that the check counts as "rejected valid data":
  ``POST /api/v1/verifications`` (422 ``validation_failed`` for a proposed value the field's
  validator refuses, 422 ``idempotency_key_reused``, 403 ``ticket_invalid`` for a generated
  ticket, 409 ``record_changed``/``result_conflict``), the logins (423 ``account_locked``),
  and the registration endpoints (422 for identities that match no record, 429 throttling).
  Every other check, and ``not_a_server_error`` everywhere, stays on.

Refusals are checked like successes: the document (``server.openapi``) gives every 4xx its
status, ``application/problem+json`` content and the ``ProblemDetails`` schema (401 wherever a
``Terminal-Key`` or bearer token is read, 400/413 where a JSON body is, 404 where the path has
an id), so a refusal that is undocumented, or not a problem document with a ``code``, fails.
The photo link's 403/410 are the documented exceptions to the problem format: an HTML page
for ``GET /p/{token}``, no body for ``/p/{token}/photo.jpg``. A 405 lists in ``Allow`` every
method the document gives its path, and is checked so.

It found one server bug, since fixed: an aware datetime whose UTC conversion leaves the
datetime range (``0001-01-01T00:00:00+14:00``) was schema-valid but answered 500 when stored;
requests now refuse it with 422 (``kiosk.protocol.Instant``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode
from schemathesis.python.asgi import ASGIClient, get_client
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from kiosk.protocol.base import TERMINAL_KEY_HEADER
from server.app import create_app
from server.migrate import migrate
from server.models import Account, Student
from server.seed import add_photo
from server.terminals import add_terminal
from tests.server.conftest import PASSWORD, record, test_settings, tiny_jpeg

pytestmark = pytest.mark.timeout(240)

STUDENT = "student@example.edu.cn"
REGISTRAR = "registrar@example.edu.cn"
MAX_EXAMPLES = 25
"""Per operation; about 30 operations keep the whole module well under two minutes."""

# Operations whose documented refusals of schema-valid input the check would flag (see above).
REFUSES_VALID_INPUT = {
    ("POST", "/api/v1/verifications"),
    ("POST", "/api/v1/sessions"),
    ("POST", "/api/v1/staff/sessions"),
    ("POST", "/api/v1/registrations"),
    ("POST", "/api/v1/registrations/{registration_id}/verify"),
    ("POST", "/api/v1/registrations/{registration_id}/resend"),
}
LOGOUTS = {"/api/v1/sessions/current", "/api/v1/staff/sessions/current"}

# The import bodies are files: sent as the raw bytes generated for their binary schema.
schemathesis.serializer.alias(
    ["application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    "application/octet-stream",
)


class Api:
    """The running app, its test client and the credentials of the seeded accounts."""

    def __init__(self, client: ASGIClient, terminal_key: str) -> None:
        self.client = client
        self.terminal_key = terminal_key
        self.student_token = ""
        self.staff_token = ""
        self.renew()

    def renew(self) -> None:
        """Log both accounts in again (after a generated logout revoked a token)."""
        key = {TERMINAL_KEY_HEADER: self.terminal_key}
        login = {"username": STUDENT, "password": PASSWORD}
        student = self.client.post("/api/v1/sessions", json=login, headers=key)
        assert student.status_code == 201, student.text
        self.student_token = student.json()["token"]
        staff = {"username": REGISTRAR, "password": PASSWORD}
        registrar = self.client.post("/api/v1/staff/sessions", json=staff)
        assert registrar.status_code == 201, registrar.text
        self.staff_token = registrar.json()["token"]

    def headers(self, path: str) -> dict[str, str]:
        """The terminal key, and the bearer token that fits the path."""
        token = self.staff_token if path.startswith("/api/v1/staff/") else self.student_token
        return {TERMINAL_KEY_HEADER: self.terminal_key, "Authorization": f"Bearer {token}"}


async def _seed(app: Any) -> str:
    ctx = app.state.ctx
    async with ctx.db.sessions.begin() as session:
        _terminal, key = await add_terminal(session, "A101", "t01")
        student = Student(**record(1), record_version=1, photo_version=0)
        student.window_closes_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        session.add(student)
        await session.flush()
        await add_photo(session, student, tiny_jpeg())
        password_hash = ctx.passwords.hash_sync(PASSWORD)
        session.add(Account(username=STUDENT, password_hash=password_hash, student_id=student.id))
        session.add(Account(username=REGISTRAR, password_hash=password_hash, role="registrar"))
    # The pool's connection belongs to this loop; the app's requests run on another.
    await ctx.db.engine.dispose()
    return str(key)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A migrated SQLite database, the app on it (lifespan running), seeded accounts."""
    import asyncio

    path: Path = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite+aiosqlite:///{path}/api.db"
    asyncio.run(migrate(url))
    # The real clock: tickets and windows are checked against it. The accounts log in again
    # after every generated logout, more often than one terminal or address may; the limits
    # have their own tests (tests/server/test_rate_limit.py).
    unlimited = {"terminal_attempts_per_minute": 10**6, "staff_login_attempts_per_minute": 10**6}
    app = create_app(test_settings(url, **unlimited))
    key = asyncio.run(_seed(app))
    # Schemathesis' own in-process client: it runs the app's lifespan once, on its own
    # event loop, and every request of the module (ours and the generated ones) goes there.
    # (Its ASGI type says dict where Starlette says MutableMapping; the app is a real ASGI app.)
    with get_client(cast(Any, app)) as client:
        yield Api(client, key)


@pytest.fixture(scope="module")
def api_schema(api: Api) -> Any:
    """The OpenAPI document as the app serves it, bound to the app for in-process calls.

    Read through the module's client (``from_asgi`` would do the same with a client of its
    own); the generated requests then reuse that client.
    """
    loaded = schemathesis.openapi.from_dict(api.client.get("/openapi.json").json())
    # Both modes on every operation, whatever the installed version's default: positive data
    # must be answered as documented, negative data (out of range, too long, wrong type)
    # refused with a documented 4xx, never a 5xx.
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    # Negative data may be a body past the size limit: 413 refuses it as surely as 422.
    rejection = loaded.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    loaded.app = api.client.app
    loaded.location = "/openapi.json"
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case: Any, api: Api) -> None:
    """No 5xx; status, headers, content type and body as the OpenAPI document says."""
    path = case.operation.path
    excluded = []
    if (case.method.upper(), path) in REFUSES_VALID_INPUT:
        excluded.append(positive_data_acceptance)
    # Valid credentials, so that negative data reaches validation instead of stopping at
    # 401; a case whose headers are negative (a missing Authorization, an overlong
    # Terminal-Key) is sent exactly as generated.
    meta = case.meta
    headers = {} if meta and meta.is_negative_at(ParameterLocation.HEADER) else api.headers(path)
    if meta and meta.is_negative_at(ParameterLocation.QUERY):
        # Negative query data includes parameters the operation does not declare, which the
        # server ignores (as HTTP servers do); out-of-range values of the declared ones are
        # refused, and tests/security/test_bounds.py holds every operation to that.
        excluded.append(negative_data_rejection)
    # Generated headers (a random Terminal-Key, Idempotency-Key, …) win over the defaults.
    headers.update(case.headers or {})
    try:
        response = case.call(session=api.client, headers=headers)
    finally:
        if path in LOGOUTS and case.method.upper() == "DELETE":
            api.renew()
    # Every check but the exclusions above, for refusals as for successes.
    case.validate_response(response, excluded_checks=excluded)
