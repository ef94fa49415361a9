"""A phone's camera for the tests: a QR code read back from the cells a terminal shows."""

from __future__ import annotations

from collections.abc import Sequence

import zxingcpp
from PIL import Image
from rich.color import Color

from screens.widgets.qr import QRCodeView

DARK = Color.parse("#000000")
MODULE_PX = 6
"""Pixels per module of the picture: a phone sees a code of that size on a lab screen."""


def cells_image(cells: Sequence[Sequence[tuple[bool, bool]]]) -> Image.Image:
    """The picture of half-block cells, each (top dark, bottom dark), black on white."""
    scale = MODULE_PX
    image = Image.new("L", (len(cells[0]) * scale, len(cells) * 2 * scale), 255)
    for y, row in enumerate(cells):
        for x, (top, bottom) in enumerate(row):
            for half, dark in ((0, top), (1, bottom)):
                if dark:
                    left, upper = x * scale, (2 * y + half) * scale
                    image.paste(0, (left, upper, left + scale, upper + scale))
    return image


def read_codes(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds in ``image``."""
    return [result.text for result in zxingcpp.read_barcodes(image)]


def scan(view: QRCodeView) -> str:
    """The text of the code ``view`` draws, read from its cells as a phone would read it."""
    cells = []
    for y in range(view.size.height):
        segments = [s for s in view.render_line(y) if s.text == "▀" and s.style is not None]
        cells.append([(s.style.color == DARK, s.style.bgcolor == DARK) for s in segments])
    [text] = read_codes(cells_image([row for row in cells if row]))
    return text
