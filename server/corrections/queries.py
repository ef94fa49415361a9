"""Reading corrections: the queue's rows and filters, and one correction with its history."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kiosk.protocol.base import CorrectionState
from kiosk.protocol.corrections import (
    CorrectionDecisionInfo,
    CorrectionDetail,
    CorrectionRow,
)
from server.corrections.workflow import needs_proof
from server.models import Account, Correction, CorrectionEvent, Student
from server.problems import ApiProblem
from server.staff import Forbidden, StaffContext

LIST_LIMIT = 500
"""Most corrections one list answers; staff narrow the filter rather than page."""


def correction_row(correction: Correction, student: Student) -> CorrectionRow:
    return CorrectionRow.model_validate(
        {
            "id": correction.id,
            "student_id": student.id,
            "student_no": student.student_no,
            "name": student.name,
            "college": student.college,
            "class_name": student.class_name,
            "field": correction.field,
            "current_value": correction.current_value,
            "proposed": correction.proposed,
            "state": correction.state,
            "needs_proof": needs_proof(correction.field),
            "updated_at": correction.updated_at,
        }
    )


@dataclass(frozen=True)
class Filter:
    """What a list or an export asks for; a college office's is bound to its own college."""

    college: str | None = None
    class_name: str | None = None
    field: str | None = None
    state: CorrectionState | None = None
    q: str | None = None

    def scoped(self, staff: StaffContext) -> Filter:
        """This filter as ``staff`` may run it: an office asking for another college is denied."""
        return dataclasses.replace(self, college=staff.college_scope(self.college))

    def where(self, query: Select[Correction, Student]) -> Select[Correction, Student]:
        """``query`` narrowed to this filter."""
        if self.college is not None:
            query = query.where(Student.college == self.college)
        if self.class_name is not None:
            query = query.where(Student.class_name == self.class_name)
        if self.field is not None:
            query = query.where(Correction.field == self.field)
        if self.state is not None:
            query = query.where(Correction.state == self.state)
        if self.q:
            term = self.q.strip()
            query = query.where(
                or_(
                    Student.student_no.startswith(term.upper(), autoescape=True),
                    Student.name.contains(term, autoescape=True),
                )
            )
        return query


def joined() -> Select[Correction, Student]:
    return select(Correction, Student).join(Student, Correction.student_id == Student.id)


async def correction_for(
    session: AsyncSession, staff: StaffContext | None, correction_id: int
) -> tuple[Correction, Student]:
    found = (await session.execute(joined().where(Correction.id == correction_id))).first()
    if found is None:
        raise ApiProblem(404, "not_found", "No such correction.")
    correction, student = found
    if staff is not None and not staff.may_see(student.college):
        raise Forbidden(staff, target=f"correction:{correction_id}", other_college=True)
    return correction, student


async def detail_of(
    session: AsyncSession, correction: Correction, student: Student
) -> CorrectionDetail:
    reported = CorrectionDecisionInfo(
        at=correction.created_at, by=None, action="report", from_state="",
        to_state="reported", comment=correction.note,
    )  # fmt: skip
    decider = aliased(Account)
    events = await session.execute(
        select(CorrectionEvent, decider.username)
        .outerjoin(decider, CorrectionEvent.account_id == decider.id)
        .where(CorrectionEvent.correction_id == correction.id)
        .order_by(CorrectionEvent.id)
    )
    history = [reported] + [
        CorrectionDecisionInfo(
            at=event.at,
            by=username,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            comment=event.comment,
            proof=event.proof,
        )
        for event, username in events.all()
    ]
    return CorrectionDetail(
        correction=correction_row(correction, student),
        note=correction.note,
        proof=correction.proof,
        comment=correction.comment,
        history=history,
    )
