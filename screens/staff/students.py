"""Students: search by 学号, name or ID number; state, window and history; reopen a window."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input

from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.staff import StudentDetail, StudentRow
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffScreen
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyMap

HISTORY_SHOWN = 6
"""History lines shown under the results (the latest ones), to fit 24 rows."""


class StudentsScreen(StaffScreen):
    """A search line, the results, and the chosen student's detail."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("Enter", "enter", "search", T.KEY_SEARCH, by=Input),
            Key("F6", "f6", "reopen", T.KEY_REOPEN),
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#search"

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[StudentRow] = []
        self._detail: StudentDetail | None = None

    def compose_body(self) -> ComposeResult:
        """Title, search line, results, detail."""
        yield Tr(T.STUDENTS_TITLE, id="screen-title")
        yield Tr(T.SEARCH, classes="label")
        yield Input(id="search", max_length=50)
        yield DataTable(id="results", cursor_type="row")
        yield Tr(id="detail")

    def on_mount(self) -> None:
        """Headings in the current language."""
        self.relabel(self.console.lang)

    @on(Input.Submitted, "#search")
    def action_search(self) -> None:
        """Enter: search for what was typed."""
        query = self.query_one("#search", Input).value.strip()
        if query:
            self._search(query)

    @work(exclusive=True, group="students")
    async def _search(self, query: str) -> None:
        try:
            found = await self.client.search(query)
        except ApiError as error:
            self.fail(error)
            return
        self._rows, self._detail = found.students, None
        self.say(None if self._rows else T.NO_MATCH)
        self.relabel(self.console.lang)
        if self._rows:
            self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self._open(int(str(event.row_key.value)))

    @work(exclusive=True, group="students")
    async def _open(self, student_id: int) -> None:
        try:
            self._detail = await self.client.student(student_id)
        except ApiError as error:
            self.fail(error)
            return
        self.say(None)
        self.relabel(self.console.lang)

    def action_reopen(self) -> None:
        """F6: reopen the shown student's closed window."""
        if self._detail is not None:
            self._reopen(self._detail.student.id)

    @work(exclusive=True, group="students")
    async def _reopen(self, student_id: int) -> None:
        try:
            self._detail = await self.client.reopen(student_id)
        except ApiError as error:
            self.fail(error)
            return
        closes = self._detail.window.closes_at
        assert closes is not None  # a reopened window has an end
        self.say(T.REOPENED.fmt(time=f"{self.console.local(closes):%m-%d %H:%M}"))
        self.relabel(self.console.lang)

    def relabel(self, lang: Lang) -> None:
        """Rebuild the table and the detail in ``lang``."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(column.get(lang) for column in T.STUDENT_COLUMNS))
        for item in self._rows:
            table.add_row(
                item.student_no,
                item.name,
                item.class_name,
                item.id_number_masked,
                T.RECORD_STATES[item.state].get(lang),
                key=str(item.id),
            )
        table.display = bool(self._rows)
        if self._rows:
            table.move_cursor(row=min(max(row, 0), len(self._rows) - 1))
        self.query_one("#detail", Tr).show(self._detail_lines())

    def _detail_lines(self) -> list[Msg]:
        detail = self._detail
        if detail is None:
            return []
        student = detail.student
        head = Msg(
            f"{student.student_no} {student.name} · {student.college} · {student.class_name} · "
            + T.RECORD_STATES[student.state].zh,
            f"{student.student_no} {student.name} · {student.college} · {student.class_name} · "
            + T.RECORD_STATES[student.state].en,
        )
        closes = detail.window.closes_at
        if closes is None:
            window = T.DETAIL_WINDOW_NONE
        else:
            shown = f"{self.console.local(closes):%m-%d %H:%M}"
            opened = detail.window.is_open
            window = (T.DETAIL_WINDOW_OPEN if opened else T.DETAIL_WINDOW_CLOSED).fmt(time=shown)
        history: list[Msg] = []
        for event in detail.history[-HISTORY_SHOWN:]:
            moment = f"{self.console.local(event.at):%m-%d %H:%M}"
            kind = T.HISTORY_KINDS[event.kind]
            what = T.history_what(event.kind, event.outcome, event.detail)
            history.append(
                Msg(
                    f"{moment} {kind.zh} {what.zh if what else ''}".rstrip(),
                    f"{moment} {kind.en} {what.en if what else ''}".rstrip(),
                )
            )
        return [head, window, *(history or [T.NO_HISTORY])]
