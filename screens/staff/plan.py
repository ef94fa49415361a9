"""The dialog that plans a supervised session: title, lab, slot, and a class or 学号 list."""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.widgets import Input

from kiosk.client import ApiError
from kiosk.protocol import SupervisedSessionCreate, SupervisedSessionInfo
from screens.staff import text as T
from screens.staff.base import StaffModal
from screens.widgets.i18n import KeyBar, Tr

_FIELDS = (
    ("title", T.PLAN_NAME),
    ("lab", T.PLAN_LAB),
    ("date", T.PLAN_DATE),
    ("from", T.PLAN_FROM),
    ("until", T.PLAN_UNTIL),
    ("class", T.PLAN_CLASS),
    ("numbers", T.PLAN_NUMBERS),
)


class PlanSessionModal(StaffModal[SupervisedSessionInfo | None]):
    """Enter moves to the next field and, on the last, plans; Escape cancels.

    The dialog sends the plan itself and closes only once the server has taken it: a refused
    plan stays on screen with the reason, to be corrected rather than typed again.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", show=False),
        Binding("ctrl+s", "plan", show=False),
    ]
    AUTO_FOCUS = "#plan-title"

    def __init__(self, lab: str, now: dt.datetime) -> None:
        super().__init__()
        start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        self._defaults = {
            "lab": lab,
            "date": f"{start:%Y-%m-%d}",
            "from": f"{start:%H:%M}",
            "until": f"{start + dt.timedelta(hours=2):%H:%M}",
        }
        self._tz = now.tzinfo

    def compose(self) -> ComposeResult:
        """A labelled input per field, a message line, the keys."""
        with Vertical(id="plan", classes="dialog"):
            yield Tr(T.PLAN_TITLE, classes="dialog-title")
            with Grid(id="plan-grid"):
                for key, label in _FIELDS:
                    yield Tr(label, classes="label")
                    yield Input(
                        self._defaults.get(key, ""), id=f"plan-{key}", classes="-borderless"
                    )
            yield Tr(id="plan-message", classes="-error")
            yield KeyBar(
                [
                    ("ctrl+s", T.KEY_CONFIRM, "screen.plan"),
                    ("Esc", T.KEY_CANCEL, "screen.cancel"),
                ]
            )

    def _value(self, key: str) -> str:
        return self.query_one(f"#plan-{key}", Input).value.strip()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "plan-numbers":
            self.action_plan()
        else:
            self.focus_next()

    def action_plan(self) -> None:
        """Check the form and hand the plan back."""
        message = self.query_one("#plan-message", Tr)
        if not self._value("title") or not self._value("lab"):
            message.show(T.PLAN_MISSING)
            return
        try:
            day = dt.date.fromisoformat(self._value("date"))
            starts, ends = (
                dt.datetime.combine(day, dt.time.fromisoformat(self._value(key)), self._tz)
                for key in ("from", "until")
            )
        except ValueError:
            message.show(T.PLAN_BAD_TIME)
            return
        if ends <= starts:
            message.show(T.PLAN_BAD_TIME)
            return
        class_name = self._value("class") or None
        numbers = [n for n in re.split(r"[\s,，、;；]+", self._value("numbers")) if n]
        if (class_name is None) == (not numbers):
            message.show(T.PLAN_BAD_ROSTER)
            return
        try:
            plan = SupervisedSessionCreate(
                title=self._value("title"),
                lab=self._value("lab"),
                starts_at=starts,
                ends_at=ends,
                class_name=class_name,
                student_nos=numbers,
            )
        except ValidationError:
            message.show(T.PLAN_BAD_ROSTER)
            return
        message.show(None)
        self._create(plan)

    @work(exclusive=True, group="plan")
    async def _create(self, plan: SupervisedSessionCreate) -> None:
        try:
            created = await self.console.client.create_session(plan)
        except ApiError as error:
            self.fail(error, self.query_one("#plan-message", Tr))
            return
        self.dismiss(created)

    def action_cancel(self) -> None:
        """Escape: plan nothing."""
        self.dismiss(None)
