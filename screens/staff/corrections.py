"""Corrections (勘误): the queue with search and a state filter, bulk confirm, and exports."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input

from kiosk.catalogue import correction_field_label, correction_value_text
from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.base import CORRECTION_STATES, CorrectionState
from kiosk.protocol.corrections import BulkAction, BulkCorrections, CorrectionRow
from kiosk.staff_client import ExportFormat
from screens.staff import text as T
from screens.staff.base import (
    COLLEGE_FILTER,
    EXPORTS,
    NAVIGATION,
    CollegeChoice,
    StaffScreen,
    confirmed,
)
from screens.staff.correction_detail import CorrectionModal
from screens.staff.save_report import save_download
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyMap

BULK_COMMENTS: dict[BulkAction, str] = {
    "confirm": "批量确认 / confirmed in bulk",
    "apply": "批量更正 / applied in bulk",
}


class CorrectionsScreen(StaffScreen):
    """Search, a state filter, the queue; Enter opens one correction to decide on."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("Enter", "enter", "open", T.KEY_OPEN, by=DataTable),
            Key("F6", "f6", "next_state", T.KEY_STATE_FILTER),
            COLLEGE_FILTER,
            Key("Space", "space", "mark", T.KEY_MARK),
            Key("F9", "f9", "bulk('confirm')", T.KEY_BULK_CONFIRM),
            Key("Ctrl+P", "ctrl+p", "bulk('apply')", T.KEY_BULK_APPLY),
            *EXPORTS,
            Key("Ctrl+B", "ctrl+b", "app.show('batches')", T.KEY_BATCHES),
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#corrections-table"

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[CorrectionRow] = []
        self._total = 0
        self._state: CorrectionState | None = None
        self._college = CollegeChoice()
        self._marked: set[int] = set()

    def compose_body(self) -> ComposeResult:
        """Title, search line, filter line, the queue."""
        yield Tr(T.CORRECTIONS_TITLE, id="screen-title")
        yield Tr(T.CORRECTIONS_SEARCH, classes="label")
        yield Input(id="corrections-search", max_length=50)
        yield Tr(id="corrections-filter")
        yield DataTable(id="corrections-table", cursor_type="row")

    def on_mount(self) -> None:
        """Load the queue."""
        self.relabel(self.console.lang)
        self.reload()

    def _filters(self) -> dict[str, str]:
        filters: dict[str, str] = {}
        query = self.query_one("#corrections-search", Input).value.strip()
        if query:
            filters["q"] = query
        if self._state is not None:
            filters["state"] = self._state
        return filters | self._college.scope()

    @on(Input.Submitted, "#corrections-search")
    def _search(self) -> None:
        self.reload()

    @work(exclusive=True, group="corrections")
    async def reload(self, notice: Msg | None = None) -> None:
        """Ask for the queue again with the current search and filter."""
        try:
            found = await self.client.corrections(**self._filters())
        except ApiError as error:
            self.fail(error)
            return
        self._rows, self._total = found.corrections, found.total
        self._marked &= {row.id for row in self._rows}
        self.say(notice or (None if self._rows else T.NO_CORRECTIONS))
        self.relabel(self.console.lang)

    def action_next_state(self) -> None:
        """F6: show the next state only (after the last: every state)."""
        order: list[CorrectionState | None] = [None, *CORRECTION_STATES]
        self._state = order[(order.index(self._state) + 1) % len(order)]
        self.reload()

    @work(exclusive=True, group="corrections")
    async def action_next_college(self) -> None:
        """Ctrl+L: show the next college only (after the last: the whole school)."""
        try:
            await self._college.advance(self.client)
        except ApiError as error:
            self.fail(error)
            return
        self.reload()

    def _current(self) -> CorrectionRow | None:
        table = self.query_one(DataTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def action_mark(self) -> None:
        """Space: mark or unmark the highlighted correction for a bulk action."""
        row = self._current()
        if row is None or self.focused is not self.query_one(DataTable):
            return
        self._marked ^= {row.id}
        self.relabel(self.console.lang)

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        """Enter: open the highlighted correction."""
        row = self._current()
        if row is not None:
            self.app.push_screen(CorrectionModal(row.id), self._decided)

    def _decided(self, notice: Msg | None) -> None:
        if notice is not None:
            self.reload(notice)

    def action_bulk(self, action: BulkAction) -> None:
        """F9 / Ctrl+P: the registrar confirms, or applies to the records, every marked
        correction; all or none."""
        if self._marked:
            ids = [row.id for row in self._rows if row.id in self._marked]
            self._ask_bulk(BulkCorrections(action=action, ids=ids, comment=BULK_COMMENTS[action]))

    @work(exclusive=True, group="ask")
    async def _ask_bulk(self, body: BulkCorrections) -> None:
        # Applying writes the master records; confirming is a step the registrar can follow up.
        question = T.CONFIRM_BULK_APPLY.fmt(n=len(body.ids))
        if body.action != "apply" or await confirmed(self.app, T.CONFIRM_APPLY_TITLE, question):
            self._bulk(body)

    @work(exclusive=True, group="corrections")
    async def _bulk(self, body: BulkCorrections) -> None:
        try:
            done = await self.client.bulk(body)
        except ApiError as error:
            if error.code == "bulk_failed" and error.problem is not None:
                by_id = {row.id: row for row in self._rows}
                self.say(T.bulk_refusal(error.problem, body.ids, by_id), error=True)
            else:
                self.fail(error)
            return
        self._marked.clear()
        self.reload(T.BULK_DONE[body.action].fmt(n=len(done.corrections)))

    @work(exclusive=True, group="export")
    async def action_export(self, fmt: ExportFormat) -> None:
        """F11 / F12 / Ctrl+T (PDF, to sign): the 勘误汇总表 of exactly what the screen shows (search, state and
        college), saved where the staff member says, under the name the server gives it."""
        await save_download(
            self, self.client.export_corrections(fmt, **self._filters()), T.EXPORTED
        )

    def relabel(self, lang: Lang) -> None:
        """Rebuild the filter line and the table in ``lang``."""
        state = T.CORRECTION_STATES[self._state] if self._state else T.ALL_STATES
        college = self._college.college or T.WHOLE_SCHOOL.get(lang)
        self.query_one("#corrections-filter", Tr).show(
            T.CORRECTIONS_FILTER.fmt(
                state=state.get(lang),
                college=college,
                total=self._total,
                marked=len(self._marked),
            )
        )
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(column.get(lang) for column in T.CORRECTION_COLUMNS))
        for item in self._rows:
            table.add_row(
                "✓" if item.id in self._marked else "",
                item.student_no,
                item.name,
                correction_field_label(item.field).get(lang),
                T.CORRECTION_STATES[item.state].get(lang),
                correction_value_text(item.field, item.proposed, lang),
                item.class_name,
                key=str(item.id),
            )
        if self._rows:
            table.move_cursor(row=min(max(row, 0), len(self._rows) - 1))
