"""A correction's proof photographs, one at a time, drawn in the terminal where it can.

Kitty or Sixel graphics, or half-cell blocks, through the same widget the kiosk draws the
student's photo with; where no image can be drawn, Ctrl+S saves the file for an image viewer.
Images are fetched when shown and kept in memory only while the dialog is open.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical

from kiosk.client import ApiError
from kiosk.i18n import Lang
from kiosk.protocol.proof import PROOF_KINDS, ProofFileInfo
from screens.staff import text as T
from screens.staff.base import StaffModal
from screens.staff.save_report import SaveReportModal
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap
from screens.widgets.photo_image import can_show_images, photo_widget


def kilobytes(size: int) -> str:
    """A size in KB, rounded up (a file is never shown as 0 KB)."""
    return str(-(-size // 1024))


class ProofViewerModal(StaffModal[None]):
    """Left and Right step through the files; Ctrl+S saves the one shown; Esc closes."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        dialog=(
            Key("←", "left", "previous", T.KEY_PREVIOUS),
            Key("→", "right", "next", T.KEY_NEXT),
            Key("Ctrl+S", "ctrl+s", "save", T.KEY_SAVE_FILE, priority=True),
            Key("Esc", "escape", "close", T.KEY_CLOSE),
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def __init__(self, correction_id: int, files: list[ProofFileInfo]) -> None:
        super().__init__()
        self._correction_id = correction_id
        self._files = files
        self._index = 0
        self._content: bytes | None = None

    def compose(self) -> ComposeResult:
        """The file's title line, the image (or why there is none), a message line, the keys."""
        with Vertical(id="proof-viewer", classes="dialog"):
            yield Tr(id="proof-title", classes="dialog-title")
            yield Vertical(id="proof-image")
            yield Tr(None if can_show_images() else T.PROOF_NO_IMAGES, id="proof-note")
            yield Tr(id="proof-message", classes="-error")
            yield KeyBar(self.KEYS["dialog"])

    def on_mount(self) -> None:
        """Show the first file."""
        self._show()

    def refresh_language(self, lang: Lang) -> None:
        """The title line in ``lang`` too."""
        super().refresh_language(lang)
        info = self._files[self._index]
        self.query_one("#proof-title", Tr).show(
            T.PROOF_VIEW_TITLE.fmt(
                n=str(self._index + 1), total=str(len(self._files)),
                kind=PROOF_KINDS[info.kind].get(lang), size=kilobytes(info.size_bytes),
                width=str(info.width), height=str(info.height),
            )
        )  # fmt: skip

    def _show(self) -> None:
        self._content = None
        self.refresh_language(self.console.lang)
        self._fetch()

    @work(exclusive=True, group="proof-image")
    async def _fetch(self) -> None:
        info = self._files[self._index]
        message = self.query_one("#proof-message", Tr)
        message.show(None)
        message.set_class(True, "-error")
        try:
            content = await self.console.client.proof_file(self._correction_id, info.id)
        except ApiError as error:
            self.fail(error, message)
            return
        self._content = content
        frame = self.query_one("#proof-image", Vertical)
        await frame.remove_children()
        image = photo_widget(content)
        if image is not None:
            await frame.mount(image)

    def action_previous(self) -> None:
        """Left: the file before."""
        self._step(-1)

    def action_next(self) -> None:
        """Right: the file after."""
        self._step(1)

    def _step(self, delta: int) -> None:
        index = self._index + delta
        if 0 <= index < len(self._files):
            self._index = index
            self._show()

    @work(exclusive=True, group="proof-save")
    async def action_save(self) -> None:
        """Ctrl+S: save the file shown (as JPEG) where the staff member says."""
        content, info = self._content, self._files[self._index]
        if content is None:
            return
        name = f"证明材料-勘误{self._correction_id}-{self._index + 1}-{info.kind}.jpg"
        path = await self.app.push_screen_wait(SaveReportModal(Path.cwd() / name))
        if path is None:
            return
        message = self.query_one("#proof-message", Tr)
        try:
            await asyncio.to_thread(path.write_bytes, content)
        except OSError as error:
            message.show(T.save_failed(error))
            return
        message.set_class(False, "-error")
        message.show(T.PROOF_SAVED.fmt(path=str(path)))

    def action_close(self) -> None:
        """Escape: back to the correction."""
        self.dismiss(None)
