"""The console's login: a staff user name and password (no terminal key)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from kiosk.client import ApiError
from kiosk.i18n import Msg
from screens.staff import text as T
from screens.staff.base import QUIT, StaffScreen
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyMap


class LoginScreen(StaffScreen):
    """User name, password, Enter."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(Key("Enter", "enter", "submit", T.KEY_LOGIN, by=Input), QUIT)
    )
    AUTO_FOCUS = "#username"

    def __init__(self, notice: Msg | None = None) -> None:
        super().__init__()
        self._notice = notice

    def compose_body(self) -> ComposeResult:
        """The form."""
        with Vertical(id="login-form"):
            yield Tr(T.LOGIN_TITLE, id="login-title")
            yield Tr(T.LOGIN_SERVER.fmt(url=self.client.base_url), id="login-server")
            yield Tr(T.USERNAME, classes="label")
            yield Input(id="username", max_length=254)
            yield Tr(T.PASSWORD, classes="label")
            yield Input(id="password", password=True, max_length=256)
            yield Tr(T.LOGIN_HINT, id="login-hint")

    def on_mount(self) -> None:
        """Show why the last session ended, if it did."""
        if self._notice is not None:
            self.say(self._notice, error=True)

    @on(Input.Submitted, "#username")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def action_submit(self) -> None:
        """Log in with what was typed."""
        username = self.query_one("#username", Input).value
        password = self.query_one("#password", Input).value
        if username.strip() and password:
            self.say(T.LOADING)
            self._login(username, password)

    @work(exclusive=True)
    async def _login(self, username: str, password: str) -> None:
        try:
            session = await self.client.login(username, password)
        except ApiError as error:
            self.query_one("#password", Input).value = ""
            self.say(T.error_text(error, None), error=True)
            return
        self.console.logged_in(session.staff)
