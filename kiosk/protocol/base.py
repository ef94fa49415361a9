"""The contract's foundations: headers, limits, base models, shared value types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from kiosk.fields import text_rule, text_rule_pattern

API_PREFIX = "/api/v1"
TERMINAL_KEY_HEADER = "Terminal-Key"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PROBLEM_MEDIA_TYPE = "application/problem+json"
DB_INT_MAX = 2**31 - 1
"""The largest whole number the server's databases store (PostgreSQL's INTEGER): a count or
id above it is refused with 422, not sent to the database to fail there."""


def _exists_in_utc(value: dt.datetime) -> dt.datetime:
    # The server stores every moment in UTC; 0001-01-01T00:00+14:00 has no UTC date.
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("the moment lies outside the years 1 to 9999 in UTC") from None
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_exists_in_utc)]
"""A moment a request sends: with its UTC offset, and one that UTC can express."""
FieldKey = Literal[
    "name", "gender", "ethnicity", "birth_date", "id_number", "student_no", "institution",
    "college", "department", "major", "class_name", "level", "duration", "education_category",
    "study_mode", "enrollment_date", "status",
]  # fmt: skip


def _text_rule(value: str) -> str:
    # The error's type is the problem's per-field code, so a refusal reads like the kiosk's.
    checked = text_rule(value)
    if not checked.ok:
        problem = checked.errors[0]
        raise PydanticCustomError(problem.code, problem.msg.both())
    return checked.value


class _TextRule(AfterValidator):
    """kiosk.fields.text_rule on a request's free text, and its pattern in the JSON schema."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = text_rule_pattern()
        return schema


TextRule = _TextRule(_text_rule)
"""kiosk.fields.text_rule on a request's free text: NFC, no invisible characters (issue 12)."""
ShortText = Annotated[str, StringConstraints(max_length=200), TextRule]
Note = Annotated[str, StringConstraints(max_length=500), TextRule]


class Model(BaseModel):
    """Base of request models: unknown keys are rejected, so typos cannot pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reply(BaseModel):
    """Base of response models: unknown keys are ignored, so a newer server can add members
    without breaking the terminals already in the labs."""

    model_config = ConfigDict(extra="ignore", frozen=True)


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


class Health(Reply):
    """What ``GET /health`` answers."""

    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unavailable"]


StaffRole = Literal["proctor", "college_office", "registrar"]
STAFF_ROLES: tuple[StaffRole, ...] = ("proctor", "college_office", "registrar")
SUPERVISORS: tuple[StaffRole, ...] = ("proctor", "registrar")
"""Run supervised sessions and watch the live board."""
RECORD_KEEPERS: tuple[StaffRole, ...] = ("college_office", "registrar")
"""Look students up, reopen windows, decide corrections (a college office: its college only)."""
REGISTRAR_ONLY: tuple[StaffRole, ...] = ("registrar",)
"""Confirm and apply corrections across colleges, import records and photos."""
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), TextRule
]
StudentNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


CorrectionState = Literal[
    "reported", "college_accepted", "college_rejected", "registrar_confirmed",
    "registrar_rejected", "sent_to_vendor", "submitted_to_province", "province_approved",
    "province_rejected", "applied",
]  # fmt: skip
CORRECTION_STATES: tuple[CorrectionState, ...] = (
    "reported", "college_accepted", "college_rejected", "registrar_confirmed",
    "registrar_rejected", "sent_to_vendor", "submitted_to_province", "province_approved",
    "province_rejected", "applied",
)  # fmt: skip
Comment = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), TextRule
]


TerminalName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
    ),
]
"""A terminal's name in its lab, e.g. ``lab3-07`` (letters, digits, ``.``, ``_``, ``-``)."""
