"""The staff exit (ctrl+q): the kiosk quits only for the staff PIN."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input

from screens import text as T
from screens.base import KioskModal
from screens.widgets.i18n import KeyBar, KeyHint, Tr


def pin_matches(pin_hash: str, pin: str) -> bool:
    """True when ``pin`` is the PIN hashed in ``pin_hash`` (argon2); slow by design."""
    try:
        return PasswordHasher().verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


class StaffPinModal(KioskModal[None]):
    """Asks for the staff PIN and exits the app when it is right; Esc closes."""

    CSS_PATH = "modals.tcss"
    AUTO_FOCUS = "#pin"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def compose(self) -> ComposeResult:
        """The PIN input, or why there is none."""
        enabled = bool(self.kiosk.settings.staff_pin_hash)
        with Vertical(classes="dialog"):
            yield Tr(T.STAFF_TITLE, classes="dialog-title")
            if enabled:
                yield Tr(T.STAFF_PROMPT)
                yield Input(id="pin", password=True, max_length=64)
                yield Tr(id="pin-message")
            else:
                yield Tr(T.STAFF_DISABLED)
            keys: list[KeyHint] = [("Esc", T.KEY_CANCEL, "screen.close")]
            if enabled:
                keys.insert(0, ("Enter", T.KEY_CONFIRM, "screen.check_pin"))
            yield KeyBar(keys)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter checks the PIN."""
        event.stop()
        self.action_check_pin()

    def action_check_pin(self) -> None:
        """Check what was typed."""
        pin = self.query_one("#pin", Input).value
        if pin:
            self._verify(pin)

    @work(exclusive=True, group="staff-pin")
    async def _verify(self, pin: str) -> None:
        message = self.query_one("#pin-message", Tr)
        message.set_class(False, "-error")
        message.show(T.STAFF_CHECKING)
        # argon2 takes tens of milliseconds on purpose: off the event loop, in a thread.
        if await asyncio.to_thread(pin_matches, self.kiosk.settings.staff_pin_hash, pin):
            self.app.exit()
            return
        self.query_one("#pin", Input).value = ""
        message.show(T.STAFF_WRONG)
        message.set_class(True, "-error")

    def action_close(self) -> None:
        """Back to the kiosk."""
        self.dismiss()
