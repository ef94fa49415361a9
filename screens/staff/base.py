"""What every console screen shares: the title line, the message line, the key bar, F2."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar, TypeVar, cast

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen

from kiosk.client import ApiError
from kiosk.i18n import Msg
from kiosk.staff_client import StaffClient
from screens.staff import text as T
from screens.staff.ports import StaffHost
from screens.staff.roles import may, usable
from screens.widgets.confirm import ConfirmModal
from screens.widgets.i18n import Relabelling, Tr
from screens.widgets.keys import Key, KeyBar, KeyMap

ResultT = TypeVar("ResultT")

SESSION_DEAD = frozenset({"session_expired", "unauthenticated"})
"""Codes that mean the staff member has to log in again."""

NAVIGATION: tuple[Key, ...] = (
    Key("F1", "f1", "show('progress')", T.KEY_PROGRESS, on_app=True),
    Key("F3", "f3", "show('board')", T.KEY_BOARD, on_app=True),
    Key("F4", "f4", "show('sessions')", T.KEY_SESSIONS, on_app=True),
    Key("F5", "f5", "show('students')", T.KEY_STUDENTS, on_app=True),
    Key("F7", "f7", "show('corrections')", T.KEY_CORRECTIONS, on_app=True),
    Key("F8", "f8", "show('imports')", T.KEY_IMPORTS, on_app=True),
    Key("F10", "f10", "logout", T.KEY_LOGOUT, on_app=True),
)
"""The keys that move between the console's screens once logged in (bound by the app)."""
QUIT = Key("ctrl+q", "ctrl+q", "quit", T.KEY_QUIT, on_app=True, priority=True)
"""Log out and close the console (bound by the app)."""
EXPORTS: tuple[Key, ...] = (
    Key("F11", "f11", "export('csv')", T.KEY_EXPORT_CSV),
    Key("F12", "f12", "export('xlsx')", T.KEY_EXPORT_XLSX),
    Key("Ctrl+T", "ctrl+t", "export('pdf')", T.KEY_EXPORT_PDF),
)
"""Save what a table screen shows as CSV, Excel or a PDF to sign (its ``action_export``)."""
COLLEGE_FILTER = Key("Ctrl+L", "ctrl+l", "next_college", T.KEY_COLLEGE_FILTER)
"""Narrow a table screen to the next college (:class:`CollegeChoice`)."""


class CollegeChoice:
    """A screen's college filter: the whole school, then each college in turn."""

    def __init__(self) -> None:
        self.college: str | None = None
        """The college shown, or None for the whole school (or the office's own college)."""
        self._colleges: list[str] = []

    async def advance(self, client: StaffClient) -> None:
        """The next college (after the last: the whole school); the list is asked for once.
        Raises :class:`ApiError` when it cannot be had, and then changes nothing."""
        if not self._colleges:
            self._colleges = await client.colleges()
        order: list[str | None] = [None, *self._colleges]
        self.college = order[(order.index(self.college) + 1) % len(order)]

    def scope(self) -> dict[str, str]:
        """The query parameter that asks the server for what the filter shows."""
        return {"college": self.college} if self.college else {}


class StaffScreen(Relabelling, Screen[None]):
    """A full console screen: title and who is logged in, content, a message, the keys."""

    TITLE_MSG: ClassVar[Msg] = T.APP_TITLE
    KEYS: ClassVar[KeyMap] = KeyMap(screen=NAVIGATION)
    """The screen's keys: its bindings and its key bar's hints (screens.widgets.keys)."""

    @property
    def console(self) -> StaffHost:
        """The app, as the port the screens may use."""
        return cast(StaffHost, self.app)

    @property
    def client(self) -> StaffClient:
        """The console's connection to the server."""
        return self.console.client

    def compose(self) -> ComposeResult:
        """Title line, the screen's own widgets, the message line, the key bar."""
        with Horizontal(id="title-line"):
            yield Tr(self.TITLE_MSG, id="title")
            yield Tr(self.console.signed_in(), id="who")
        yield from self.compose_body()
        yield Tr(id="message")
        yield KeyBar(usable(self.console.role, self.KEYS["screen"]), id="keys")

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys the logged-in role may not use do nothing (they are not shown either)."""
        return may(self.console.role, action, parameters)

    def say(self, msg: Msg | None, *, error: bool = False) -> None:
        """Show a notice (or an error) on the message line; None clears it."""
        line = self.query_one("#message", Tr)
        line.set_class(error, "-error")
        line.show(msg)

    async def save_file(self, path: Path, data: bytes, saved: Msg) -> None:
        """Write a downloaded file off the event loop, then say ``saved`` or why it failed."""
        try:
            await asyncio.to_thread(path.write_bytes, data)
        except OSError as error:
            self.say(T.save_failed(error), error=True)
            return
        self.say(saved)

    def fail(self, error: ApiError) -> None:
        """Explain a failed request; a dead login asks to log in again, keeping this screen."""
        if error.code in SESSION_DEAD:
            self.say(T.LOGIN_AGAIN_KEPT, error=True)
            self.console.login_expired(T.error_text(error, None))
            return
        self.say(T.error_text(error, self.console.role), error=True)


async def confirmed(app: App[None], title: Msg, body: Msg) -> bool:
    """Ask before an action that cannot be undone; Enter says yes, Esc no. From a worker."""
    answer: asyncio.Future[bool] = app.push_screen(
        ConfirmModal(title, body, keys=("Enter", "Esc")), wait_for_dismiss=True
    )
    return await answer


class StaffModal(Relabelling, ModalScreen[ResultT]):
    """A dialog over a console screen; F2 relabels it like the screens."""

    KEYS: ClassVar[KeyMap] = KeyMap()
    """The dialog's keys: its bindings and its key bar's hints (screens.widgets.keys)."""

    def fail(self, error: ApiError, line: Tr) -> None:
        """Explain a failed request on the dialog's message ``line``; a dead login asks to log
        in again and comes back to this dialog with everything typed into it."""
        if error.code in SESSION_DEAD:
            line.show(T.LOGIN_AGAIN_KEPT)
            self.console.login_expired(T.error_text(error, None))
            return
        line.show(T.error_text(error, self.console.role))

    @property
    def console(self) -> StaffHost:
        """The app, as the port the screens may use."""
        return cast(StaffHost, self.app)
