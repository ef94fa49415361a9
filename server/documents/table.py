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
SAMPLE_ROWS = 200
"""Rows measured to share the width among the columns."""


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


def _weights(texts: list[list[str]]) -> list[float]:
    """Each column's share of the width: its longest text (a CJK character counts two, as it
    is twice as wide as a digit), between 4 and 24, plus room for the padding, over the first
    rows."""

    def width(value: str) -> int:
        return sum(1 if ch.isascii() else 2 for ch in value)

    sample = texts[:SAMPLE_ROWS]
    return [
        float(min(max(max(width(row[i]) for row in sample), 4), 24) + 2)
        for i in range(len(texts[0]))
    ]


def table_pdf(document: TableDocument) -> bytes:
    """``document`` as a PDF: the title, a line with college, date and row count, the table,
    then the signature lines."""
    wide = len(document.columns) >= LANDSCAPE_FROM
    pagesize = landscape(A4) if wide else A4
    width = pagesize[0] - 30 * mm
    size = max(6.0, 11.0 - len(document.columns) * 0.25) if wide else 10.0
    cell_style = style(size)
    texts = [[cell_text(cell) for cell in line] for line in [document.columns, *document.rows]]
    weights = _weights(texts)
    rows = [[text(value, cell_style) for value in line] for line in texts]
    total = sum(weights)
    table = Table(rows, colWidths=[width * w / total for w in weights], repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
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


def headed_table_pdf(
    title: str, college: str | None, made_at: dt.datetime, table: Sequence[Sequence[PdfCell]]
) -> bytes:
    """A table as the exports build it (headings first, then rows) as a signed PDF: the
    勘误汇总表 from the corrections export, the 核对统计表 from the progress view. ``college``
    None is the whole school (全校)."""
    return table_pdf(TableDocument(title, college or "全校", made_at, table[0], table[1:]))
