"""A row of a form: label and control on one line, and under them the line that explains.

Every problem is told right under the input it concerns: the note line shows
what is wrong, else what is worth a second look, else a short hint, and takes no room when
there is nothing to say.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from kiosk.i18n import Msg
from screens.widgets.i18n import Tr

LABEL_WIDTH = 18
"""Cells for the labels, enough for the longest English one ("Region (optional)")."""


class FormRow(Vertical):
    """A labelled control (or a few side by side) with a note line under them."""

    DEFAULT_CSS = f"""
    FormRow {{
        height: auto;
    }}
    FormRow > .form-line {{
        height: auto;
    }}
    FormRow .form-label {{
        width: {LABEL_WIDTH};
        color: $foreground-muted;
    }}
    FormRow > .form-note {{
        padding-left: {LABEL_WIDTH};
        color: $foreground-muted;
    }}
    """

    def __init__(self, label: Msg, *controls: Widget, hint: Msg | None = None, id: str) -> None:
        super().__init__(id=id)
        self._label = label
        self._controls = controls
        self._hint = hint
        self._shown: tuple[tuple[Msg, ...], bool, bool] | None = None

    def compose(self) -> ComposeResult:
        """The label and the controls, then the note."""
        with Horizontal(classes="form-line"):
            yield Tr(self._label, classes="form-label")
            yield from self._controls
        yield Tr(self._hint, classes="form-note")

    def show(
        self, errors: Sequence[Msg] = (), warnings: Sequence[Msg] = (), note: Msg | None = None
    ) -> None:
        """Explain the entry: its errors; else its warnings and ``note``; else the hint."""
        lines: tuple[Msg, ...]
        if errors:
            lines = tuple(errors)
        elif warnings or note:
            lines = (*warnings, *([note] if note else []))
        else:
            lines = (self._hint,) if self._hint else ()
        shown = (lines, bool(errors), not errors and bool(warnings))
        # Forms re-explain every entry at each key; an unchanged line costs no new layout.
        if shown == self._shown:
            return
        self._shown = shown
        line = self.query_one(".form-note", Tr)
        line.show(lines)
        line.set_class(shown[1], "-error")
        line.set_class(shown[2], "-warning")
