"""Tables as downloads: CSV that Excel on Chinese Windows opens right, and Excel workbooks.

Every export of the server goes through here, so each gets the same BOM, the same guard
against formula injection, and the same private download headers. The builders block for
as long as a large table takes: routes call them in a worker thread
(``anyio.to_thread.run_sync``), never on the event loop.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Response
from openpyxl import Workbook

FileFormat = Literal["csv", "xlsx"]
DocumentFormat = Literal["csv", "xlsx", "pdf"]
"""A table export that is also printed and signed (the 勘误汇总表, the 核对统计表)."""
Cell = str | int | dt.datetime | None
"""A cell: text, a number, or a local time without zone (a date cell in Excel)."""
Table = Sequence[Sequence[Cell]]

MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PRIVATE_HEADERS = {"Cache-Control": "no-store"}
"""Exports name students: no cache may keep them."""
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, MEDIA_TYPES["xlsx"]: {}}},
}
"""The OpenAPI ``responses`` of a route that can answer with a file."""
DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, MEDIA_TYPES["xlsx"]: {}, MEDIA_TYPES["pdf"]: {}}},
}
"""The same for a route that can also answer with a PDF."""
TIME_FORMAT = "%Y-%m-%d %H:%M"
EXCEL_TIME_FORMAT = "yyyy-mm-dd hh:mm"


def local_time(moment: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """``moment`` as the wall-clock time in ``zone``, without zone (Excel has none)."""
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def safe_cell(value: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime(TIME_FORMAT)
    return safe_cell(value) if isinstance(value, str) else value


def table_csv(table: Table, preamble: Table = ()) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel on Chinese Windows reads it right; the
    ``preamble`` lines (a title, who and when) come before the headings."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([_csv_cell(cell) for cell in line] for line in [*preamble, *table])
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(sheets: Sequence[tuple[str, Table]], preamble: Table = ()) -> bytes:
    """An Excel workbook with one sheet per (title, table), the first sheet under
    ``preamble``; each table's heading row is frozen.

    Text is stored as text, never as a formula (so no quote is needed to defuse one), and
    times are date cells.
    """
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for index, (title, table) in enumerate(sheets):
        sheet = book.create_sheet(title)
        lines = [*(preamble if index == 0 else ()), *table]
        for row_number, line in enumerate(lines, start=1):
            for column, value in enumerate(line, start=1):
                cell = sheet.cell(row=row_number, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
                elif isinstance(value, dt.datetime):
                    cell.number_format = EXCEL_TIME_FORMAT
        heading = len(preamble) + 1 if index == 0 else 1
        sheet.freeze_panes = f"A{heading + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_NOT_IN_FILE_NAMES = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def attachment_name(name: str) -> str:
    """A ``Content-Disposition`` for ``name``: RFC 5987 ``filename*`` for the real (Chinese)
    name, and an ASCII ``filename`` for clients that know no better. Characters no file
    system takes (a college named with a slash) become ``_``."""
    name = _NOT_IN_FILE_NAMES.sub("_", name)
    fallback = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


WHOLE_SCHOOL = "全校"
"""What a report's title and file name say where it covers every college."""


def report_name(
    title: str, college: str | None, moment: dt.datetime, zone: dt.tzinfo, fmt: str
) -> str:
    """``<title>-<college or 全校>-<date in the school's zone>.<fmt>``, e.g.
    ``勘误汇总表-信息工程学院-2026-12-02.xlsx``."""
    return f"{title}-{college or WHOLE_SCHOOL}-{moment.astimezone(zone):%Y-%m-%d}.{fmt}"


def download(content: bytes, fmt: DocumentFormat, filename: str) -> Response:
    """A private file download named ``filename`` (any characters)."""
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={**PRIVATE_HEADERS, "Content-Disposition": attachment_name(filename)},
    )
