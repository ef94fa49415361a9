"""What the kiosk UI needs from the university server, as a protocol.

The real :class:`kiosk.client.ApiClient` and the tests' in-memory fake both satisfy it, so the
app is typed against this and never against one implementation.
"""

from __future__ import annotations

from typing import Protocol

from kiosk.proof_protocol import ProofLinkResponse
from kiosk.protocol import (
    Channel,
    Health,
    HeartbeatRequest,
    HeartbeatResponse,
    LoginResponse,
    MailboxMessage,
    PhotoLinkResponse,
    RecordResponse,
    RegistrationRequest,
    RegistrationResponse,
    ResendResponse,
    VerificationReceipt,
    VerificationRequest,
    VerifyCodesRequest,
    VerifyCodesResponse,
)


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
