"""Step 5: check your answers, declare, confirm, submit."""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, OptionList
from textual.widgets.option_list import Option

from kiosk.catalogue import PHOTO_LABEL
from kiosk.fields import FIELDS
from kiosk.i18n import Lang, Msg
from kiosk.privacy import mask_id_number
from kiosk.submission import prepare_result, save_and_send
from screens import text as T
from screens.base import KioskScreen
from screens.field_check import FieldCheckScreen
from screens.photo import PhotoScreen
from screens.receipt import ReceiptScreen, reported_count
from screens.topbar import TopBar
from screens.widgets.confirm import ConfirmModal
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap
from screens.widgets.marks import MARK_CORRECT, MARK_OPEN, MARK_WRONG

_PHOTO_ROW = "photo"
# How long the student waits for the server's receipt before being told the result is saved
# and will be sent; the sender goes on in the background either way.
SEND_WAIT_S = 5.0


class Declaration(Checkbox):
    """The declaration's tick box: ticked shows X, unticked shows nothing, so the state is
    not told by colour alone (Textual's box shows X either way, in another colour)."""

    BUTTON_INNER = " "

    def watch_value(self) -> None:
        """Draw the mark for the new state, then let Checkbox post its Changed."""
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()
        self.refresh()


class ReviewScreen(KioskScreen[None]):
    """Every decision in a list (Enter on a row changes it), the declaration, Submit."""

    CSS_PATH = "check.tcss"
    STEP = "review"
    AUTO_FOCUS = "#review-list"
    KEYS: ClassVar[KeyMap] = KeyMap(
        review=(
            Key("Enter", "enter", "change", T.KEY_CHANGE, by=OptionList),
            Key("Space", "space", "declare", T.KEY_DECLARE),
            Key("S", "s,S,f5", "submit", T.SUBMIT),
            Key("Esc", "escape", "back", T.KEY_BACK),
        ),
        hidden=(Key("", "r,R", "retry"),),
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def compose(self) -> ComposeResult:
        """The hint, the list, the declaration, the submit button and the status line."""
        yield TopBar(T.STEP_REVIEW, self.student_masked())
        yield Tr(T.REVIEW_HINT, id="review-hint")
        yield OptionList(id="review-list")
        with Horizontal(id="review-actions"):
            yield Declaration(T.DECLARATION.zh, id="declare")
            yield Button(T.SUBMIT.zh, id="submit", variant="success")
        yield Tr(id="review-status")
        yield KeyBar(self.KEYS["review"])

    def on_mount(self) -> None:
        """Fill the list in the current language."""
        self.query_one("#submit", Button).can_focus = False
        self.relabel(self.kiosk.lang)

    def on_screen_resume(self) -> None:
        """Back from changing an answer: show the list as it is now."""
        if self.is_mounted:
            self._show_rows(self.kiosk.lang)

    def relabel(self, lang: Lang) -> None:
        """Rows, declaration and button in ``lang``."""
        self.query_one("#declare", Checkbox).label = T.DECLARATION.get(lang)
        self.query_one("#submit", Button).label = T.SUBMIT.get(lang)
        self._show_rows(lang)

    def _show_rows(self, lang: Lang) -> None:
        session = self.session
        rows = self.query_one(OptionList)
        keep = rows.highlighted
        labels = [spec.label.get(lang) for spec in FIELDS] + [PHOTO_LABEL.get(lang)]
        width = max(cell_len(label) for label in labels)

        def row(mark: str, label: str, verdict: Msg) -> str:
            return f"{mark} {label}{' ' * (width - cell_len(label))}  {verdict.get(lang)}"

        rows.clear_options()
        for spec, label in zip(FIELDS, labels, strict=False):
            decision = session.decisions.get(spec.key)
            if decision is None:
                text = row(MARK_OPEN, label, T.VERDICT_MISSING)
            elif decision.verdict == "correct":
                text = row(MARK_CORRECT, label, T.VERDICT_CORRECT)
            else:
                proposed = decision.proposed or ""
                # ID numbers stay masked everywhere but on their own field screen.
                shown = mask_id_number(proposed) if spec.key == "id_number" else proposed
                text = row(MARK_WRONG, label, T.VERDICT_WRONG_TO.fmt(value=shown))
            rows.add_option(Option(text, id=spec.key))
        photo = session.photo
        if photo is None:
            text = row(MARK_OPEN, labels[-1], T.VERDICT_MISSING)
        elif photo.verdict == "correct" or photo.reason is None:
            text = row(MARK_CORRECT, labels[-1], T.VERDICT_CORRECT)
        else:
            verdict = T.fill(T.VERDICT_PHOTO_WRONG, reason=T.PHOTO_REASONS[photo.reason])
            text = row(MARK_WRONG, labels[-1], verdict)
        rows.add_option(Option(text, id=_PHOTO_ROW))
        rows.highlighted = keep if keep is not None else 0

    # --- changing an answer -------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Go to the chosen field (or the photo); it comes back here once decided."""
        if event.option.id == _PHOTO_ROW:
            self.app.push_screen(PhotoScreen(return_to_review=True))
        else:
            self.app.push_screen(FieldCheckScreen(event.option_index, return_to_review=True))

    def action_change(self) -> None:
        """Change the highlighted answer (the key bar's mouse target)."""
        self.query_one(OptionList).action_select()

    def action_back(self) -> None:
        """Back to the photo."""
        self.dismiss()

    # --- submitting ---------------------------------------------------------------------

    def action_declare(self) -> None:
        """Tick or untick the declaration."""
        self.query_one("#declare", Checkbox).toggle()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Ticked: "tick the declaration first" no longer applies."""
        if event.value:
            self.query_one("#review-status", Tr).show(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The submit button."""
        self.action_submit()

    def action_submit(self) -> None:
        """Ask for confirmation, then submit."""
        status = self.query_one("#review-status", Tr)
        session = self.session
        if not session.complete():
            status.show(T.ALL_FIELDS_FIRST)
            return
        if not self.query_one("#declare", Checkbox).value:
            status.show(T.DECLARE_FIRST)
            return
        rule = session.broken_rule(self.kiosk.clock().date())
        if rule is not None:
            status.show([rule.message, T.FIX_BEFORE_SUBMIT])
            return
        reported = reported_count(session)
        body = T.CONFIRM_SUBMIT_BODY.fmt(n=reported) if reported else T.CONFIRM_SUBMIT_ALL_CORRECT
        modal = ConfirmModal(T.CONFIRM_SUBMIT_TITLE, body)
        self.app.push_screen(modal, self._confirmed)

    def _confirmed(self, confirmed: bool | None) -> None:
        if not confirmed:
            return
        session = self.session
        if session.pending is None:
            # Prepared once: every retry of this result, here or later, sends the same ids.
            assert session.record is not None and session.photo is not None
            assert session.started_at is not None
            session.pending = prepare_result(
                session.record,
                session.field_decisions(),
                session.photo,
                session.started_at,
                self.kiosk.clock(),
            )
        self._send()

    def action_retry(self) -> None:
        """Send the same prepared result again after a failure."""
        if self.session.pending is not None:
            self._send()

    @work(exclusive=True, group="submit")
    async def _send(self) -> None:
        session = self.session
        pending = session.pending
        outbox, sender = self.kiosk.outbox, self.kiosk.sender
        if pending is None or outbox is None or sender is None:
            return
        status = self.query_one("#review-status", Tr)
        status.set_class(False, "-error")
        status.show(T.SUBMITTING)
        try:
            delivery = await save_and_send(outbox, sender, pending, wait_s=SEND_WAIT_S)
        except (sqlite3.Error, OSError):
            # Not saved: the student must know, and R tries the same result again.
            status.show(T.NOT_SAVED)
            status.set_class(True, "-error")
            return
        # From here the outbox owns the result; a new attempt would be a new result.
        session.pending = None
        if delivery.state == "dead":
            assert delivery.error is not None
            if delivery.error.code == "record_changed":
                status.show([delivery.error.message, T.RELOADING])
                await self._reload_record()
            else:
                status.show([delivery.error.message, T.SUBMIT_REFUSED])
                status.set_class(True, "-error")
            return
        session.receipt = delivery.receipt
        session.saved = pending if delivery.receipt is None else None
        self.app.switch_screen(ReceiptScreen())

    async def _reload_record(self) -> None:
        record = await self.fetch_record(self.query_one("#review-status", Tr), T.RELOAD_FAILED)
        if record is None:
            return
        self.session.start_check(record, self.kiosk.clock())
        self.kiosk.restart_check(T.CHECK_AGAIN)
