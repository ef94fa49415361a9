"""The staff console's own exchanges: login, labs, sessions, the board, students."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    Field,
    model_validator,
)

from kiosk.protocol.base import Instant, Label, Model, Reply, StaffRole, StudentNo
from kiosk.protocol.student import RecordState, VerificationWindow
from kiosk.protocol.terminal import TerminalState

SupervisedState = Literal["planned", "running", "ended"]
RosterStatus = Literal["not_started", "in_progress", "all_correct", "corrections_reported"]


class StaffSummary(Reply):
    """Who is logged in at the console, and what they may do."""

    username: str
    role: StaffRole
    college: str | None = None


class StaffLoginResponse(Reply):
    """A staff session token; send it as ``Authorization: Bearer`` (no terminal key)."""

    token: str
    expires_at: dt.datetime
    staff: StaffSummary


class LabInfo(Reply):
    """A lab and how many terminals it has."""

    lab: str
    terminals: int


class SupervisedSessionCreate(Model):
    """A supervised session to plan: a lab, a slot, and a roster (a class or 学号 list)."""

    title: Label
    lab: Label
    starts_at: Instant
    ends_at: Instant
    class_name: Label | None = None
    student_nos: Annotated[list[StudentNo], Field(max_length=2000)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _slot_and_roster(self) -> SupervisedSessionCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if (self.class_name is None) == (not self.student_nos):
            raise ValueError("give either class_name or student_nos, not both or neither")
        return self


class SupervisedSessionUpdate(Model):
    """Changes to a session: any plan field of a planned one, only a later ``ends_at`` of a
    running one. A new roster is a class or a 学号 list; neither keeps the roster."""

    title: Label | None = None
    lab: Label | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    class_name: Label | None = None
    student_nos: Annotated[list[StudentNo], Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one_roster(self) -> SupervisedSessionUpdate:
        if self.class_name is not None and self.student_nos:
            raise ValueError("give class_name or student_nos, not both")
        return self


class SupervisedSessionInfo(Reply):
    """A supervised session as the console lists it."""

    id: int
    title: str
    lab: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    state: SupervisedState
    class_name: str | None = None
    roster_size: int
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class BoardTerminal(Reply):
    """One terminal on the live board."""

    id: int
    name: str
    state: TerminalState
    step: str | None = None
    student_masked: str | None = None
    results_waiting: int = 0
    dead_letters: int = 0
    last_seen_at: dt.datetime | None = None
    pin_failures: int = 0
    """Wrong staff PINs in a row, as the terminal's last heartbeat said ("PIN attempts")."""


class RosterProgress(Reply):
    """How far a session's roster has got."""

    total: int
    not_started: int
    in_progress: int
    all_correct: int
    corrections_reported: int


class BoardResponse(Reply):
    """The live board of a lab or a session; ``version`` is also sent as the ETag."""

    version: str
    lab: str
    session: SupervisedSessionInfo | None = None
    terminals: list[BoardTerminal]
    progress: RosterProgress | None = None
    accounts_under_attack: int = Field(
        default=0,
        description="Accounts with `lockout_threshold` or more wrong passwords this hour, "
        "all places together (`GET /staff/accounts-under-attack` lists them).",
    )


class AccountUnderAttack(Reply):
    """An account with many wrong passwords this hour: who, how many, until when counted."""

    username: str
    role: str
    failures: int
    window_ends_at: dt.datetime


class ReportRow(Reply):
    """One roster student in an end-of-session report."""

    student_no: str
    name: str
    class_name: str
    came: bool
    finished: bool
    status: RosterStatus
    corrections: list[str] = Field(description="Keys of the fields (or `photo`) reported wrong.")


class SessionReport(Reply):
    """Who came, who finished, who reported what, who did not come."""

    session: SupervisedSessionInfo
    proctor: str | None = Field(default=None, description="Who planned the session.")
    progress: RosterProgress
    rows: list[ReportRow]
    corrections_by_field: dict[str, int]


class StudentRow(Reply):
    """A student as a search lists them; the ID number is masked."""

    id: int
    student_no: str
    name: str
    college: str
    class_name: str
    id_number_masked: str
    state: RecordState


class StudentSearchResponse(Reply):
    """Search results, at most ``limit`` of them."""

    students: list[StudentRow]
    limit: int


class HistoryEvent(Reply):
    """One thing that happened to a student's record."""

    at: dt.datetime
    kind: Literal["login", "submission", "correction", "reopen"]
    outcome: str
    detail: str | None = None


class StudentDetail(Reply):
    """A student's state, window and history."""

    student: StudentRow
    window: VerificationWindow
    registered: bool
    history: list[HistoryEvent]
