"""Step 1: log in with an e-mail address or 学号 and a password."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Input

from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from screens import text as T
from screens.base import KioskScreen
from screens.problems import describe
from screens.record import RecordScreen
from screens.register import text as R
from screens.register.screen import Registered, RegisterScreen
from screens.topbar import TopBar
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap


class LoginScreen(KioskScreen[None]):
    """User name and password; specific errors that never say whether an account exists."""

    CSS_PATH = "entry.tcss"
    STEP = "login"
    FORM = True
    AUTO_FOCUS = "#username"
    KEYS: ClassVar[KeyMap] = KeyMap(
        login=(
            Key("Enter", "enter", "login", T.LOGIN_BUTTON, by=Input),
            Key("F3", "f3", "register", T.REGISTER_BUTTON),
            Key("Esc", "escape", "back", T.KEY_BACK),
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def __init__(self, notice: Msg | None = None) -> None:
        super().__init__()
        self._notice = notice

    def compose(self) -> ComposeResult:
        """The two inputs, the login and register buttons, and the message line."""
        yield TopBar(T.STEP_LOGIN)
        with Center(), Vertical(id="login-box"):
            yield Tr(T.LOGIN_TITLE, id="login-title")
            yield Tr(T.USERNAME, classes="label")
            yield Input(id="username", max_length=254)
            yield Tr(T.PASSWORD, classes="label")
            yield Input(id="password", password=True, max_length=256)
            with Horizontal(id="login-buttons"):
                yield Button(T.LOGIN_BUTTON.zh, id="login", variant="primary")
                yield Button(T.REGISTER_BUTTON.zh, id="register")
            yield Tr(self._notice, id="login-message")
        yield KeyBar(self.KEYS["login"])

    def on_mount(self) -> None:
        """Labels in the current language."""
        self.relabel(self.kiosk.lang)

    def relabel(self, lang: Lang) -> None:
        """Buttons have plain labels, so set them in ``lang``."""
        self.query_one("#login", Button).label = T.LOGIN_BUTTON.get(lang)
        self.query_one("#register", Button).label = T.REGISTER_BUTTON.get(lang)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the user name goes to the password; Enter in the password logs in."""
        if event.input.id == "username" and not self.query_one("#password", Input).value:
            self.query_one("#password", Input).focus()
        else:
            self.action_login()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The two buttons."""
        if event.button.id == "login":
            self.action_login()
        elif event.button.id == "register":
            self.action_register()

    def action_login(self) -> None:
        """Log in with what was typed."""
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self.query_one("#login-message", Tr).show(T.FILL_BOTH)
            return
        self._log_in(username, password)

    @work(exclusive=True, group="login")
    async def _log_in(self, username: str, password: str) -> None:
        message = self.query_one("#login-message", Tr)
        password_input = self.query_one("#password", Input)
        message.show(T.LOGGING_IN)
        message.set_class(False, "-error")
        try:
            response = await self.kiosk.client.login(username, password)
        except ApiError as error:
            message.show(describe(error))
            message.set_class(True, "-error")
            if not error.retryable:
                # A wrong password is typed again from scratch; a network failure keeps it.
                password_input.value = ""
            password_input.focus()
            return
        password_input.value = ""
        message.show(None)
        self.kiosk.begin_session(response)
        await self.app.push_screen(RecordScreen())

    def action_register(self) -> None:
        """First time here: go to registration; it comes back with the new user name."""
        self.app.push_screen(RegisterScreen(), self._registered)

    def _registered(self, registered: Registered | None) -> None:
        """Back from registration: log straight in, or wait for the password with the
        new user name filled in."""
        if registered is None:
            return
        self.query_one("#username", Input).value = registered.username
        password_input = self.query_one("#password", Input)
        password_input.value = ""
        if registered.password is None:
            self.query_one("#login-message", Tr).show(R.REGISTERED_LOG_IN)
            password_input.focus()
            return
        self._log_in(registered.username, registered.password)

    def action_back(self) -> None:
        """Back to the welcome screen, forgetting what was typed."""
        self.kiosk.logout()
