"""Passwords, tokens and signed links.

argon2id hashes run in a worker thread (about 20 ms each at the OWASP floor), so a login never
stalls the event loop. Bearer tokens and terminal secrets are stored as SHA-256: they are
long random strings, so a fast hash suffices (reference/server.md §3.3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from kiosk.config import ServerSettings

PHOTO_SALT = "photo-preview.v1"
TICKET_SALT = "submission-ticket.v1"


class Passwords:
    """argon2id hashing with the configured cost, always off the event loop."""

    def __init__(self, settings: ServerSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against when the user name is unknown, so both paths take the same time.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash_sync(self, password: str) -> str:
        """Hash now, in this thread (for command-line tools and seeding)."""
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        """Hash in a worker thread."""
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no hash, spends the same time and says no."""

        def check() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False

        matched = await anyio.to_thread.run_sync(check)
        return matched and password_hash is not None


def new_token() -> str:
    """A bearer token with 256 bits from the OS's CSPRNG."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (tokens, terminal keys)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored: str) -> bool:
    """Constant-time comparison of a secret with its stored digest."""
    return hmac.compare_digest(digest(secret), stored)


class LinkExpired(Exception):
    """A signed token whose time is up."""


class LinkInvalid(Exception):
    """A signed token that was tampered with or made for another purpose."""


class Signer:
    """itsdangerous signing with one salt per purpose, so a token cannot serve another.

    The expiry travels inside the signed payload and is checked against the server's own
    clock (not the signer's), so one clock governs sessions, links and tickets alike.
    """

    def __init__(self, secret_key: str, salt: str) -> None:
        self._serializer = URLSafeSerializer(
            secret_key, salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def sign(self, payload: dict[str, Any], expires_at: dt.datetime) -> str:
        """A URL-safe token for ``payload`` that stops working at ``expires_at``."""
        token = self._serializer.dumps({**payload, "exp": int(expires_at.timestamp())})
        assert isinstance(token, str)
        return token

    def load(self, token: str, now: dt.datetime) -> dict[str, Any]:
        """The payload, or :class:`LinkExpired` / :class:`LinkInvalid`."""
        try:
            payload = self._serializer.loads(token)
        except BadSignature:
            raise LinkInvalid from None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
            raise LinkInvalid
        if now.timestamp() >= payload["exp"]:
            raise LinkExpired
        return payload


def demo_terminal_secret(secret_key: str) -> str:
    """The demo terminal's secret, derived so `kiosk admin demo-accounts` can print it again."""
    return hmac.new(secret_key.encode(), b"demo-terminal", hashlib.sha256).hexdigest()[:32]
