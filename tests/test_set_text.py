"""``set_text`` skips the screen's layout only where the new text takes the same room."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from screens.widgets.i18n import set_text


class _OneStatic(App[None]):
    CSS = "#fixed { width: 20; } #auto { width: auto; }"

    def compose(self) -> ComposeResult:
        yield Static("short", id="fixed")
        yield Static("short", id="auto")


async def test_a_text_that_wraps_gets_its_lines() -> None:
    app = _OneStatic()
    async with app.run_test(size=(40, 10)) as pilot:
        fixed = app.query_one("#fixed", Static)
        set_text(fixed, "other")
        await pilot.pause()
        assert fixed.size.height == 1
        set_text(fixed, "a much longer text that wraps over two lines")
        await pilot.pause()
        assert fixed.size.height == 3
        set_text(fixed, "one line again")
        await pilot.pause()
        assert (fixed.size.height, str(fixed.content)) == (1, "one line again")


async def test_a_widget_sized_by_its_text_grows_with_it() -> None:
    app = _OneStatic()
    async with app.run_test(size=(40, 10)) as pilot:
        auto = app.query_one("#auto", Static)
        set_text(auto, "a wider text")
        await pilot.pause()
        assert auto.size.width == len("a wider text")
