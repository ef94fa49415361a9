"""Messages to students about decisions on their corrections.

:func:`notice_decision` is the hook :func:`server.corrections.workflow.advance` calls with every
correction that changes state: for the states a student hears about
(:data:`~kiosk.catalogue.NOTICE_TEXTS`; another state is ignored), it writes a
:class:`~server.models.DecisionNotice` in the decision's own transaction, so a decision and
its message commit or roll back together. :class:`Dispatcher`, a background round of every
worker, then claims each new notice (``UPDATE … WHERE dispatched_at IS NULL``, which only
one transaction wins) and queues it to the student's registered e-mail and mobile on the
delivery queue (:mod:`server.notify`) in the same transaction. A message names the field
and carries the reviewer's comment on a college rejection; never a value of the record.
The kiosk lists the latest notices on the record overview (:func:`notices_for`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import NOTICE_SUBJECT, NOTICE_TEXTS, notice_text
from kiosk.protocol.progress import NOTICES_SHOWN
from kiosk.protocol.student import CorrectionNotice
from server.background import Periodic
from server.context import ServerContext
from server.models import Account, Correction, DecisionNotice, Registration
from server.notify import Delivery, OutgoingMessage, queue_message

BATCH = 50
"""Notices one round dispatches; the round runs again at once while it finds a full batch."""
WITH_COMMENT = frozenset({"college_rejected", "province_rejected"})
"""States whose message carries the reviewer's comment."""


def notice_decision(session: AsyncSession, correction: Correction, state: str) -> None:
    """Record the message about ``correction`` having moved to ``state``, if it has one."""
    if state not in NOTICE_TEXTS:
        return
    session.add(
        DecisionNotice(
            student_id=correction.student_id,
            correction_id=correction.id,
            field=correction.field,
            state=state,
            comment=correction.comment if state in WITH_COMMENT else None,
            at=correction.updated_at,
        )
    )


def _info(row: DecisionNotice) -> CorrectionNotice:
    return CorrectionNotice(
        at=row.at, correction_id=row.correction_id, field=row.field, state=row.state,
        comment=row.comment,
    )  # fmt: skip


async def notices_for(session: AsyncSession, student_id: int) -> list[CorrectionNotice]:
    """The student's latest notices, newest first."""
    rows = await session.execute(
        select(DecisionNotice)
        .where(DecisionNotice.student_id == student_id)
        .order_by(DecisionNotice.id.desc())
        .limit(NOTICES_SHOWN)
    )
    return [_info(row) for row in rows.scalars()]


async def contacts(session: AsyncSession, student_id: int) -> tuple[str | None, str | None]:
    """The student's registered e-mail address (their account's name) and mobile number."""
    email = (
        await session.execute(
            select(Account.username).where(
                Account.student_id == student_id, Account.username.contains("@")
            )
        )
    ).scalar_one_or_none()
    mobile = (
        await session.execute(
            select(Registration.mobile)
            .where(Registration.student_id == student_id, Registration.status == "active")
            .order_by(Registration.activated_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return email, mobile


class Dispatcher:
    """Queues new notices to the students' channels, in the background of every worker."""

    def __init__(self, ctx: ServerContext, delivery: Delivery) -> None:
        self.ctx = ctx
        self.delivery = delivery
        self._rounds = Periodic(
            "decision notices", self.dispatch, lambda: ctx.settings.delivery_poll_s
        )

    def start(self) -> None:
        """Start the background task (in the app's lifespan)."""
        self._rounds.start()

    async def stop(self) -> None:
        """Stop it; undispatched notices wait for the next start."""
        await self._rounds.stop()

    async def dispatch(self) -> bool:
        """Queue up to :data:`BATCH` new notices; True when there may be more."""
        now = self.ctx.now()
        queued = 0
        async with self.ctx.db.sessions.begin() as session:
            found: Sequence[int] = (
                (
                    await session.execute(
                        select(DecisionNotice.id)
                        .where(DecisionNotice.dispatched_at.is_(None))
                        .order_by(DecisionNotice.id)
                        .limit(BATCH)
                    )
                )
                .scalars()
                .all()
            )
            for notice_id in found:
                won = (
                    await session.execute(
                        update(DecisionNotice)
                        .where(DecisionNotice.id == notice_id,
                               DecisionNotice.dispatched_at.is_(None))
                        .values(dispatched_at=now)
                        .returning(DecisionNotice.student_id, DecisionNotice.correction_id,
                                   DecisionNotice.field, DecisionNotice.state,
                                   DecisionNotice.comment, DecisionNotice.at)
                    )
                ).first()  # fmt: skip
                if won is None:  # another worker has it
                    continue
                student_id, correction_id, field, state, comment, at = won
                text = notice_text(
                    CorrectionNotice(at=at, correction_id=correction_id, field=field,
                                     state=state, comment=comment)
                )  # fmt: skip
                body = f"{text.zh}\n\n{text.en}\n"
                email, mobile = await contacts(session, student_id)
                reference = f"notice:{notice_id}"
                if email:
                    message = OutgoingMessage("email", email, NOTICE_SUBJECT, body)
                    queue_message(session, message, now=now, reference=reference)
                    queued += 1
                if mobile:
                    message = OutgoingMessage("sms", mobile, None, f"{text.zh} {text.en}")
                    queue_message(session, message, now=now, reference=reference)
                    queued += 1
        if queued:
            self.delivery.wake()
        return len(found) == BATCH
