"""The corrections' state machine: the steps, who may take them, and applying a value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.fields import IDENTITY_KEYS, KEY_FIELD_KEYS, KEY_FIELDS, validate_record
from kiosk.i18n import Msg
from kiosk.protocol.base import CorrectionState, FieldError
from server.audit import audit
from server.decision_notices import notice_decision
from server.models import Correction, CorrectionEvent, Student, Verification
from server.problems import ApiProblem, validation_problem
from server.records import record_values
from server.staff import StaffContext

PHOTO = "photo"
"""The ``field`` of a photo correction."""


@dataclass(frozen=True)
class Step:
    """One move of a correction: from which states, to which, for which kind of correction."""

    action: str
    sources: tuple[CorrectionState, ...]
    target: CorrectionState
    kind: Literal["any", "field", "photo", "key"] = "any"
    key_sources: tuple[CorrectionState, ...] | None = None
    """For a key field, these states instead of ``sources`` (the province's route)."""

    def allows(self, correction: Correction, key_fields: Collection[str] = KEY_FIELDS) -> bool:
        """True when ``correction`` may take this step now; ``key_fields`` is the configured
        split (``[server] key_fields``)."""
        is_photo = correction.field == PHOTO
        is_key = correction.field in key_fields
        if self.kind == "key":
            kind_ok = is_key
        else:
            kind_ok = self.kind == "any" or (self.kind == "photo") == is_photo
        sources = self.key_sources if is_key and self.key_sources is not None else self.sources
        return kind_ok and correction.state in sources


STEPS: dict[str, Step] = {
    step.action: step
    for step in (
        Step("college_accept", ("reported",), "college_accepted"),
        Step("college_reject", ("reported",), "college_rejected"),
        Step("registrar_confirm", ("college_accepted",), "registrar_confirmed"),
        Step("registrar_reject", ("college_accepted",), "registrar_rejected"),
        # A key field goes to the province first (server.province); a school field does not.
        Step("apply", ("registrar_confirmed",), "applied", "field", ("province_approved",)),
        Step("submit_to_province", ("registrar_confirmed",), "submitted_to_province", "key"),
        Step("province_approve", ("submitted_to_province",), "province_approved", "key"),
        Step("province_reject", ("submitted_to_province",), "province_rejected", "key"),
        # The registrar may send a photo on as soon as the college accepted it.
        Step("send_to_vendor", ("college_accepted", "registrar_confirmed"), "sent_to_vendor",
             "photo"),
        Step("vendor_photo", ("sent_to_vendor",), "applied", "photo"),
    )
}  # fmt: skip
"""Every allowed move; anything else is answered 409 ``invalid_transition``."""


@dataclass(frozen=True)
class Actor:
    """Who moves a correction: a staff account, or an administrator at the command line."""

    name: str
    account_id: int | None = None

    @classmethod
    def of(cls, staff: StaffContext) -> Actor:
        """The logged-in staff member."""
        return cls(staff.actor, staff.account.id)


def needs_proof(field: str) -> bool:
    """Identity fields change only against a proof document the college office saw."""
    return field in IDENTITY_KEYS


M_FOUR_EYES: dict[str, Msg] = {
    "registrar_confirm": Msg(
        "不能确认自己在学院审核时通过的勘误，须由另一位工作人员确认。",
        "You accepted this correction for the college; another person must confirm it.",
    ),
    "apply": Msg(
        "关键字段的更正须由确认人以外的另一位学籍管理员写入档案。",
        "A key field's correction is applied by another registrar than the one who confirmed it.",
    ),
}
FOUR_EYES_RULES: dict[str, str] = {
    "registrar_confirm": "college_accept",
    "apply": "registrar_confirm",
}
"""For a step, the earlier step whose author may not take it (separation of duties)."""


async def separate_duties(
    session: AsyncSession, correction: Correction, action: str, actor: Actor, four_eyes: bool
) -> None:
    """409 ``four_eyes`` when ``actor`` took the earlier step this one must not follow.

    Confirming what one accepted for the college is always refused; applying a key field
    (:data:`~kiosk.fields.KEY_FIELD_KEYS`) one confirmed is refused unless ``four_eyes`` is off.
    """
    earlier = FOUR_EYES_RULES.get(action)
    if earlier is None or actor.account_id is None:
        return
    if action == "apply" and (not four_eyes or correction.field not in KEY_FIELD_KEYS):
        return
    author = await session.execute(
        select(CorrectionEvent.account_id)
        .where(CorrectionEvent.correction_id == correction.id, CorrectionEvent.action == earlier)
        .order_by(CorrectionEvent.id.desc())
        .limit(1)
    )
    if author.scalar_one_or_none() == actor.account_id:
        message = M_FOUR_EYES[action]
        raise ApiProblem(409, "four_eyes", message.both(), step=earlier)


def invalid_step(correction: Correction, step: Step) -> ApiProblem:
    return ApiProblem(
        409,
        "invalid_transition",
        f"A {correction.state} correction of {correction.field} cannot take '{step.action}'.",
        state=correction.state,
    )


def advance(
    session: AsyncSession,
    correction: Correction,
    action: str,
    actor: Actor,
    now: dt.datetime,
    *,
    comment: str | None = None,
    proof: str | None = None,
    key_fields: Collection[str] = KEY_FIELDS,
) -> None:
    """Move ``correction`` by the step ``action``, record the decision, and audit it."""
    step = STEPS[action]
    if not step.allows(correction, key_fields):
        raise invalid_step(correction, step)
    session.add(
        CorrectionEvent(
            correction_id=correction.id, at=now, account_id=actor.account_id, action=action,
            from_state=correction.state, to_state=step.target, comment=comment, proof=proof,
        )
    )  # fmt: skip
    audit(
        session, f"correction.{action}", actor=actor.name, at=now,
        target=f"correction:{correction.id}", from_state=correction.state, to_state=step.target,
    )  # fmt: skip
    correction.state = step.target
    correction.updated_at = now
    correction.decided_by = actor.account_id
    correction.comment = comment
    if proof is not None:
        correction.proof = proof
    notice_decision(session, correction, step.target)


async def record_changed(
    session: AsyncSession, student: Student, keys: Sequence[str], now: dt.datetime
) -> None:
    """After the master record changed in ``keys``: a new version, and, for a student who
    already submitted, those keys to check again (a new submission clears them)."""
    student.record_version += 1
    student.updated_at = now
    submitted = await session.execute(
        select(Verification.id).where(Verification.student_id == student.id).limit(1)
    )
    if submitted.first() is not None:
        # A new list, not an in-place change: the JSON column only notices assignment.
        student.recheck_fields = sorted(set(student.recheck_fields or []) | set(keys))


async def apply_value(
    session: AsyncSession,
    student: Student,
    correction: Correction,
    now: dt.datetime,
    pending: Mapping[str, str],
) -> None:
    """Write the proposed value into the record after validating the whole record it makes.

    ``pending`` holds the values of other corrections of this student applied in the same
    request: a pair of identity corrections (ID number and birth date) is checked as the
    record will be once both landed, so a bulk apply can change both together.
    """
    key = correction.field
    values = record_values(student) | dict(pending) | {key: correction.proposed or ""}
    check = validate_record(values, now.date())
    if not check.ok:
        raise validation_problem(
            [
                FieldError(
                    field=f"corrections.{correction.id}.proposed"
                    if field == key
                    else f"record.{field}",
                    code=problem.code,
                    message=problem.msg.both(),
                )
                for field, problem in check.problems
            ]
        )
    value = check.values[key]
    where = f"corrections.{correction.id}.proposed"
    if key in ("student_no", "id_number"):
        column = getattr(Student, key)
        taken = await session.execute(
            select(Student.id).where(column == value, Student.id != student.id)
        )
        if taken.first() is not None:
            message = Msg("另一名学生已使用该值。", "Another student has this value.")
            raise validation_problem(
                [FieldError(field=where, code="value_taken", message=message.both())]
            )
    setattr(student, key, value)
    await record_changed(session, student, [key], now)
