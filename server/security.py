"""Passwords, tokens and signed links.

argon2id hashes run in a worker thread (about 20 ms each at the OWASP floor), so a login never
stalls the event loop. Bearer tokens and terminal secrets are stored as SHA-256: they are
long random strings (OWASP: at least 128 bits from a CSPRNG), so a fast hash suffices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature
from itsdangerous import Signer as ItsdangerousSigner

from kiosk.config import ServerSettings

PHOTO_SALT = "photo-preview.v1"
TICKET_SALT = "submission-ticket.v1"
PROOF_SALT = "proof-upload.v1"


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
    """itsdangerous signing of a few integers plus an expiry, one salt per purpose.

    Tokens are compact (``2a.1.6b3c8f00.<signature>``, integers in hex) because the photo
    link is drawn as a QR code that must fit an 80×24 terminal. The expiry is inside the
    signed value and checked against the server's own clock, so one clock governs sessions,
    links and tickets alike.
    """

    def __init__(self, secret_key: str, salt: str, *, short: bool = False) -> None:
        # HMAC-SHA-1 (27 characters) only where the length matters: itsdangerous notes it is
        # not insecure as an HMAC; tickets keep SHA-256.
        digest_method = hashlib.sha1 if short else hashlib.sha256
        self._signer = ItsdangerousSigner(secret_key, salt=salt, digest_method=digest_method)

    def sign(self, values: tuple[int, ...], expires_at: dt.datetime) -> str:
        """A URL-safe token carrying ``values`` that stops working at ``expires_at``."""
        parts = [*values, int(expires_at.timestamp())]
        if any(part < 0 for part in parts):
            raise ValueError("only non-negative integers can be signed")
        return self._signer.sign(".".join(f"{part:x}" for part in parts)).decode()

    def load(self, token: str, now: dt.datetime, size: int) -> tuple[int, ...]:
        """The ``size`` values, or :class:`LinkExpired` / :class:`LinkInvalid`."""
        return self.load_with_expiry(token, now, size)[0]

    def load_with_expiry(
        self, token: str, now: dt.datetime, size: int
    ) -> tuple[tuple[int, ...], dt.datetime]:
        """The ``size`` values and when the token stops working (errors as :meth:`load`)."""
        try:
            payload = self._signer.unsign(token)
            parts = [int(part, 16) for part in payload.decode().split(".")]
        except (BadSignature, ValueError, UnicodeDecodeError):
            raise LinkInvalid from None
        # One spelling per token: base64 ignores the unused low bits of the signature's last
        # character, so a changed last character can decode to the same, valid signature.
        if not hmac.compare_digest(self._signer.sign(payload), token.encode()):
            raise LinkInvalid
        if len(parts) != size + 1:
            raise LinkInvalid
        if now.timestamp() >= parts[-1]:
            raise LinkExpired
        return tuple(parts[:-1]), dt.datetime.fromtimestamp(parts[-1], dt.UTC)


def demo_terminal_secret(secret_key: str) -> str:
    """The demo terminal's secret, derived so `kiosk admin demo-accounts` can print it again."""
    return hmac.new(secret_key.encode(), b"demo-terminal", hashlib.sha256).hexdigest()[:32]
