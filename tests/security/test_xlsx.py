"""Record files: a truncated or sheet-less workbook, XML entities, and too many rows are each
one reported problem, and nothing is imported."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from openpyxl import Workbook

from kiosk.fields import FIELDS
from tests.security.conftest import Hostile
from tests.server.conftest import record
from tests.server.test_imports import csv_file

RECORDS = "/api/v1/staff/imports/records"
MAX_ROWS = 100
SERVER_SETTINGS = {"KIOSK_SERVER__IMPORT_MAX_ROWS": str(MAX_ROWS)}


def workbook(rows: int = 1) -> bytes:
    """A valid record workbook with ``rows`` students."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([spec.label.zh for spec in FIELDS])
    for n in range(rows):
        values = record(n + 1)
        sheet.append([values[spec.key] for spec in FIELDS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, name: str, change: Any) -> bytes:
    """The workbook with the part ``name`` replaced by ``change(old text)``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return buffer.getvalue()


def without_sheets(text: str) -> str:
    start, end = text.index("<sheets>"), text.index("</sheets>") + len("</sheets>")
    return text[:start] + "<sheets/>" + text[end:]


LAUGHS = """<!DOCTYPE worksheet [<!ENTITY a "hahahahahahahahahahahahahahahahahahahaha">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY x "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]>"""
EXTERNAL = """<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>"""


def with_entity(doctype: str) -> Any:
    """A change for :func:`rewritten`: the sheet declares ``doctype`` and its first student's
    name is the entity ``&x;``."""

    def change(sheet: str) -> str:
        name = record(1)["name"]
        return doctype + sheet.replace(f"<t>{name}</t>", "<t>&x;</t>", 1)

    return change


def _refused(hostile: Hostile, content: bytes) -> list[str]:
    """Import ``content``; the problem codes, after checking that nothing was imported."""
    headers = hostile.staff_headers("registrar")
    before = hostile.counts()
    answer = httpx.post(f"{hostile.url}{RECORDS}", content=content, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["applied"] is False
    assert hostile.counts() == before | {"audit_events": before["audit_events"] + 1}
    return [problem["code"] for problem in report["problems"]]


def test_a_truncated_workbook(hostile: Hostile) -> None:
    """Half a workbook: unreadable (zipfile's error, reported)."""
    content = workbook(3)
    assert _refused(hostile, content[: len(content) // 2]) == ["unreadable"]


def test_a_workbook_without_sheets(hostile: Hostile) -> None:
    """A workbook whose sheet list is empty: unreadable."""
    content = rewritten(workbook(), "xl/workbook.xml", without_sheets)
    assert _refused(hostile, content) == ["unreadable"]


def test_xml_entities_are_not_expanded(hostile: Hostile) -> None:
    """Entity declarations (a billion laughs, an external file) refuse the workbook."""
    for doctype in (LAUGHS, EXTERNAL):
        content = rewritten(workbook(), "xl/worksheets/sheet1.xml", with_entity(doctype))
        assert _refused(hostile, content) == ["unreadable"]


def test_rows_are_capped(hostile: Hostile) -> None:
    """One line over the cap, as CSV or as a workbook: refused whole."""
    csv_rows = csv_file([record(n + 1) for n in range(MAX_ROWS)])  # heading + MAX_ROWS lines
    assert _refused(hostile, csv_rows) == ["too_many_rows"]
    assert _refused(hostile, workbook(MAX_ROWS)) == ["too_many_rows"]


def test_a_file_at_the_cap_is_checked(hostile: Hostile) -> None:
    """The cap is not off by one: heading + 99 rows is read and checked (dry run)."""
    headers = hostile.staff_headers("registrar")
    answer = httpx.post(
        f"{hostile.url}{RECORDS}", content=workbook(MAX_ROWS - 1), headers=headers,
        params={"dry_run": "true"}, timeout=60,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == MAX_ROWS - 1 and answer.json()["problems"] == []


def test_openpyxl_parses_with_defusedxml() -> None:
    """openpyxl picks defusedxml up when it is installed (a declared dependency)."""
    import openpyxl

    assert openpyxl.DEFUSEDXML is True
