"""Automatic reminders on the days of ``[server] reminder_schedule`` (off when it is empty).

On a day that is one of the schedule's numbers of days before ``campaign_deadline`` (in the
school's time zone), every registered student who has not checked gets the reminder of
:mod:`server.progress.reminders`, with its one-a-day throttle. Every worker runs the round in the
background (:class:`~server.background.Periodic`, at start and then every
``housekeeping_interval_s``); exactly one sends. The lock is the ``daily_jobs`` row of the
job: a worker takes the day with ``UPDATE daily_jobs SET day = :today WHERE name = :job AND
day <> :today`` and queues the reminders in the same transaction. On PostgreSQL a second
worker's UPDATE waits for the first's row lock and then finds the day taken (0 rows); SQLite
has one writer. A worker that dies before committing takes nothing, so another round sends.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError

from kiosk.protocol.progress import REMINDER_KINDS
from server.audit import audit
from server.background import Periodic
from server.context import ServerContext
from server.models import DailyJob
from server.notify import Delivery
from server.progress.reminders import remind
from server.progress.router import Scope

log = logging.getLogger(__name__)

JOB = "reminder_schedule"
ACTOR = "system:reminder_schedule"


def due_today(ctx: ServerContext) -> str | None:
    """Today's date in the school's zone when it is a day of the schedule, else None."""
    settings = ctx.settings
    deadline = settings.campaign_deadline
    if not settings.reminder_schedule or deadline is None:
        return None
    today = ctx.now().astimezone(settings.zone).date()
    return today.isoformat() if (deadline - today).days in settings.reminder_schedule else None


async def _ensure_row(ctx: ServerContext) -> None:
    async with ctx.db.sessions() as session:
        try:
            async with session.begin():
                if await session.get(DailyJob, JOB) is None:
                    session.add(DailyJob(name=JOB, day=""))
        except IntegrityError:
            pass  # another worker created it at the same moment


async def remind_on_schedule(ctx: ServerContext, delivery: Delivery) -> int | None:
    """Send today's scheduled reminders if this worker takes the day; how many students
    were reminded, or None when today is not a day of the schedule or was taken."""
    today = due_today(ctx)
    if today is None:
        return None
    await _ensure_row(ctx)
    now = ctx.now()
    async with ctx.db.sessions.begin() as session:
        taken = await session.execute(
            update(DailyJob).where(DailyJob.name == JOB, DailyJob.day != today).values(day=today)
        )
        if cast(CursorResult[Any], taken).rowcount != 1:
            log.info("scheduled reminders: today's were sent already")
            return None
        counts = await remind(session, ctx, Scope(), list(REMINDER_KINDS), ACTOR, now)
        audit(session, "system.scheduled_reminders", actor=ACTOR, at=now, day=today,
              **counts.model_dump())  # fmt: skip
    log.info("scheduled reminders: %d students reminded", counts.to_remind)
    delivery.wake()
    return counts.to_remind


def nudges(ctx: ServerContext, delivery: Delivery) -> Periodic:
    """The round in the background: at start, then every ``housekeeping_interval_s``."""

    async def round_() -> bool:
        await remind_on_schedule(ctx, delivery)
        return False

    return Periodic("reminder schedule", round_, lambda: ctx.settings.housekeeping_interval_s)
