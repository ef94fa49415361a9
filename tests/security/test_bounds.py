"""Every input is bounded: each integer to what the database holds, each string and list to a
maximum. The served OpenAPI document says so for every operation, and every operation answers
an out-of-range integer, an overlong string or list with 4xx (never 5xx, never a dropped
connection), each sent inside an otherwise minimal request with valid credentials."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kiosk.protocol.base import DB_INT_MAX
from tests.security.conftest import Hostile

Schema = dict[str, Any]
BAD_INTEGERS = (2**64, -(2**63) - 1, DB_INT_MAX + 1, 0)
UNBOUNDED_LENGTH = 100_000
"""Sent where a string or list declares no maximum (the static test fails first then)."""
UNFORMATTED = ("uuid", "date-time", "date", "binary")
"""String formats whose parser bounds them (a UUID or a moment), or raw file bodies."""


class Document:
    """The served OpenAPI document, with ``$ref`` resolution."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components: dict[str, Schema] = document["components"]["schemas"]

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def choice(self, schema: Schema) -> Schema:
        """The schema itself, or the first non-null alternative of an anyOf/oneOf."""
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [self.resolve(s) for s in schema[key]]
                return self.choice(next(s for s in options if s.get("type") != "null"))
        return schema

    def minimal(self, schema: Schema) -> Any:
        """The smallest instance that fits the schema's declared types and bounds."""
        schema = self.choice(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            required = schema.get("required", [])
            return {
                name: self.minimal(sub)
                for name, sub in schema.get("properties", {}).items()
                if name in required
            }
        if kind == "array":
            return [self.minimal(schema["items"])] * schema.get("minItems", 0)
        if kind in ("integer", "number"):
            return max(schema.get("minimum", 1), 1)
        if kind == "boolean":
            return False
        if kind == "string":
            return {
                "uuid": str(uuid.uuid4()),
                "date-time": dt.datetime.now(dt.UTC).isoformat(),
                "date": dt.date.today().isoformat(),
            }.get(schema.get("format", ""), "a" * max(schema.get("minLength", 1), 1))
        return None

    def hostile(self, schema: Schema) -> Iterator[tuple[str, Any]]:
        """(what, value): the schema's value with one integer, string or list out of range."""
        schema = self.choice(schema)
        kind = schema.get("type")
        if "enum" in schema or "const" in schema:
            return
        if kind == "integer":
            for value in BAD_INTEGERS:
                if not schema.get("minimum", 1) <= value <= schema.get("maximum", DB_INT_MAX):
                    yield f"integer {value}", value
        elif kind == "string" and schema.get("format") not in UNFORMATTED:
            length = schema.get("maxLength", UNBOUNDED_LENGTH - 1) + 1
            yield f"string of {length}", "x" * length
        elif kind == "array":
            item = self.minimal(schema["items"])
            yield "long list", [item] * (schema.get("maxItems", UNBOUNDED_LENGTH - 1) + 1)
            padding = [item] * max(schema.get("minItems", 1) - 1, 0)
            for what, value in self.hostile(schema["items"]):
                yield f"item: {what}", [value, *padding]
        elif kind == "object":
            base = self.minimal(schema)
            for name, sub in schema.get("properties", {}).items():
                for what, value in self.hostile(sub):
                    yield f"{name}: {what}", {**base, name: value}

    def unbounded(self, schema: Schema, where: str) -> Iterator[str]:
        """Where a request schema lacks a bound."""
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                yield from self.unbounded(sub, where)
        kind = schema.get("type")
        if kind == "integer" and not (
            "minimum" in schema and schema.get("maximum", DB_INT_MAX + 1) <= DB_INT_MAX
        ):
            yield f"{where}: integer without minimum and maximum ≤ {DB_INT_MAX}"
        bounded_by_form = (
            "enum" in schema or "const" in schema or schema.get("format") in UNFORMATTED
        )
        if kind == "string" and "maxLength" not in schema and not bounded_by_form:
            yield f"{where}: string without maxLength"
        if kind == "array":
            if "maxItems" not in schema:
                yield f"{where}: array without maxItems"
            yield from self.unbounded(schema.get("items", {}), f"{where}[]")
        for name, sub in schema.get("properties", {}).items():
            yield from self.unbounded(sub, f"{where}.{name}")
        if isinstance(schema.get("additionalProperties"), dict):
            yield f"{where}: open-ended object"

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, methods in self.document["paths"].items():
            for method, operation in methods.items():
                yield method.upper(), path, operation


@pytest.fixture(scope="module")
def document(hostile: Hostile) -> Document:
    """``/openapi.json`` as the running server serves it."""
    return Document(httpx.get(f"{hostile.url}/openapi.json").json())


def _inputs(operation: dict[str, Any]) -> Iterator[tuple[str, str, Schema]]:
    """(where, name, schema) of every parameter and of a JSON body."""
    for parameter in operation.get("parameters", []):
        yield parameter["in"], parameter["name"], parameter["schema"]
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        if media == "application/json":
            yield "body", "body", content["schema"]


def test_every_request_input_declares_its_bounds(document: Document) -> None:
    """Integers within the database's, strings and lists with a maximum: all of them."""
    missing = [
        problem
        for method, path, operation in document.operations()
        for where, name, schema in _inputs(operation)
        for problem in document.unbounded(schema, f"{method} {path} {where}:{name}")
    ]
    assert missing == []


def test_every_operation_refuses_out_of_range_input(hostile: Hostile, document: Document) -> None:
    """Each hostile value, in an otherwise minimal request, is answered 4xx."""
    staff = hostile.staff_headers("registrar")
    student = hostile.student_headers()
    failures: list[str] = []
    sent = 0
    with httpx.Client(base_url=hostile.url, timeout=30) as client:
        for method, path, operation in document.operations():
            inputs = list(_inputs(operation))
            base: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
            body = None
            for where, name, schema in inputs:
                if where == "body":
                    body = document.minimal(schema)
                elif where == "path" or (where == "header" and "Idempotency" in name):
                    base[where][name] = document.minimal(schema)
            credentials = staff if path.startswith("/api/v1/staff/") else student
            for where, name, schema in inputs:
                for what, value in document.hostile(schema):
                    parts = {key: dict(values) for key, values in base.items()}
                    request_body = body
                    if where == "body":
                        request_body = value
                    else:
                        parts[where][name] = value
                    url = path.format(**{k: str(v) for k, v in parts["path"].items()})
                    headers = {**credentials, **{k: str(v) for k, v in parts["header"].items()}}
                    try:
                        answer = client.request(
                            method, url, params={k: str(v) for k, v in parts["query"].items()},
                            headers=headers, json=request_body,
                        )  # fmt: skip
                    except httpx.HTTPError as exc:
                        failures.append(f"{method} {path} {where}:{name} {what}: {exc!r}")
                        continue
                    sent += 1
                    if not 400 <= answer.status_code < 500:
                        failures.append(
                            f"{method} {path} {where}:{name} {what}: {answer.status_code}"
                        )
    assert failures == []
    assert sent > 100  # the walk reached the operations' inputs
