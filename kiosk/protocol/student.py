"""What the kiosk and the server say about one student's check: login, record, result."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from kiosk.fields import FIELD_KEYS
from kiosk.protocol.base import DB_INT_MAX, FieldKey, Instant, Model, Note, Reply, TextRule

Verdict = Literal["correct", "incorrect"]
PhotoReason = Literal["not_me", "blurred", "background", "other"]
RecordState = Literal["not_checked", "submitted", "corrections_pending", "check_again"]
Step = Literal["welcome", "login", "record", "fields", "photo", "review", "receipt", "register"]


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
    comment: str | None = Field(
        default=None, description="The latest reviewer's comment, e.g. why it was rejected."
    )


class CorrectionNotice(Reply):
    """A message the student was sent about a decision on one of their corrections."""

    at: dt.datetime
    correction_id: int
    field: str
    state: str
    comment: str | None = None


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
    recheck_fields: list[str] = Field(
        default_factory=list,
        description="With state `check_again`: the field keys (and `photo`) changed since the "
        "last submission, which the student checks again.",
    )
    ticket: str | None = Field(
        default=None,
        description="Signed; authorises exactly one result for this record version. Only while "
        "the window is open; a new one comes with every `GET /me/record`.",
    )
    ticket_expires_at: dt.datetime | None = None
    notices: list[CorrectionNotice] = Field(
        default_factory=list,
        description="The latest messages about decisions on the student's corrections, newest "
        "first (kiosk: the record overview shows them).",
    )
    key_fields: list[str] | None = Field(
        default=None,
        description="The fields whose change the province approves (`[server] key_fields`); "
        "None from an older server: the built-in split.",
    )
    policy_rules_off: list[str] = Field(
        default_factory=list,
        description="Policy rules (`kiosk/policy.py`) this server does not apply, so the "
        "kiosk explains only those it will enforce before the student submits.",
    )

    def values(self) -> dict[str, str]:
        """The record as ``{key: value}``."""
        return {item.key: item.value for item in self.fields}


class PhotoLinkResponse(Reply):
    """A short-lived signed link to the photo preview page."""

    url: str
    expires_at: dt.datetime


class FieldDecision(Model):
    """The student's verdict on one field; a correction must say what the right value is."""

    key: FieldKey
    verdict: Verdict
    proposed: Annotated[str, StringConstraints(max_length=200), TextRule] | None = None
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
    record_version: Annotated[int, Field(ge=1, le=DB_INT_MAX)]
    fields: Annotated[list[FieldDecision], Field(min_length=17, max_length=17)]
    photo: PhotoDecision
    started_at: Instant
    finished_at: Instant

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


def new_result_id() -> uuid.UUID:
    """A fresh result id (UUID4); generated once per result, never per attempt."""
    return uuid.uuid4()
