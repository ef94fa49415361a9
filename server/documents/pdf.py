"""What every document shares: the Chinese font, the paragraph styles, signature lines."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

FONT = "STSong-Light"
"""Adobe's Simplified Chinese font, known to every PDF reader: nothing to embed or ship."""
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
"""The documents are dated in Beijing time, wherever the server runs."""


def style(size: float, *, lead: float = 1.35, align: int = 0) -> ParagraphStyle:
    """A paragraph style in the Chinese font; CJK wrapping breaks lines between characters."""
    return ParagraphStyle(
        f"kiosk-{size}-{align}", fontName=FONT, fontSize=size, leading=size * lead,
        alignment=align, wordWrap="CJK",
    )  # fmt: skip


TITLE = style(16, align=1)
BODY = style(10.5)
SMALL = style(8)


def text(value: str, paragraph_style: ParagraphStyle = BODY) -> Paragraph:
    """``value`` as a paragraph: markup characters are shown, never interpreted."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), paragraph_style)


def beijing_date(moment: dt.datetime) -> str:
    """``2026年06月01日`` in Beijing time."""
    return moment.astimezone(BEIJING).strftime("%Y年%m月%d日")


GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
    ]
)


def signature_lines(labels: Sequence[str], width: float) -> Table:
    """One ruled line to sign on, with its date, per label (``学院负责人``…), side by side."""
    cells = [f"{label}：____________  日期：__________" for label in labels]
    line = Table(
        [[text(cell) for cell in cells]], colWidths=[width / max(len(cells), 1)] * len(cells)
    )
    line.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 14)]))
    return line


def render(story: list[Flowable], pagesize: tuple[float, float], title: str, footer: str) -> bytes:
    """The PDF of ``story``; every page carries ``footer`` and its page number."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=pagesize, title=title, author="学籍校对终端",
        leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
    )  # fmt: skip

    def page_footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 8 * mm, f"{footer}  第 {doc.page} 页")
        canvas.restoreState()

    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()
