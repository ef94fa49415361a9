"""Province batches (报省批次): confirmed key-field corrections go to the province together.

Above, what waits for a batch (Space marks, F9 submits the marked as a new batch); below, the
batches (F11 / F12 save the highlighted one's DBF / Excel file; Ctrl+O / Ctrl+R record the
province's answer for every correction of it still waiting, with the reply reference typed
in the line at the bottom; Enter opens it to answer for some of its corrections). Registrar
only; opened from the corrections queue (Ctrl+B).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input

from kiosk.catalogue import correction_field_label, correction_value_text
from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.corrections import CorrectionRow
from kiosk.protocol.province import (
    PlatformFormat,
    ProvinceAnswer,
    ProvinceBatchCreate,
    ProvinceBatchRow,
)
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffScreen, confirmed
from screens.staff.batch_detail import BatchModal
from screens.staff.save_report import save_download
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyMap

Decision = Literal["approve", "reject"]


class BatchesScreen(StaffScreen):
    """What waits for the province, and the batches already sent with their answers."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("Space", "space", "mark", T.KEY_MARK),
            Key("F9", "f9", "submit_batch", T.KEY_SUBMIT_BATCH),
            Key("Enter", "enter", "open_batch", T.KEY_OPEN_BATCH, by=DataTable),
            Key("F11", "f11", "save('dbf')", T.KEY_SAVE_DBF),
            Key("F12", "f12", "save('xlsx')", T.KEY_SAVE_XLSX),
            Key("Ctrl+O", "ctrl+o", "answer('approve')", T.KEY_APPROVE),
            Key("Ctrl+R", "ctrl+r", "answer('reject')", T.KEY_REJECT_BATCH),
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#batch-candidates"

    def __init__(self) -> None:
        super().__init__()
        self._candidates: list[CorrectionRow] = []
        self._batches: list[ProvinceBatchRow] = []
        self._marked: set[int] = set()

    def compose_body(self) -> ComposeResult:
        """Title, what waits, the batches, the reply reference."""
        yield Tr(T.BATCHES_TITLE, id="screen-title")
        yield Tr(id="batch-candidates-label", classes="label")
        yield DataTable(id="batch-candidates", cursor_type="row")
        yield Tr(id="batch-list-label", classes="label")
        yield DataTable(id="batch-list", cursor_type="row")
        yield Tr(T.BATCH_REFERENCE, classes="label")
        yield Input(id="batch-reference", max_length=100, classes="-borderless")

    def on_mount(self) -> None:
        """Load both lists."""
        self.relabel(self.console.lang)
        self.reload()

    @work(exclusive=True, group="batches")
    async def reload(self, notice: Msg | None = None) -> None:
        """Ask for what waits and for the batches again."""
        try:
            candidates = await self.client.province_candidates()
            batches = await self.client.province_batches()
        except ApiError as error:
            self.fail(error)
            return
        self._candidates, self._batches = candidates.corrections, batches.batches
        self._marked &= {row.id for row in self._candidates}
        self.say(notice)
        self.relabel(self.console.lang)

    @on(DataTable.RowSelected, "#batch-list")
    def action_open_batch(self) -> None:
        """Enter on a batch: its corrections, to record the answer for some of them."""
        table = self.query_one("#batch-list", DataTable)
        if self.focused is table and 0 <= table.cursor_row < len(self._batches):
            self.app.push_screen(BatchModal(self._batches[table.cursor_row].id), self._answered)

    def _answered(self, notice: Msg | None) -> None:
        if notice is not None:
            self.reload(notice)

    def action_mark(self) -> None:
        """Space: mark or unmark the highlighted correction for the next batch."""
        table = self.query_one("#batch-candidates", DataTable)
        if self.focused is not table or not 0 <= table.cursor_row < len(self._candidates):
            return
        self._marked ^= {self._candidates[table.cursor_row].id}
        self.relabel(self.console.lang)

    @work(exclusive=True, group="ask")
    async def action_submit_batch(self) -> None:
        """F9: the marked corrections go to the province as one new batch, after a yes."""
        ids = [row.id for row in self._candidates if row.id in self._marked]
        if not ids:
            self.say(T.NOTHING_MARKED, error=True)
            return
        question = T.CONFIRM_SUBMIT_BATCH.fmt(n=len(ids))
        if not await confirmed(self.app, T.CONFIRM_SUBMIT_BATCH_TITLE, question):
            return
        try:
            made = await self.client.create_province_batch(ProvinceBatchCreate(ids=ids))
        except ApiError as error:
            self._refused(error, ids)
            return
        self._marked.clear()
        self.reload(T.BATCH_MADE.fmt(number=made.batch.number, n=made.batch.corrections))

    def _refused(self, error: ApiError, ids: list[int]) -> None:
        problem = error.problem
        if error.code == "bulk_failed" and problem is not None:
            rows = {row.id: row for row in self._candidates}
            self.say(T.bulk_refusal(problem, ids, rows), error=True)
        elif error.code == "platform_file_problems" and problem is not None and problem.errors:
            base = T.error_text(error, self.console.role)
            first = problem.errors[0].message
            self.say(Msg(f"{base.zh} {first}", f"{base.en} {first}"), error=True)
        else:
            self.fail(error)

    def _batch(self) -> ProvinceBatchRow | None:
        table = self.query_one("#batch-list", DataTable)
        if not self._batches or not 0 <= table.cursor_row < len(self._batches):
            self.say(T.NO_BATCH, error=True)
            return None
        return self._batches[table.cursor_row]

    @work(exclusive=True, group="save")
    async def action_save(self, fmt: PlatformFormat) -> None:
        """F11 / F12: the highlighted batch in the platform's layout, saved where asked."""
        batch = self._batch()
        if batch is None:
            return
        await save_download(self, self.client.province_file(batch.id, fmt), T.BATCH_SAVED)

    @work(exclusive=True, group="ask")
    async def action_answer(self, decision: Decision) -> None:
        """Ctrl+O / Ctrl+R: the province approved or rejected what still waits in the
        highlighted batch; the reply's reference comes from the line at the bottom."""
        batch = self._batch()
        if batch is None:
            return
        reference = self.query_one("#batch-reference", Input).value.strip()
        if not reference:
            self.say(T.NEED_REFERENCE, error=True)
            self.query_one("#batch-reference", Input).focus()
            return
        word = T.ANSWER_WORDS[decision]
        question = Msg(
            T.CONFIRM_ANSWER.zh.format(
                number=batch.number, n=batch.waiting, decision=word.zh, reference=reference
            ),
            T.CONFIRM_ANSWER.en.format(
                number=batch.number, n=batch.waiting, decision=word.en, reference=reference
            ),
        )
        if not await confirmed(self.app, T.CONFIRM_ANSWER_TITLE, question):
            return
        try:
            await self.client.province_answer(
                batch.id, ProvinceAnswer(decision=decision, reference=reference)
            )
        except ApiError as error:
            self.fail(error)
            return
        self.query_one("#batch-reference", Input).value = ""
        self.reload(T.BATCH_ANSWERED.fmt(number=batch.number))

    def relabel(self, lang: Lang) -> None:
        """Rebuild both tables and their headings in ``lang``."""
        self.query_one("#batch-candidates-label", Tr).show(
            T.BATCH_CANDIDATES.fmt(n=len(self._candidates), marked=len(self._marked))
        )
        self.query_one("#batch-list-label", Tr).show(T.BATCH_LIST.fmt(n=len(self._batches)))
        candidates = self.query_one("#batch-candidates", DataTable)
        row = candidates.cursor_row
        candidates.clear(columns=True)
        candidates.add_columns(*(column.get(lang) for column in T.CANDIDATE_COLUMNS))
        for item in self._candidates:
            candidates.add_row(
                "✓" if item.id in self._marked else "",
                item.student_no,
                item.name,
                correction_field_label(item.field).get(lang),
                correction_value_text(item.field, item.proposed, lang),
                item.college,
                key=str(item.id),
            )
        if self._candidates:
            candidates.move_cursor(row=min(max(row, 0), len(self._candidates) - 1))
        batches = self.query_one("#batch-list", DataTable)
        row = batches.cursor_row
        batches.clear(columns=True)
        batches.add_columns(*(column.get(lang) for column in T.BATCH_COLUMNS))
        for batch in self._batches:
            batches.add_row(
                batch.number,
                batch.submitted_on.isoformat(),
                str(batch.corrections),
                str(batch.waiting),
                batch.created_by or "",
                key=str(batch.id),
            )
        if self._batches:
            batches.move_cursor(row=min(max(row, 0), len(self._batches) - 1))
