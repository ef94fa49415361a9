"""The live board: a lab's terminals as a table, and the running session's roster progress.

It polls every second; the client sends the last version seen, so an unchanged board costs
the server a 304 and the console nothing, and a change shows within two seconds.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import ProgressBar

from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.staff import BoardResponse, SupervisedSessionInfo
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffScreen
from screens.staff.terminal_table import TerminalTable, summary
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyMap

POLL_INTERVAL_S = 1.0
"""How often the board asks the server; the issue allows it to lag at most 2 s."""


class BoardScreen(StaffScreen):
    """The board of one lab (following its running session) or of one session."""

    # Letters: the F-keys are the console's navigation, and F6 is each screen's own action.
    # The lab's terminals (enrolment codes, retiring, remote control) open from their board.
    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("F", "f", "next_filter", T.KEY_BOARD_FILTER),
            Key("O", "o", "next_order", T.KEY_BOARD_ORDER),
            Key("L", "l", "next_lab", T.KEY_NEXT_LAB),
            Key("T", "t", "app.show('terminals')", T.KEY_LAB_TERMINALS),
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#terminals"

    def __init__(self, *, lab: str | None = None, session_id: int | None = None) -> None:
        super().__init__()
        self._lab = lab
        self._session_id = session_id
        self._labs: list[str] = []
        self._version = ""
        self._updated = ""
        self._stopped = False
        self._board: BoardResponse | None = None

    def compose_body(self) -> ComposeResult:
        """Where and when updated, the session, the progress, the counts, the terminals."""
        yield Tr(T.BOARD_TITLE, id="screen-title")
        with Horizontal(id="board-head"):
            yield Tr(T.LOADING, id="board-where")
            yield Tr(id="board-updated")
        yield Tr(id="board-session")
        yield ProgressBar(show_eta=False, id="progress-bar")
        yield Tr(id="progress-text")
        yield Tr(id="board-summary")
        yield Tr(id="board-view")
        yield TerminalTable(self.console.local, id="terminals")

    def on_mount(self) -> None:
        """Fetch now, then every second."""
        self.query_one(ProgressBar).display = False
        self.poll()
        self.set_interval(POLL_INTERVAL_S, self.poll)

    @work(exclusive=True, group="board")
    async def poll(self) -> None:
        """Fetch the board; redraw only if its version changed."""
        if self._stopped or self.console.staff is None:  # refused, or logging in again
            return
        try:
            if not self._labs:
                self._labs = [item.lab for item in await self.client.labs()]
            if self._lab is None and self._session_id is None:
                if not self._labs:
                    self.query_one("#board-where", Tr).show(T.BOARD_NO_LABS)
                    return
                self._lab = self._labs[0]
            board = await self.client.board(lab=self._lab, session=self._session_id)
        except ApiError as error:
            # Asking again every second would only repeat a refusal into the audit log.
            self._stopped = error.code == "forbidden"
            if not self._version:
                self.query_one("#board-where", Tr).show(None)
            self.fail(error)
            self._stale()
            return
        self.say(None)
        self._updated = f"{self.console.local(self.console.clock()):%H:%M:%S}"
        attacked = board.accounts_under_attack
        self.query_one("#board-updated", Tr).show(
            [T.BOARD_UPDATED.fmt(time=self._updated)]
            + ([T.UNDER_ATTACK.fmt(n=attacked)] if attacked else [])
        )
        if board.version != self._version:
            self._version = board.version
            await self._draw(board)

    def _stale(self) -> None:
        if self._updated:
            self.query_one("#board-updated", Tr).show(T.BOARD_STALE.fmt(time=self._updated))

    async def _draw(self, board: BoardResponse) -> None:
        self.query_one("#board-where", Tr).show(T.BOARD_LAB.fmt(lab=board.lab))
        self.query_one("#board-session", Tr).show(self._session_text(board.session))
        bar = self.query_one(ProgressBar)
        progress = board.progress
        bar.display = progress is not None
        if progress is not None:
            done = progress.all_correct + progress.corrections_reported
            bar.update(total=max(progress.total, 1), progress=done)
        self.query_one("#progress-text", Tr).show(
            T.PROGRESS.fmt(**progress.model_dump()) if progress else None
        )
        self._board = board
        self.query_one("#board-summary", Tr).show(summary(board.terminals))
        self.query_one(TerminalTable).show_terminals(board.terminals, self.console.lang)
        self._show_view()

    def _show_view(self) -> None:
        table = self.query_one(TerminalTable)
        shown, order = T.BOARD_FILTERS[table.filter], T.BOARD_ORDERS[table.order]
        view = T.localized(T.BOARD_VIEW, filter=shown, shown=table.row_count, order=order)
        self.query_one("#board-view", Tr).show(view)

    def relabel(self, lang: Lang) -> None:
        """The table's headings and cells in ``lang``."""
        if self._board is not None:
            self.query_one(TerminalTable).redraw(lang)
            self._show_view()

    def action_next_filter(self) -> None:
        """F: only terminals in the next state (in use, idle, offline, waiting, PIN)."""
        self.query_one(TerminalTable).next_filter(self.console.lang)
        self._show_view()

    def action_next_order(self) -> None:
        """O: sort by name, or the terminals needing attention first."""
        self.query_one(TerminalTable).next_order(self.console.lang)
        self._show_view()

    def _session_text(self, session: SupervisedSessionInfo | None) -> Msg:
        if session is None:
            return T.BOARD_NO_SESSION
        ends = self.console.local(session.ends_at)
        return T.BOARD_SESSION.fmt(title=session.title, ends=f"{ends:%H:%M}")

    def action_next_lab(self) -> None:
        """L: the board of the next lab (from a session's board: of its lab's neighbour)."""
        if len(self._labs) < 2 or self._lab is None:
            return
        self._session_id = None
        self._lab = self._labs[(self._labs.index(self._lab) + 1) % len(self._labs)]
        self._version = ""
        self.poll()
