"""Registration for first-time users: a placeholder until registration is built."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical

from screens import text as T
from screens.base import KioskScreen
from screens.widgets.i18n import KeyBar, Tr
from screens.widgets.topbar import TopBar


class RegisterScreen(KioskScreen[None]):
    """Says that registration will open here; Esc goes back to the login screen."""

    CSS_PATH = "entry.tcss"
    STEP = "register"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", show=False)]

    def compose(self) -> ComposeResult:
        """A title and an explanation."""
        yield TopBar(T.STEP_REGISTER)
        with Center(), Vertical(id="register-box"):
            yield Tr(T.REGISTER_TITLE, id="register-title")
            yield Tr(T.REGISTER_SOON, id="register-text")
        yield KeyBar([("Esc", T.KEY_BACK, "screen.back")])

    def action_back(self) -> None:
        """Back to the login screen."""
        self.dismiss()
