"""The top line of every screen: where the student is, and who is logged in (masked)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from kiosk.i18n import Msg
from screens import text as T
from screens.widgets.i18n import Tr


class TopBar(Horizontal):
    """The kiosk's title and the step, on the left; the masked student name on the right."""

    def __init__(self, step: Msg, student_masked: str = "") -> None:
        super().__init__()
        self._step = step
        self._student = student_masked

    def compose(self) -> ComposeResult:
        """The title and step, then the student."""
        yield Tr(T.APP_TITLE, id="topbar-app")
        yield Tr(self._step, id="topbar-step")
        yield Tr(T.STUDENT.fmt(name=self._student) if self._student else None, id="topbar-student")
