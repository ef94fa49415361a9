"""The photo drawn in a real terminal: tmux runs `kiosk demo` at 80×24, P shows the photo in
half-cell blocks, and the captured cells carry the photo's own true colours."""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from server.demo_data import DEMO_PASSWORD, generate_students
from tests.e2e.serving import ROOT, kiosk_command
from tests.terminal.tmux import POLL_S, Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
# A cell of the half-cell rendering: upper half in the foreground colour, lower in the
# background colour, both 24-bit.
HALF_CELL = re.compile(r"\x1b\[([0-9;]*)m▀")
RGB = re.compile(r"(?:38|48);2;(\d+);(\d+);(\d+)")


def _photo_colours(screen: str) -> set[tuple[int, int, int]]:
    """The 24-bit colours of ▀ cells that are neither black nor white (the QR code's)."""
    colours: set[tuple[int, int, int]] = set()
    for match in HALF_CELL.finditer(screen):
        for rgb in RGB.findall(match.group(1)):
            colour = (int(rgb[0]), int(rgb[1]), int(rgb[2]))
            if colour not in ((0, 0, 0), (255, 255, 255)):
                colours.add(colour)
    return colours


def test_p_shows_the_photo_in_half_cells_with_its_colours() -> None:
    student_no = generate_students()[0].values["student_no"]
    terminal = Terminal(kiosk_command("demo"), cwd=ROOT, env={"COLORTERM": "truecolor"})
    try:
        terminal.wait_for("按 Enter 开始", timeout_s=120)
        terminal.keys("Enter")
        terminal.wait_for("登录学信档案")
        terminal.keys(student_no, literal=True)
        terminal.keys("Enter")
        terminal.keys(DEMO_PASSWORD, literal=True)
        terminal.keys("Enter")
        terminal.wait_for("剩余")
        terminal.keys("Enter")
        terminal.wait_for("共 17 项")
        terminal.keys(*["y"] * 17)
        terminal.wait_for("看照片")  # the photo has arrived; at 80×24 it waits for P
        before = _capture(terminal)
        assert not _photo_colours(before)  # only the QR code's black and white so far
        terminal.keys("p")
        # "二维码" is in the instructions before P too: wait for the photo itself.
        shown = _wait_for_photo(terminal)
        assert len(_photo_colours(shown)) > 20, shown[-2000:]
        assert "看照片" not in shown  # the key now brings the code back
        terminal.keys("p")
        terminal.wait_for("看照片")
    finally:
        terminal.close()


def _wait_for_photo(terminal: Terminal, timeout_s: float = 30) -> str:
    """The screen once the photo's colours are on it (or when ``timeout_s`` is up)."""
    deadline = time.monotonic() + timeout_s
    shown = _capture(terminal)
    while len(_photo_colours(shown)) <= 20 and time.monotonic() < deadline:
        time.sleep(POLL_S)
        shown = _capture(terminal)
    return shown


def _capture(terminal: Terminal) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-e", "-t", terminal.name],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
