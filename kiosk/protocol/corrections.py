"""The corrections queue: rows, details, decisions, bulk steps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
)

from kiosk.protocol.base import DB_INT_MAX, Comment, CorrectionState, Model, Reply, TextRule


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
