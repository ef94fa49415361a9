"""The contract of the progress view and the reminders (issue 15, "Nobody left behind").

Every student is in exactly one :data:`StudentProgress` state; the view's numbers are
counts of those states and sums of them (:data:`PROGRESS_NUMBERS`), so the students behind
any number can be listed with the same words.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from kiosk.protocol.base import Label, Model, Reply

StudentProgress = Literal[
    "not_registered", "registered_not_checked", "window_closed", "all_correct", "reported"
]  # fmt: skip
"""Where one student stands: no account yet; registered, window open (or not started), no
result; registered, window closed without a result; checked, all correct; checked and
reported at least one error."""

ProgressNumber = Literal[
    "graduates", "registered", "checked", "all_correct", "reported", "not_checked",
    "not_registered", "registered_not_checked", "window_closed", "corrections_open",
    "reminded_today", "no_contact",
]  # fmt: skip
"""A number of the view, as the drill-down's ``number`` names it."""

PROGRESS_NUMBERS: tuple[ProgressNumber, ...] = (
    "graduates", "registered", "checked", "all_correct", "reported", "not_checked",
    "not_registered", "registered_not_checked", "window_closed", "corrections_open",
    "reminded_today", "no_contact",
)  # fmt: skip

ReminderKind = Literal["not_registered", "registered_not_checked", "window_closed"]
"""Which students who have not checked a reminder is for."""

REMINDER_KINDS: tuple[ReminderKind, ...] = (
    "not_registered",
    "registered_not_checked",
    "window_closed",
)

PAGE_LIMIT = 200
"""Most students one drill-down page lists."""


class ProgressCounts(Reply):
    """The numbers of one class, one college or the whole school."""

    graduates: int
    registered: int
    checked: int
    all_correct: int
    reported: int
    not_checked: int
    not_registered: int
    registered_not_checked: int
    window_closed: int
    corrections_open: dict[str, int] = Field(
        default_factory=dict, description="Open corrections by state; states with none left out."
    )
    reminded_today: int = 0
    last_reminded_at: dt.datetime | None = None

    def number(self, name: ProgressNumber) -> int:
        """The number ``name`` (``corrections_open``: all open states together)."""
        if name == "corrections_open":
            return sum(self.corrections_open.values())
        if name == "no_contact":
            raise ValueError("no_contact is listed, not counted, in the view")
        value = getattr(self, name)
        assert isinstance(value, int)
        return value


class ProgressRow(ProgressCounts):
    """One college's numbers (``class_name`` None) or one class's."""

    college: str
    class_name: str | None = None


class ProgressReport(Reply):
    """The progress view: totals, then each college and each class within it."""

    as_of: dt.datetime
    deadline: dt.date | None = Field(description="``[server] campaign_deadline``, if set.")
    college: str | None = Field(description="The college this view is limited to, if any.")
    total: ProgressCounts
    colleges: list[ProgressRow]
    classes: list[ProgressRow]


class ProgressStudent(Reply):
    """One student behind a number."""

    student_id: int
    student_no: str
    name: str
    college: str
    class_name: str
    status: StudentProgress
    open_corrections: int
    has_contact: bool = Field(description="A registered e-mail address or mobile number.")
    window_closes_at: dt.datetime | None
    last_reminded_at: dt.datetime | None


class ProgressStudents(Reply):
    """One page of the students behind a number, by college, class and 学号."""

    number: ProgressNumber
    students: list[ProgressStudent]
    total: int
    offset: int
    limit: int


class ReminderSelection(Model):
    """Whom to remind: a college (a college office: its own), a class, and which kinds of
    students who have not checked."""

    college: Label | None = None
    class_name: Label | None = None
    kinds: list[ReminderKind] = Field(min_length=1, max_length=3)

    @field_validator("kinds")
    @classmethod
    def _distinct(cls, value: list[ReminderKind]) -> list[ReminderKind]:
        if len(set(value)) != len(value):
            raise ValueError("each kind once")
        return value


class ReminderPreview(Reply):
    """What a reminder to the selection would do now."""

    students: int = Field(description="Students in the selection who have not checked.")
    to_remind: int = Field(description="Of those, reachable and not reminded yet today.")
    email: int
    sms: int
    already_today: int = Field(description="Reminded today already: skipped (one a day).")
    no_contact: int = Field(
        description="No registered e-mail or mobile: listed for the college office to call "
        "(drill-down `no_contact`)."
    )


class ReminderResult(ReminderPreview):
    """What a reminder did: ``to_remind`` students were reminded."""

    reminded_at: dt.datetime


NOTICES_SHOWN = 10
"""The latest messages ``GET /me/record`` returns."""
