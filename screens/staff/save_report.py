"""The dialog that asks where to save a report, prefilled, confirmed with Enter."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Input

from kiosk.client import ApiError
from kiosk.i18n import Msg
from kiosk.staff_client import Download
from screens.staff import text as T
from screens.staff.base import StaffModal, StaffScreen
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap


class SaveReportModal(StaffModal[Path | None]):
    """Enter saves to the path shown; an existing file needs a second Enter."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        save=(
            Key("Enter", "enter", "save", T.KEY_CONFIRM, by=Input),
            Key("Esc", "escape", "cancel", T.KEY_CANCEL),
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#save-path"

    def __init__(self, suggested: Path) -> None:
        super().__init__()
        self._suggested = suggested
        self._overwrite: Path | None = None

    def compose(self) -> ComposeResult:
        """The path, a message line, the keys."""
        with Vertical(id="save", classes="dialog"):
            yield Tr(T.SAVE_TITLE, classes="dialog-title")
            yield Tr(T.SAVE_PATH, classes="label")
            yield Input(str(self._suggested), id="save-path")
            yield Tr(id="save-message", classes="-error")
            yield KeyBar(self.KEYS["save"])

    @on(Input.Submitted)
    def action_save(self) -> None:
        """Hand the path back once the staff member has confirmed it."""
        path = Path(self.query_one(Input).value.strip()).expanduser()
        if not path.name:
            return
        if path.exists() and self._overwrite != path:
            self._overwrite = path
            self.query_one("#save-message", Tr).show(T.SAVE_EXISTS)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        """Escape: save nothing."""
        self.dismiss(None)


async def save_download(screen: StaffScreen, download: Awaitable[Download], saved: Msg) -> None:
    """Fetch a file from the server, ask where to save it (under the name the server gives,
    in the working folder) and save it; ``saved`` (with ``{path}``) says where. A refusal is
    said on the screen's message line."""
    try:
        file = await download
    except ApiError as error:
        screen.fail(error)
        return
    path = await screen.app.push_screen_wait(SaveReportModal(Path.cwd() / file.filename))
    if path is not None:
        await screen.save_file(path, file.content, saved.fmt(path=str(path)))
