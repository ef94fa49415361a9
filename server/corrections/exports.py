"""The 勘误汇总表: the queue as a table, with each reviewer's decision and comment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kiosk.catalogue import CORRECTION_STATE_LABELS, correction_field_label, correction_value_text
from server.exports import (
    Cell,
    local_time,
)
from server.models import Account, Correction, CorrectionEvent, Student

TITLE = "勘误汇总表"
"""The table's name, on the PDF, the sheet and the file."""
EXPORT_COLUMNS = (
    "学号", "姓名", "学院", "班级", "字段", "原值", "更正值", "学生说明", "证明材料", "状态",
    "报告时间", "学院审核人", "学院意见", "学院审核时间", "学籍科审核人", "学籍科意见",
    "学籍科审核时间", "更新时间",
)  # fmt: skip
"""The 勘误汇总表's headings; times are Beijing time (``[server] time_zone``)."""


@dataclass(frozen=True)
class Review:
    """One office's latest decision on a correction, as the summary shows it."""

    by: str | None
    comment: str | None
    at: dt.datetime


async def reviews_of(
    session: AsyncSession, ids: Select[tuple[int]]
) -> dict[tuple[int, str], Review]:
    """The latest college (``college``) and registrar (``registrar``) decision of each
    correction among ``ids``."""
    decider = aliased(Account)
    events = await session.execute(
        select(CorrectionEvent, decider.username)
        .outerjoin(decider, CorrectionEvent.account_id == decider.id)
        .where(CorrectionEvent.correction_id.in_(ids))
        .order_by(CorrectionEvent.id)
    )
    found: dict[tuple[int, str], Review] = {}
    for event, username in events.all():
        office = event.action.partition("_")[0]
        if office in ("college", "registrar"):
            found[event.correction_id, office] = Review(username, event.comment, event.at)
    return found


def export_table(
    rows: Sequence[tuple[Correction, Student]],
    reviews: Mapping[tuple[int, str], Review],
    zone: dt.tzinfo,
) -> list[list[Cell]]:
    """The 勘误汇总表: headings, then one line per correction, in Chinese as the form is."""
    table: list[list[Cell]] = [list(EXPORT_COLUMNS)]
    for correction, student in rows:
        line: list[Cell] = [
            student.student_no,
            student.name,
            student.college,
            student.class_name,
            correction_field_label(correction.field).zh,
            correction_value_text(correction.field, correction.current_value),
            correction_value_text(correction.field, correction.proposed),
            correction.note or "",
            correction.proof or "",
            CORRECTION_STATE_LABELS[correction.state].zh,
            local_time(correction.created_at, zone),
        ]
        for office in ("college", "registrar"):
            review = reviews.get((correction.id, office))
            line += (
                [review.by or "", review.comment or "", local_time(review.at, zone)]
                if review
                else ["", "", None]
            )
        line.append(local_time(correction.updated_at, zone))
        table.append(line)
    return table
