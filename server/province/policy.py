"""The policy rules (:mod:`kiosk.policy`) where the server meets them: at the student's
submission and at each decision that moves a correction on towards the record.

A broken rule is answered 422 with the rule's own ``code`` and ``rule`` naming it, and
changes nothing; ``[server] policy_rules_off`` switches rules off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.config import ServerSettings
from kiosk.policy import Request, broken_rule
from server.models import Correction, Student
from server.problems import ApiProblem
from server.records import record_values

REFUSED_STATES = ("college_rejected", "registrar_rejected", "province_rejected")
"""A refused correction is no longer part of the request it came in."""
PHOTO = "photo"


def check(
    settings: ServerSettings,
    changes: Mapping[str, str],
    record: Mapping[str, str],
    proof: str,
    now: dt.datetime,
) -> None:
    """422 with the first rule that ``changes`` asked for together break, if any."""
    request = Request(
        changes=changes,
        record=record,
        proof=proof,
        today=now.astimezone(settings.zone).date(),
        freeze_date=settings.register_freeze_date,
    )
    rule = broken_rule(request, settings.policy_rules_off)
    if rule is not None:
        raise ApiProblem(422, rule.code, rule.message.both(), rule=rule.name)


async def check_decision(
    session: AsyncSession,
    settings: ServerSettings,
    correction: Correction,
    student: Student,
    now: dt.datetime,
    proof: str | None = None,
) -> None:
    """Check the rules again for ``correction`` before a decision moves it on.

    The request is what the student reported together (one submission) and is still alive;
    the proof is what the college office listed (``proof``, while it decides) and the
    student's note.
    """
    if correction.field == PHOTO:
        return
    found = await session.execute(
        select(Correction.field, Correction.proposed).where(
            Correction.verification_id == correction.verification_id,
            Correction.field != PHOTO,
            Correction.state.not_in(REFUSED_STATES),
        )
    )
    changes = {field: proposed or "" for field, proposed in found.all()}
    changes[correction.field] = correction.proposed or ""
    listed = " ".join(part for part in (proof or correction.proof, correction.note) if part)
    check(settings, changes, record_values(student), listed, now)
