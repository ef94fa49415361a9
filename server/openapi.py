"""What the served OpenAPI document says about refusals, and the ``Allow`` of a 405.

FastAPI documents what the routes declare: their successes, a few refusals without a body,
and a 422 ``HTTPValidationError`` the server never sends. The server's real refusals are
RFC 9457 problem documents (:mod:`server.problems`), answered by dependencies and middleware
the routes do not mention (the terminal key, the bearer token, the body limit). :func:`install`
makes ``/openapi.json`` say so, from what each operation's parameters, body and security show,
so the routers stay as they are and a new route is described by the same rules.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kiosk.protocol.base import PROBLEM_MEDIA_TYPE, TERMINAL_KEY_HEADER, ProblemDetails, StaffRole

PROBLEM_REF = "#/components/schemas/ProblemDetails"
BEARER_SCHEME = "HTTPBearer"
"""The name FastAPI gives the security scheme of :data:`server.auth.Bearer`."""
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_REF_PREFIX = "#/components/schemas/"

TERMINAL_KEY_CODES = "`terminal_key_missing`, `terminal_key_invalid`"
BEARER_CODES = "`unauthenticated`, `session_expired`"
ADDED: dict[str, str] = {
    "400": "`bad_request`: the body cannot be read (e.g. it is not UTF-8), or its "
    "`Content-Length` is not a number; JSON that does not parse is 422 `validation_failed` "
    "with code `json_invalid`",
    "404": "`not_found`: nothing has this id (also any path that names nothing)",
    "413": "`body_too_large`: the body, declared or sent, is over the server's "
    "`max_body_bytes` (any request may carry one)",
}
"""Descriptions of the refusals this module adds (401 is built from the credentials read)."""
MALFORMED_LENGTH = "`bad_request`: a `Content-Length` that is not a number"
"""The 400 every operation may answer: the body limit reads the declared length first."""

_HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
LINK_REFUSALS: dict[str, dict[str, Any] | None] = {
    # The photo page is opened on a phone from the QR code: a tampered (403) or expired (410)
    # link answers a small HTML page saying so, which the phone's browser shows as it is.
    "/p/{token}": _HTML_PAGE,
    # The JPEG is only ever loaded by that page's <img>, which cannot show a problem document
    # (and the page around it already explains the refusal), so 403/410 have no body at all:
    # the smallest answer for a phone on a weak connection, and nothing a browser could
    # mistake for an image or offer to download.
    "/p/{token}/photo.jpg": None,
    # The proof upload page and its form post (server.proofs.page): a closed link, and a
    # photo refused for its size, type or content, are pages the phone shows.
    "/u/{token}": _HTML_PAGE,
}
"""Operations for browsers: their 403/410 are pages (or nothing), not problem documents."""
PAGE_STATUSES: dict[str, dict[str, bool]] = {
    "/u/{token}": {"403": False, "410": False, "415": False, "413": True, "422": True},
}
"""Per page, its refusals that are pages, and whether a problem document may come instead
(413 past the server's upload limit, 422 for a path the route never sees); other pages:
403 and 410, pages only."""

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
"""The order an ``Allow`` header lists methods in."""


def problem_schemas() -> dict[str, Any]:
    """``ProblemDetails`` and the models it uses, as OpenAPI components."""
    _, top = models_json_schema(
        [(ProblemDetails, "serialization")], ref_template=_REF_PREFIX + "{model}"
    )
    schemas: dict[str, Any] = top["$defs"]
    schemas["ProblemDetails"]["description"] = (
        "An RFC 9457 problem document, sent as `application/problem+json` with every refusal. "
        "`code` is stable (the README lists them); members beyond these are extensions of "
        "that code (e.g. `attempts_left`, `record_version`)."
    )
    return schemas


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}


def _credential_codes(operation: dict[str, Any]) -> list[str]:
    """The 401 codes an operation can answer, from the credentials it reads."""
    codes: list[str] = []
    headers = {
        p["name"].lower() for p in operation.get("parameters", []) if p.get("in") == "header"
    }
    if TERMINAL_KEY_HEADER.lower() in headers:
        codes.append(TERMINAL_KEY_CODES)
    if any(BEARER_SCHEME in requirement for requirement in operation.get("security", [])):
        codes.append(BEARER_CODES)
    return codes


def _reads_json(operation: dict[str, Any]) -> bool:
    content = operation.get("requestBody", {}).get("content", {})
    return any(media == "application/json" or media.endswith("+json") for media in content)


def _has_path_parameter(operation: dict[str, Any]) -> bool:
    return any(p.get("in") == "path" for p in operation.get("parameters", []))


def _codes(description: str) -> set[str]:
    """The `code`s a description names before its explanation."""
    return set(re.findall(r"`([a-z_]+)`", description.split(":")[0]))


def _mention(responses: dict[str, Any], status: str, description: str) -> None:
    """Document ``status``; a response the route declared keeps its description, with the
    added codes after it unless it names them already."""
    response = responses.setdefault(status, {"description": description})
    existing: str = response.get("description", "")
    if not _codes(description) <= _codes(existing):
        response["description"] = f"{existing}; also {description}" if existing else description


def _is_fastapi_default(content: dict[str, Any] | None) -> bool:
    """True when FastAPI filled the content in: none, an empty schema, or its 422 model."""
    if not content:
        return True
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        if media.get("schema") and ref.removeprefix(_REF_PREFIX) not in _FASTAPI_VALIDATION:
            return False
    return True


def _describe_operation(path: str, operation: dict[str, Any], roles: tuple[str, ...]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    codes = _credential_codes(operation)
    if codes:
        _mention(responses, "401", "; ".join(codes))
    if roles:
        named = ", ".join(f"`{role}`" for role in roles)
        _mention(responses, "403", f"`forbidden`: only for {named} (audited as denied)")
    _mention(responses, "400", ADDED["400"] if _reads_json(operation) else MALFORMED_LENGTH)
    if _has_path_parameter(operation):
        _mention(responses, "404", ADDED["404"])
    _mention(responses, "413", ADDED["413"])
    for status, response in responses.items():
        if status[:1] not in ("4", "5"):
            continue
        statuses = PAGE_STATUSES.get(path, {"403": False, "410": False})
        if path in LINK_REFUSALS and status in statuses:
            page = LINK_REFUSALS[path]
            if page is None:
                response.pop("content", None)
            else:
                either = _problem_content() if statuses[status] else {}
                response["content"] = copy.deepcopy(page) | either
        elif _is_fastapi_default(response.get("content")):
            # A schema the route declared (the degraded /health answer) stays; everything
            # else the server answers through server.problems.
            response["content"] = _problem_content()


def _drop_unused(document: dict[str, Any]) -> None:
    """Remove FastAPI's validation models once nothing refers to them."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    # HTTPValidationError first: it is what refers to ValidationError.
    for name in _FASTAPI_VALIDATION:
        others = {key: value for key, value in schemas.items() if key != name}
        rest = {**document, "components": {**document["components"], "schemas": others}}
        if json.dumps(f"{_REF_PREFIX}{name}") not in json.dumps(rest):
            schemas.pop(name, None)


def describe_refusals(
    document: dict[str, Any], roles: dict[tuple[str, str], tuple[str, ...]] | None = None
) -> dict[str, Any]:
    """A copy of FastAPI's ``document`` whose operations document the server's refusals.

    Every 4xx/5xx answer is an ``application/problem+json`` ``ProblemDetails`` (except the
    photo link's browser pages); operations that read a ``Terminal-Key`` or a bearer token
    declare 401, every operation 413 and 400 (a JSON body that cannot be read, or for any
    request a ``Content-Length`` that is not a number), those with a path
    parameter 404, and those ``roles`` limits (by path and lower-case method, see
    :func:`staff_roles`) 403.
    """
    roles = roles or {}
    document = copy.deepcopy(document)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in problem_schemas().items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"component {name!r} already means something else")
        schemas[name] = schema
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _describe_operation(path, operation, roles.get((path, method), ()))
    _drop_unused(document)
    return document


def _limited_to(dependant: Dependant) -> tuple[str, ...]:
    """The staff roles a route's dependencies allow, or () when no role is required."""
    for dependency in dependant.dependencies:
        roles: tuple[str, ...] = getattr(dependency.call, "staff_roles", ())
        if roles or (roles := _limited_to(dependency)):
            return roles
    return ()


def staff_roles(app: FastAPI) -> dict[tuple[str, str], tuple[str, ...]]:
    """(path, method) → roles, for every route guarded by :func:`server.staff.staff_with`
    with fewer than all staff roles (any other staff member gets 403 ``forbidden``)."""
    every = set(get_args(StaffRole))
    limited: dict[tuple[str, str], tuple[str, ...]] = {}
    # The routes as the document sees them, with the prefixes of included routers applied.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        roles = _limited_to(route.dependant)
        if roles and set(roles) != every:
            path: str = getattr(context, "path_format", route.path_format)
            for method in getattr(context, "methods", None) or route.methods or ():
                limited[(path, method.lower())] = roles
    return limited


def _template_pattern(template: str) -> re.Pattern[str]:
    """A document path (``/p/{token}``) as a regex over request paths, one segment a parameter."""
    parts = re.split(r"(\{[^/}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


def allowed_methods(document: dict[str, Any], path: str) -> list[str]:
    """The methods the document gives the resource at ``path`` (none if it names none).

    As OpenAPI matches URLs, a concrete path wins over a templated one: ``/…/corrections/bulk``
    is its own resource (POST), not a ``/…/corrections/{correction_id}`` (GET).
    """
    found: list[tuple[int, set[str]]] = []
    for template, item in document.get("paths", {}).items():
        if _template_pattern(template).fullmatch(path):
            found.append((template.count("{"), {method.upper() for method in item}))
    if not found:
        return []
    concrete = min(count for count, _ in found)
    methods: set[str] = set().union(*(methods for count, methods in found if count == concrete))
    return [method for method in _METHODS if method in methods]


ExceptionHandler = Callable[[Request, Exception], Any]


def _allow_every_method(app: FastAPI, previous: ExceptionHandler) -> ExceptionHandler:
    """Wrap the HTTP error handler so a 405's ``Allow`` names every method of the resource.

    Starlette answers 405 with the methods of the first route whose path matches, so a
    resource served by two routes (``GET`` and ``POST …/supervised-sessions``) advertised
    only one, and ``…/corrections/bulk`` the ``GET`` of ``…/corrections/{correction_id}``.
    The document is the list of resources and their methods that clients read, so the
    header follows it; a path it does not describe (``/docs``) keeps Starlette's header.
    """

    async def on_http(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            path: str = request.scope["path"]
            root: str = request.scope.get("root_path", "")
            methods = allowed_methods(app.openapi(), path.removeprefix(root) or "/")
            if methods:
                headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
                exc = StarletteHTTPException(405, exc.detail, headers=headers)
        answer = previous(request, exc)
        result: Response = await answer if inspect.isawaitable(answer) else answer
        return result

    return on_http


def install(app: FastAPI) -> None:
    """Serve :func:`describe_refusals` of FastAPI's document (built once, on first use), and
    make a 405's ``Allow`` list the methods the document gives the resource.

    Call after :func:`server.problems.install_handlers`, whose HTTP error handler is wrapped.
    """
    generate = app.openapi  # FastAPI's own: builds the document from the routes
    described: dict[str, Any] | None = None

    def openapi() -> dict[str, Any]:
        nonlocal described
        if described is None:
            described = describe_refusals(generate(), staff_roles(app))
            app.openapi_schema = described
        return described

    app.openapi = openapi  # type: ignore[method-assign]
    previous = app.exception_handlers[StarletteHTTPException]
    app.add_exception_handler(StarletteHTTPException, _allow_every_method(app, previous))
