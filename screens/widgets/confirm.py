"""A yes/no question in a dialog, for the kiosk ("Submit now?") and the staff console
("Apply 12 corrections to the records?").

It names what will happen before something that cannot be undone; nothing happens until the
answer is yes. Each app styles ``.dialog`` itself; the dialog's own layout lives here.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from kiosk.catalogue import CANCEL, CONFIRM
from kiosk.i18n import Lang, Msg
from screens.widgets.i18n import Relabelling, Tr, current_lang
from screens.widgets.keys import Key, KeyBar, KeyMap


class ConfirmModal(Relabelling, ModalScreen[bool]):
    """Y/Enter answers yes, N/Esc answers no; the buttons do the same with the mouse.

    ``keys`` names the two keys the key bar shows: the kiosk's students answer with Y and N,
    staff with Enter and Esc; both pairs work everywhere.
    """

    DEFAULT_CSS = """
    ConfirmModal {
        align: center middle;
    }
    ConfirmModal .dialog-buttons {
        height: auto;
        margin-top: 1;
    }
    ConfirmModal .dialog-buttons Button {
        margin-right: 2;
    }
    """
    KEYS: ClassVar[KeyMap] = KeyMap(
        answer=(
            Key("Y", "y,Y,enter", "answer(True)", CONFIRM),
            Key("N", "n,N,escape", "answer(False)", CANCEL),
        )
    )
    """Y or Enter says yes, N or Esc no; the bar names the pair the caller asks for."""
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def __init__(self, title: Msg, body: Msg, *, keys: tuple[str, str] = ("Y", "N")) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._keys = keys

    def compose(self) -> ComposeResult:
        """Title, question, the two buttons."""
        with Vertical(classes="dialog", id="confirm"):
            yield Tr(self._title, classes="dialog-title")
            yield Tr(self._body, id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(CONFIRM.zh, id="yes", variant="primary")
                yield Button(CANCEL.zh, id="no")
            yes, no = self.KEYS["answer"]
            yield KeyBar([yes.showing(self._keys[0]), no.showing(self._keys[1])])

    def on_mount(self) -> None:
        """Buttons in the current language; keys, not focus, decide."""
        for button in self.query(Button):
            button.can_focus = False
        self.relabel(current_lang(self))

    def relabel(self, lang: Lang) -> None:
        """Button labels in ``lang``."""
        self.query_one("#yes", Button).label = CONFIRM.get(lang)
        self.query_one("#no", Button).label = CANCEL.get(lang)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A click answers."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)
