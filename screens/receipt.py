"""Step 6: the receipt, what happens next, and logout after a countdown."""

from __future__ import annotations

import math
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical

from kiosk.fields import BY_KEY
from kiosk.i18n import Msg
from screens import text as T
from screens.base import KioskScreen
from screens.session import StudentSession
from screens.timefmt import local
from screens.widgets.i18n import KeyBar, Tr
from screens.widgets.qr import QRCodeView
from screens.widgets.topbar import TopBar


def next_steps(session: StudentSession) -> list[Msg]:
    """What the student must do now: which office handles what, which proof to bring."""
    wrong = [d for d in session.decisions.values() if d.verdict == "incorrect"]
    photo_wrong = session.photo is not None and session.photo.verdict == "incorrect"
    if not wrong and not photo_wrong:
        return [T.NEXT_ALL_CORRECT]
    steps: list[Msg] = []
    if wrong:
        steps.append(T.NEXT_FIELDS.fmt(n=len(wrong)))
    identity = [BY_KEY[d.key].label for d in wrong if BY_KEY[d.key].identity]
    if identity:
        fields = Msg("、".join(m.zh for m in identity), ", ".join(m.en for m in identity))
        steps.append(T.fill(T.NEXT_IDENTITY, fields=fields))
    if photo_wrong:
        steps.append(T.NEXT_PHOTO)
    return steps


class ReceiptScreen(KioskScreen[None]):
    """Receipt number (as text and QR code), next steps; logs out after a countdown."""

    CSS_PATH = "check.tcss"
    STEP = "receipt"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "finish", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._deadline = 0.0
        self._finished = False

    def compose(self) -> ComposeResult:
        """The code on the left, the words on the right."""
        session = self.session
        receipt, saved = session.receipt, session.saved
        yield TopBar(T.STEP_RECEIPT, self.student_masked())
        with Horizontal(id="receipt-body"):
            if receipt is not None:
                yield QRCodeView(receipt.receipt_no, id="receipt-qr")
            with Vertical(id="receipt-side"):
                if receipt is not None:
                    yield Tr(T.RECEIPT_TITLE, id="receipt-title")
                    yield Tr(T.RECEIPT_NO.fmt(no=receipt.receipt_no), id="receipt-no")
                    when = local(receipt.submitted_at)
                    yield Tr(T.RECEIPT_TIME.fmt(when=when), id="receipt-time")
                elif saved is not None:
                    # No receipt number yet: a short reference the proctor can find with
                    # `kiosk outbox list` if the student asks.
                    yield Tr(T.SAVED_TITLE, id="receipt-title")
                    yield Tr(T.SAVED_BODY, id="receipt-saved")
                    ref = saved.result_id.hex[:8].upper()
                    yield Tr(T.SAVED_REFERENCE.fmt(ref=ref), id="receipt-no")
                else:
                    raise RuntimeError("the receipt screen needs a receipt or a saved result")
                yield Tr(next_steps(session), id="receipt-next")
                yield Tr(id="receipt-countdown")
        yield KeyBar([("Enter", T.KEY_FINISH, "screen.finish")])

    def on_mount(self) -> None:
        """Start the countdown to logout."""
        self._deadline = self.kiosk.monotonic() + self.kiosk.settings.receipt_countdown_s
        self.set_interval(1, self.tick)
        self.tick()

    def tick(self) -> None:
        """Show the seconds left; log out when they are up."""
        left = math.ceil(self._deadline - self.kiosk.monotonic())
        if left <= 0:
            self.action_finish()
            return
        self.query_one("#receipt-countdown", Tr).show(T.RECEIPT_COUNTDOWN.fmt(n=left))

    def action_finish(self) -> None:
        """Log out now and go back to the welcome screen."""
        if not self._finished:
            self._finished = True
            self.kiosk.logout()
