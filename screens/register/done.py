"""Registration step 4: the account is active; the window's deadline; on to the login."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button

from screens.register import text as R
from screens.widgets.i18n import Tr


class DoneStep(VerticalScroll):
    """Step 4: the account is active; the window's deadline; on to the login."""

    def compose(self) -> ComposeResult:
        """The good news, the user name, the deadline, and how to go on."""
        yield Tr(R.DONE_TITLE, id="done-title")
        yield Tr(id="done-username")
        yield Tr(id="done-deadline")
        yield Tr(R.DONE_NEXT, id="done-hint")
        with Horizontal(classes="register-buttons"):
            yield Button(R.KEY_LOG_IN_NOW.zh, id="done-next", variant="primary", compact=True)
