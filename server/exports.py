"""Tables as downloads: CSV that Excel on Chinese Windows opens right, and Excel workbooks.

Every export of the server goes through here, so each gets the same BOM, the same guard
against formula injection, and the same private download headers. The builders block for
as long as a large table takes: routes call them in a worker thread
(``anyio.to_thread.run_sync``), never on the event loop.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import Response
from openpyxl import Workbook

FileFormat = Literal["csv", "xlsx"]
Cell = str | int
Table = Sequence[Sequence[Cell]]

MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PRIVATE_HEADERS = {"Cache-Control": "no-store"}
"""Exports name students: no cache may keep them."""
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, MEDIA_TYPES["xlsx"]: {}}},
}
"""The OpenAPI ``responses`` of a route that can answer with a file."""


def safe_cell(value: str) -> str:
    """A cell that a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def table_csv(table: Table) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel on Chinese Windows reads it right."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(sheets: Sequence[tuple[str, Table]]) -> bytes:
    """An Excel workbook with one sheet per (title, table); the first row of each is frozen."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, table in sheets:
        sheet = book.create_sheet(title)
        for line in table:
            sheet.append(list(line))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(content: bytes, fmt: FileFormat, filename: str) -> Response:
    """A private file download named ``filename``."""
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
