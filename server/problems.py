"""RFC 9457 problem+json errors with stable codes (``kiosk.problem_codes``; the notes explain them)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.problem_codes import ServerProblemCode
from kiosk.protocol.base import PROBLEM_MEDIA_TYPE, FieldError, ProblemDetails
from server.audit import AUDITED_REFUSALS, audit_refusal
from server.logs import exception_summary

log = logging.getLogger(__name__)

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request body too large",
    422: "Unprocessable content",
    423: "Locked",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_CODES_BY_STATUS: dict[int, ServerProblemCode] = {
    404: "not_found",
    405: "method_not_allowed",
    400: "bad_request",
}


class ApiProblem(Exception):
    """Raised anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: ServerProblemCode,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.headers = headers
        self.extensions = extensions
        # Who a 401, 423 or 429 is audited against (``account:<id>``); None: the client address.
        self.audit_actor: str | None = None

    def document(self) -> ProblemDetails:
        """The problem as the contract model."""
        return ProblemDetails(
            title=_TITLES.get(self.status, "Error"),
            status=self.status,
            code=self.code,
            detail=self.detail,
            errors=self.errors,
            **self.extensions,
        )

    def response(self) -> JSONResponse:
        """The HTTP answer."""
        return JSONResponse(
            self.document().model_dump(mode="json", exclude_none=True),
            status_code=self.status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=self.headers,
        )


def retry_problem(code: ServerProblemCode, detail: str, wait: dt.timedelta) -> ApiProblem:
    """429 with ``Retry-After`` and ``retry_after_s``: whole seconds, rounded up, at least 1."""
    seconds = max(1, int(-(-wait.total_seconds() // 1)))
    return ApiProblem(
        429, code, detail, headers={"Retry-After": str(seconds)}, retry_after_s=seconds
    )


def validation_problem(errors: list[FieldError]) -> ApiProblem:
    """422 ``validation_failed`` naming every field and code."""
    return ApiProblem(422, "validation_failed", "The request is not valid.", errors=errors)


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "header", "query", "path"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _audit(request: Request, problem: ApiProblem) -> None:
    address = request.client.host if request.client is not None else "unknown"
    actor = problem.audit_actor or f"address:{address[:50]}"
    ctx = request.app.state.ctx
    try:
        await audit_refusal(
            ctx.db, ctx.now(), actor=actor, status=problem.status, code=problem.code
        )
    except Exception as exc:  # the refusal stands even if its audit row cannot be written
        log.error("refusal not audited: %s", exception_summary(exc))


def install_handlers(app: FastAPI) -> None:
    """Make every error the app can raise a problem document."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        if exc.status in AUDITED_REFUSALS:
            await _audit(request, exc)
        return exc.response()

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            FieldError(field=_location(tuple(e["loc"])), code=e["type"], message=e["msg"])
            for e in exc.errors()
        ]
        return validation_problem(errors).response()

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _CODES_BY_STATUS.get(exc.status_code, "http_error")
        return ApiProblem(exc.status_code, code, headers=exc.headers).response()

    async def on_crash(_request: Request, exc: Exception) -> JSONResponse:
        # Type and location only: messages can carry request data, which may be personal.
        log.error("unhandled %s", exception_summary(exc))
        return ApiProblem(500, "internal_error").response()

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
