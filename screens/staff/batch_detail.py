"""One province batch: its corrections, and the province's answer for the marked ones.

Opened with Enter on a batch (:mod:`screens.staff.batches`). Space marks corrections still
waiting; with the reply's reference typed, Ctrl+O records them approved and Ctrl+R rejected,
after a yes. Esc closes. For the whole batch at once the batches screen has the same keys.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from kiosk.catalogue import correction_field_label, correction_value_text
from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.province import ProvinceAnswer, ProvinceBatchDetail
from screens.staff import text as T
from screens.staff.base import StaffModal, confirmed
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap

WAITING = "submitted_to_province"


class BatchModal(StaffModal[Msg | None]):
    """A batch's corrections; an answer for the marked ones closes it with a notice."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        dialog=(
            Key("Space", "space", "mark", T.KEY_MARK),
            # Priority: the reference line may have focus, and an Input keeps keys for itself.
            Key("Ctrl+O", "ctrl+o", "answer('approve')", T.KEY_APPROVE, priority=True),
            Key("Ctrl+R", "ctrl+r", "answer('reject')", T.KEY_REJECT_BATCH, priority=True),
            Key("Esc", "escape", "close", T.KEY_CLOSE),
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#batch-items"

    def __init__(self, batch_id: int) -> None:
        super().__init__()
        self._batch_id = batch_id
        self._detail: ProvinceBatchDetail | None = None
        self._marked: set[int] = set()

    def compose(self) -> ComposeResult:
        """The batch's title, its corrections, the reference line, a message line, the keys."""
        with Vertical(id="batch", classes="dialog"):
            yield Tr(T.LOADING, id="batch-title", classes="dialog-title")
            yield DataTable(id="batch-items", cursor_type="row")
            yield Tr(T.BATCH_REFERENCE, classes="label")
            yield Input(id="batch-item-reference", max_length=100, classes="-borderless")
            yield Tr(id="batch-message", classes="-error")
            yield KeyBar(self.KEYS["dialog"])

    def on_mount(self) -> None:
        """Load the batch."""
        self._load()

    @work(exclusive=True, group="batch")
    async def _load(self) -> None:
        try:
            self._detail = await self.console.client.province_batch(self._batch_id)
        except ApiError as error:
            self.dismiss(T.error_text(error, self.console.role))
            return
        self.refresh_language(self.console.lang)

    def action_close(self) -> None:
        """Esc: back to the batches, nothing recorded."""
        self.dismiss(None)

    def action_mark(self) -> None:
        """Space: mark or unmark the highlighted correction, if it still waits."""
        table = self.query_one("#batch-items", DataTable)
        detail = self._detail
        if detail is None or self.focused is not table:
            return
        if 0 <= table.cursor_row < len(detail.corrections):
            item = detail.corrections[table.cursor_row].correction
            if item.state == WAITING:
                self._marked ^= {item.id}
                self.refresh_language(self.console.lang)

    @work(exclusive=True, group="ask")
    async def action_answer(self, decision: Literal["approve", "reject"]) -> None:
        """Ctrl+O / Ctrl+R: the province's answer for the marked corrections."""
        line = self.query_one("#batch-message", Tr)
        detail = self._detail
        reference = self.query_one("#batch-item-reference", Input).value.strip()
        if detail is None:
            return
        if not self._marked:
            line.show(T.NOTHING_MARKED_ANSWER)
            return
        if not reference:
            line.show(T.NEED_REFERENCE)
            self.query_one("#batch-item-reference", Input).focus()
            return
        word = T.ANSWER_WORDS[decision]
        question = Msg(
            T.CONFIRM_ANSWER.zh.format(
                number=detail.batch.number, n=len(self._marked), decision=word.zh,
                reference=reference,
            ),
            T.CONFIRM_ANSWER.en.format(
                number=detail.batch.number, n=len(self._marked), decision=word.en,
                reference=reference,
            ),
        )  # fmt: skip
        if not await confirmed(self.app, T.CONFIRM_ANSWER_TITLE, question):
            return
        ids = [c.correction.id for c in detail.corrections if c.correction.id in self._marked]
        answer = ProvinceAnswer(decision=decision, reference=reference, ids=ids)
        try:
            await self.console.client.province_answer(self._batch_id, answer)
        except ApiError as error:
            self.fail(error, line)
            return
        self.dismiss(T.BATCH_ANSWERED.fmt(number=detail.batch.number))

    def refresh_language(self, lang: Lang) -> None:
        """Every text in ``lang``, the batch's rows included."""
        super().refresh_language(lang)
        detail = self._detail
        if detail is None:
            return
        self.query_one("#batch-title", Tr).show(
            T.BATCH_TITLE.fmt(
                number=detail.batch.number, day=detail.batch.submitted_on.isoformat(),
                waiting=detail.batch.waiting, marked=len(self._marked),
            )
        )  # fmt: skip
        table = self.query_one("#batch-items", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(column.get(lang) for column in T.BATCH_ITEM_COLUMNS))
        for item in detail.corrections:
            correction = item.correction
            table.add_row(
                "✓" if correction.id in self._marked else "",
                correction.student_no,
                correction.name,
                correction_field_label(correction.field).get(lang),
                correction_value_text(correction.field, correction.proposed, lang),
                T.CORRECTION_STATES[correction.state].get(lang),
                item.province_reference or "",
                key=str(correction.id),
            )
        if detail.corrections:
            table.move_cursor(row=min(max(row, 0), len(detail.corrections) - 1))
