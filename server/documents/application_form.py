"""学籍信息变更申请表: one student's request to change their record, for signing and stamping.

The form the school files with the provincial department for a key field: who, what changes
from what to what, why, which proof documents back it, and the three signature and stamp
blocks (the student, the college, the registrar's office 教务处).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from server.documents.pdf import GRID, SMALL, TITLE, beijing_date, render, text

TITLE_TEXT = "学籍信息变更申请表"
WIDTH = A4[0] - 30 * mm
SIGNERS = (
    ("学生本人", "本人承诺所填信息及所附证明材料真实有效。", "学生签名：", False),
    ("学院意见", "", "负责人签字：", True),
    ("教务处意见", "", "负责人签字：", True),
)
"""The three blocks: heading, the sentence above the line, who signs, and whether a stamp goes there."""


@dataclass(frozen=True)
class Change:
    """One field to change: its name, the value on record and the value asked for."""

    field: str
    current: str
    proposed: str


@dataclass(frozen=True)
class ApplicationForm:
    """Everything the form shows; the caller gathers it (names in Chinese, as printed)."""

    student_no: str
    name: str
    college: str
    class_name: str
    major: str
    changes: Sequence[Change]
    reason: str
    proofs: Sequence[str]
    reference: str
    """What identifies the request on the page (``勘误 #12``), to find it again."""
    made_at: dt.datetime


def _who(form: ApplicationForm) -> Table:
    quarter = WIDTH / 4
    rows = [
        [text("学号"), text(form.student_no), text("姓名"), text(form.name)],
        [text("学院"), text(form.college), text("班级"), text(form.class_name)],
        [text("专业"), text(form.major), text("编号"), text(form.reference)],
    ]
    table = Table(rows, colWidths=[quarter * 0.5, quarter * 1.5] * 2)
    table.setStyle(GRID)
    return table


def _changes(form: ApplicationForm) -> Table:
    rows = [[text("变更项目"), text("原信息"), text("变更后信息")]]
    rows += [[text(c.field), text(c.current), text(c.proposed)] for c in form.changes]
    table = Table(rows, colWidths=[WIDTH * 0.2, WIDTH * 0.4, WIDTH * 0.4], repeatRows=1)
    table.setStyle(GRID)
    return table


def _reason_and_proof(form: ApplicationForm) -> Table:
    proofs = "\n".join(f"{n}. {proof}" for n, proof in enumerate(form.proofs, 1)) or "（无）"
    rows = [
        [text("变更原因"), text(form.reason or "（未填写）")],
        [text("证明材料"), text(proofs)],
    ]
    table = Table(rows, colWidths=[WIDTH * 0.2, WIDTH * 0.8])
    table.setStyle(GRID)
    return table


def _signatures() -> Table:
    rows = []
    for heading, pledge, signer, stamp in SIGNERS:
        lines = [pledge] if pledge else ["", ""]
        lines.append(f"{signer}____________（{'盖章' if stamp else '签字'}）")
        lines.append("日期：______年____月____日")
        rows.append([text(heading), text("\n".join(lines))])
    table = Table(rows, colWidths=[WIDTH * 0.2, WIDTH * 0.8], rowHeights=[32 * mm] * len(rows))
    table.setStyle(GRID)
    table.setStyle(TableStyle([("VALIGN", (1, 0), (1, -1), "BOTTOM")]))
    return table


def application_form_pdf(form: ApplicationForm) -> bytes:
    """The 学籍信息变更申请表 of ``form`` as a one-page (A4) PDF."""
    story: list[Flowable] = [
        text(TITLE_TEXT, TITLE),
        Spacer(1, 6 * mm),
        text(f"填表日期：{beijing_date(form.made_at)}", SMALL),
        Spacer(1, 2 * mm),
        _who(form),
        Spacer(1, 4 * mm),
        _changes(form),
        Spacer(1, 4 * mm),
        _reason_and_proof(form),
        Spacer(1, 4 * mm),
        _signatures(),
        Spacer(1, 3 * mm),
        text("注：关键信息变更须经省级教育行政部门审核后方可在学信网变更。", SMALL),
    ]
    footer = f"{TITLE_TEXT} {form.student_no} {form.reference}"
    return render(story, A4, TITLE_TEXT, footer)
