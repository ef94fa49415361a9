"""Step 0: the welcome screen of an idle terminal."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, Vertical
from textual.widgets import DataTable, Static

from kiosk.i18n import Lang, Msg
from kiosk.protocol.terminal import SessionBanner
from screens import text as T
from screens.base import KioskScreen
from screens.timefmt import local_clock
from screens.topbar import TopBar
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap


class WelcomeScreen(KioskScreen[None]):
    """School, the four steps, terminal and server status, demo accounts; Enter starts."""

    CSS_PATH = "entry.tcss"
    STEP = "welcome"
    KEYS: ClassVar[KeyMap] = KeyMap(welcome=(Key("Enter", "enter", "start", T.KEY_START),))
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def compose(self) -> ComposeResult:
        """The welcome box, and the demo accounts when there are any."""
        kiosk = self.kiosk
        yield TopBar(T.STEP_WELCOME)
        with Vertical(id="welcome-body"):
            with Center(), Vertical(id="welcome-box"):
                yield Static(kiosk.settings.school_name, id="school", markup=False)
                yield Tr(T.WELCOME_HEADLINE, id="headline")
                yield Tr(T.STEPS, id="steps")
                yield Tr(T.PRESS_ENTER_TO_START, id="press-enter")
                yield Tr(self._terminal(), id="terminal")
                yield Tr(T.SERVER_CHECKING, id="server-status")
                yield Tr(id="supervised-session")
                yield Tr(id="proctor-message")
                yield Tr(id="welcome-notice")
            if kiosk.demo_accounts:
                with Center(), Vertical(id="demo-box"):
                    yield Tr(T.DEMO_TITLE, id="demo-title")
                    yield DataTable(id="demo-accounts", show_cursor=False)
        yield KeyBar(self.KEYS["welcome"])

    def _terminal(self) -> Msg:
        name = self.kiosk.terminal_name
        return T.TERMINAL.fmt(name=name) if name else T.TERMINAL_UNNAMED

    def on_mount(self) -> None:
        """Follow the server status and fill the demo table."""
        self.watch(self.app, "server_online", self._show_status)
        self.watch(self.app, "terminal_name", lambda _name: self._show_terminal())
        self.watch(self.app, "supervised_session", self._show_session)
        self.watch(self.app, "proctor_message", self._show_message)
        # The outbox empties in the background; keep the waiting count honest.
        self.set_interval(5, lambda: self._show_status(self.kiosk.server_online))
        if self.kiosk.demo_accounts:
            table = self.query_one("#demo-accounts", DataTable)
            table.can_focus = False
            self.relabel(self.kiosk.lang)

    def on_screen_resume(self) -> None:
        """Show how many results wait for the server, if any."""
        self._show_status(self.kiosk.server_online)

    def _show_session(self, banner: SessionBanner | None) -> None:
        shown = None
        if banner is not None:
            until = local_clock(banner.ends_at)
            shown = T.SUPERVISED_SESSION.fmt(title=banner.title, until=until)
        self.query_one("#supervised-session", Tr).show(shown)

    def _show_message(self, text: str | None) -> None:
        # The proctor's own words, shown as written in either language.
        self.query_one("#proctor-message", Tr).show(Msg(text, text) if text else None)

    def _show_terminal(self) -> None:
        self.query_one("#terminal", Tr).show(self._terminal())

    def _show_status(self, online: bool | None) -> None:
        lines: list[Msg] = [
            T.SERVER_CHECKING if online is None else T.SERVER_ONLINE if online else T.SERVER_OFFLINE
        ]
        waiting = self.kiosk.outbox_counts().waiting
        if waiting:
            lines.append(T.RESULTS_WAITING.fmt(n=waiting))
        status = self.query_one("#server-status", Tr)
        status.set_class(online is False, "-offline")
        status.show(lines)

    def relabel(self, lang: Lang) -> None:
        """Rebuild the demo table with headings in ``lang``."""
        if not self.kiosk.demo_accounts:
            return
        table = self.query_one("#demo-accounts", DataTable)
        table.clear(columns=True)
        table.add_columns(T.DEMO_USER.get(lang), T.DEMO_PASSWORD.get(lang), T.DEMO_NOTE.get(lang))
        table.add_rows(self.kiosk.demo_accounts)

    def show_notice(self, notice: Msg | None) -> None:
        """Say why the last student's session ended (None clears it)."""
        self.query_one("#welcome-notice", Tr).show(notice)

    def action_start(self) -> None:
        """Go to the login screen."""
        self.show_notice(None)
        self.kiosk.start_student()
