"""The 核对统计表: the progress view as the table colleges hand in on the deadline.

:func:`progress_table` is the one place that decides the table's columns and lines; the
CSV and Excel exports (:mod:`server.progress.router`) write it as it is, and a PDF writer can take
the same rows.
"""

from __future__ import annotations

import datetime as dt

from kiosk.catalogue import CORRECTION_STATE_LABELS, PROGRESS_LABELS
from kiosk.protocol.progress import ProgressCounts, ProgressNumber, ProgressReport
from server.exports import WHOLE_SCHOOL, Cell, local_time
from server.records import OPEN_CORRECTION_STATES

COUNTED: tuple[ProgressNumber, ...] = (
    "graduates", "registered", "checked", "all_correct", "reported", "not_checked",
    "not_registered", "registered_not_checked", "window_closed",
)  # fmt: skip
"""The numbers of the table, in its order (open corrections follow, one column per state)."""
TITLE = "核对统计表"
COLLEGE_TOTAL = "学院合计"


def progress_columns() -> list[Cell]:
    """The table's headings, in Chinese as the form is."""
    return [
        "学院", "班级",
        *(PROGRESS_LABELS[name].zh for name in COUNTED),
        "核对率",
        *(f"待处理勘误：{CORRECTION_STATE_LABELS[state].zh}" for state in OPEN_CORRECTION_STATES),
        "今日已提醒", "最近提醒时间",
    ]  # fmt: skip


def _rate(counts: ProgressCounts) -> str:
    if not counts.graduates:
        return "—"
    return f"{100 * counts.checked / counts.graduates:.1f}%"


def _line(college: str, class_name: str, counts: ProgressCounts, zone: dt.tzinfo) -> list[Cell]:
    return [
        college, class_name,
        *(counts.number(name) for name in COUNTED),
        _rate(counts),
        *(counts.corrections_open.get(state, 0) for state in OPEN_CORRECTION_STATES),
        counts.reminded_today, local_time(counts.last_reminded_at, zone),
    ]  # fmt: skip


def progress_table(report: ProgressReport, zone: dt.tzinfo) -> list[list[Cell]]:
    """Headings, then each class, each college's total after its classes, and the school's
    total last when the report is the whole school's. Times in ``zone``, without zone."""
    table: list[list[Cell]] = [progress_columns()]
    for college in report.colleges:
        for row in report.classes:
            if row.college == college.college:
                table.append(_line(row.college, row.class_name or "", row, zone))
        table.append(_line(college.college, COLLEGE_TOTAL, college, zone))
    if report.college is None:
        table.append(_line(WHOLE_SCHOOL, "", report.total, zone))
    return table


def progress_preamble(report: ProgressReport, zone: dt.tzinfo) -> list[list[Cell]]:
    """The lines above the table: its title and scope, when it was taken, the deadline."""
    deadline = report.deadline.isoformat() if report.deadline else "未设定"
    return [
        [f"{TITLE}（{report.college or WHOLE_SCHOOL}）"],
        ["统计时间", local_time(report.as_of, zone)],
        ["截止日期", deadline],
        [],
    ]
