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
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from kiosk.fields import FIELD_KEYS, text_rule, text_rule_pattern

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

    # defer_build (here and in ProblemDetails): each answer model builds its validator on
    # first use, not at import. This module holds the whole API (staff, imports,
    # registration), and building all of it cost every kiosk start ~90 ms for models a
    # student never touches. Not for request models: FastAPI warns about deferred ones it
    # reads request bodies into.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


# --- errors -------------------------------------------------------------------------------


class FieldError(Reply):
    """One problem with one part of a request."""

    field: str = Field(description="Where the problem is, e.g. `fields.id_number.proposed`.")
    code: str = Field(description="Stable machine-readable code, e.g. `id_checksum`.")
    message: str = Field(description="Human-readable explanation (Chinese / English).")


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document with a stable ``code`` the kiosk translates."""

    model_config = ConfigDict(extra="allow", defer_build=True)

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


# --- verification results ------------------------------------------------------------------


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


# --- terminals ----------------------------------------------------------------------------


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


# --- staff (the console, DESIGN.md §4) ----------------------------------------------------

StaffRole = Literal["proctor", "college_office", "registrar"]
STAFF_ROLES: tuple[StaffRole, ...] = ("proctor", "college_office", "registrar")
SUPERVISORS: tuple[StaffRole, ...] = ("proctor", "registrar")
"""Run supervised sessions and watch the live board."""
RECORD_KEEPERS: tuple[StaffRole, ...] = ("college_office", "registrar")
"""Look students up, reopen windows, decide corrections (a college office: its college only)."""
REGISTRAR_ONLY: tuple[StaffRole, ...] = ("registrar",)
"""Confirm and apply corrections across colleges, import records and photos."""
SupervisedState = Literal["planned", "running", "ended"]
RosterStatus = Literal["not_started", "in_progress", "all_correct", "corrections_reported"]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), TextRule
]
StudentNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


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


# --- registration (first-time students) -----------------------------------------------------

Channel = Literal["email", "sms"]
CodeText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]


class RegistrationRequest(Model):
    """A first-time student's identity and contacts, matched against the record.

    Lengths here are generous bounds; the rules (password strength, mobile number, the ID
    number's check digit, birth date and gender digit) are checked by the server with
    :mod:`kiosk.fields` and answered as ``validation_failed`` with one code per field.
    """

    email: Annotated[str, StringConstraints(max_length=254)]
    password: Annotated[str, StringConstraints(max_length=256)]
    id_type: Literal["身份证"] = Field(
        default="身份证", description="证件类型: only the resident ID card (身份证) is accepted."
    )
    name: Annotated[str, StringConstraints(max_length=60), TextRule]
    gender: Annotated[str, StringConstraints(max_length=8)] = Field(description="男 or 女.")
    id_number: Annotated[str, StringConstraints(max_length=40)]
    birth_date: Annotated[str, StringConstraints(max_length=20)] = Field(
        description="YYYY-MM-DD; must agree with the ID number."
    )
    region: Annotated[str, StringConstraints(max_length=100), TextRule] | None = Field(
        default=None, description="Free text, optional."
    )
    mobile: Annotated[str, StringConstraints(max_length=30)] = Field(
        description="11 digits, 13x-19x; +86, spaces and dashes are allowed."
    )


class RegistrationResponse(Reply):
    """A registration waiting for its two codes; contacts are shown masked."""

    registration_id: str = Field(description="Opaque; use it in .../verify and .../resend.")
    email_masked: str
    mobile_masked: str
    code_expires_at: dt.datetime = Field(description="When the codes just sent stop working.")
    resend_after: dt.datetime = Field(description="The earliest moment a resend is accepted.")
    expires_at: dt.datetime = Field(description="When the unfinished registration lapses.")


class VerifyCodesRequest(Model):
    """The codes the student received; either may be left out once it is confirmed."""

    email_code: CodeText | None = None
    sms_code: CodeText | None = None


class VerifyCodesResponse(Reply):
    """Where the registration stands; ``active`` means the account exists and the window runs."""

    status: Literal["pending", "active"]
    email_confirmed: bool
    sms_confirmed: bool
    username: str | None = Field(default=None, description="The new account's user name.")
    window_closes_at: dt.datetime | None = Field(
        default=None, description="The deadline of the verification window, once active."
    )


class ResendRequest(Model):
    """Which code to send again (a new code replaces the old one)."""

    channel: Channel


class ResendResponse(Reply):
    """A new code is on its way."""

    channel: Channel
    code_expires_at: dt.datetime
    resend_after: dt.datetime
    sends_left: int = Field(description="Codes this address or number may still get today.")


class MailboxMessage(Reply):
    """A message in the demo's local mailbox."""

    channel: Channel
    to: str
    subject: str | None
    text: str
    created_at: dt.datetime


class MailboxResponse(Reply):
    """The latest messages for one address or number (demo servers only)."""

    messages: list[MailboxMessage]


def mask_email(address: str) -> str:
    """An e-mail address as a shared screen may show it: zhang.wei@x.cn -> zh*****i@x.cn."""
    local, _, domain = address.partition("@")
    shown = local[:2] + "*" * max(len(local) - 3, 1) + local[-1:] if len(local) > 2 else "*"
    return f"{shown}@{domain}"


def mask_mobile(number: str) -> str:
    """A mobile number with only the first 3 and last 4 digits shown."""
    return mask_id_number(number)


# --- corrections (勘误: college review, registrar confirmation, DESIGN.md §4) ----------------

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


class CorrectionRow(Reply):
    """A correction as the queue lists it; ``field`` is a field key or ``photo``."""

    id: int
    student_id: int
    student_no: str
    name: str
    college: str
    class_name: str
    field: str
    current_value: str | None
    proposed: str | None
    state: CorrectionState
    needs_proof: bool = Field(description="An identity field: the college office records proof.")
    updated_at: dt.datetime


class CorrectionList(Reply):
    """The corrections matching a filter, oldest first, at most ``limit``."""

    corrections: list[CorrectionRow]
    total: int
    limit: int


class CollegeList(Reply):
    """The colleges a staff member may filter the corrections by."""

    colleges: list[str]


class CorrectionDecisionInfo(Reply):
    """One step of a correction's history."""

    at: dt.datetime
    by: str | None = Field(description="The staff user name (None for the student's report).")
    action: str
    from_state: str = Field(description="Empty for the student's report itself.")
    to_state: CorrectionState
    comment: str | None = None
    proof: str | None = None


class CorrectionDetail(Reply):
    """A correction with the student's note, the proof seen, and every decision so far."""

    correction: CorrectionRow
    note: str | None
    proof: str | None
    comment: str | None
    history: list[CorrectionDecisionInfo]


class CollegeDecision(Model):
    """A college office's decision; accepting an identity field needs ``proof``."""

    decision: Literal["accept", "reject"]
    comment: Comment
    proof: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), TextRule] | None
    ) = None


class RegistrarDecision(Model):
    """The registrar's decision on a correction the college accepted."""

    decision: Literal["confirm", "reject"]
    comment: Comment


class CorrectionStep(Model):
    """Apply a confirmed correction, or send a photo to the vendor; the comment is optional."""

    comment: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), TextRule] | None
    ) = None


BulkAction = Literal["confirm", "apply"]
"""What the registrar may do to many corrections at once."""


class BulkCorrections(Model):
    """The registrar's bulk action: every id is checked, and all or none are done."""

    action: BulkAction
    ids: Annotated[
        list[Annotated[int, Field(ge=1, le=DB_INT_MAX)]], Field(min_length=1, max_length=500)
    ]
    comment: Comment


class BulkResult(Reply):
    """The corrections a bulk action changed."""

    corrections: list[CorrectionRow]


# --- imports (the registrar) --------------------------------------------------------------


class ImportProblem(Reply):
    """One problem in an imported file: where (line and column, or file name) and what."""

    line: int | None = None
    column: str | None = None
    file: str | None = None
    code: str
    message: str


class FieldChange(Reply):
    """One value an import changes in a master record."""

    key: str
    old: str
    new: str


class RecordChange(Reply):
    """A student an import adds (``new``) or changes (``fields``), by the file's line."""

    line: int
    student_no: str
    name: str
    new: bool
    fields: list[FieldChange] = Field(default_factory=list)


class RecordImportReport(Reply):
    """What a record import found and, when the whole file was valid, did: the counts and
    the list of changes are the same for a dry run (what it would do) and the real one."""

    applied: bool
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[RecordChange] = Field(default_factory=list)
    ignored_columns: list[str] = Field(default_factory=list)
    problems: list[ImportProblem] = Field(default_factory=list)


class StoredPhoto(Reply):
    """A photo stored by an import."""

    file: str
    student_no: str
    version: int


class PhotoImportReport(Reply):
    """Photos are independent: the good ones are stored, each bad one is reported."""

    stored: list[StoredPhoto] = Field(default_factory=list)
    problems: list[ImportProblem] = Field(default_factory=list)
    corrections_applied: int = Field(
        default=0, description="Photo corrections sent to the vendor that the new photos closed."
    )


PHOTO_SUFFIXES = (".jpg", ".jpeg")
"""The file names a photo import takes (the name's stem is the 学号 or ID number)."""


# --- enrolment of lab terminals ---------------------------------------------------------

TerminalName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
    ),
]
"""A terminal's name in its lab, e.g. ``lab3-07`` (letters, digits, ``.``, ``_``, ``-``)."""
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


# --- remote control of a terminal from the live board ----------------------------------

ControlAction = Literal["end_session", "lock", "unlock", "message"]


class TerminalControl(Model):
    """What a proctor or the registrar asks a terminal to do at its next heartbeat."""

    action: ControlAction
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="For `message`: the line to show; empty clears it."
    )
