"""The served OpenAPI document describes the server's refusals (server.openapi)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from kiosk.protocol.base import PROBLEM_MEDIA_TYPE, TERMINAL_KEY_HEADER
from server.app import create_app
from server.openapi import (
    LINK_REFUSALS,
    PAGE_STATUSES,
    PROBLEM_REF,
    allowed_methods,
    describe_refusals,
)
from tests.server.conftest import World, test_settings

PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
PHOTO_PAGE, PHOTO_JPEG = "/p/{token}", "/p/{token}/photo.jpg"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """A demo app (every router, the demo mailbox too); building the document needs no DB."""
    path = tmp_path_factory.mktemp("openapi") / "unused.db"
    return create_app(test_settings(f"sqlite+aiosqlite:///{path}", demo=True))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    """The document as the app serves it."""
    return app.openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def is_authenticated(operation: dict[str, Any]) -> bool:
    """Reads a Terminal-Key header or the bearer token."""
    headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
    bearer = any("HTTPBearer" in s for s in operation.get("security", []))
    return TERMINAL_KEY_HEADER in headers or bearer


def test_every_refusal_is_a_problem_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {"ProblemDetails", "FieldError"} <= set(schemas)
    assert set(schemas["ProblemDetails"]["required"]) >= {"status", "code", "title"}
    checked = 0
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            pages = PAGE_STATUSES.get(path, {"403": False, "410": False})
            if path in LINK_REFUSALS and status in pages:
                if pages[status]:  # a page, or a problem document from before the route
                    assert PROBLEM_CONTENT.items() <= response["content"].items()
                    assert "text/html" in response["content"], (method, path, status)
                continue  # the links' pages, below
            if (method, path, status) == ("GET", "/health", "503"):
                assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Health")
                continue
            assert response["content"] == PROBLEM_CONTENT, (method, path, status)
            assert response["description"], (method, path, status)
            checked += 1
    assert checked > 100


def test_authenticated_operations_declare_401(document: dict[str, Any]) -> None:
    authenticated = [
        (method, path, operation)
        for method, path, operation in operations(document)
        if is_authenticated(operation)
    ]
    assert len(authenticated) > 25
    for method, path, operation in authenticated:
        assert "401" in operation["responses"], (method, path)
    # Operations that need no credentials do not claim 401 (the staff login's own 401 is a
    # wrong password).
    for method, path, operation in operations(document):
        if not is_authenticated(operation) and path != "/api/v1/staff/sessions":
            assert "401" not in operation["responses"], (method, path)


def test_body_and_id_refusals_are_declared(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        body = operation.get("requestBody", {}).get("content", {})
        # The body limit reads every request's declared length: any operation may refuse one.
        assert {"400", "413"} <= set(responses), (method, path)
        if "application/json" in body:
            assert "422" in responses, (method, path)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, (method, path)


def test_role_limited_staff_operations_declare_403(document: dict[str, Any]) -> None:
    board = document["paths"]["/api/v1/staff/board"]["get"]["responses"]["403"]
    assert "`forbidden`" in board["description"]
    assert "`proctor`" in board["description"] and "`registrar`" in board["description"]
    assert "`college_office`" not in board["description"]
    assert board["content"] == PROBLEM_CONTENT
    imports = document["paths"]["/api/v1/staff/imports/records"]["post"]["responses"]["403"]
    assert "only for `registrar`" in imports["description"]
    # Every staff member may ask who is logged in: no role refusal to declare.
    assert "403" not in document["paths"]["/api/v1/staff/me"]["get"]["responses"]


def test_fastapi_validation_models_are_gone(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert "#/components/schemas/ValidationError" not in text
    assert "ValidationError" not in document["components"]["schemas"]


def test_declared_descriptions_are_kept(document: dict[str, Any]) -> None:
    login = document["paths"]["/api/v1/sessions"]["post"]["responses"]["401"]["description"]
    assert login.startswith("`invalid_credentials`")
    assert "`terminal_key_missing`" in login
    verify = document["paths"]["/api/v1/registrations/{registration_id}/verify"]["post"]
    assert verify["responses"]["404"]["description"].startswith("`not_found`: unknown")


def test_photo_link_refusals_are_pages(document: dict[str, Any]) -> None:
    page = document["paths"][PHOTO_PAGE]["get"]["responses"]
    jpeg = document["paths"][PHOTO_JPEG]["get"]["responses"]
    for status in ("403", "410"):
        assert list(page[status]["content"]) == ["text/html"]
        assert "content" not in jpeg[status]
        assert page[status]["description"] and jpeg[status]["description"]


def test_describe_refusals_leaves_its_input_alone(app: FastAPI) -> None:
    raw = FastAPI(title="t", version="1")
    raw.router.routes.extend(app.router.routes)
    original = raw.openapi()
    before = copy.deepcopy(original)
    described = describe_refusals(original)
    assert original == before
    assert described["components"]["schemas"]["ProblemDetails"]
    assert describe_refusals(described) == described  # a second pass changes nothing


async def test_served_document_and_answers_agree(world: World) -> None:
    served = (await world.client.get("/openapi.json")).json()
    assert served == world.app.openapi()
    assert "HTTPValidationError" not in json.dumps(served)

    page = await world.client.get("/p/not-a-token")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    jpeg = await world.client.get("/p/not-a-token/photo.jpg")
    assert jpeg.status_code == 403
    assert jpeg.content == b""
    assert "content-type" not in jpeg.headers
    assert jpeg.headers["cache-control"] == "no-store"

    unreadable = await world.client.post(
        "/api/v1/staff/sessions", content=b'"\xff"', headers={"content-type": "application/json"}
    )
    assert unreadable.status_code == 400
    assert unreadable.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert unreadable.json()["code"] == "bad_request"


async def test_405_allows_every_method_of_the_path(world: World) -> None:
    # GET and POST of this path are two routes; Starlette alone names only the first.
    response = await world.client.request("OPTIONS", "/api/v1/staff/supervised-sessions")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["code"] == "method_not_allowed"
    single = await world.client.delete("/api/v1/me/record")
    assert single.status_code == 405
    assert single.headers["allow"] == "GET"
    # A concrete path is its own resource, not a value of the templated one beside it.
    bulk = await world.client.request("OPTIONS", "/api/v1/staff/corrections/bulk")
    assert bulk.status_code == 405
    assert bulk.headers["allow"] == "POST"
    # A path the document does not describe keeps Starlette's own header.
    docs = await world.client.post("/docs")
    assert docs.status_code == 405
    assert docs.headers["allow"] in ("GET, HEAD", "HEAD, GET")


def test_allowed_methods_prefer_the_concrete_path(document: dict[str, Any]) -> None:
    assert allowed_methods(document, "/api/v1/staff/corrections/bulk") == ["POST"]
    assert allowed_methods(document, "/api/v1/staff/corrections/7") == ["GET"]
    assert allowed_methods(document, "/api/v1/staff/supervised-sessions") == ["GET", "POST"]
    assert allowed_methods(document, "/p/abc/photo.jpg") == ["GET"]
    assert allowed_methods(document, "/nowhere") == []
