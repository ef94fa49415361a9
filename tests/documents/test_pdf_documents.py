"""The PDF documents read back: text through ``pdftotext``, the first page as an image."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from server.documents.application_form import ApplicationForm, Change, application_form_pdf
from server.documents.table import PdfCell, TableDocument, headed_table_pdf, table_pdf
from tests.documents.pdftext import first_page_image, needs_poppler, pdf_pages, pdf_text

pytestmark = needs_poppler

# 16:30 UTC on 1 June is already 2 June in Beijing: the documents are dated there.
MADE = dt.datetime(2026, 6, 1, 16, 30, tzinfo=dt.UTC)


def form(**changes: object) -> ApplicationForm:
    values: dict[str, object] = {
        "student_no": "202210010001",
        "name": "张伟",
        "college": "信息工程学院",
        "class_name": "计算机221",
        "major": "计算机科学与技术",
        "changes": [Change("公民身份号码", "330502200305171234", "33050220030517123X")],
        "reason": "派出所登记的校验位有误 <b>&",
        "proofs": ["户口簿 本人页（照片 1 张，120 KB）", "居民身份证 正面（照片 1 张）"],
        "reference": "勘误 #12",
        "made_at": MADE,
    }
    values.update(changes)
    return ApplicationForm(**values)  # type: ignore[arg-type]


def test_the_application_form_reads_back_with_values_reason_proof_and_signatures() -> None:
    pdf = application_form_pdf(form())
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for expected in (
        "学籍信息变更申请表", "202210010001", "张伟", "信息工程学院", "计算机221",
        "计算机科学与技术", "勘误 #12", "公民身份号码", "330502200305171234",
        "33050220030517123X", "原信息", "变更后信息",
        # Markup in the student's words is printed as typed, not interpreted.
        "派出所登记的校验位有误 <b>&", "1. 户口簿 本人页（照片 1 张，120 KB）",
        "2. 居民身份证 正面（照片 1 张）", "学生本人", "学生签名", "学院意见", "教务处意见",
        "（盖章）", "填表日期：2026年06月02日",
    ):  # fmt: skip
        assert expected in text, expected


def test_an_application_without_proof_or_reason_says_so() -> None:
    text = pdf_text(application_form_pdf(form(proofs=[], reason="")))
    assert "（无）" in text
    assert "（未填写）" in text


COLUMNS = ["学号", "姓名", "班级", "应核对", "已核对", "全部正确", "报告字段", "报告照片", "未核对"]


def test_a_table_document_carries_title_college_date_rows_and_signature_lines() -> None:
    rows: list[list[PdfCell]] = [
        [f"2022100100{n:02d}", f"学生{n}", "计算机221", 1, 1, 0, 2, 0, 0] for n in range(3)
    ]
    pdf = table_pdf(
        TableDocument(
            "核对统计表", "信息工程学院", MADE, COLUMNS, rows, ("制表人", "学院负责人（盖章）")
        )
    )
    text = pdf_text(pdf)
    for expected in ("核对统计表", "学院：信息工程学院", "制表日期：2026年06月02日", "共 3 条",
                     "未核对", "学生2", "202210010002", "制表人", "学院负责人（盖章）"):  # fmt: skip
        assert expected in text, expected


def test_a_long_table_runs_over_pages_with_its_heading_on_each() -> None:
    rows: list[list[PdfCell]] = [
        [f"2022{n:08d}", "王芳", "计算机221", 1, 0, 0, 0, 0, 1] for n in range(150)
    ]
    pdf = table_pdf(TableDocument("核对统计表", "全校", MADE, COLUMNS, rows))
    pages = pdf_pages(pdf)
    assert pages > 1
    text = pdf_text(pdf)
    assert text.count("全部正确") == pages
    assert "202200000149" in text
    assert text.count("学院负责人（盖章）") == 1


def test_times_in_a_table_are_printed_to_the_minute() -> None:
    moment = dt.datetime(2026, 6, 2, 0, 30)
    pdf = table_pdf(
        TableDocument("勘误汇总表", "全校", MADE, ["学号", "报告时间"], [["1", moment]])
    )
    assert "2026-06-02 00:30" in pdf_text(pdf)


@pytest.mark.skipif(
    shutil.which("fc-list") is None
    or not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, check=False).stdout,
    reason="no CJK font to draw STSong-Light with (.ci/run installs fonts-wqy-microhei)",
)
def test_the_chinese_title_is_drawn() -> None:
    """The title band of the rendered page has ink: a reader without the font draws nothing
    there (the PDF names STSong-Light and leaves the glyphs to the reader)."""
    page = first_page_image(application_form_pdf(form()))
    width, height = page.size
    band = page.crop((0, 0, width, height // 12))
    dark = sum(band.histogram()[:128])
    assert dark > 100


def test_a_headed_table_is_for_the_whole_school_without_a_college() -> None:
    table: list[list[PdfCell]] = [["学院", "学生", "未核对"], ["信息工程学院", 120, 7]]
    text = pdf_text(headed_table_pdf("核对统计表", None, MADE, table))
    assert "学院：全校" in text and "共 1 条" in text and "未核对" in text and "120" in text
