"""A table on paper with signature lines: the 核对统计表 and the 勘误汇总表 as PDF.

One builder for every tabular document: a title, the college it is for, the date (Beijing
time), the columns and rows as given, and the lines the offices sign. Wide tables go
landscape and shrink their type so every column fits the page; long ones run on over pages
with the heading row repeated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from server.documents.pdf import (
    GRID,
    SMALL,
    TITLE,
    beijing_date,
    render,
    signature_lines,
    style,
    text,
)

PdfCell = str | int | dt.datetime | None
"""A cell as the exports hold it; times are printed as Beijing wall-clock time."""
LANDSCAPE_FROM = 7
"""Tables with this many columns or more are printed across the page."""


@dataclass(frozen=True)
class TableDocument:
    """What the page shows: title, college (or 全校), when, the table, who signs."""

    title: str
    college: str
    made_at: dt.datetime
    columns: Sequence[PdfCell]
    rows: Sequence[Sequence[PdfCell]]
    signatures: Sequence[str] = ("制表人", "学院负责人（盖章）")


def cell_text(value: PdfCell) -> str:
    """A cell as printed: empty for none, times as ``YYYY-MM-DD HH:MM`` (already local)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def table_pdf(document: TableDocument) -> bytes:
    """``document`` as a PDF: the title, a line with college, date and row count, the table,
    then the signature lines."""
    wide = len(document.columns) >= LANDSCAPE_FROM
    pagesize = landscape(A4) if wide else A4
    width = pagesize[0] - 30 * mm
    size = (
        10.0
        if len(document.columns) < LANDSCAPE_FROM
        else max(6.0, 11.0 - len(document.columns) * 0.25)
    )
    cell_style = style(size)
    rows = [[text(cell_text(column), cell_style) for column in document.columns]]
    rows += [[text(cell_text(cell), cell_style) for cell in row] for row in document.rows]
    table = Table(rows, colWidths=[width / len(document.columns)] * len(document.columns),
                  repeatRows=1)  # fmt: skip
    table.setStyle(GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8")]))
    date = beijing_date(document.made_at)
    story: list[Flowable] = [
        text(document.title, TITLE),
        Spacer(1, 4 * mm),
        text(f"学院：{document.college}    制表日期：{date}    共 {len(document.rows)} 条", SMALL),
        Spacer(1, 2 * mm),
        table,
        Spacer(1, 8 * mm),
        signature_lines(document.signatures, width),
    ]
    return render(story, pagesize, document.title, f"{document.title} {document.college} {date}")
