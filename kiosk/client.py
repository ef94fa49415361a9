"""The kiosk's HTTP client for the university server (the contract is :mod:`kiosk.protocol`).

Every failure comes out as one exception type, :class:`ApiError`, with a stable ``code``: the
server's problem+json code, or ``server_unreachable`` / ``timeout`` / ``bad_response`` when the
answer never came or made no sense. Screens show ``error.message`` and need nothing else.

Nothing personal is logged here: no tokens, passwords, record values or photo links.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from kiosk.errors import message_for
from kiosk.i18n import Msg
from kiosk.protocol.base import (
    API_PREFIX,
    IDEMPOTENCY_KEY_HEADER,
    REPLAYED_HEADER,
    TERMINAL_KEY_HEADER,
    Health,
    ProblemDetails,
)
from kiosk.protocol.proof import ProofLinkResponse
from kiosk.protocol.registration import (
    Channel,
    MailboxMessage,
    MailboxResponse,
    RegistrationRequest,
    RegistrationResponse,
    ResendRequest,
    ResendResponse,
    VerifyCodesRequest,
    VerifyCodesResponse,
)
from kiosk.protocol.student import (
    LoginRequest,
    LoginResponse,
    PhotoLinkResponse,
    RecordResponse,
    VerificationReceipt,
    VerificationRequest,
)
from kiosk.protocol.terminal import HeartbeatRequest, HeartbeatResponse

if TYPE_CHECKING:
    # Imported where it is used instead: see BaseClient._http.
    import httpx

log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)

_JSON = "application/json"
# Codes after which the bearer token is certainly dead; keeping it would only fail again.
_TOKEN_DEAD = frozenset({"session_expired", "unauthenticated"})


# The photo endpoint answers errors as HTML pages for phones, so its status is all there is.
class ApiError(Exception):
    """A request that did not give a usable answer; ``code`` says why, ``message`` says it kindly.

    ``status`` is the HTTP status (0 when no answer arrived); ``code`` is the server's problem
    code or ``server_unreachable`` / ``timeout`` / ``bad_response``; ``problem`` is the
    server's problem document when it sent a valid one.
    """

    status: int
    code: str
    problem: ProblemDetails | None

    def __init__(self, status: int, code: str, problem: ProblemDetails | None = None) -> None:
        # Only status and code go into the exception text: a problem's detail may echo input.
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.problem = problem

    @property
    def message(self) -> Msg:
        """What to tell the student, in both languages."""
        return message_for(self.code, self.problem)

    @property
    def retryable(self) -> bool:
        """True when the same request may succeed later unchanged."""
        return (
            self.code in ("server_unreachable", "timeout")
            or (self.status == 409 and self.code == "request_in_progress")
            or self.status == 429
            or self.status >= 500
        )


def _code_for_status(status: int) -> str:
    """A code for an error answer that carries no problem document (e.g. from a proxy)."""
    if status >= 500:
        return "internal_error"
    if status == 429:
        return "rate_limited"
    return "bad_response"


def _problem_of(response: httpx.Response) -> tuple[str, ProblemDetails | None] | None:
    """The code (and document, if valid) of an error answer, or None if it has no code."""
    try:
        body: Any = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not body["code"]:
        return None
    try:
        return body["code"], ProblemDetails.model_validate(body)
    except ValidationError:
        # The code is still the server's word on what happened, even if the rest is odd.
        return body["code"], None


class BaseClient:
    """The plumbing both the kiosk's and the staff console's clients stand on.

    One httpx connection pool; every failure mapped to :class:`ApiError`; at most one
    bearer token, kept only in memory and dropped as soon as an answer says it is dead.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._token: str | None = None
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._transport = transport
        self._pool: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made on first use.

        httpx, its transport and its TLS context cost the kiosk's start ~150 ms (imports,
        the CA bundle), which the first frame need not wait for: the kiosk's first request
        is sent after it.
        """
        if self._pool is None:
            import httpx

            self._pool = httpx.AsyncClient(
                base_url=self._base_url,
                timeout=httpx.Timeout(self._timeout_s),
                follow_redirects=False,
                transport=self._transport,
                headers={"Accept": f"{_JSON}, application/problem+json"},
            )
        return self._pool

    @property
    def token(self) -> str | None:
        """The logged-in user's bearer token, or None."""
        return self._token

    @property
    def base_url(self) -> str:
        """The server's address, as configured."""
        return str(self._http.base_url).rstrip("/")

    async def _request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        authorized: bool = False,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        status_codes: dict[int, str] | None = None,
        accept: frozenset[int] = frozenset(),
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; any answer but 2xx (or a status in ``accept``) is an ApiError.

        ``what`` names the request in logs instead of the URL, which may hold a signed link.
        ``authorized`` adds the bearer token; ``status_codes`` names the codes of error
        statuses that come without a problem document; ``params`` is the query string.
        """
        sent = dict(headers or {})
        bearer = self._token if authorized else None
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        if content is not None:
            sent["Content-Type"] = _JSON
        http = self._http
        import httpx  # loaded by self._http

        try:
            response = await http.request(method, url, content=content, headers=sent, params=params)
        except httpx.TimeoutException:
            log.warning("%s: timed out", what)
            raise ApiError(0, "timeout") from None
        except httpx.TransportError as exc:
            log.warning("%s: server unreachable (%s)", what, type(exc).__name__)
            raise ApiError(0, "server_unreachable") from None
        if response.is_success or response.status_code in accept:
            return response
        found = _problem_of(response)
        if found is not None:
            code, problem = found
        else:
            code = (status_codes or {}).get(response.status_code) or _code_for_status(
                response.status_code
            )
            problem = None
        # A refused login or a closed window is business as usual; a failing server is not.
        level = logging.WARNING if response.status_code >= 500 else logging.INFO
        log.log(level, "%s: HTTP %d %s", what, response.status_code, code)
        # Only the token this request used is dropped: a later user's must survive a
        # stale answer for an earlier one.
        if response.status_code == 401 and code in _TOKEN_DEAD and self._token == bearer:
            self._token = None
        raise ApiError(response.status_code, code, problem)

    @staticmethod
    def _parse(response: httpx.Response, model: type[ModelT], what: str) -> ModelT:
        try:
            return model.model_validate_json(response.content)
        except ValidationError:
            log.warning("%s: HTTP %d, body is not a %s", what, response.status_code, model.__name__)
            raise ApiError(response.status_code, "bad_response") from None

    @staticmethod
    def _login_body(username: str, password: str) -> bytes:
        """The login request's body, or the 422 the server would answer, without a round trip."""
        try:
            return LoginRequest(username=username, password=password).model_dump_json().encode()
        except ValidationError:
            raise ApiError(422, "validation_failed") from None

    async def _log_in(
        self,
        url: str,
        model: type[ModelT],
        username: str,
        password: str,
        *,
        what: str,
        headers: dict[str, str] | None = None,
    ) -> ModelT:
        """Post credentials to ``url``; keep the answer's token for the authorized requests."""
        response = await self._request(
            "POST", url, what=what, content=self._login_body(username, password), headers=headers
        )
        session = self._parse(response, model, what)
        token = getattr(session, "token", None)
        if not isinstance(token, str):
            raise ApiError(response.status_code, "bad_response")
        self._token = token
        return session

    async def _log_out(self, url: str, *, what: str, headers: dict[str, str] | None = None) -> None:
        """Forget the token whatever happens, then tell the server. Never fails."""
        token, self._token = self._token, None
        if token is None:
            return
        # The server expires an orphaned session by itself, so a failed DELETE is harmless.
        with contextlib.suppress(ApiError):
            # The token is passed explicitly because it is already forgotten: even a
            # cancelled logout must leave none behind.
            await self._request(
                "DELETE",
                url,
                what=what,
                headers={**(headers or {}), "Authorization": f"Bearer {token}"},
            )

    async def aclose(self) -> None:
        """Close the connection pool (if a request ever opened it)."""
        if self._pool is not None:
            await self._pool.aclose()


class ApiClient(BaseClient):
    """One terminal's connection to the university server, holding at most one student token.

    The token is kept only in memory; :meth:`logout` and :meth:`forget_student` drop it, and
    so does any answer saying it is no longer valid.
    """

    def __init__(
        self,
        base_url: str,
        terminal_key: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, timeout_s=timeout_s, transport=transport)
        self._terminal_key = terminal_key

    async def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        student: bool = False,
        terminal: bool = True,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        status_codes: dict[int, str] | None = None,
    ) -> httpx.Response:
        """:meth:`BaseClient._request` with the terminal key (unless ``terminal=False``)
        and, with ``student``, the student's token."""
        sent = dict(headers or {})
        if terminal:
            sent[TERMINAL_KEY_HEADER] = self._terminal_key
        return await self._request(
            method, url, what=what, authorized=student, content=content, headers=sent,
            status_codes=status_codes,
        )  # fmt: skip

    # --- the API --------------------------------------------------------------------------

    async def health(self) -> Health:
        """``GET /health``: is the server there, and is its database?"""
        response = await self._send("GET", "/health", what="health")
        return self._parse(response, Health, "health")

    async def login(self, username: str, password: str) -> LoginResponse:
        """Log a student in and keep the token for their requests."""
        return await self._log_in(
            f"{API_PREFIX}/sessions",
            LoginResponse,
            username,
            password,
            what="login",
            headers={TERMINAL_KEY_HEADER: self._terminal_key},
        )

    async def logout(self) -> None:
        """End the student's session; the token is forgotten whatever happens. Never fails."""
        await self._log_out(
            f"{API_PREFIX}/sessions/current",
            what="logout",
            headers={TERMINAL_KEY_HEADER: self._terminal_key},
        )

    def forget_student(self) -> None:
        """Drop the student's token without telling the server."""
        self._token = None

    async def record(self) -> RecordResponse:
        """``GET /api/v1/me/record``: the logged-in student's record and submission ticket."""
        response = await self._send("GET", f"{API_PREFIX}/me/record", what="record", student=True)
        return self._parse(response, RecordResponse, "record")

    async def photo_link(self) -> PhotoLinkResponse:
        """A fresh short-lived signed link to the student's photo preview page."""
        response = await self._send(
            "POST", f"{API_PREFIX}/me/photo-link", what="photo link", student=True
        )
        return self._parse(response, PhotoLinkResponse, "photo link")

    async def proof_link(self) -> ProofLinkResponse:
        """A signed link for the student's phone to upload proof documents (``POST
        /api/v1/me/proof-link``); 404 ``no_proof_needed`` when nothing reported needs proof."""
        response = await self._send(
            "POST", f"{API_PREFIX}/me/proof-link", what="proof link", student=True
        )
        return self._parse(response, ProofLinkResponse, "proof link")

    async def photo(self) -> bytes:
        """``GET /api/v1/me/photo``: the student's photo, for terminals that can draw it.

        Fetched with the student's token, not through the phone's link, whose address may be
        one only phones reach; kept in memory only.
        """
        response = await self._send("GET", f"{API_PREFIX}/me/photo", what="photo", student=True)
        if not response.headers.get("content-type", "").startswith("image/"):
            log.warning("photo: HTTP %d without an image", response.status_code)
            raise ApiError(response.status_code, "bad_response")
        return response.content

    async def submit(
        self, request: VerificationRequest, idempotency_key: str, body: bytes | None = None
    ) -> tuple[VerificationReceipt, bool]:
        """Submit a result; returns the receipt and whether it was a replay of an earlier send.

        ``body`` is sent byte for byte when given, so that every retry of one result is the
        identical request the server's idempotency check expects. No student token is sent:
        the ticket authorises the submission, so it works after logout too.
        """
        content = body if body is not None else request.model_dump_json().encode()
        response = await self._send(
            "POST",
            f"{API_PREFIX}/verifications",
            what="submit",
            content=content,
            headers={IDEMPOTENCY_KEY_HEADER: idempotency_key},
        )
        receipt = self._parse(response, VerificationReceipt, "submit")
        return receipt, response.headers.get(REPLAYED_HEADER, "").lower() == "true"

    async def heartbeat(self, beat: HeartbeatRequest) -> HeartbeatResponse:
        """Tell the live board what this terminal is doing."""
        response = await self._send(
            "POST",
            f"{API_PREFIX}/terminals/heartbeat",
            what="heartbeat",
            content=beat.model_dump_json().encode(),
        )
        return self._parse(response, HeartbeatResponse, "heartbeat")

    # --- registration (first-time students) -----------------------------------------------

    async def register(self, request: RegistrationRequest) -> RegistrationResponse:
        """``POST /api/v1/registrations``: match the identity; the server sends both codes."""
        response = await self._send(
            "POST",
            f"{API_PREFIX}/registrations",
            what="registration",
            content=request.model_dump_json().encode(),
        )
        return self._parse(response, RegistrationResponse, "registration")

    async def verify_registration(
        self, registration_id: str, codes: VerifyCodesRequest
    ) -> VerifyCodesResponse:
        """Send the codes the student received; both confirmed activates the account."""
        response = await self._send(
            "POST",
            f"{API_PREFIX}/registrations/{quote(registration_id, safe='')}/verify",
            what="registration verify",
            content=codes.model_dump_json().encode(),
        )
        return self._parse(response, VerifyCodesResponse, "registration verify")

    async def resend_code(self, registration_id: str, channel: Channel) -> ResendResponse:
        """Ask for a new code on ``channel``; the old one stops working."""
        response = await self._send(
            "POST",
            f"{API_PREFIX}/registrations/{quote(registration_id, safe='')}/resend",
            what="registration resend",
            content=ResendRequest(channel=channel).model_dump_json().encode(),
        )
        return self._parse(response, ResendResponse, "registration resend")

    async def demo_mailbox(self, to: str) -> list[MailboxMessage]:
        """The demo server's local mailbox for ``to``, newest first; [] where there is none.

        Only demo servers have the route (404 elsewhere). It needs no terminal key, so the
        terminal's secret is not sent.
        """
        response = await self._request(
            "GET",
            f"{API_PREFIX}/demo/mailbox",
            what="demo mailbox",
            params={"to": to},
            accept=frozenset({404}),
        )
        if response.status_code == 404:
            return []
        return self._parse(response, MailboxResponse, "demo mailbox").messages
