"""The server's tables (SQLAlchemy 2 typed mappings); the Alembic migration creates them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on both dialects (SQLite keeps no time zone, so re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; named constraints so migrations can refer to them."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class Student(Base):
    """A student's master record: the 17 fields, its version, the verification window."""

    __tablename__ = "students"
    # Covers the progress view's grouped count (server/progress/router.py): no table lookups.
    __table_args__ = (Index("ix_students_progress", "college", "class_name", "window_closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(8))
    ethnicity: Mapped[str] = mapped_column(String(20))
    birth_date: Mapped[str] = mapped_column(String(10))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    student_no: Mapped[str] = mapped_column(String(20), unique=True)
    institution: Mapped[str] = mapped_column(String(100))
    college: Mapped[str] = mapped_column(String(100), index=True)
    department: Mapped[str] = mapped_column(String(100))
    major: Mapped[str] = mapped_column(String(100))
    class_name: Mapped[str] = mapped_column(String(100), index=True)
    level: Mapped[str] = mapped_column(String(20))
    duration: Mapped[str] = mapped_column(String(8))
    education_category: Mapped[str] = mapped_column(String(20))
    study_mode: Mapped[str] = mapped_column(String(20))
    enrollment_date: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(100))
    record_version: Mapped[int] = mapped_column(Integer, default=1)
    photo_version: Mapped[int] = mapped_column(Integer, default=0)
    window_closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Field keys (and ``photo``) changed since the student's last submission: the kiosk
    # asks about these again; a new submission clears the list.
    recheck_fields: Mapped[list[str]] = mapped_column(JSON, default=list)


class Photo(Base):
    """One version of a student's photo (JPEG bytes, kept so old links can be told apart)."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("student_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Account(Base):
    """A login: a student's (bound to a record) or a staff member's (with a role)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="student")
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), unique=True
    )
    college: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    student: Mapped[Student | None] = relationship(lazy="raise")


class LoginThrottle(Base):
    """Failed logins per account — or per unknown user name, so answers never reveal which."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Terminal(Base):
    """A lab terminal; its key's secret is stored only as a hash."""

    __tablename__ = "terminals"
    __table_args__ = (UniqueConstraint("lab", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20), default="offline")
    step: Mapped[str | None] = mapped_column(String(20))
    student_masked: Mapped[str | None] = mapped_column(String(200))
    results_waiting: Mapped[int] = mapped_column(Integer, default=0)
    dead_letters: Mapped[int] = mapped_column(Integer, default=0)
    # Remote control (server/remote_control.py), answered with the next heartbeat.
    end_session_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    notice: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Wrong staff PINs in a row at the terminal, from its last heartbeat."""


class EnrolmentCode(Base):
    """A code that lets new PCs join a lab as terminals; only its HMAC is stored."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    lab: Mapped[str] = mapped_column(String(100))
    uses: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RateLimit(Base):
    """Password attempts in the current minute of one terminal or one client address."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SessionToken(Base):
    """A login session; only the SHA-256 of the bearer token is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship(lazy="raise")


class Verification(Base):
    """One submitted result; ``result_id`` is unique for ever, whatever the idempotency key."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[str] = mapped_column(String(36), unique=True)
    receipt_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    record_version: Mapped[int] = mapped_column(Integer)
    photo_version: Mapped[int] = mapped_column(Integer)
    photo_verdict: Mapped[str] = mapped_column(String(10))
    photo_reason: Mapped[str | None] = mapped_column(String(20))
    photo_note: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # SHA-256 of the ticket that authorised this result: a ticket authorises one result.
    ticket_digest: Mapped[str | None] = mapped_column(String(64), unique=True)


class VerificationField(Base):
    """The student's decision on one field of one result."""

    __tablename__ = "verification_fields"
    __table_args__ = (UniqueConstraint("verification_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(30))
    verdict: Mapped[str] = mapped_column(String(10))
    shown_value: Mapped[str] = mapped_column(String(200))
    proposed: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))


class Correction(Base):
    """A field or the photo reported wrong, on its way through review (one per report)."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    field: Mapped[str] = mapped_column(String(30))
    current_value: Mapped[str | None] = mapped_column(String(200))
    proposed: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(30), default="reported", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What proof document the college office saw (identity fields need one to be accepted).
    proof: Mapped[str | None] = mapped_column(String(500))
    # Who made the latest decision, and its comment, for the 勘误汇总表.
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    comment: Mapped[str | None] = mapped_column(String(500))
    # A key field's way through the province: the batch it went in, the reply's reference.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("province_batches.id"), index=True)
    province_reference: Mapped[str | None] = mapped_column(String(100))


class ProvinceBatch(Base):
    """Key-field corrections the registrar submitted to the province together, in one file."""

    __tablename__ = "province_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    submitted_on: Mapped[dt.date] = mapped_column(Date())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    comment: Mapped[str | None] = mapped_column(String(500))


class CorrectionEvent(Base):
    """One decision on a correction: who moved it from which state to which, and why."""

    __tablename__ = "correction_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(
        ForeignKey("corrections.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(String(500))
    proof: Mapped[str | None] = mapped_column(String(500))


class IdempotencyKey(Base):
    """A submission's key, the fingerprint of its body, and the answer to replay."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("terminal_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    key: Mapped[str] = mapped_column(String(36))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_body: Mapped[str] = mapped_column(Text)
    """The 201 answer (a receipt), written in the same transaction as the result."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    """Who did what, when, from which terminal; never secrets, codes or personal data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(60))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminals.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(12), default="ok")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SupervisedSession(Base):
    """A proctored slot in one lab for a roster of students."""

    __tablename__ = "supervised_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    lab: Mapped[str] = mapped_column(String(100), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), default="planned", index=True)
    # The class the roster was taken from, if it was; the roster itself is always resolved.
    class_name: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RosterEntry(Base):
    """One student expected at a supervised session."""

    __tablename__ = "supervised_session_students"
    __table_args__ = (UniqueConstraint("session_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("supervised_sessions.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))


class Registration(Base):
    """A first-time student's registration, pending until both contacts are confirmed.

    The id is random (not a counter) so that one registration's id says nothing about
    another's. The password is kept only as its argon2 hash until the account is created.
    """

    __tablename__ = "registrations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id"))
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str] = mapped_column(String(11))
    region: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RegistrationCode(Base):
    """The current one-time code of one channel of a registration (a resend overwrites it)."""

    __tablename__ = "registration_codes"
    __table_args__ = (UniqueConstraint("registration_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[str] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SendThrottle(Base):
    """Codes sent to one address or number (keyed by a hash of it): spacing and a 24-hour cap."""

    __tablename__ = "send_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Named as every throttle's count (server/throttle.py); the column keeps its old name.
    attempts: Mapped[int] = mapped_column("sent_in_window", Integer, default=0)
    last_sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class OutgoingMessage(Base):
    """A mail or SMS waiting to be sent, being sent, sent or failed.

    The background sender claims rows; ``body`` is cleared once the message is sent or has
    failed for good, so codes do not linger in the table.
    """

    __tablename__ = "outgoing_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class MailboxEntry(Base):
    """A message delivered to the local mailbox (demo, or no SMTP / SMS gateway configured)."""

    __tablename__ = "mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProofFile(Base):
    """A proof document a student photographed for the corrections of one submission.

    Stored as the photos are, in the database: re-encoded JPEG (no EXIF, no location) and a
    small thumbnail for the college office's list. Every correction of the submission that
    needs proof shows the same files (a 户口簿 page serves a name and an ID number alike).
    """

    __tablename__ = "proof_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[int] = mapped_column(
        ForeignKey("verifications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reminder(Base):
    """A reminder to check sent to one student; one a day at most (the unique pair).

    ``day`` is the date in the school's zone, so "once a day" means the school's day.
    """

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("student_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(60))
    channels: Mapped[str] = mapped_column(String(20))
    """``email``, ``sms``, ``email,sms``, or empty: no contact, listed for a call."""


class DecisionNotice(Base):
    """A message to a student about a decision on one of their corrections.

    Written in the decision's transaction; the background round queues it to the student's
    contacts and sets ``dispatched_at``. The kiosk shows the history on the record overview.
    """

    __tablename__ = "decision_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)


class DailyJob(Base):
    """The day a once-a-day job last ran: the row is the lock between workers."""

    __tablename__ = "daily_jobs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), default="")
