"""Supervised sessions: the list, planning, start and end, the board, report downloads."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable

from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.staff import SessionReport, SupervisedSessionInfo
from kiosk.staff_client import ReportFormat
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffScreen, confirmed
from screens.staff.board import BoardScreen
from screens.staff.plan import PlanSessionModal
from screens.staff.save_report import SaveReportModal
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyMap


class SessionsScreen(StaffScreen):
    """The latest sessions; the keys act on the highlighted one."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("N", "n", "new", T.KEY_NEW),
            Key("S", "s", "start", T.KEY_START),
            Key("E", "e", "end", T.KEY_END),
            Key("M", "m", "edit", T.KEY_EDIT),
            Key("D", "d", "cancel_session", T.KEY_CANCEL_SESSION),
            Key("B", "b", "board", T.KEY_SHOW_BOARD),
            Key("C", "c", "report('csv')", T.KEY_REPORT_CSV),
            Key("X", "x", "report('xlsx')", T.KEY_REPORT_XLSX),
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#sessions"

    def __init__(self) -> None:
        super().__init__()
        self._sessions: list[SupervisedSessionInfo] = []
        self._labs: list[str] = []

    def compose_body(self) -> ComposeResult:
        """The title, the table, the report summary."""
        yield Tr(T.SESSIONS_TITLE, id="screen-title")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Tr(id="report-summary")

    def on_mount(self) -> None:
        """Load the list."""
        self.relabel(self.console.lang)
        self.load()

    @work(exclusive=True, group="sessions")
    async def load(self, select: int | None = None) -> None:
        """Fetch the sessions (and labs, for planning); keep ``select`` highlighted."""
        try:
            self._sessions = await self.client.sessions()
            self._labs = [item.lab for item in await self.client.labs()]
        except ApiError as error:
            self.fail(error)
            return
        if not self._sessions:
            self.say(T.NO_SESSIONS)
        self.relabel(self.console.lang)
        if select is not None:
            rows = [item.id for item in self._sessions]
            if select in rows:
                self.query_one(DataTable).move_cursor(row=rows.index(select))

    def relabel(self, lang: Lang) -> None:
        """Rebuild the table in ``lang``, keeping the highlighted row."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(column.get(lang) for column in T.SESSION_COLUMNS))
        for item in self._sessions:
            start, end = self.console.local(item.starts_at), self.console.local(item.ends_at)
            table.add_row(
                str(item.id),
                item.title,
                item.lab,
                f"{start:%m-%d %H:%M}–{end:%H:%M}",
                T.SESSION_STATES[item.state].get(lang),
                str(item.roster_size),
                key=str(item.id),
            )
        if self._sessions:
            table.move_cursor(row=min(row, len(self._sessions) - 1))

    def _current(self) -> SupervisedSessionInfo | None:
        table = self.query_one(DataTable)
        if not self._sessions or table.cursor_row < 0:
            return None
        return self._sessions[min(table.cursor_row, len(self._sessions) - 1)]

    def action_new(self) -> None:
        """N: plan a session."""
        lab = self._labs[0] if self._labs else ""
        self.app.push_screen(
            PlanSessionModal(lab, self.console.local(self.console.clock())), self._planned
        )

    def _planned(self, created: SupervisedSessionInfo | None) -> None:
        if created is not None:
            self.say(T.CREATED.fmt(id=created.id))
            self.load(select=created.id)

    def action_edit(self) -> None:
        """M: edit the highlighted planned session, or extend a running one."""
        item = self._current()
        if item is None:
            return
        now = self.console.local(self.console.clock())
        self.app.push_screen(PlanSessionModal(item.lab, now, item), self._edited)

    def _edited(self, updated: SupervisedSessionInfo | None) -> None:
        if updated is not None:
            self.say(T.UPDATED.fmt(id=updated.id))
            self.load(select=updated.id)

    def action_cancel_session(self) -> None:
        """D: cancel the highlighted session if it has not started, once confirmed."""
        item = self._current()
        if item is None:
            return
        if item.state == "planned":
            self._cancel(item)
        else:  # nothing to confirm: the server says why a started session cannot be cancelled
            self._cancelled(item.id)

    @work(exclusive=True, group="ask")
    async def _cancel(self, item: SupervisedSessionInfo) -> None:
        start = self.console.local(item.starts_at)
        body = T.CONFIRM_CANCEL.fmt(
            id=item.id, title=item.title, lab=item.lab, time=f"{start:%m-%d %H:%M}",
            n=item.roster_size,
        )  # fmt: skip
        if await confirmed(self.app, T.CONFIRM_CANCEL_TITLE, body):
            self._cancelled(item.id)

    @work(exclusive=True, group="change")
    async def _cancelled(self, session_id: int) -> None:
        try:
            await self.client.cancel_session(session_id)
        except ApiError as error:
            self.fail(error)
            return
        self.say(T.CANCELLED.fmt(id=session_id))
        self.load()

    def action_start(self) -> None:
        """S: start the highlighted session."""
        if (item := self._current()) is not None:
            self._change(item.id, start=True)

    def action_end(self) -> None:
        """E: end the highlighted session (or cancel it if it never started), once confirmed."""
        if (item := self._current()) is not None:
            self._end(item)

    @work(exclusive=True, group="ask")
    async def _end(self, item: SupervisedSessionInfo) -> None:
        body = T.CONFIRM_END.fmt(id=item.id, title=item.title, lab=item.lab, n=item.roster_size)
        if await confirmed(self.app, T.CONFIRM_END_TITLE, body):
            self._change(item.id, start=False)

    @work(exclusive=True, group="change")
    async def _change(self, session_id: int, *, start: bool) -> None:
        try:
            if start:
                await self.client.start_session(session_id)
            else:
                await self.client.end_session(session_id)
        except ApiError as error:
            self.fail(error)
            return
        self.say(T.STARTED if start else T.ENDED)
        self.load(select=session_id)

    def action_board(self) -> None:
        """B: the live board of the highlighted session."""
        if (item := self._current()) is not None:
            self.app.switch_screen(BoardScreen(session_id=item.id))

    def action_report(self, fmt: ReportFormat) -> None:
        """C / X: the report's summary here, and the file where the staff member confirms."""
        item = self._current()
        if item is None:
            return
        suggested = Path.cwd() / f"session-{item.id}-report.{fmt}"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._save(item.id, fmt, path)

        self.app.push_screen(SaveReportModal(suggested), chosen)

    @work(exclusive=True, group="change")
    async def _save(self, session_id: int, fmt: ReportFormat, path: Path) -> None:
        try:
            report = await self.client.report(session_id)
            data = await self.client.report_file(session_id, fmt)
        except ApiError as error:
            self.fail(error)
            return
        self.query_one("#report-summary", Tr).show(_summary(report))
        await self.save_file(path, data, T.SAVED.fmt(path=str(path)))


def _summary(report: SessionReport) -> Msg:
    rows = report.rows
    return T.REPORT_SUMMARY.fmt(
        came=sum(row.came for row in rows),
        finished=sum(row.finished for row in rows),
        corrected=sum(bool(row.corrections) for row in rows),
        absent=sum(not row.came for row in rows),
    )
