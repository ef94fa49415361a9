"""A record file read and checked whole, in a process of its own.

The check of a 30,000-row file is seconds of pure Python. In a worker thread it held the
GIL against the event loop (every request waited for it), and the parsed rows stayed in the
server's heap after the import (CPython and malloc keep freed memory). Here it runs in a
fresh process started for the import and ended after it; the file goes in and the checked
rows come out through a private temporary folder, and the server reads them a batch at a
time. This module imports nothing of the web or database layers, so that process starts
quickly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import anyio
import anyio.to_thread

from kiosk.config import ServerSettings
from kiosk.fields import FIELD_KEYS, FIELDS, validate_record
from kiosk.i18n import Msg, Plural
from kiosk.protocol.imports import ImportProblem

log = logging.getLogger(__name__)

# A column is named by its key, its Chinese label or its English label, in any case.
_COLUMNS: dict[str, str] = {
    name.casefold(): spec.key
    for spec in FIELDS
    for name in (spec.key, spec.label.zh, spec.label.en)
}
_LABELS = {spec.key: spec.label.zh for spec in FIELDS}

M_ENCODING = Msg(
    "文件编码无法识别：请保存为 UTF-8 或 GBK。", "Unknown encoding: save the file as UTF-8 or GBK."
)
M_NOT_TABLE = Msg(
    "无法读取：请提供 CSV 或 Excel (.xlsx) 文件。", "Unreadable: give a CSV or Excel (.xlsx) file."
)
M_EMPTY = Msg("文件中没有数据。", "The file has no data.")
M_FORMULA = Msg(
    "这是公式，不是数值：请复制后“选择性粘贴 → 数值”再导入。",
    "This is a formula, not a value: copy it and paste as values, then import again.",
)
M_MISSING_COLUMN = Msg("缺少列“{label}”。", "The column '{label}' is missing.")
M_DUPLICATE_COLUMN = Msg("列“{label}”出现了两次。", "The column '{label}' appears twice.")
M_DUPLICATE_STUDENT_NO = Msg("学号与第 {line} 行重复。", "The student number repeats line {line}.")
M_DUPLICATE_ID = Msg("身份证号与第 {line} 行重复。", "The ID number repeats line {line}.")

M_TOO_MANY_ROWS = Plural(
    "文件超过 {limit} 行，请分成几个文件导入。",
    "The file has more than 1 line; import it in several files.",
    "The file has more than {limit} lines; import it in several files.",
    count="limit",
)
M_TOO_MANY_ENTRIES = Plural(
    "压缩包中的文件超过 {limit} 个。",
    "The zip holds more than 1 file.",
    "The zip holds more than {limit} files.",
    count="limit",
)
M_ARCHIVE_TOO_LARGE = Plural(
    "压缩包解压后超过 {limit} 字节。",
    "The zip inflates to more than 1 byte.",
    "The zip inflates to more than {limit} bytes.",
    count="limit",
)


def import_problem(
    code: str, msg: Msg, *, line: int | None = None, column: str | None = None,
    file: str | None = None,
) -> ImportProblem:  # fmt: skip
    """A problem with an imported file, at a line and column or a file name."""
    return ImportProblem(line=line, column=column, file=file, code=code, message=msg.both())


MAX_COLUMNS = 64
"""Columns of a record file after this one are not read (the 17 fields and a few more fit)."""
CHECK_NICENESS = 10
"""How much lower the check's process runs than the server (``nice``)."""
BATCH_ROWS = 500
"""Rows the server reads, looks up or writes at a time; between two batches, other requests
get the database (on SQLite, its one writer)."""


class Unreadable(Exception):
    """The file cannot be read as a whole: not a table or zip, or over one of the caps."""

    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def _too_many_rows(settings: ServerSettings) -> Unreadable:
    limit = settings.import_max_rows
    return Unreadable(import_problem("too_many_rows", M_TOO_MANY_ROWS.fmt(limit=limit)))


def _csv_rows(source: IO[bytes], settings: ServerSettings) -> list[tuple[int, list[str]]]:
    """A CSV file's lines, in UTF-8 (with or without a BOM), else GBK (as GB 18030)."""
    for encoding in ("utf-8-sig", "gb18030"):
        source.seek(0)
        text = io.TextIOWrapper(source, encoding=encoding, newline="")
        reader = csv.reader(text)
        rows: list[tuple[int, list[str]]] = []
        try:
            for cells in reader:
                if len(rows) == settings.import_max_rows:
                    raise _too_many_rows(settings)
                # line_num is the file line a record ends on, which is where an editor shows it.
                rows.append((reader.line_num, cells[:MAX_COLUMNS]))
        except UnicodeDecodeError:
            continue
        except csv.Error:
            raise Unreadable(import_problem("unreadable", M_NOT_TABLE)) from None
        finally:
            text.detach()  # the caller's file stays open
        return rows
    raise Unreadable(import_problem("encoding", M_ENCODING))


class Formula(str):
    """An Excel cell that holds a formula (its text): refused by name, never evaluated."""

    __slots__ = ()


def _cell_text(value: object, formula: bool) -> str:
    """An Excel cell as the text a CSV would have held; a formula as :class:`Formula`."""
    if formula:
        return Formula(getattr(value, "text", None) or value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_archive(archive: zipfile.ZipFile, settings: ServerSettings) -> list[zipfile.ZipInfo]:
    """The entries of a zip, refused whole when there are more than the cap."""
    entries = archive.infolist()
    if len(entries) > settings.import_max_entries:
        limit = settings.import_max_entries
        raise Unreadable(import_problem("too_many_entries", M_TOO_MANY_ENTRIES.fmt(limit=limit)))
    return entries


def _xlsx_rows(source: IO[bytes], settings: ServerSettings) -> list[tuple[int, list[str]]]:
    """The first sheet of a workbook, read without resolving XML entities.

    openpyxl reads every part through :mod:`zipfile`, which stops at the size an entry
    declares, so the declared sizes bound what the workbook can inflate to.
    """
    # Imported here: a CSV file (the usual case) does not wait for openpyxl to load.
    from openpyxl import load_workbook
    from openpyxl.worksheet.formula import ArrayFormula

    with zipfile.ZipFile(source) as archive:
        entries = check_archive(archive, settings)
    if sum(entry.file_size for entry in entries) > settings.import_max_inflated_bytes:
        limit = settings.import_max_inflated_bytes
        raise Unreadable(import_problem("archive_too_large", M_ARCHIVE_TOO_LARGE.fmt(limit=limit)))
    source.seek(0)
    # read_only: rows are parsed as they are iterated, never the whole sheet at once.
    # Formulas as written, not their cached results: a formula is refused, by name.
    book = load_workbook(source, read_only=True, data_only=False)
    try:
        if not book.worksheets:
            raise Unreadable(import_problem("unreadable", M_NOT_TABLE))
        lines = book.worksheets[0].iter_rows(
            max_row=settings.import_max_rows + 1, max_col=MAX_COLUMNS
        )
        rows = [
            (
                number,
                [
                    _cell_text(
                        cell.value,
                        getattr(cell, "data_type", None) == "f"
                        or isinstance(cell.value, ArrayFormula),
                    )
                    for cell in row
                ],
            )
            for number, row in enumerate(lines, start=1)
        ]
    finally:
        book.close()
    if len(rows) > settings.import_max_rows:
        raise _too_many_rows(settings)
    return rows


def read_table(source: IO[bytes], settings: ServerSettings) -> list[tuple[int, list[str]]]:
    """The file's lines as (line number, cells): an Excel workbook's first sheet, or a CSV.

    Blocking work, for :func:`check_file`'s process. Whatever a hostile file makes the readers raise is
    :class:`Unreadable`, a problem reported on the file.
    """
    source.seek(0)
    if source.read(4) != b"PK\x03\x04":
        return _csv_rows(source, settings)
    try:
        return _xlsx_rows(source, settings)
    except Unreadable:
        raise
    except Exception as exc:
        # zipfile, zlib, openpyxl and the XML parser (defusedxml's refusals among them) raise
        # many types for a broken or hostile workbook; each is the same problem to the
        # registrar. Only the type is logged: a message may quote the file.
        log.info("unreadable workbook: %s", type(exc).__name__)
        raise Unreadable(import_problem("unreadable", M_NOT_TABLE)) from None


Row = tuple[int, tuple[str, ...]]
"""A checked line: its number in the file and its values, normalised, in ``FIELD_KEYS`` order."""


@dataclass
class CheckedFile:
    """A record file after validation: its rows, or the problems (plain data, picklable)."""

    rows: list[Row] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _header(cells: Sequence[str], checked: CheckedFile) -> dict[int, str] | None:
    """Column index -> field key, or None (and problems) when a column is missing or twice."""
    columns: dict[int, str] = {}
    for index, name in enumerate(cells):
        key = _COLUMNS.get(name.strip().casefold())
        if key is None:
            if name.strip():
                checked.ignored_columns.append(name.strip())
        elif key in columns.values():
            label = _LABELS[key]
            checked.problems.append(
                import_problem("duplicate_column", M_DUPLICATE_COLUMN.fmt(label=label),
                               line=1, column=label)
            )  # fmt: skip
        else:
            columns[index] = key
    for spec in FIELDS:
        if spec.key not in columns.values():
            checked.problems.append(
                import_problem("missing_column", M_MISSING_COLUMN.fmt(label=spec.label.zh),
                               line=1, column=spec.label.zh)
            )  # fmt: skip
    return None if checked.problems else columns


def check_records(lines: Sequence[tuple[int, list[str]]], today: dt.date) -> CheckedFile:
    """Validate every line; the rows come back normalised, as the validators accept them."""
    checked = CheckedFile()
    content = [(number, cells) for number, cells in lines if any(cell.strip() for cell in cells)]
    if not content:
        checked.problems.append(import_problem("empty_file", M_EMPTY))
        return checked
    (_, head), body = content[0], content[1:]
    columns = _header(head, checked)
    if columns is None:
        return checked
    seen: dict[str, dict[str, int]] = {"student_no": {}, "id_number": {}}
    for number, cells in body:
        raw = {key: (cells[i] if i < len(cells) else "") for i, key in columns.items()}
        formulas = {key for key, cell in raw.items() if isinstance(cell, Formula)}
        checked.problems.extend(
            import_problem("formula", M_FORMULA, line=number, column=_LABELS[key])
            for key in FIELD_KEYS
            if key in formulas
        )
        check = validate_record(raw, today)
        checked.problems.extend(
            import_problem(p.code, p.msg, line=number, column=_LABELS[key])
            for key, p in check.problems
            if key not in formulas
        )
        row = check.values
        for key, msg, code in (
            ("student_no", M_DUPLICATE_STUDENT_NO, "duplicate_student_no"),
            ("id_number", M_DUPLICATE_ID, "duplicate_id_number"),
        ):
            first = seen[key].setdefault(row[key], number)
            if first != number:
                checked.problems.append(
                    import_problem(code, msg.fmt(line=first), line=number, column=_LABELS[key])
                )
        checked.rows.append((number, tuple(row[key] for key in FIELD_KEYS)))
    if not body:
        checked.problems.append(import_problem("empty_file", M_EMPTY))
    return checked


@dataclass
class FileCheck:
    """What the check's process answers: the problems, and how many rows it wrote out."""

    rows: int
    problems: list[ImportProblem]
    ignored_columns: list[str]

    def to_json(self) -> str:
        """The answer as the child process writes it."""
        problems = [problem.model_dump(mode="json") for problem in self.problems]
        return json.dumps(
            {"rows": self.rows, "problems": problems, "ignored_columns": self.ignored_columns},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: bytes) -> FileCheck:
        """The answer as the server reads it."""
        answer = json.loads(text)
        return cls(
            answer["rows"],
            [ImportProblem.model_validate(problem) for problem in answer["problems"]],
            answer["ignored_columns"],
        )


def check_file(upload: Path, rows_out: Path, settings: ServerSettings, today: dt.date) -> FileCheck:
    """Read and check a whole record file, and write its rows to ``rows_out``, a JSON array
    of :data:`BATCH_ROWS` rows a line (the body of :func:`checked_file`'s process). A file
    that cannot be read is one problem on the file."""
    try:
        with upload.open("rb") as source:
            checked = check_records(read_table(source, settings), today)
    except Unreadable as unreadable:
        checked = CheckedFile(problems=[unreadable.problem])
    with rows_out.open("w", encoding="utf-8") as out:
        for start in range(0, len(checked.rows), BATCH_ROWS):
            json.dump(checked.rows[start : start + BATCH_ROWS], out, ensure_ascii=False)
            out.write("\n")
    return FileCheck(len(checked.rows), checked.problems, checked.ignored_columns)


@dataclass
class CheckedRecordFile:
    """A checked record file, its rows on disk: the server reads them a batch at a time."""

    check: FileCheck
    rows_path: Path

    async def batches(self) -> AsyncIterator[list[Row]]:
        """The rows, :data:`BATCH_ROWS` at a time, in the file's order."""
        with self.rows_path.open(encoding="utf-8") as rows:
            while batch := await anyio.to_thread.run_sync(_next_batch, rows):
                yield batch


def _next_batch(rows: IO[str]) -> list[Row]:
    line = rows.readline()
    return [(number, tuple(values)) for number, values in json.loads(line)] if line else []


@asynccontextmanager
async def checked_file(
    source: IO[bytes], settings: ServerSettings, today: dt.date
) -> AsyncIterator[CheckedRecordFile]:
    """Check ``source`` in a child process started for it (:func:`check_file`, through
    ``python -m server.record_files``).

    A plain child process, not :mod:`multiprocessing`: a fork would copy the server's heap,
    threads and connections, and a spawned pool depends on the interpreter's global state
    (its resource tracker and ``sys.stderr``, which a host such as a Textual app replaces).
    Only paths, the file's caps and the answer cross between the two, never the whole file
    or its rows at once: a large buffer, even freed, would stay in the server's heap. A
    check cut short (the request cancelled) ends the child; the folder with the copy and the
    rows goes when the import ends.
    """
    with tempfile.TemporaryDirectory(prefix="kiosk-import-") as folder:
        upload, rows = Path(folder, "upload"), Path(folder, "rows.jsonl")
        await anyio.to_thread.run_sync(_copy, source, upload)
        caps = settings.model_dump_json(include=set(_CAPS))
        answer = await anyio.run_process(
            [sys.executable, "-m", __name__, str(upload), str(rows), today.isoformat()],
            input=caps.encode(),
        )
        yield CheckedRecordFile(FileCheck.from_json(answer.stdout), rows)


_CAPS = ("import_max_rows", "import_max_entries", "import_max_inflated_bytes")
"""The settings the check uses: all the child process is told."""


def _main(argv: Sequence[str]) -> None:
    """The child process of :func:`checked_file`: the caps on stdin, the answer on stdout."""
    upload, rows, today = argv
    # A lower CPU priority than the server: on a busy machine the scheduler gives the cores
    # to requests first, and the check takes what is left.
    if hasattr(os, "nice"):  # not on Windows
        os.nice(CHECK_NICENESS)
    settings = ServerSettings.model_validate_json(sys.stdin.buffer.read())
    check = check_file(Path(upload), Path(rows), settings, dt.date.fromisoformat(today))
    sys.stdout.write(check.to_json())


def _copy(source: IO[bytes], target: Path) -> None:
    source.seek(0)
    with target.open("wb") as copy:
        shutil.copyfileobj(source, copy)


if __name__ == "__main__":
    _main(sys.argv[1:])
