"""Reminders to check: to a selection of students who have not, by e-mail and SMS.

The registrar or a college office (its own college) chooses a college, a class and which
kinds of not-checked students (:data:`~kiosk.progress_protocol.REMINDER_KINDS`); the
preview says how many would be reached now and how, and the send queues the messages on
the delivery queue (:mod:`server.notify`) in the same transaction as one
:class:`~server.models.Reminder` row per student and the audit row. The rows' unique
(student, school day) pair is the throttle: one reminder per student per day, whoever sends
it, however many workers. Students without a registered e-mail or mobile are not reminded
but counted, and the drill-down ``no_contact`` lists them for the college office to call.

The texts are ``[server] reminder_subject``, ``reminder_text`` and ``reminder_sms``, with
``{deadline}`` filled from ``campaign_deadline``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.config import ServerSettings
from kiosk.i18n import Msg
from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.progress import ReminderKind, ReminderPreview, ReminderResult, ReminderSelection
from server.audit import audit
from server.context import Ctx, ServerContext
from server.db import one_at_a_time
from server.models import Account, Registration, Reminder, Student
from server.notify import Delivery, OutgoingMessage, queue_message
from server.problems import ApiProblem
from server.progress.router import Scope, school_day, student_status
from server.staff import RecordKeeper

router = APIRouter(prefix=f"{API_PREFIX}/staff/reminders", tags=["progress"])

NO_DEADLINE = Msg("学院通知的截止日期", "the date your college gave")
"""What ``{deadline}`` says when ``campaign_deadline`` is not set."""
M_BUSY = Msg(
    "刚才有人也给这些学生发送了提醒，请重新预览后再发送。",
    "Someone reminded these students just now; preview again, then send.",
)


@dataclass(frozen=True)
class Candidate:
    """A student of the selection who has not checked, and how to reach them."""

    student_id: int
    email: str | None
    mobile: str | None
    reminded_today: bool

    @property
    def reachable(self) -> bool:
        """A registered e-mail address or mobile number is known."""
        return bool(self.email or self.mobile)


@dataclass(frozen=True)
class Plan:
    """Who a reminder reaches now: the candidates, and those it will message."""

    candidates: list[Candidate]

    @property
    def to_remind(self) -> list[Candidate]:
        """Reachable, and not reminded yet today."""
        return [c for c in self.candidates if c.reachable and not c.reminded_today]

    def preview(self) -> ReminderPreview:
        """The counts the console shows before sending."""
        sending = self.to_remind
        return ReminderPreview(
            students=len(self.candidates),
            to_remind=len(sending),
            email=sum(1 for c in sending if c.email),
            sms=sum(1 for c in sending if c.mobile),
            already_today=sum(1 for c in self.candidates if c.reminded_today),
            no_contact=sum(1 for c in self.candidates if not c.reachable),
        )


async def plan(
    session: AsyncSession,
    scope: Scope,
    kinds: list[ReminderKind],
    now: dt.datetime,
    today: str,
) -> Plan:
    """The students of ``scope`` in one of ``kinds``, with their contacts, in one query."""
    email = (
        select(Account.username)
        .where(Account.student_id == Student.id, Account.username.contains("@"))
        .limit(1)
        .scalar_subquery()
    )
    mobile = (
        select(Registration.mobile)
        .where(Registration.student_id == Student.id, Registration.status == "active")
        .order_by(Registration.activated_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    reminded = exists().where(Reminder.student_id == Student.id, Reminder.day == today)
    rows = await session.execute(
        select(Student.id, email, mobile, reminded)
        .where(student_status(now).in_(kinds), *scope.conditions())
        .order_by(Student.id)
    )
    return Plan([Candidate(sid, mail, phone, bool(done)) for sid, mail, phone, done in rows])


def reminder_texts(settings: ServerSettings) -> tuple[str, str, str]:
    """Subject, mail text and SMS text, with the deadline filled in."""
    deadline = settings.campaign_deadline
    when = deadline.isoformat() if deadline else NO_DEADLINE.both()
    return (
        settings.reminder_subject,
        settings.reminder_text.replace("{deadline}", when),
        settings.reminder_sms.replace("{deadline}", when),
    )


async def remind(
    session: AsyncSession, ctx: ServerContext, scope: Scope, kinds: list[ReminderKind],
    actor: str, now: dt.datetime,
) -> ReminderPreview:  # fmt: skip
    """Plan and send in the caller's transaction, one send at a time: a send that waited for
    another sees whom it reminded and counts them as ``already_today``."""
    await one_at_a_time(session, "reminders")
    found = await plan(session, scope, kinds, now, school_day(now, ctx.settings.zone))
    return send(session, ctx, found, actor, now)


def send(
    session: AsyncSession, ctx: ServerContext, found: Plan, actor: str, now: dt.datetime
) -> ReminderPreview:
    """Queue the reminders of ``found`` and record one row per student (the throttle)."""
    subject, text, sms = reminder_texts(ctx.settings)
    today = school_day(now, ctx.settings.zone)
    counts = found.preview()
    for candidate in found.to_remind:
        channels = []
        if candidate.email:
            queue_message(session, OutgoingMessage("email", candidate.email, subject, text),
                          now=now, reference=f"reminder:{candidate.student_id}")  # fmt: skip
            channels.append("email")
        if candidate.mobile:
            queue_message(session, OutgoingMessage("sms", candidate.mobile, None, sms),
                          now=now, reference=f"reminder:{candidate.student_id}")  # fmt: skip
            channels.append("sms")
        session.add(
            Reminder(
                student_id=candidate.student_id, day=today, at=now, actor=actor,
                channels=",".join(channels),
            )
        )  # fmt: skip
    return counts


def _delivery(request: Request) -> Delivery:
    delivery = request.app.state.delivery
    assert isinstance(delivery, Delivery)
    return delivery


@router.post(
    "/preview",
    response_model=ReminderPreview,
    summary="How many students a reminder would reach now, and how",
)
async def preview_reminders(
    body: ReminderSelection, ctx: Ctx, staff: RecordKeeper
) -> ReminderPreview:
    """Counts only: nothing is sent or recorded."""
    scope = Scope.of(staff, body.college, body.class_name)
    now = ctx.now()
    async with ctx.db.sessions.begin() as session:
        found = await plan(session, scope, body.kinds, now, school_day(now, ctx.settings.zone))
        return found.preview()


@router.post(
    "",
    response_model=ReminderResult,
    summary="Remind the students of a selection who have not checked (once a day each)",
    responses={409: {"description": "`reminder_conflict`: another send won; preview again"}},
)
async def send_reminders(
    body: ReminderSelection, ctx: Ctx, staff: RecordKeeper, request: Request
) -> ReminderResult:
    """E-mail and SMS to every reachable student of the selection not reminded today; the
    rest are counted (``already_today``, ``no_contact``). Audited with the counts."""
    scope = Scope.of(staff, body.college, body.class_name)
    now = ctx.now()
    try:
        async with ctx.db.sessions.begin() as session:
            counts = await remind(session, ctx, scope, body.kinds, staff.actor, now)
            audit(
                session, "staff.send_reminders", actor=staff.actor, at=now,
                college=scope.college, class_name=scope.class_name, kinds=body.kinds,
                **counts.model_dump(),
            )  # fmt: skip
    except IntegrityError:
        # Sends wait for each other (remind); kept for a database that lets one past.
        raise ApiProblem(409, "reminder_conflict", M_BUSY.both()) from None
    _delivery(request).wake()
    return ReminderResult(**counts.model_dump(), reminded_at=now)
