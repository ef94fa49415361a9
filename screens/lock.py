"""The lock a proctor puts on a terminal from the live board: over everything, until lifted.

It takes no key (the app's own priority keys, F2 and the staff exit, still work); the app
shows and lifts it as the heartbeat's answers say (``KioskApp.apply_remote``).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from screens import text as T
from screens.base import KioskModal
from screens.widgets.i18n import Tr


class LockScreen(KioskModal[None]):
    """请联系监考老师."""

    CSS_PATH = "modals.tcss"

    def compose(self) -> ComposeResult:
        """Title and a line saying why."""
        with Vertical(classes="dialog", id="lock"):
            yield Tr(T.LOCKED_TITLE, classes="dialog-title")
            yield Tr(T.LOCKED_BODY)
