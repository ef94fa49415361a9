"""Contract models of the province route (issue 14): batches of key-field corrections.

The registrar chooses confirmed key-field corrections and submits them to the provincial
education department as one batch (``POST /api/v1/staff/province-batches``), downloads the
platform's file, and later records the province's answer per correction or for the batch.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from kiosk.protocol.base import DB_INT_MAX, Model, Reply, TextRule
from kiosk.protocol.corrections import CorrectionRow

BATCH_LIMIT = 500
"""Most corrections one batch holds (and one answer names)."""

BatchComment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), TextRule]
CorrectionIds = Annotated[
    list[Annotated[int, Field(ge=1, le=DB_INT_MAX)]],
    Field(min_length=1, max_length=BATCH_LIMIT),
]
PlatformFormat = Literal["dbf", "xlsx"]
"""The submission file: the platform's DBF, or the same table as .xlsx."""


class ProvinceBatchCreate(Model):
    """Submit these confirmed key-field corrections to the province: all or none."""

    ids: CorrectionIds
    comment: BatchComment | None = None


class ProvinceAnswer(Model):
    """The province's answer: for ``ids`` of the batch, or (``ids`` left out) for every
    correction of the batch still waiting."""

    decision: Literal["approve", "reject"]
    reference: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), TextRule
    ] = Field(description="The reply's reference, e.g. 浙教学函〔2027〕12号.")
    comment: BatchComment | None = None
    ids: CorrectionIds | None = None


class ProvinceBatchRow(Reply):
    """A batch as the list shows it."""

    id: int
    number: str = Field(description="Year and sequence, e.g. 2027-003.")
    submitted_on: dt.date
    created_by: str | None
    comment: str | None
    corrections: int
    waiting: int = Field(description="Corrections still `submitted_to_province`.")


class BatchCorrection(Reply):
    """A correction of a batch, with the province's reference once it answered."""

    correction: CorrectionRow
    province_reference: str | None = None


class ProvinceBatchDetail(Reply):
    """A batch and its corrections."""

    batch: ProvinceBatchRow
    corrections: list[BatchCorrection]


class ProvinceBatchList(Reply):
    """Batches, newest first."""

    batches: list[ProvinceBatchRow]
