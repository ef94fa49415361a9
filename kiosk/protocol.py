"""The API contract: pydantic models for every request and response of ``/api/v1``.

Both sides import these, so the kiosk and the server cannot drift apart. Structural rules
(types, lengths, the 17 keys) live here; rules that need the student's record (a proposed
value against its field validator, the record version) are checked by the server with
:mod:`kiosk.fields`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from kiosk.fields import FIELD_KEYS

API_PREFIX = "/api/v1"
TERMINAL_KEY_HEADER = "Terminal-Key"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PROBLEM_MEDIA_TYPE = "application/problem+json"

Verdict = Literal["correct", "incorrect"]
PhotoReason = Literal["not_me", "blurred", "background", "other"]
FieldKey = Literal[
    "name", "gender", "ethnicity", "birth_date", "id_number", "student_no", "institution",
    "college", "department", "major", "class_name", "level", "duration", "education_category",
    "study_mode", "enrollment_date", "status",
]  # fmt: skip
RecordState = Literal["not_checked", "submitted", "corrections_pending", "check_again"]
TerminalState = Literal["idle", "in_use", "offline"]
Step = Literal["welcome", "login", "record", "fields", "photo", "review", "receipt", "register"]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Note = Annotated[str, StringConstraints(max_length=500)]


class Model(BaseModel):
    """Base of request models: unknown keys are rejected, so typos cannot pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reply(BaseModel):
    """Base of response models: unknown keys are ignored, so a newer server can add members
    without breaking the terminals already in the labs."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# --- errors -------------------------------------------------------------------------------


class FieldError(Reply):
    """One problem with one part of a request."""

    field: str = Field(description="Where the problem is, e.g. `fields.id_number.proposed`.")
    code: str = Field(description="Stable machine-readable code, e.g. `id_checksum`.")
    message: str = Field(description="Human-readable explanation (Chinese / English).")


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document with a stable ``code`` the kiosk translates."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    code: str
    detail: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


# --- health and sessions ------------------------------------------------------------------


class Health(Reply):
    """What ``GET /health`` answers."""

    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unavailable"]


class LoginRequest(Model):
    """A student's user name (e-mail address or 学号) and password."""

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class StudentSummary(Reply):
    """Who is logged in, as the kiosk may show it on a shared screen."""

    student_no: str
    name: str
    college: str


class LoginResponse(Reply):
    """A new session token; send it as ``Authorization: Bearer``."""

    token: str
    expires_at: dt.datetime
    student: StudentSummary


# --- the record ---------------------------------------------------------------------------


class FieldValue(Reply):
    """One field of the record as stored."""

    key: FieldKey
    value: str


class PhotoInfo(Reply):
    """The record's photo, without the image itself (see the photo link)."""

    version: int
    width: int
    height: int
    size_bytes: int


class VerificationWindow(Reply):
    """When the student may submit; ``closes_at`` is None until the window starts."""

    closes_at: dt.datetime | None
    is_open: bool


class CorrectionSummary(Reply):
    """A reported error and where it stands."""

    id: int
    field: str
    proposed: str | None
    state: str
    updated_at: dt.datetime


class RecordResponse(Reply):
    """Everything the kiosk needs to run the check, including the submission ticket."""

    student_no: str
    fields: list[FieldValue]
    record_version: int
    photo: PhotoInfo | None
    window: VerificationWindow
    state: RecordState
    last_receipt_no: str | None = None
    corrections: list[CorrectionSummary] = Field(default_factory=list)
    ticket: str = Field(description="Signed; authorises one submission for this record version.")
    ticket_expires_at: dt.datetime

    def values(self) -> dict[str, str]:
        """The record as ``{key: value}``."""
        return {item.key: item.value for item in self.fields}


class PhotoLinkResponse(Reply):
    """A short-lived signed link to the photo preview page."""

    url: str
    expires_at: dt.datetime


# --- verification results ------------------------------------------------------------------


class FieldDecision(Model):
    """The student's verdict on one field; a correction must say what the right value is."""

    key: FieldKey
    verdict: Verdict
    proposed: Annotated[str, StringConstraints(max_length=200)] | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _proposed_matches_verdict(self) -> FieldDecision:
        if self.verdict == "incorrect" and not (self.proposed or "").strip():
            raise ValueError("an 'incorrect' verdict needs a proposed value")
        if self.verdict == "correct" and self.proposed is not None:
            raise ValueError("a 'correct' verdict takes no proposed value")
        return self


class PhotoDecision(Model):
    """The student's verdict on the photo."""

    verdict: Verdict
    reason: PhotoReason | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _reason_matches_verdict(self) -> PhotoDecision:
        if self.verdict == "incorrect" and self.reason is None:
            raise ValueError("an 'incorrect' photo verdict needs a reason")
        if self.reason == "other" and not (self.note or "").strip():
            raise ValueError("the reason 'other' needs a note")
        if self.verdict == "correct" and self.reason is not None:
            raise ValueError("a 'correct' photo verdict takes no reason")
        return self


class VerificationRequest(Model):
    """One student's complete result: all 17 fields and the photo."""

    result_id: uuid.UUID
    ticket: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    record_version: Annotated[int, Field(ge=1)]
    fields: Annotated[list[FieldDecision], Field(min_length=17, max_length=17)]
    photo: PhotoDecision
    started_at: AwareDatetime
    finished_at: AwareDatetime

    @field_validator("fields")
    @classmethod
    def _every_field_once(cls, fields: list[FieldDecision]) -> list[FieldDecision]:
        keys = [decision.key for decision in fields]
        if sorted(keys) != sorted(FIELD_KEYS):
            missing = sorted(set(FIELD_KEYS) - set(keys))
            repeated = sorted({key for key in keys if keys.count(key) > 1})
            raise ValueError(
                f"every field needs one verdict; missing {missing}, repeated {repeated}"
            )
        return fields

    @model_validator(mode="after")
    def _finished_after_start(self) -> VerificationRequest:
        if self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self

    def incorrect(self) -> list[FieldDecision]:
        """The decisions that report an error."""
        return [decision for decision in self.fields if decision.verdict == "incorrect"]


class CorrectionRef(Reply):
    """A correction created by a submission."""

    id: int
    field: str
    state: str


class VerificationReceipt(Reply):
    """The server's receipt; a replay of the same request returns the same receipt."""

    receipt_no: str
    submitted_at: dt.datetime
    corrections: list[CorrectionRef]


# --- terminals ----------------------------------------------------------------------------


class HeartbeatRequest(Model):
    """A terminal's state for the live board; no personal data beyond a masked name."""

    state: Literal["idle", "in_use"]
    step: Step | None = None
    student_masked: ShortText | None = None
    results_waiting: Annotated[int, Field(ge=0)] = 0
    dead_letters: Annotated[int, Field(ge=0)] = 0
    app_version: ShortText | None = None


class HeartbeatResponse(Reply):
    """What the server tells a terminal back."""

    server_time: dt.datetime
    terminal_name: str
    lab: str


def new_result_id() -> uuid.UUID:
    """A fresh result id (UUID4); generated once per result, never per attempt."""
    return uuid.uuid4()


def mask_name(name: str) -> str:
    """A name as a shared screen or the live board may show it: 张三丰 -> 张*丰, 李四 -> 李*."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """An ID number with only the first 3 and last 4 characters shown."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
