"""QR codes as plain module matrices, for drawing with half blocks in a terminal.

Two modules stacked vertically make one character cell (``▀`` with the top module as
foreground and the bottom one as background), which keeps modules roughly square and lets
the widget fix the colours to black on white whatever the theme (a phone's camera needs the contrast).
"""

from __future__ import annotations

from collections.abc import Sequence


def qr_matrix(data: str, border: int = 4) -> list[list[bool]]:
    """The QR code of ``data`` as rows of modules, True = dark, with a ``border``-module quiet zone.

    Error correction level L, smallest version that fits: the code is shown on a screen,
    not printed, so it meets no dirt or creases, and level L keeps a photo link at version 4
    (41 modules with the quiet zone, 21 text rows) so it fits an 80×24 terminal. An odd
    number of rows gets one more light row, so that the matrix always divides into
    half-block cells.
    """
    if border < 0:
        raise ValueError("border must not be negative")
    # qrcode imports Pillow when it is installed, which costs start-up time the welcome
    # screen does not need; only the photo and receipt screens draw codes.
    import qrcode
    import qrcode.constants

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=border)
    code.add_data(data)
    code.make(fit=True)
    # Copies, because get_matrix() shares one list object between all border rows.
    matrix = [[bool(module) for module in row] for row in code.get_matrix()]
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    return matrix


def half_block_rows(matrix: Sequence[Sequence[bool]]) -> list[list[tuple[bool, bool]]]:
    """Pair rows into character cells: each cell is (top module, bottom module).

    A missing last row counts as light, the colour of the quiet zone.
    """
    rows: list[list[tuple[bool, bool]]] = []
    for y in range(0, len(matrix), 2):
        top = matrix[y]
        bottom = matrix[y + 1] if y + 1 < len(matrix) else [False] * len(top)
        rows.append(list(zip(top, bottom, strict=True)))
    return rows
