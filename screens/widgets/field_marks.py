"""The side list of the field screen: one entry per field, its mark and its label."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


class FieldMarks(ScrollView, can_focus=False):
    """Every field as ``mark label`` (wrapped to the width), one of them highlighted.

    A small line widget of our own instead of an OptionList: a key on the field screen
    changes at most two entries (the highlight moves, one mark changes), and only their
    lines are rendered and repainted again. OptionList re-renders every line for either,
    which was half the time from a key to the next field (bench/kiosk_bench.py), and
    repainting less from it meant reaching into its private state.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"field-marks--highlighted"}
    DEFAULT_CSS = """
    FieldMarks {
        background: $surface;
        color: $foreground;
        padding: 0 1;
        overflow: hidden hidden;
        & > .field-marks--highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class Selected(Message):
        """An entry was clicked."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index
            """The clicked entry, 0-based."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._prompts: list[str] = []
        self._highlighted: int | None = None
        self._wrapped: list[list[Content]] = []
        """Each entry's text, wrapped to the width it was last laid out for."""
        self._first_line: list[int] = []
        self._line_entry: list[int] = []
        self._strips: dict[int, list[Strip]] = {}
        """Rendered lines per entry; dropped for an entry whose mark or highlight changes."""
        self._laid_out_width = -1

    @property
    def entry_count(self) -> int:
        """How many entries the list holds."""
        return len(self._prompts)

    @property
    def highlighted(self) -> int | None:
        """The highlighted entry, or None."""
        return self._highlighted

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        previous, self._highlighted = self._highlighted, index
        if previous == index:
            return
        for entry in (previous, index):
            self._repaint_entry(entry)
        if index is not None and index < len(self._first_line):
            region = Region(0, self._first_line[index], 1, len(self._wrapped[index]))
            self.scroll_to_region(region, animate=False, immediate=True)

    def prompt(self, index: int) -> str:
        """The text of entry ``index``."""
        return self._prompts[index]

    def set_prompts(self, prompts: Sequence[str]) -> None:
        """Replace every entry (a new language, or the first fill)."""
        self._prompts = list(prompts)
        self._lay_out()

    def set_prompt(self, index: int, prompt: str) -> None:
        """Replace one entry; only its lines are repainted if just the mark changed.

        The mark is the first character, always one cell wide (screens/widgets/marks.py), so
        a new mark cannot change how the entry wraps; any other change lays out all entries.
        """
        if self._prompts[index][1:] != prompt[1:]:
            self._prompts[index] = prompt
            self._lay_out()
            return
        self._prompts[index] = prompt
        if self._wrapped:
            first = self._wrapped[index][0]
            self._wrapped[index][0] = Content(prompt[0]) + first[1:]
        self._repaint_entry(index)

    # --- layout and rendering ---------------------------------------------------------------

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _lay_out(self) -> None:
        width = self._content_width()
        self._laid_out_width = width
        self._wrapped = [Content(prompt).wrap(width) or [Content("")] for prompt in self._prompts]
        self._first_line = []
        self._line_entry = []
        for index, lines in enumerate(self._wrapped):
            self._first_line.append(len(self._line_entry))
            self._line_entry.extend([index] * len(lines))
        self._strips.clear()
        self.virtual_size = Size(width, len(self._line_entry))
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        """Wrap again for a new width."""
        if self._content_width() != self._laid_out_width:
            self._lay_out()

    def notify_style_update(self) -> None:
        """A new theme or class: every entry is rendered again in the new styles."""
        super().notify_style_update()
        self._strips.clear()

    def _repaint_entry(self, index: int | None) -> None:
        if index is None or index >= len(self._first_line):
            return
        self._strips.pop(index, None)
        self.refresh_lines(self._first_line[index], len(self._wrapped[index]))

    def _render_entry(self, index: int) -> list[Strip]:
        if (strips := self._strips.get(index)) is None:
            width = self._content_width()
            if index == self._highlighted:
                style = self.get_visual_style("field-marks--highlighted")
            else:
                style = self.visual_style
            strips = [
                Strip(line.render_segments(style)).extend_cell_length(width, style.rich_style)
                for line in self._wrapped[index]
            ]
            self._strips[index] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the view, scrolled."""
        line = y + self.scroll_offset.y
        if line >= len(self._line_entry):
            return Strip.blank(self._content_width(), self.visual_style.rich_style)
        index = self._line_entry[line]
        return self._render_entry(index)[line - self._first_line[index]]

    def on_click(self, event: events.Click) -> None:
        """A click on an entry selects it."""
        line = event.y + self.scroll_offset.y
        if 0 <= line < len(self._line_entry):
            self.post_message(self.Selected(self._line_entry[line]))
