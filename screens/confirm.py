"""A yes/no question in a dialog (e.g. "Submit now?")."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from kiosk.i18n import Lang, Msg
from screens import text as T
from screens.base import KioskModal
from screens.widgets.i18n import KeyBar, Tr


class ConfirmModal(KioskModal[bool]):
    """Y/Enter answers yes, N/Esc answers no; the buttons do the same with the mouse."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,Y,enter", "answer(True)", show=False),
        Binding("n,N,escape", "answer(False)", show=False),
    ]

    def __init__(self, title: Msg, body: Msg) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        """Title, question, the two buttons."""
        with Vertical(classes="dialog"):
            yield Tr(self._title, classes="dialog-title")
            yield Tr(self._body)
            with Horizontal(classes="dialog-buttons"):
                yield Button(T.KEY_CONFIRM.zh, id="yes", variant="primary")
                yield Button(T.KEY_CANCEL.zh, id="no")
            yield KeyBar(
                [
                    ("Y", T.KEY_CONFIRM, "screen.answer(True)"),
                    ("N", T.KEY_CANCEL, "screen.answer(False)"),
                ]
            )

    def on_mount(self) -> None:
        """Buttons in the current language; keys, not focus, decide."""
        for button in self.query(Button):
            button.can_focus = False
        self.relabel(self.kiosk.lang)

    def relabel(self, lang: Lang) -> None:
        """Button labels in ``lang``."""
        self.query_one("#yes", Button).label = T.KEY_CONFIRM.get(lang)
        self.query_one("#no", Button).label = T.KEY_CANCEL.get(lang)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A click answers."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)
