"""What the kiosk's screens need from outside them, as protocols (ports).

:class:`KioskClient` is the university server: the real :class:`kiosk.client.ApiClient` and the
tests' in-memory fake both satisfy it, so the app is typed against this and never against one
implementation. :class:`KioskHost` is the app as the screens see it: they depend on this, never
on the app's class, so no screen imports the module that imports the screens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from kiosk.config import KioskSettings
from kiosk.i18n import Lang, Msg
from kiosk.outbox import Outbox, OutboxCounts, OutboxSender
from kiosk.pin_throttle import PinThrottle
from kiosk.protocol.base import Health
from kiosk.protocol.proof import ProofLinkResponse
from kiosk.protocol.registration import (
    Channel,
    MailboxMessage,
    RegistrationRequest,
    RegistrationResponse,
    ResendResponse,
    VerifyCodesRequest,
    VerifyCodesResponse,
)
from kiosk.protocol.student import (
    LoginResponse,
    PhotoLinkResponse,
    RecordResponse,
    VerificationReceipt,
    VerificationRequest,
)
from kiosk.protocol.terminal import HeartbeatRequest, HeartbeatResponse
from screens.session import StudentSession
from screens.timing import KioskTiming


class KioskClient(Protocol):
    """The server calls the student kiosk makes; failures raise ``kiosk.client.ApiError``."""

    @property
    def token(self) -> str | None:
        """The student's session token, None when nobody is logged in."""

    async def health(self) -> Health:
        """The server's health (used for the online/offline indicator)."""

    async def login(self, username: str, password: str) -> LoginResponse:
        """Start a student session."""

    async def logout(self) -> None:
        """Revoke the session on the server and forget the token; never raises."""

    def forget_student(self) -> None:
        """Forget the token without asking the server."""

    async def record(self) -> RecordResponse:
        """The logged-in student's record."""

    async def photo_link(self) -> PhotoLinkResponse:
        """A fresh short-lived signed link to the photo preview page."""

    async def proof_link(self) -> ProofLinkResponse:
        """A signed link for the student's phone to upload proof documents."""

    async def photo(self) -> bytes:
        """The photo itself, for terminals that can show images."""

    async def submit(
        self, request: VerificationRequest, idempotency_key: str, body: bytes | None = None
    ) -> tuple[VerificationReceipt, bool]:
        """Send a verification result; True in the tuple when the server replayed it."""

    async def heartbeat(self, beat: HeartbeatRequest) -> HeartbeatResponse:
        """Report this terminal's state for the staff live board."""

    async def register(self, request: RegistrationRequest) -> RegistrationResponse:
        """Register a first-time student; the server sends an e-mail and an SMS code."""

    async def verify_registration(
        self, registration_id: str, codes: VerifyCodesRequest
    ) -> VerifyCodesResponse:
        """Confirm the codes; both confirmed activates the account."""

    async def resend_code(self, registration_id: str, channel: Channel) -> ResendResponse:
        """Send a new code on one channel."""

    async def demo_mailbox(self, to: str) -> list[MailboxMessage]:
        """The demo server's mailbox for an address or number ([] where there is none)."""

    async def aclose(self) -> None:
        """Close the connection pool."""


class KioskHost(Protocol):
    """The student kiosk app as its screens use it (screens.app.KioskApp implements it)."""

    @property
    def settings(self) -> KioskSettings:
        """The terminal's configuration."""

    @property
    def client(self) -> KioskClient:
        """The connection to the university server."""

    @property
    def session(self) -> StudentSession | None:
        """Everything about the logged-in student; None when nobody is logged in."""

    @property
    def lang(self) -> Lang:
        """The language every text is shown in."""

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """Wall-clock time, timezone-aware."""

    @property
    def monotonic(self) -> Callable[[], float]:
        """A clock for idle time and countdowns."""

    @property
    def timing(self) -> KioskTiming:
        """The periods of the kiosk's timers (production's unless a test says otherwise)."""

    @property
    def demo_accounts(self) -> tuple[tuple[str, str, str], ...]:
        """(user name, password, note) rows of the demo; empty on a real terminal."""

    @property
    def terminal_name(self) -> str:
        """This terminal's name, '' until known."""

    @property
    def server_online(self) -> bool | None:
        """The last health check's answer; None until the first one."""

    @property
    def pin_throttle(self) -> PinThrottle:
        """Wrong staff PINs on this terminal."""

    @property
    def outbox(self) -> Outbox | None:
        """Where every result is saved before it is sent; None before the app is mounted."""

    @property
    def sender(self) -> OutboxSender | None:
        """Sends the outbox in the background; None before the app is mounted."""

    def outbox_counts(self) -> OutboxCounts:
        """Results waiting to be sent and dead letters."""

    def start_student(self) -> None:
        """From the welcome screen to login."""

    def begin_session(self, login: LoginResponse) -> None:
        """A student logged in."""

    def open_review(self) -> None:
        """On to the review of all answers."""

    def restart_check(self, notice: Msg) -> None:
        """Back to the record overview (the record changed), saying why."""

    def logout(self, notice: Msg | None = None, *, to_login: bool = False) -> None:
        """End the student's visit and wipe it; ``to_login`` for "log in again" cases."""

    def send_heartbeat(self) -> None:
        """Tell the live board what this terminal is doing now."""
