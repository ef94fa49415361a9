"""One correction: values, note, proof, history, and the decisions open to this role now.

The keys offered follow the correction's state and the staff member's role, as a hint; the
server checks every step again and the console explains its refusal.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Input

from kiosk.catalogue import correction_field_label, correction_value_text
from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.base import StaffRole
from kiosk.protocol.corrections import (
    CollegeDecision,
    CorrectionDetail,
    CorrectionStep,
    RegistrarDecision,
)
from kiosk.protocol.proof import PROOF_KINDS, ProofFileInfo
from kiosk.staff_client import CorrectionAction
from screens.staff import text as T
from screens.staff.base import StaffModal, confirmed
from screens.staff.proof_viewer import ProofViewerModal, kilobytes
from screens.staff.save_report import SaveReportModal
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap

HISTORY_SHOWN = 4
"""The latest decisions shown, to fit the dialog in 24 rows."""


# Priority: the comment line has focus, and an Input takes ctrl+a for itself.
_ACCEPT = Key("Ctrl+A", "ctrl+a", "accept", T.KEY_ACCEPT, priority=True)
_CONFIRM = Key("Ctrl+A", "ctrl+a", "accept", T.KEY_CONFIRM_CORRECTION, priority=True)
_REJECT = Key("Ctrl+R", "ctrl+r", "reject", T.KEY_REJECT, priority=True)
_APPLY = Key("Ctrl+P", "ctrl+p", "apply", T.KEY_APPLY, priority=True)
_VENDOR = Key("Ctrl+P", "ctrl+p", "apply", T.KEY_VENDOR, priority=True)
_CLOSE = Key("Esc", "escape", "close", T.KEY_CLOSE)
_PROOF = Key("Ctrl+O", "ctrl+o", "view_proof", T.KEY_PROOF_VIEW, priority=True)
_FORM = Key("Ctrl+T", "ctrl+t", "application_form", T.KEY_APPLICATION_FORM, priority=True)


def offered(detail: CorrectionDetail, role: StaffRole | None) -> list[Key]:
    """The keys for the steps this role may take on this correction now."""
    row = detail.correction
    photo = row.field == "photo"
    keys: list[Key] = []
    if row.state == "reported" and role in ("college_office", "registrar"):
        keys += [_ACCEPT, _REJECT]
    if role == "registrar":
        if row.state == "college_accepted":
            keys += [_CONFIRM, _REJECT]
        # A key field is applied once the province approved it (the server knows the split).
        if row.state in ("registrar_confirmed", "province_approved") and not photo:
            keys.append(_APPLY)
        if row.state in ("college_accepted", "registrar_confirmed") and photo:
            keys.append(_VENDOR)
    return [*keys, _CLOSE]


def document_keys(detail: CorrectionDetail, files: list[ProofFileInfo]) -> list[Key]:
    """The keys for the proof photographs (when there are some) and the 申请表 (for a
    field that needs proof)."""
    keys: list[Key] = []
    if files:
        keys.append(_PROOF)
    if detail.correction.needs_proof:
        keys.append(_FORM)
    return keys


class CorrectionModal(StaffModal[Msg | None]):
    """Shows one correction; a decision closes the dialog with a notice for the queue."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        loading=(_CLOSE,),
        # Part of these, as :func:`offered` says for the correction and the role.
        deciding=(_ACCEPT, _CONFIRM, _REJECT, _APPLY, _VENDOR, _PROOF, _FORM, _CLOSE),
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#comment"

    def __init__(self, correction_id: int) -> None:
        super().__init__()
        self._correction_id = correction_id
        self._detail: CorrectionDetail | None = None
        self._files: list[ProofFileInfo] = []

    def compose(self) -> ComposeResult:
        """The correction, the comment and proof lines, a message line, the keys."""
        with Vertical(id="correction", classes="dialog"):
            yield Tr(T.LOADING, id="correction-title", classes="dialog-title")
            yield Tr(id="correction-body")
            yield Tr(T.COMMENT, classes="label")
            yield Input(id="comment", max_length=500, classes="-borderless")
            yield Tr(T.PROOF, id="proof-label", classes="label")
            yield Input(id="proof", max_length=500, classes="-borderless")
            yield Tr(id="correction-message", classes="-error")
            yield KeyBar(self.KEYS["loading"], id="correction-keys")

    def on_mount(self) -> None:
        """Load the correction."""
        self._load()

    @work(exclusive=True, group="correction")
    async def _load(self) -> None:
        client = self.console.client
        try:
            self._detail = await client.correction(self._correction_id)
            self._files = (await client.proof_files(self._correction_id)).files
        except ApiError as error:
            self.dismiss(T.error_text(error, self.console.role))
            return
        keys = self.query_one("#correction-keys", KeyBar)
        await keys.remove()
        hints = offered(self._detail, self.console.role)
        hints[-1:-1] = document_keys(self._detail, self._files)
        bar = KeyBar(hints, id="correction-keys")
        await self.query_one("#correction", Vertical).mount(bar)
        self.refresh_language(self.console.lang)

    def refresh_language(self, lang: Lang) -> None:
        """Every text in ``lang``, the correction's lines included."""
        super().refresh_language(lang)
        detail = self._detail
        if detail is None:
            return
        row = detail.correction
        label = correction_field_label(row.field)
        self.query_one("#correction-title", Tr).show(
            T.DETAIL_TITLE.fmt(id=row.id, student_no=row.student_no, name=row.name,
                               field=label.get(lang))
        )  # fmt: skip
        values = {
            each: T.DETAIL_VALUES.get(
                each,
                current=correction_value_text(row.field, row.current_value, each),
                proposed=correction_value_text(row.field, row.proposed, each),
            )
            for each in ("zh", "en")
        }
        lines = [
            Msg(values["zh"], values["en"]),
            T.CORRECTION_STATES[row.state],
        ]
        if detail.note:
            lines.append(T.DETAIL_NOTE.fmt(note=detail.note))
        if detail.proof:
            lines.append(T.DETAIL_PROOF.fmt(proof=detail.proof))
        elif row.needs_proof:
            lines.append(T.DETAIL_NEEDS_PROOF)
        if self._files:
            lines.append(T.DETAIL_PROOF_FILES)
        for n, file in enumerate(self._files, 1):
            lines.append(
                T.PROOF_FILE_LINE.fmt(
                    n=str(n), kind=PROOF_KINDS[file.kind].get(lang),
                    size=kilobytes(file.size_bytes), width=str(file.width),
                    height=str(file.height),
                )
            )  # fmt: skip
        for step in detail.history[-HISTORY_SHOWN:]:
            moment = f"{self.console.local(step.at):%m-%d %H:%M}"
            state = T.CORRECTION_STATES[step.to_state]
            lines.append(
                Msg(*(f"{moment} {step.by or ''} → {state.get(each)} {step.comment or ''}"
                      for each in ("zh", "en")))
            )  # fmt: skip
        self.query_one("#correction-body", Tr).show(lines)
        wants_proof = row.needs_proof and row.state == "reported"
        self.query_one("#proof-label", Tr).display = wants_proof
        self.query_one("#proof", Input).display = wants_proof

    def _comment(self) -> str | None:
        comment = self.query_one("#comment", Input).value.strip()
        if not comment:
            self.query_one("#correction-message", Tr).show(T.NEED_COMMENT)
            return None
        return comment

    def action_accept(self) -> None:
        """Ctrl+A: the college accepts, or the registrar confirms."""
        self._decide(accept=True)

    def action_reject(self) -> None:
        """Ctrl+R: the college or the registrar rejects."""
        self._decide(accept=False)

    def _decide(self, *, accept: bool) -> None:
        detail = self._detail
        comment = self._comment()
        if detail is None or comment is None:
            return
        row = detail.correction
        body: CollegeDecision | RegistrarDecision
        step: CorrectionAction
        if row.state == "reported":
            proof = self.query_one("#proof", Input).value.strip() or None
            decision = "accept" if accept else "reject"
            body, step = CollegeDecision(decision=decision, comment=comment, proof=proof), "college"
        else:
            choice = "confirm" if accept else "reject"
            body, step = RegistrarDecision(decision=choice, comment=comment), "registrar"
        if accept:
            self._send(body, step)
            return
        question = T.localized(
            T.CONFIRM_REJECT, student=f"{row.student_no} {row.name}",
            field=correction_field_label(row.field), comment=comment,
        )  # fmt: skip
        self._ask(body, step, T.CONFIRM_REJECT_TITLE, question)

    @work(exclusive=True, group="ask")
    async def _ask(
        self,
        body: CollegeDecision | RegistrarDecision | CorrectionStep,
        step: CorrectionAction,
        title: Msg,
        question: Msg,
    ) -> None:
        if await confirmed(self.app, title, question):
            self._send(body, step)

    def action_apply(self) -> None:
        """Ctrl+P: apply a confirmed field correction (once confirmed), or send a photo to the
        vendor."""
        if self._detail is None:
            return
        row = self._detail.correction
        comment = self.query_one("#comment", Input).value.strip() or None
        if row.field == "photo":
            self._send(CorrectionStep(comment=comment), "send-to-vendor")
            return
        question = T.localized(
            T.CONFIRM_APPLY, student=f"{row.student_no} {row.name}",
            field=correction_field_label(row.field), current=row.current_value or "",
            proposed=row.proposed or "",
        )  # fmt: skip
        self._ask(CorrectionStep(comment=comment), "apply", T.CONFIRM_APPLY_TITLE, question)

    @work(exclusive=True, group="correction")
    async def _send(
        self,
        body: CollegeDecision | RegistrarDecision | CorrectionStep,
        step: CorrectionAction,
    ) -> None:
        try:
            detail = await self.console.client.decide(self._correction_id, body, step)
        except ApiError as error:
            line = self.query_one("#correction-message", Tr)
            line.set_class(True, "-error")
            self.fail(error, line)
            return
        state = T.CORRECTION_STATES[detail.correction.state]
        self.dismiss(Msg(T.DECIDED.zh.format(id=self._correction_id, state=state.zh),
                         T.DECIDED.en.format(id=self._correction_id, state=state.en)))  # fmt: skip

    def action_view_proof(self) -> None:
        """Ctrl+O: the student's proof photographs, one at a time."""
        if self._files:
            self.app.push_screen(ProofViewerModal(self._correction_id, self._files))

    @work(exclusive=True, group="document")
    async def action_application_form(self) -> None:
        """Ctrl+T: save the 学籍信息变更申请表 (PDF) to print, sign and stamp."""
        detail = self._detail
        if detail is None or not detail.correction.needs_proof:
            return
        line = self.query_one("#correction-message", Tr)
        line.set_class(True, "-error")
        try:
            download = await self.console.client.application_form(self._correction_id)
        except ApiError as error:
            self.fail(error, line)
            return
        path = await self.app.push_screen_wait(SaveReportModal(Path.cwd() / download.filename))
        if path is None:
            return
        try:
            await asyncio.to_thread(path.write_bytes, download.content)
        except OSError as error:
            line.show(T.save_failed(error))
            return
        line.set_class(False, "-error")
        line.show(T.APPLICATION_FORM_SAVED.fmt(path=str(path)))

    def action_close(self) -> None:
        """Escape: back to the queue, nothing decided."""
        self.dismiss(None)
