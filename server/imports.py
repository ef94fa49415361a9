"""Imports by the registrar: master records from CSV or Excel, photos from a folder or a zip.

A record file is validated whole before anything is written (bad input changes
nothing): every problem is reported with its line and column, with the same validators the
kiosk and the registration use. Re-importing updates by 学号, and a record's version goes up
only where a value really changed. Photos are independent of each other: each is checked
against the photo spec (学历证书电子注册图像: JPEG, 480×640) and the good ones are stored, closing the
photo corrections that were waiting for the vendor.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import logging
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Annotated, Any

import anyio.to_thread
import simplejpeg
from fastapi import APIRouter, Query, Request
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import correction_value_text
from kiosk.config import ServerSettings
from kiosk.fields import FIELD_KEYS, FIELDS, normalise_code, validate_record
from kiosk.i18n import Msg, Plural
from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.imports import (
    PHOTO_SUFFIXES,
    FieldChange,
    ImportProblem,
    PhotoImportReport,
    RecordChange,
    RecordImportReport,
    StoredPhoto,
)
from server.audit import audit
from server.context import Ctx
from server.corrections.workflow import PHOTO, Actor, advance, record_changed
from server.db import Database
from server.images import MAX_PIXELS
from server.models import Correction, Student
from server.seed import add_photo
from server.staff import Registrar
from server.uploads import spool_upload

log = logging.getLogger(__name__)
router = APIRouter(prefix=f"{API_PREFIX}/staff/imports", tags=["imports"])
UPLOAD_PATHS = (f"{router.prefix}/records", f"{router.prefix}/photos")
"""The two routes whose bodies may be as large as ``import_max_bytes``, for the registrar."""

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
M_ID_TAKEN = Msg(
    "该身份证号已属于另一学号的学生。", "This ID number belongs to a student with another number."
)
M_PHOTO_NOT_JPEG = Msg("不是 JPEG 图片。", "Not a JPEG image.")
M_PHOTO_DIMENSIONS = Msg(
    "尺寸为 {w}×{h}，应为 480×640 像素。", "The size is {w}x{h}; it must be 480x640 pixels."
)
M_PHOTO_COLOUR = Msg("应为 24 位真彩色（RGB）。", "It must be 24-bit colour (RGB).")
M_PHOTO_BYTES = Plural(
    "文件大小 {n} 字节，应在 {lo}–{hi} 字节之间。",
    "The file has 1 byte; it must have {lo} to {hi}.",
    "The file has {n} bytes; it must have {lo} to {hi}.",
)
M_PHOTO_UNKNOWN = Msg(
    "文件名既不是已知的学号，也不是已知的身份证号。",
    "The file name is neither a known student number nor a known ID number.",
)
M_PHOTO_DUPLICATE = Msg(
    "该学生已有另一张照片：{other}。", "Another photo is for the same student: {other}."
)

M_PHOTO_CORRUPT = Msg(
    "图片数据已损坏，无法完整解码。", "The image data is damaged and does not decode cleanly."
)
M_PHOTO_UNREADABLE = Msg(
    "无法从压缩包中读取此文件（加密、不支持的压缩方式或数据损坏）。",
    "This file cannot be read from the zip (encrypted, an unknown compression method, "
    "or damaged data).",
)
M_NOT_ZIP = Msg("不是 zip 文件。", "Not a zip file.")
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

PHOTO_SIZE = (480, 640)
assert PHOTO_SIZE[0] * PHOTO_SIZE[1] <= MAX_PIXELS  # the cap in force once this module loads


def _problem(code: str, msg: Msg, *, line: int | None = None, column: str | None = None,
             file: str | None = None) -> ImportProblem:  # fmt: skip
    return ImportProblem(line=line, column=column, file=file, code=code, message=msg.both())


# --- reading a record file ----------------------------------------------------------------

MAX_COLUMNS = 64
"""Columns of a record file after this one are not read (the 17 fields and a few more fit)."""
BATCH_ROWS = 500
"""Rows written in one transaction; between two, other requests get the database."""
BATCH_PHOTOS = 100
"""Photos checked (in a worker thread) and stored (in one transaction) at a time."""


class Unreadable(Exception):
    """The file cannot be read as a whole: not a table or zip, or over one of the caps."""

    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def _too_many_rows(settings: ServerSettings) -> Unreadable:
    limit = settings.import_max_rows
    return Unreadable(_problem("too_many_rows", M_TOO_MANY_ROWS.fmt(limit=limit)))


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
            raise Unreadable(_problem("unreadable", M_NOT_TABLE)) from None
        finally:
            text.detach()  # the caller's file stays open
        return rows
    raise Unreadable(_problem("encoding", M_ENCODING))


class Formula(str):
    """An Excel cell that holds a formula (its text): refused by name, never evaluated."""

    __slots__ = ()


def _cell_text(value: object, data_type: str | None = None) -> str:
    """An Excel cell as the text a CSV would have held; a formula as :class:`Formula`."""
    if data_type == "f" or isinstance(value, ArrayFormula):
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
        raise Unreadable(_problem("too_many_entries", M_TOO_MANY_ENTRIES.fmt(limit=limit)))
    return entries


def _xlsx_rows(source: IO[bytes], settings: ServerSettings) -> list[tuple[int, list[str]]]:
    """The first sheet of a workbook, read without resolving XML entities.

    openpyxl reads every part through :mod:`zipfile`, which stops at the size an entry
    declares, so the declared sizes bound what the workbook can inflate to.
    """
    with zipfile.ZipFile(source) as archive:
        entries = check_archive(archive, settings)
    if sum(entry.file_size for entry in entries) > settings.import_max_inflated_bytes:
        limit = settings.import_max_inflated_bytes
        raise Unreadable(_problem("archive_too_large", M_ARCHIVE_TOO_LARGE.fmt(limit=limit)))
    source.seek(0)
    # read_only: rows are parsed as they are iterated, never the whole sheet at once.
    # Formulas as written, not their cached results: a formula is refused, by name.
    book = load_workbook(source, read_only=True, data_only=False)
    try:
        if not book.worksheets:
            raise Unreadable(_problem("unreadable", M_NOT_TABLE))
        lines = book.worksheets[0].iter_rows(
            max_row=settings.import_max_rows + 1, max_col=MAX_COLUMNS
        )
        rows = [
            (number, [_cell_text(cell.value, getattr(cell, "data_type", None)) for cell in row])
            for number, row in enumerate(lines, start=1)
        ]
    finally:
        book.close()
    if len(rows) > settings.import_max_rows:
        raise _too_many_rows(settings)
    return rows


def read_table(source: IO[bytes], settings: ServerSettings) -> list[tuple[int, list[str]]]:
    """The file's lines as (line number, cells): an Excel workbook's first sheet, or a CSV.

    Blocking work, for a worker thread. Whatever a hostile file makes the readers raise is
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
        raise Unreadable(_problem("unreadable", M_NOT_TABLE)) from None


@dataclass
class CheckedFile:
    """A record file after validation: the rows by line, or the problems."""

    rows: dict[int, dict[str, str]] = field(default_factory=dict)
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
                _problem("duplicate_column", M_DUPLICATE_COLUMN.fmt(label=label), line=1,
                         column=label)
            )  # fmt: skip
        else:
            columns[index] = key
    for spec in FIELDS:
        if spec.key not in columns.values():
            checked.problems.append(
                _problem("missing_column", M_MISSING_COLUMN.fmt(label=spec.label.zh), line=1,
                         column=spec.label.zh)
            )  # fmt: skip
    return None if checked.problems else columns


def check_records(lines: Sequence[tuple[int, list[str]]], today: dt.date) -> CheckedFile:
    """Validate every line; the rows come back normalised, as the validators accept them."""
    checked = CheckedFile()
    content = [(number, cells) for number, cells in lines if any(cell.strip() for cell in cells)]
    if not content:
        checked.problems.append(_problem("empty_file", M_EMPTY))
        return checked
    (_, head), body = content[0], content[1:]
    columns = _header(head, checked)
    if columns is None:
        return checked
    seen: dict[str, dict[str, int]] = {"student_no": {}, "id_number": {}}
    for number, cells in body:
        # This runs in a worker thread; giving up the GIL after each row means the event
        # loop waits for it well under a millisecond, not the interpreter's 5 ms switch
        # interval each time it comes back from a socket.
        time.sleep(0)
        raw = {key: (cells[i] if i < len(cells) else "") for i, key in columns.items()}
        formulas = {key for key, cell in raw.items() if isinstance(cell, Formula)}
        checked.problems.extend(
            _problem("formula", M_FORMULA, line=number, column=_LABELS[key])
            for key in FIELD_KEYS
            if key in formulas
        )
        check = validate_record(raw, today)
        checked.problems.extend(
            _problem(p.code, p.msg, line=number, column=_LABELS[key])
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
                    _problem(code, msg.fmt(line=first), line=number, column=_LABELS[key])
                )
        checked.rows[number] = row
    if not body:
        checked.problems.append(_problem("empty_file", M_EMPTY))
    return checked


async def _by(session: AsyncSession, column: str, values: Iterable[str]) -> dict[str, Student]:
    """Students whose ``column`` is one of ``values``, by that value (in chunks of 500)."""
    wanted = list(values)
    found: dict[str, Student] = {}
    attribute = getattr(Student, column)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for student in (
            await session.execute(select(Student).where(attribute.in_(chunk)))
        ).scalars():
            found[getattr(student, column)] = student
    return found


def _read_and_check(source: IO[bytes], settings: ServerSettings, today: dt.date) -> CheckedFile:
    return check_records(read_table(source, settings), today)


async def import_records(
    db: Database,
    source: IO[bytes],
    settings: ServerSettings,
    now: dt.datetime,
    *,
    dry_run: bool = False,
) -> RecordImportReport:
    """Check a record file and, if all of it is valid (and not ``dry_run``), apply it.

    Reading and validation run in a worker thread; the writes go in transactions of
    :data:`BATCH_ROWS` rows, so terminals keep logging in and submitting meanwhile. An apply
    cut short (the server stopped) leaves the rows done so far; importing the same file
    again finishes it, since an import updates by 学号 and changes only what differs.
    """
    try:
        checked = await anyio.to_thread.run_sync(_read_and_check, source, settings, now.date())
    except Unreadable as unreadable:
        return RecordImportReport(applied=False, rows=0, problems=[unreadable.problem])
    rows = checked.rows
    lines = list(rows.items())
    existing: dict[str, Student] = {}
    for start in range(0, len(lines), BATCH_ROWS):
        batch = lines[start : start + BATCH_ROWS]
        async with db.sessions.begin() as session:
            holders = await _by(session, "id_number", (row["id_number"] for _, row in batch))
            existing.update(
                await _by(session, "student_no", (row["student_no"] for _, row in batch))
            )
        for number, row in batch:
            holder = holders.get(row["id_number"])
            if holder is not None and holder.student_no != row["student_no"]:
                checked.problems.append(
                    _problem("id_number_taken", M_ID_TAKEN, line=number,
                             column=_LABELS["id_number"])
                )  # fmt: skip
    if checked.problems:
        problems = sorted(checked.problems, key=lambda p: (p.line or 0, p.column or ""))
        return RecordImportReport(
            applied=False, rows=len(rows), ignored_columns=checked.ignored_columns,
            problems=problems,
        )  # fmt: skip
    changes = await anyio.to_thread.run_sync(diff_records, rows, existing)
    created = sum(change.new for change in changes)
    report = RecordImportReport(
        applied=not dry_run, rows=len(rows), created=created, updated=len(changes) - created,
        unchanged=len(rows) - len(changes), changes=changes,
        ignored_columns=checked.ignored_columns,
    )  # fmt: skip
    if dry_run:
        return report
    for start in range(0, len(changes), BATCH_ROWS):
        batch_changes = changes[start : start + BATCH_ROWS]
        async with db.sessions.begin() as session:
            students = await _by(
                session, "student_no", (rows[change.line]["student_no"] for change in batch_changes)
            )
            for change in batch_changes:
                row = rows[change.line]
                student = students.get(row["student_no"])
                if student is None:
                    session.add(Student(**row, record_version=1, photo_version=0, updated_at=now))
                    continue
                for item in change.fields:
                    setattr(student, item.key, item.new)
                await record_changed(session, student, [item.key for item in change.fields], now)
    return report


def diff_records(
    rows: dict[int, dict[str, str]], existing: dict[str, Student]
) -> list[RecordChange]:
    """Each line that adds a student or changes a value, with the values it changes."""
    changes: list[RecordChange] = []
    for line, row in rows.items():
        student = existing.get(row["student_no"])
        if student is None:
            changes.append(
                RecordChange(line=line, student_no=row["student_no"], name=row["name"], new=True)
            )
            continue
        fields = [
            FieldChange(key=key, old=str(getattr(student, key)), new=value)
            for key, value in row.items()
            if getattr(student, key) != value
        ]
        if fields:
            changes.append(
                RecordChange(
                    line=line, student_no=row["student_no"], name=row["name"], new=False,
                    fields=fields,
                )
            )  # fmt: skip
    return changes


# --- photos -------------------------------------------------------------------------------

PhotoFile = tuple[str, "bytes | ImportProblem"]
"""A photo file's name and its bytes, or the problem that kept them from being read."""


def _member_problem(name: str, settings: ServerSettings, size: int) -> ImportProblem:
    lo, hi = settings.photo_min_bytes, settings.photo_max_bytes
    return _problem("photo_file_size", M_PHOTO_BYTES.fmt(n=size, lo=lo, hi=hi), file=name)


def _zip_members(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], settings: ServerSettings
) -> Iterator[PhotoFile]:
    cap = settings.photo_max_bytes
    inflated = 0
    with archive:
        for info in entries:
            path = PurePosixPath(info.filename)
            if info.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
                continue
            if path.suffix.lower() not in PHOTO_SUFFIXES:
                continue
            try:
                with archive.open(info) as member:
                    # One byte past the cap tells "too large", whatever the entry declares.
                    content = member.read(cap + 1)
            except Exception as exc:
                # An encrypted entry (RuntimeError), an unknown compression method
                # (NotImplementedError), corrupt data (zlib.error, BadZipFile, EOFError): each
                # is a problem with this entry alone.
                log.info("unreadable zip entry: %s", type(exc).__name__)
                yield path.name, _problem("photo_unreadable", M_PHOTO_UNREADABLE, file=path.name)
                continue
            inflated += len(content)
            if inflated > settings.import_max_inflated_bytes:
                limit = settings.import_max_inflated_bytes
                yield (
                    path.name,
                    _problem(
                        "archive_too_large", M_ARCHIVE_TOO_LARGE.fmt(limit=limit), file=path.name
                    ),
                )
                return
            if len(content) > cap:
                yield path.name, _member_problem(path.name, settings, max(info.file_size, cap + 1))
                continue
            yield path.name, content


def zip_photos(source: IO[bytes], settings: ServerSettings) -> Iterator[PhotoFile]:
    """Every photo in a zip, one at a time, each read through a capped stream.

    Raises :class:`Unreadable` at once for a file that is no zip or lists too many entries;
    a bad entry is a problem on that entry. Blocking: open and iterate it in a worker thread.
    """
    try:
        archive = zipfile.ZipFile(source)
    except Exception as exc:
        # BadZipFile mostly; a hostile central directory can raise ValueError, OSError,
        # EOFError or struct.error as well.
        log.info("not a zip: %s", type(exc).__name__)
        raise Unreadable(_problem("not_a_zip", M_NOT_ZIP)) from None
    try:
        entries = check_archive(archive, settings)
    except Unreadable:
        archive.close()
        raise
    return _zip_members(archive, entries, settings)


def folder_photos(folder: Path, settings: ServerSettings) -> Iterator[PhotoFile]:
    """Every photo in a folder (not its subfolders), as from a zip."""
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in PHOTO_SUFFIXES:
            continue
        try:
            with path.open("rb") as file:
                content = file.read(settings.photo_max_bytes + 1)
        except OSError:
            yield path.name, _problem("photo_unreadable", M_PHOTO_UNREADABLE, file=path.name)
            continue
        if len(content) > settings.photo_max_bytes:
            yield path.name, _member_problem(path.name, settings, path.stat().st_size)
            continue
        yield path.name, content


def check_photo(name: str, content: bytes, settings: ServerSettings) -> ImportProblem | None:
    """The first way a photo file misses the spec, or None: size in bytes, JPEG, 480×640, RGB,
    and image data that decodes without a single error."""
    lo, hi = settings.photo_min_bytes, settings.photo_max_bytes
    if not lo <= len(content) <= hi:
        return _problem("photo_file_size", M_PHOTO_BYTES.fmt(n=len(content), lo=lo, hi=hi),
                        file=name)  # fmt: skip
    try:
        # Only the JPEG decoder is tried, and the pixel cap (server.images) refuses a header
        # that claims a huge image before any pixel is decoded.
        with Image.open(io.BytesIO(content), formats=["JPEG"]) as image:
            size, mode = image.size, image.mode
            if size == PHOTO_SIZE and mode == "RGB":
                image.load()
    except Exception as exc:
        # Pillow raises many types for hostile bytes (UnidentifiedImageError, OSError,
        # DecompressionBombError, ValueError, SyntaxError, struct.error …).
        log.info("photo not decoded: %s", type(exc).__name__)
        return _problem("photo_not_jpeg", M_PHOTO_NOT_JPEG, file=name)
    if size != PHOTO_SIZE:
        width, height = size
        return _problem("photo_dimensions", M_PHOTO_DIMENSIONS.fmt(w=width, h=height), file=name)
    if mode != "RGB":
        return _problem("photo_colour", M_PHOTO_COLOUR, file=name)
    try:
        # Pillow passes over libjpeg's "corrupt data" warnings (zeroed or garbage scan data
        # decodes to a picture); the strict decoder fails on them.
        simplejpeg.decode_jpeg(content, strict=True)
    except ValueError:
        return _problem("photo_corrupt", M_PHOTO_CORRUPT, file=name)
    return None


def _checked_batch(files: Iterator[PhotoFile], settings: ServerSettings) -> list[PhotoFile]:
    """The next :data:`BATCH_PHOTOS` files, each checked against the spec (blocking)."""
    batch: list[PhotoFile] = []
    for name, content in itertools.islice(files, BATCH_PHOTOS):
        problem = content if isinstance(content, ImportProblem) else None
        if isinstance(content, bytes):
            problem = check_photo(name, content, settings)
        batch.append((name, problem or content))
    return batch


async def import_photos(
    db: Database,
    files: Iterator[PhotoFile],
    settings: ServerSettings,
    now: dt.datetime,
    actor: Actor,
) -> PhotoImportReport:
    """Store every photo that meets the spec, keyed by 学号 or ID number (the file name).

    The files are read and checked in a worker thread, :data:`BATCH_PHOTOS` at a time, and
    each batch is stored in its own transaction: only one batch is in memory at once.
    """
    problems: list[ImportProblem] = []
    stored: list[StoredPhoto] = []
    taken: dict[int, str] = {}
    applied = 0
    while batch := await anyio.to_thread.run_sync(_checked_batch, files, settings):
        keys = {name: normalise_code(PurePosixPath(name).stem) for name, _ in batch}
        async with db.sessions.begin() as session:
            by_no = await _by(session, "student_no", keys.values())
            by_id = await _by(session, "id_number", keys.values())
            for name, content in batch:
                student = by_no.get(keys[name]) or by_id.get(keys[name])
                problem = content if isinstance(content, ImportProblem) else None
                if problem is None and student is None:
                    problem = _problem("photo_unknown_student", M_PHOTO_UNKNOWN, file=name)
                if problem is None and student is not None and student.id in taken:
                    problem = _problem(
                        "photo_duplicate", M_PHOTO_DUPLICATE.fmt(other=taken[student.id]),
                        file=name,
                    )  # fmt: skip
                if problem is not None:
                    problems.append(problem)
                    continue
                assert student is not None and isinstance(content, bytes)
                taken[student.id] = name
                applied += await _store_photo(session, student, content, now, actor)
                stored.append(
                    StoredPhoto(file=name, student_no=student.student_no,
                                version=student.photo_version)
                )  # fmt: skip
    return PhotoImportReport(stored=stored, problems=problems, corrections_applied=applied)


async def _store_photo(
    session: AsyncSession, student: Student, content: bytes, now: dt.datetime, actor: Actor
) -> int:
    """Store one photo; returns how many photo corrections it closed."""
    photo = await add_photo(session, student, content)
    # A new photo makes a result checked against the old one stale, as a field change does.
    await record_changed(session, student, [PHOTO], now)
    waiting = await session.execute(
        select(Correction).where(
            Correction.student_id == student.id,
            Correction.field == PHOTO,
            Correction.state == "sent_to_vendor",
        )
    )
    applied = 0
    for correction in waiting.scalars():
        new_photo = correction_value_text(PHOTO, f"v{photo.version}")
        advance(session, correction, "vendor_photo", actor, now, comment=f"新{new_photo}")
        applied += 1
    return applied


# --- the registrar's endpoints --------------------------------------------------------------


def _file_body(*media_types: str) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads the raw bytes itself."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"requestBody": {"required": True, "content": dict.fromkeys(media_types, binary)}}


@router.post(
    "/records",
    response_model=RecordImportReport,
    summary="Import master records (CSV in UTF-8 or GBK, or .xlsx) as the request body",
    openapi_extra=_file_body(
        "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
)
async def import_records_endpoint(
    request: Request,
    ctx: Ctx,
    staff: Registrar,
    dry_run: Annotated[bool, Query(description="Only check; change nothing")] = False,
) -> RecordImportReport:
    """Every problem with its line and column; nothing is applied unless the file is valid."""
    # The body is read only now, after Registrar has checked the token and the role.
    with await spool_upload(request, ctx.settings.import_max_bytes) as upload:
        report = await import_records(ctx.db, upload, ctx.settings, ctx.now(), dry_run=dry_run)
    async with ctx.db.sessions.begin() as session:
        audit(
            session, "staff.import_records", actor=staff.actor, at=ctx.now(),
            applied=report.applied, rows=report.rows, created=report.created,
            updated=report.updated, problems=len(report.problems),
        )  # fmt: skip
    return report


@router.post(
    "/photos",
    response_model=PhotoImportReport,
    summary="Import photos: a zip of JPEG files named by 学号 or ID number, as the request body",
    openapi_extra=_file_body("application/zip"),
)
async def import_photos_endpoint(request: Request, ctx: Ctx, staff: Registrar) -> PhotoImportReport:
    """The good photos are stored; each bad one is reported."""
    with await spool_upload(request, ctx.settings.import_max_bytes) as upload:
        try:
            files = await anyio.to_thread.run_sync(zip_photos, upload, ctx.settings)
        except Unreadable as unreadable:
            report = PhotoImportReport(problems=[unreadable.problem])
        else:
            report = await import_photos(ctx.db, files, ctx.settings, ctx.now(), Actor.of(staff))
    async with ctx.db.sessions.begin() as session:
        audit(
            session, "staff.import_photos", actor=staff.actor, at=ctx.now(),
            stored=len(report.stored), problems=len(report.problems),
            corrections_applied=report.corrections_applied,
        )  # fmt: skip
    return report
