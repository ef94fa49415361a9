"""Step 6: the receipt, what happens next, and logout after a countdown."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical

from kiosk.client import ApiError
from kiosk.fields import BY_KEY, IDENTITY_PROOF, KEY_FIELD_PROOF
from kiosk.i18n import Msg
from kiosk.protocol.proof import PROOF_MAX_FILES, ProofLinkResponse
from screens import text as T
from screens.base import KioskScreen
from screens.session import StudentSession
from screens.timefmt import local
from screens.topbar import TopBar
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap
from screens.widgets.qr import QRCodeView


def reported_count(session: StudentSession) -> int:
    """Fields and photo reported wrong: the one count the dialog and the receipt show."""
    fields = sum(d.verdict == "incorrect" for d in session.decisions.values())
    return fields + (session.photo is not None and session.photo.verdict == "incorrect")


def office(session: StudentSession, places: Mapping[str, str]) -> Msg:
    """The student's college office, from their own record's 分院, with its place if known."""
    record = session.record
    college = record.values().get("college", "").strip() if record is not None else ""
    if not college:
        return T.OFFICE_UNKNOWN
    place = places.get(college)
    return T.OFFICE_AT.fmt(college=college, place=place) if place else T.OFFICE.fmt(college=college)


def _labels(keys: Sequence[str]) -> Msg:
    return Msg(
        "、".join(BY_KEY[key].label.zh for key in keys),
        ", ".join(BY_KEY[key].label.en for key in keys),
    )


def next_steps(session: StudentSession, places: Mapping[str, str]) -> list[Msg]:
    """What the student must do now: which office handles it, which proof to bring."""
    count = reported_count(session)
    if not count:
        return [T.NEXT_ALL_CORRECT]
    where = office(session, places)
    steps: list[Msg] = [T.NEXT_FIELDS.n(count, office=where)]
    wrong = [d.key for d in session.decisions.values() if d.verdict == "incorrect"]
    key_fields = session.key_fields()
    for template, keys in (
        (T.NEXT_KEY, [key for key in wrong if key in key_fields]),
        (T.NEXT_SCHOOL, [key for key in wrong if key not in key_fields]),
    ):
        if keys:
            steps.append(T.fill(template, fields=_labels(keys)))
    for key in wrong:
        proof = IDENTITY_PROOF.get(key, KEY_FIELD_PROOF if key in key_fields else None)
        if proof is not None:
            label = BY_KEY[key].label
            steps.append(T.fill(T.NEXT_PROOF, field=label, proof=proof, office=where))
    if session.photo is not None and session.photo.verdict == "incorrect":
        steps.append(T.NEXT_PHOTO)
    return steps


class ReceiptScreen(KioskScreen[None]):
    """Receipt number (as text and QR code), next steps; logs out after a countdown.

    When the student reported fields, the server is asked for a proof upload link; if some
    need proof it answers with one, and the QR code shows it (Tab switches between it and
    the receipt number's code: two codes side by side do not fit 80 columns).
    """

    CSS_PATH = "check.tcss"
    STEP = "receipt"
    _FINISH = Key("Enter", "enter", "finish", T.KEY_FINISH)
    # Priority: Tab otherwise moves the focus, and this screen has nothing to focus.
    _SWITCH = Key("Tab", "tab", "switch_code", T.KEY_SWITCH_CODE, priority=True)
    KEYS: ClassVar[KeyMap] = KeyMap(receipt=(_FINISH,), two_codes=(_FINISH, _SWITCH))
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def __init__(self) -> None:
        super().__init__()
        self._deadline = 0.0
        self._finished = False
        self._proof: ProofLinkResponse | None = None
        self._showing_proof = False

    def compose(self) -> ComposeResult:
        """The code on the left, the words on the right."""
        session = self.session
        receipt, saved = session.receipt, session.saved
        yield TopBar(T.STEP_RECEIPT, self.student_masked())
        with Horizontal(id="receipt-body"):
            if receipt is not None:
                yield QRCodeView(receipt.receipt_no, id="receipt-qr")
            with Vertical(id="receipt-side"):
                yield Tr(id="receipt-code-caption")
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
                yield Tr(
                    next_steps(session, self.kiosk.settings.college_offices), id="receipt-next"
                )
                yield Tr(id="receipt-countdown")
        yield KeyBar(self.KEYS["receipt"])

    def on_mount(self) -> None:
        """Start the countdown to logout."""
        self._deadline = self.kiosk.monotonic() + self.kiosk.settings.receipt_countdown_s
        self.set_interval(1, self.tick)
        self.tick()
        session = self.session
        reported = any(d.verdict == "incorrect" for d in session.decisions.values())
        if session.receipt is not None and reported:
            self._fetch_proof_link()

    @work(exclusive=True, group="proof-link")
    async def _fetch_proof_link(self) -> None:
        try:
            link = await self.kiosk.client.proof_link()
        except ApiError:
            # Nothing needs proof (404), or the server is away: the next steps already say
            # which documents to bring to the office, so the receipt stays as it is.
            return
        self._proof = link
        self._show_code(proof=True)
        places = self.kiosk.settings.college_offices
        more = T.PROOF_NEXT.n(PROOF_MAX_FILES)
        self.query_one("#receipt-next", Tr).show([*next_steps(self.session, places), more])
        self.query_one(KeyBar).set_keys(self.KEYS["two_codes"])

    def _show_code(self, *, proof: bool) -> None:
        receipt, link = self.session.receipt, self._proof
        if receipt is None or link is None:
            return
        self._showing_proof = proof
        self.query_one("#receipt-qr", QRCodeView).set_data(
            link.url if proof else receipt.receipt_no
        )
        caption = T.PROOF_CODE.fmt(until=local(link.expires_at)) if proof else T.RECEIPT_CODE
        self.query_one("#receipt-code-caption", Tr).show(caption)

    def action_switch_code(self) -> None:
        """Tab: the proof upload code or the receipt number's code."""
        self._show_code(proof=not self._showing_proof)

    def tick(self) -> None:
        """Show the seconds left; log out when they are up. A result saved while the
        server was away shows its receipt number as soon as the sender delivers it."""
        self._show_delivery()
        left = math.ceil(self._deadline - self.kiosk.monotonic())
        if left <= 0:
            self.action_finish()
            return
        self.query_one("#receipt-countdown", Tr).show(T.RECEIPT_COUNTDOWN.fmt(n=left))

    def _show_delivery(self) -> None:
        session, outbox = self.kiosk.session, self.kiosk.outbox
        if session is None or session.saved is None or outbox is None:
            return
        receipt_no = outbox.receipt_of(session.saved.result_id)
        if receipt_no is not None:
            self.query_one("#receipt-saved", Tr).show(T.SAVED_DELIVERED.fmt(no=receipt_no))

    def action_finish(self) -> None:
        """Log out now and go back to the welcome screen."""
        if not self._finished:
            self._finished = True
            self.kiosk.logout()
