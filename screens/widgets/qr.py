"""A QR code drawn with half blocks: one ``▀`` per cell, top module as foreground colour.

The colours are fixed black on white whatever the theme (a high-contrast or dark theme
must not invert the code, or phones will not read it), and the quiet zone is part of the
matrix (no Pillow, any terminal with Unicode).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from kiosk.qr import half_block_rows, qr_matrix

_DARK = "#000000"
_LIGHT = "#ffffff"
_CELL_STYLES: dict[tuple[bool, bool], Style] = {
    (top, bottom): Style(color=_DARK if top else _LIGHT, bgcolor=_DARK if bottom else _LIGHT)
    for top in (False, True)
    for bottom in (False, True)
}
QUIET_ZONE = 4
"""Modules of light border around the code, as the QR specification asks."""


class QRCodeView(Widget):
    """The QR code of some text (a link, a receipt number), sized to the code."""

    DEFAULT_CSS = "QRCodeView { width: auto; height: auto; }"

    def __init__(self, data: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows = half_block_rows(qr_matrix(data, border=QUIET_ZONE))

    def set_data(self, data: str) -> None:
        """Show the code of other text."""
        self._rows = half_block_rows(qr_matrix(data, border=QUIET_ZONE))
        self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """One cell per module column."""
        return len(self._rows[0])

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One cell per two module rows."""
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        """One row of cells, each a ``▀`` coloured by its two modules."""
        if y >= len(self._rows):
            return Strip.blank(self.size.width)
        segments = [Segment("▀", _CELL_STYLES[cell]) for cell in self._rows[y]]
        return Strip(segments, len(segments))
