"""The dialog that plans a supervised session: title, lab, slot, and a class or 学号 list."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Vertical
from textual.widgets import Input

from kiosk.client import ApiError
from kiosk.protocol.staff import (
    SupervisedSessionCreate,
    SupervisedSessionInfo,
    SupervisedSessionUpdate,
)
from screens.staff import text as T
from screens.staff.base import StaffModal
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap

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

    Given an ``existing`` session, the form is prefilled and sends its changes: every field of
    a planned session (an empty roster keeps the roster), only the end of a running one (the
    other fields are shown but locked).

    The dialog sends the plan or the change itself and closes, with the session as the server
    now has it, only once the server has taken it: a refused plan stays on screen with the
    reason, to be corrected rather than typed again.
    """

    KEYS: ClassVar[KeyMap] = KeyMap(
        plan=(
            Key("ctrl+s", "ctrl+s", "plan", T.KEY_CONFIRM),
            Key("Esc", "escape", "cancel", T.KEY_CANCEL),
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#plan-title"

    def on_mount(self) -> None:
        """Extending: straight to the end time."""
        if self._extending:
            self.query_one("#plan-until", Input).focus()

    def __init__(
        self, lab: str, now: dt.datetime, existing: SupervisedSessionInfo | None = None
    ) -> None:
        super().__init__()
        self._tz = now.tzinfo
        self._existing = existing
        if existing is not None:
            start, end = (
                existing.starts_at.astimezone(self._tz),
                existing.ends_at.astimezone(self._tz),
            )
            self._defaults = {
                "title": existing.title,
                "lab": existing.lab,
                "class": existing.class_name or "",
            }
        else:
            start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
            end = start + dt.timedelta(hours=2)
            self._defaults = {"lab": lab}
        self._defaults |= {
            "date": f"{start:%Y-%m-%d}",
            "from": f"{start:%H:%M}",
            "until": f"{end:%H:%M}",
        }

    @property
    def _extending(self) -> bool:
        return self._existing is not None and self._existing.state == "running"

    def compose(self) -> ComposeResult:
        """A labelled input per field, a message line, the keys."""
        with Vertical(id="plan", classes="dialog"):
            title = T.PLAN_TITLE
            if self._existing is not None:
                title = T.EXTEND_TITLE if self._extending else T.EDIT_TITLE
            yield Tr(title.fmt(id=self._existing.id) if self._existing else title,
                     classes="dialog-title")  # fmt: skip
            with Grid(id="plan-grid"):
                for key, label in _FIELDS:
                    yield Tr(label, classes="label")
                    yield Input(
                        self._defaults.get(key, ""),
                        id=f"plan-{key}",
                        classes="-borderless",
                        disabled=self._extending and key != "until",
                    )
            yield Tr(id="plan-message", classes="-error")
            yield KeyBar(self.KEYS["plan"])

    def _value(self, key: str) -> str:
        return self.query_one(f"#plan-{key}", Input).value.strip()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "plan-numbers":
            self.action_plan()
        else:
            self.focus_next()

    def action_plan(self) -> None:
        """Check the form and send the plan (or the change)."""
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
        if self._extending:
            message.show(None)
            self._send(SupervisedSessionUpdate(ends_at=ends))
            return
        class_name = self._value("class") or None
        numbers = [n for n in re.split(r"[\s,，、;；]+", self._value("numbers")) if n]
        if self._existing is not None:
            self._edited(starts, ends, class_name, numbers)
            return
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
        self._send(plan)

    def _send(self, plan: SupervisedSessionCreate | SupervisedSessionUpdate) -> None:
        client, existing = self.console.client, self._existing
        if isinstance(plan, SupervisedSessionCreate):
            self._request(partial(client.create_session, plan))
        elif existing is not None:
            self._request(partial(client.update_session, existing.id, plan))

    @work(exclusive=True, group="plan")
    async def _request(self, send: Callable[[], Awaitable[SupervisedSessionInfo]]) -> None:
        try:
            session = await send()
        except ApiError as error:
            self.fail(error, self.query_one("#plan-message", Tr))
            return
        self.dismiss(session)

    def _edited(
        self, starts: dt.datetime, ends: dt.datetime, class_name: str | None, numbers: list[str]
    ) -> None:
        """Send a planned session's new plan; an empty roster keeps the roster."""
        roster: dict[str, object] = {}
        if class_name is not None and numbers:
            self.query_one("#plan-message", Tr).show(T.PLAN_BAD_ROSTER)
            return
        if class_name is not None:
            roster["class_name"] = class_name
        elif numbers:
            roster["student_nos"] = numbers
        try:
            change = SupervisedSessionUpdate.model_validate(
                {"title": self._value("title"), "lab": self._value("lab"), "starts_at": starts,
                 "ends_at": ends, **roster}
            )  # fmt: skip
        except ValidationError:
            self.query_one("#plan-message", Tr).show(T.PLAN_BAD_ROSTER)
            return
        self.query_one("#plan-message", Tr).show(None)
        self._send(change)

    def action_cancel(self) -> None:
        """Escape: plan nothing."""
        self.dismiss(None)
