"""The staff exit (ctrl+q): the kiosk quits only for the staff PIN, throttled (kiosk.pin_throttle)."""

from __future__ import annotations

import asyncio
import math
from typing import ClassVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Input

from screens import text as T
from screens.base import KioskModal
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap


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
    _CANCEL = Key("Esc", "escape", "close", T.KEY_CANCEL)
    KEYS: ClassVar[KeyMap] = KeyMap(
        enabled=(Key("Enter", "enter", "check_pin", T.KEY_CONFIRM, by=Input), _CANCEL),
        disabled=(_CANCEL,),
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

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
            yield KeyBar(self.KEYS["enabled" if enabled else "disabled"])

    def on_mount(self) -> None:
        """Show the wait left by earlier wrong PINs (also from before a restart)."""
        if self.kiosk.settings.staff_pin_hash:
            self._show_wait()
            self.set_interval(1, self._show_wait)

    def _show_wait(self) -> bool:
        """Show how long the next try must wait; False when it need not."""
        throttle = self.kiosk.pin_throttle
        wait = math.ceil(throttle.wait_s())
        if wait <= 0:
            return False
        message = self.query_one("#pin-message", Tr)
        message.show((T.STAFF_LOCKED if throttle.locked else T.STAFF_WAIT).fmt(n=wait))
        message.set_class(True, "-error")
        return True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter checks the PIN."""
        event.stop()
        self.action_check_pin()

    def action_check_pin(self) -> None:
        """Check what was typed, unless the throttle says to wait."""
        pin_input = self.query_one("#pin", Input)
        pin = pin_input.value
        if self._show_wait():
            pin_input.value = ""
            return
        if pin:
            self._verify(pin)

    @work(exclusive=True, group="staff-pin")
    async def _verify(self, pin: str) -> None:
        message = self.query_one("#pin-message", Tr)
        message.set_class(False, "-error")
        message.show(T.STAFF_CHECKING)
        throttle = self.kiosk.pin_throttle
        # argon2 takes tens of milliseconds on purpose: off the event loop, in a thread.
        if await asyncio.to_thread(pin_matches, self.kiosk.settings.staff_pin_hash, pin):
            throttle.record_success()
            self.app.exit()
            return
        throttle.record_failure()
        # The live board shows the attempts on this terminal now, not at the next beat.
        self.kiosk.send_heartbeat()
        self.query_one("#pin", Input).value = ""
        if not self._show_wait():
            message.show(T.STAFF_WRONG)
            message.set_class(True, "-error")

    def action_close(self) -> None:
        """Back to the kiosk."""
        self.dismiss()
