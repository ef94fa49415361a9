"""The live board: a lab's terminals as a grid, and the running session's roster progress.

It polls every second; the client sends the last version seen, so an unchanged board costs
the server a 304 and the console nothing, and a change shows within two seconds.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import ProgressBar

from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol import BoardResponse, BoardTerminal, SupervisedSessionInfo
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffScreen
from screens.widgets.i18n import KeyHint, Tr, Translatable

POLL_INTERVAL_S = 1.0
"""How often the board asks the server; the issue allows it to lag at most 2 s."""


class TerminalCard(Translatable):
    """One terminal: name, online/offline, idle/in use, step, who (masked), waiting results."""

    def __init__(self, terminal: BoardTerminal) -> None:
        super().__init__(classes="terminal")
        self.terminal = terminal

    def show_terminal(self, terminal: BoardTerminal) -> None:
        """Show the terminal's latest state."""
        self.terminal = terminal
        self.relabel(self._lang)

    def relabel(self, lang: Lang) -> None:
        """Also restyle: the state is a CSS class (offline greyed, in use highlighted)."""
        for state in T.TERMINAL_STATES:
            self.set_class(self.terminal.state == state, f"-{state}")
        super().relabel(lang)

    def text_in(self, lang: Lang) -> str:
        """Four short lines, to fit four cards across 80 columns."""
        item = self.terminal
        step = T.STEPS.get(item.step or "")
        doing = " ".join(
            part for part in (step.get(lang) if step else "", item.student_masked or "") if part
        )
        counts = [
            msg.get(lang, n=n)
            for msg, n in ((T.WAITING, item.results_waiting), (T.DEAD, item.dead_letters))
            if n
        ]
        lines = [item.name, T.TERMINAL_STATES[item.state].get(lang), doing, " ".join(counts)]
        return "\n".join(lines)


class BoardScreen(StaffScreen):
    """The board of one lab (following its running session) or of one session."""

    KEYS: ClassVar[tuple[KeyHint, ...]] = (("L", T.KEY_NEXT_LAB, "screen.next_lab"), *NAVIGATION)
    BINDINGS: ClassVar = [("l", "next_lab")]

    def __init__(self, *, lab: str | None = None, session_id: int | None = None) -> None:
        super().__init__()
        self._lab = lab
        self._session_id = session_id
        self._labs: list[str] = []
        self._version = ""
        self._updated = ""
        self._stopped = False

    def compose_body(self) -> ComposeResult:
        """Where, the session, the progress, the terminals, when updated."""
        yield Tr(T.BOARD_TITLE, id="screen-title")
        yield Tr(T.LOADING, id="board-where")
        yield Tr(id="board-session")
        yield ProgressBar(show_eta=False, id="progress-bar")
        yield Tr(id="progress-text")
        yield Grid(id="terminals")
        yield Tr(id="board-updated")

    def on_mount(self) -> None:
        """Fetch now, then every second."""
        self.query_one(ProgressBar).display = False
        self.poll()
        self.set_interval(POLL_INTERVAL_S, self.poll)

    @work(exclusive=True, group="board")
    async def poll(self) -> None:
        """Fetch the board; redraw only if its version changed."""
        if self._stopped:
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
        grid = self.query_one("#terminals", Grid)
        cards = list(grid.query(TerminalCard))
        if [card.terminal.id for card in cards] == [t.id for t in board.terminals]:
            for card, terminal in zip(cards, board.terminals, strict=True):
                card.show_terminal(terminal)
        else:
            await grid.remove_children()
            await grid.mount_all(TerminalCard(terminal) for terminal in board.terminals)

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
