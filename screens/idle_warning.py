"""The idle warning: a countdown to logout that any key or click cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from screens import text as T
from screens.base import KioskModal
from screens.widgets.i18n import Tr


class IdleWarningModal(KioskModal[None]):
    """Shows the seconds left; the app counts them, logs out at zero, and closes this on
    any key or click (see ``KioskApp.on_event``)."""

    CSS_PATH = "modals.tcss"

    def __init__(self, seconds: int) -> None:
        super().__init__()
        self._seconds = seconds

    def compose(self) -> ComposeResult:
        """Title and countdown."""
        with Vertical(classes="dialog"):
            yield Tr(T.IDLE_TITLE, classes="dialog-title")
            yield Tr(T.IDLE_BODY.fmt(n=self._seconds), id="idle-body")

    def set_remaining(self, seconds: int) -> None:
        """Show the seconds left."""
        self._seconds = seconds
        # The app's timer may tick before the dialog is composed, or while it is being
        # removed; then there is nothing to update (compose shows ``_seconds`` itself).
        for body in self.query("#idle-body").results(Tr):
            body.show(T.IDLE_BODY.fmt(n=seconds))
