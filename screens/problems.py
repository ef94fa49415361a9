"""How the screens react to a failed server call: what to say, and whether to leave."""

from __future__ import annotations

from kiosk.client import ApiError
from kiosk.i18n import Msg
from screens import text as T

SESSION_DEAD = frozenset({"session_expired", "unauthenticated"})
"""Codes after which the student must log in again."""


def describe(error: ApiError, retry_hint: Msg = T.RETRY_HINT) -> list[Msg]:
    """The message for ``error``, plus how to retry when trying again can help."""
    lines = [error.message]
    if error.retryable:
        lines.append(retry_hint)
    return lines
