"""What a terminal says about itself: heartbeat, enrolment, remote control."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
)

from kiosk.protocol.base import (
    DB_INT_MAX,
    Label,
    Model,
    Reply,
    ShortText,
    TerminalName,
    TextRule,
)
from kiosk.protocol.student import Step

TerminalState = Literal["idle", "in_use", "offline"]


class HeartbeatRequest(Model):
    """A terminal's state for the live board; no personal data beyond a masked name."""

    state: Literal["idle", "in_use"]
    step: Step | None = None
    student_masked: ShortText | None = None
    results_waiting: Annotated[int, Field(ge=0, le=DB_INT_MAX)] = 0
    dead_letters: Annotated[int, Field(ge=0, le=DB_INT_MAX)] = 0
    app_version: ShortText | None = None
    pin_failures: Annotated[int, Field(ge=0, le=DB_INT_MAX)] = 0
    """Wrong staff PINs in a row at this terminal (kiosk.pin_throttle)."""


class SessionBanner(Reply):
    """What a kiosk's welcome screen shows while its lab has a supervised session."""

    title: str
    ends_at: dt.datetime


class HeartbeatResponse(Reply):
    """What the server tells a terminal back."""

    server_time: dt.datetime
    terminal_name: str
    lab: str
    supervised_session: SessionBanner | None = None
    # Remote control from the live board (kiosk/protocol: TerminalControl), carried here
    # because the terminal asks every 10 s anyway: no port is opened on a lab PC.
    end_session: bool = False
    """Log the student out and wipe, now (sent once)."""
    locked: bool = False
    """Show "请联系监考老师" over everything until a later answer says false."""
    message: str | None = None
    """A line from the proctor for the welcome screen."""


EnrolmentCodeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
]
"""An enrolment code as typed (case and dashes do not matter)."""


class EnrolmentCodeCreate(Model):
    """An enrolment code to make: which lab the new terminals join, and how many."""

    lab: Label
    uses: Annotated[int, Field(ge=1, le=500, description="How many PCs may enrol with it.")]


class EnrolmentCodeInfo(Reply):
    """A new enrolment code: shown once, then only its hash is kept."""

    id: int
    code: str = Field(description="``XXXX-XXXX-XXXX``; give it to `kiosk enrol CODE`.")
    lab: str
    uses: int
    expires_at: dt.datetime


class EnrolRequest(Model):
    """``kiosk enrol``: a code and the new terminal's name."""

    code: EnrolmentCodeText
    name: TerminalName


class EnrolResponse(Reply):
    """The enrolled terminal and its key (shown this once; the server keeps a hash)."""

    terminal_id: int
    lab: str
    name: str
    terminal_key: str


ControlAction = Literal["end_session", "lock", "unlock", "message"]


class TerminalControl(Model):
    """What a proctor or the registrar asks a terminal to do at its next heartbeat."""

    action: ControlAction
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), TextRule] = (
        Field(default="", description="For `message`: the line to show; empty clears it.")
    )
