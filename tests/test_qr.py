"""kiosk.qr: the module matrix is the qrcode library's code, framed and padded for half blocks."""

from __future__ import annotations

import pytest
import qrcode
import qrcode.constants
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode.image.pil import PilImage

from kiosk.qr import half_block_rows, qr_matrix
from tests.scanning import cells_image, read_codes

LINK = "http://192.168.10.5:8000/p/eyJzIjoiMjAyMTAwMSIsInYiOjF9.ZmFrZS1zaWduYXR1cmU"
SAMPLES = ["x", "R-2025-000123", LINK, LINK * 3]
FINDER = [
    [True] * 7,
    [True, False, False, False, False, False, True],
    [True, False, True, True, True, False, True],
    [True, False, True, True, True, False, True],
    [True, False, True, True, True, False, True],
    [True, False, False, False, False, False, True],
    [True] * 7,
]
# qrcode's numbering of the error-correction levels, as written in the format information.
LEVELS = {
    qrcode.constants.ERROR_CORRECT_L: "L",
    qrcode.constants.ERROR_CORRECT_M: "M",
    qrcode.constants.ERROR_CORRECT_Q: "Q",
    qrcode.constants.ERROR_CORRECT_H: "H",
}


def symbol(matrix: list[list[bool]], border: int) -> list[list[bool]]:
    """The code without quiet zone and padding row (it is square)."""
    size = len(matrix[0]) - 2 * border
    return [row[border : border + size] for row in matrix[border : border + size]]


def block(modules: list[list[bool]], top: int, left: int) -> list[list[bool]]:
    return [row[left : left + 7] for row in modules[top : top + 7]]


def error_correction(modules: list[list[bool]]) -> str:
    """The level in the format information along column 8 (ISO/IEC 18004 §7.9).

    Bits 0-7 lie beside the top-left finder (row 6 is the timing pattern, skipped), bits
    8-14 beside the bottom-left one; the level is in the top two data bits, after unmasking.
    """
    n = len(modules)
    bits = 0
    for i in range(15):
        row = i if i < 6 else i + 1 if i < 8 else n - 15 + i
        bits |= int(modules[row][8]) << i
    data = (bits ^ 0b101010000010010) >> 10
    return LEVELS[data >> 3]


def test_error_correction_reader_agrees_with_the_library() -> None:
    for level, name in LEVELS.items():
        code = qrcode.QRCode(error_correction=level, border=0)
        code.add_data(LINK)
        code.make(fit=True)
        assert error_correction(code.get_matrix()) == name


@pytest.mark.parametrize("data", SAMPLES)
def test_size_is_the_smallest_version_at_level_l(data: str) -> None:
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=4)
    reference.add_data(data)
    reference.make(fit=True)
    matrix = qr_matrix(data)
    width = 17 + 4 * reference.version + 2 * 4
    assert all(len(row) == width for row in matrix)
    assert len(matrix) == width + width % 2
    assert error_correction(symbol(matrix, 4)) == "L"


@pytest.mark.parametrize("data", SAMPLES)
@pytest.mark.parametrize("border", [4, 2, 0])
def test_quiet_zone_and_even_row_count(data: str, border: int) -> None:
    matrix = qr_matrix(data, border=border)
    width = len(matrix[0])
    assert len(matrix) % 2 == 0
    assert len(matrix) in (width, width + 1)
    dark_rows = [y for y, row in enumerate(matrix) if any(row)]
    dark_cols = [x for x in range(width) if any(row[x] for row in matrix)]
    # The finder patterns put dark modules on every edge of the symbol, so the quiet zone
    # is exactly ``border`` wide on each side (plus the padding row at the bottom).
    assert dark_rows[0] == border
    assert dark_rows[-1] == width - 1 - border
    assert dark_cols[0] == border
    assert dark_cols[-1] == width - 1 - border
    assert not any(matrix[-1])


@pytest.mark.parametrize("data", SAMPLES)
def test_finder_patterns_at_three_corners_inside_the_quiet_zone(data: str) -> None:
    modules = symbol(qr_matrix(data), 4)
    n = len(modules)
    assert block(modules, 0, 0) == FINDER
    assert block(modules, 0, n - 7) == FINDER
    assert block(modules, n - 7, 0) == FINDER
    assert block(modules, n - 7, n - 7) != FINDER


def test_matrix_matches_the_librarys_own_image() -> None:
    """Rendered by qrcode through Pillow at 8 px per module, every module has our colour."""
    scale, border = 8, 4
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_L,
        border=border,
        box_size=scale,
        image_factory=PilImage,
    )
    code.add_data(LINK)
    code.make(fit=True)
    image = code.make_image().get_image().convert("L")
    matrix = qr_matrix(LINK, border=border)
    width = len(matrix[0])
    assert image.size == (width * scale, width * scale)
    for y in range(width):
        for x in range(width):
            pixel = image.getpixel((x * scale + scale // 2, y * scale + scale // 2))
            assert isinstance(pixel, int)
            assert (pixel < 128) is matrix[y][x], (x, y)


def test_border_rows_are_independent_lists() -> None:
    matrix = qr_matrix("x")
    matrix[0][0] = True
    assert not matrix[1][0]
    assert not matrix[-1][0]


def test_half_block_rows_pair_each_row_with_the_next() -> None:
    matrix = qr_matrix(LINK)
    cells = half_block_rows(matrix)
    assert len(cells) == len(matrix) // 2
    for y, row in enumerate(cells):
        assert row == list(zip(matrix[2 * y], matrix[2 * y + 1], strict=True))


def test_half_block_rows_pad_an_odd_matrix_with_light() -> None:
    matrix = [[True, False], [False, True], [True, True]]
    assert half_block_rows(matrix) == [
        [(True, False), (False, True)],
        [(True, False), (True, False)],
    ]


def test_negative_border_is_refused() -> None:
    with pytest.raises(ValueError, match="border"):
        qr_matrix("x", border=-1)


def test_a_photo_link_fits_an_80x24_terminal() -> None:
    """A photo link as the server makes it (compact signed token) draws in 21 text rows."""
    link = "http://127.0.0.1:45271/p/4d2.1.6b3c8f00.k16z1kQU6daOhEEJbxzLz_kM_ZJ"
    assert len(half_block_rows(qr_matrix(link))) <= 21


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=120)
)
def test_the_drawn_code_decodes_back_to_the_data(data: str) -> None:
    """Drawn at 6 px per module from the half-block cells, zxing-cpp reads the data back."""
    assert read_codes(cells_image(half_block_rows(qr_matrix(data)))) == [data]
