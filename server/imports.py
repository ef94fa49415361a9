"""Imports by the registrar: master records from CSV or Excel, photos from a folder or a zip.

A record file is validated whole before anything is written (DESIGN.md §6: bad input changes
nothing): every problem is reported with its line and column, with the same validators the
kiosk and the registration use. Re-importing updates by 学号, and a record's version goes up
only where a value really changed. Photos are independent of each other: each is checked
against the photo spec (reference/domain.md §2) and the good ones are stored, closing the
photo corrections that were waiting for the vendor.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.config import ServerSettings
from kiosk.fields import FIELD_KEYS, FIELDS, normalise_code, validate_record
from kiosk.i18n import Msg
from kiosk.protocol import (
    API_PREFIX,
    PHOTO_SUFFIXES,
    FieldChange,
    ImportProblem,
    PhotoImportReport,
    RecordChange,
    RecordImportReport,
    StoredPhoto,
    correction_value_text,
)
from server.audit import audit
from server.context import Ctx
from server.corrections import PHOTO, Actor, advance, record_changed
from server.models import Correction, Student
from server.seed import add_photo
from server.staff import Registrar

router = APIRouter(prefix=f"{API_PREFIX}/staff/imports", tags=["imports"])
IMPORTS_PREFIX = router.prefix
"""Requests under here may be as large as ``import_max_bytes``."""

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
M_PHOTO_BYTES = Msg(
    "文件大小 {n} 字节，应在 {lo}–{hi} 字节之间。",
    "The file has {n} bytes; it must have {lo} to {hi}.",
)
M_PHOTO_UNKNOWN = Msg(
    "文件名既不是已知的学号，也不是已知的身份证号。",
    "The file name is neither a known student number nor a known ID number.",
)
M_PHOTO_DUPLICATE = Msg(
    "该学生已有另一张照片：{other}。", "Another photo is for the same student: {other}."
)

PHOTO_SIZE = (480, 640)


def _problem(code: str, msg: Msg, *, line: int | None = None, column: str | None = None,
             file: str | None = None) -> ImportProblem:  # fmt: skip
    return ImportProblem(line=line, column=column, file=file, code=code, message=msg.both())


# --- reading a record file ----------------------------------------------------------------


class Unreadable(Exception):
    """The file is neither a CSV in a known encoding nor an Excel workbook."""

    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def decode_text(content: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without a BOM), else GBK (as GB 18030)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
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


def read_table(content: bytes) -> list[tuple[int, list[str]]]:
    """The file's lines as (line number, cells): an Excel workbook's first sheet, or a CSV."""
    if content[:4] == b"PK\x03\x04":
        try:
            # Formulas as written, not their cached results: a formula is refused, by name.
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise Unreadable(_problem("unreadable", M_NOT_TABLE)) from None
        sheet = book.worksheets[0]
        rows = [
            (number, [_cell_text(cell.value, getattr(cell, "data_type", None)) for cell in row])
            for number, row in enumerate(sheet.iter_rows(), start=1)
        ]
        book.close()
        return rows
    reader = csv.reader(io.StringIO(decode_text(content)))
    try:
        # line_num is the file line a record ends on, which is where an editor shows it.
        return [(reader.line_num, row) for row in reader]
    except csv.Error:
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


async def import_records(
    session: AsyncSession, content: bytes, now: dt.datetime, *, dry_run: bool = False
) -> RecordImportReport:
    """Check a record file and, if all of it is valid (and not ``dry_run``), apply it."""
    try:
        checked = check_records(read_table(content), now.date())
    except Unreadable as unreadable:
        return RecordImportReport(applied=False, rows=0, problems=[unreadable.problem])
    rows = checked.rows
    existing = await _by(session, "student_no", (r["student_no"] for r in rows.values()))
    holders = await _by(session, "id_number", (r["id_number"] for r in rows.values()))
    for number, row in rows.items():
        holder = holders.get(row["id_number"])
        if holder is not None and holder.student_no != row["student_no"]:
            checked.problems.append(
                _problem("id_number_taken", M_ID_TAKEN, line=number, column=_LABELS["id_number"])
            )
    if checked.problems:
        problems = sorted(checked.problems, key=lambda p: (p.line or 0, p.column or ""))
        return RecordImportReport(
            applied=False, rows=len(rows), ignored_columns=checked.ignored_columns,
            problems=problems,
        )  # fmt: skip
    changes = diff_records(rows, existing)
    created = sum(change.new for change in changes)
    report = RecordImportReport(
        applied=not dry_run, rows=len(rows), created=created, updated=len(changes) - created,
        unchanged=len(rows) - len(changes), changes=changes,
        ignored_columns=checked.ignored_columns,
    )  # fmt: skip
    if dry_run:
        return report
    for change in changes:
        row = rows[change.line]
        student = existing.get(row["student_no"])
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


def photo_files_from_zip(content: bytes, max_bytes: int) -> list[tuple[str, bytes | int]]:
    """(name, bytes) of every photo in a zip; a file over ``max_bytes`` comes as its size
    only, unread, so a zip bomb costs nothing."""
    files: list[tuple[str, bytes | int]] = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir() or name.name.startswith(".") or "__MACOSX" in name.parts:
                continue
            if name.suffix.lower() in PHOTO_SUFFIXES:
                too_big = info.file_size > max_bytes
                files.append((name.name, info.file_size if too_big else archive.read(info)))
    return files


def photo_files_from_dir(folder: Path, max_bytes: int) -> list[tuple[str, bytes | int]]:
    """(name, bytes) of every photo in a folder (not its subfolders), as from a zip."""
    files: list[tuple[str, bytes | int]] = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES:
            size = path.stat().st_size
            files.append((path.name, size if size > max_bytes else path.read_bytes()))
    return files


def check_photo(name: str, content: bytes | int, settings: ServerSettings) -> ImportProblem | None:
    """The first way a photo file misses the spec, or None: size in bytes, JPEG, 480×640, RGB."""
    size = content if isinstance(content, int) else len(content)
    lo, hi = settings.photo_min_bytes, settings.photo_max_bytes
    if not lo <= size <= hi or isinstance(content, int):
        return _problem("photo_file_size", M_PHOTO_BYTES.fmt(n=size, lo=lo, hi=hi), file=name)
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind, (width, height), mode = image.format, image.size, image.mode
    except (UnidentifiedImageError, OSError):
        return _problem("photo_not_jpeg", M_PHOTO_NOT_JPEG, file=name)
    if kind != "JPEG":
        return _problem("photo_not_jpeg", M_PHOTO_NOT_JPEG, file=name)
    if (width, height) != PHOTO_SIZE:
        return _problem("photo_dimensions", M_PHOTO_DIMENSIONS.fmt(w=width, h=height), file=name)
    if mode != "RGB":
        return _problem("photo_colour", M_PHOTO_COLOUR, file=name)
    return None


async def import_photos(
    session: AsyncSession,
    files: Sequence[tuple[str, bytes | int]],
    settings: ServerSettings,
    now: dt.datetime,
    actor: Actor,
) -> PhotoImportReport:
    """Store every photo that meets the spec, keyed by 学号 or ID number (the file name)."""
    keys = {name: normalise_code(PurePosixPath(name).stem) for name, _ in files}
    by_no = await _by(session, "student_no", keys.values())
    by_id = await _by(session, "id_number", keys.values())
    problems: list[ImportProblem] = []
    stored: list[StoredPhoto] = []
    taken: dict[int, str] = {}
    applied = 0
    for name, content in files:
        student = by_no.get(keys[name]) or by_id.get(keys[name])
        problem = check_photo(name, content, settings)
        if problem is None and student is None:
            problem = _problem("photo_unknown_student", M_PHOTO_UNKNOWN, file=name)
        if problem is None and student is not None and student.id in taken:
            problem = _problem(
                "photo_duplicate", M_PHOTO_DUPLICATE.fmt(other=taken[student.id]), file=name
            )
        if problem is not None:
            problems.append(problem)
            continue
        assert student is not None and isinstance(content, bytes)
        taken[student.id] = name
        photo = await add_photo(session, student, content)
        # A new photo makes a result checked against the old one stale, as a field change does.
        await record_changed(session, student, [PHOTO], now)
        stored.append(StoredPhoto(file=name, student_no=student.student_no, version=photo.version))
        waiting = await session.execute(
            select(Correction).where(
                Correction.student_id == student.id,
                Correction.field == PHOTO,
                Correction.state == "sent_to_vendor",
            )
        )
        for correction in waiting.scalars():
            new_photo = correction_value_text(PHOTO, f"v{photo.version}")
            advance(session, correction, "vendor_photo", actor, now, comment=f"新{new_photo}")
            applied += 1
    return PhotoImportReport(stored=stored, problems=problems, corrections_applied=applied)


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
    content = await request.body()
    async with ctx.db.sessions.begin() as session:
        report = await import_records(session, content, ctx.now(), dry_run=dry_run)
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
    content = await request.body()
    try:
        files = photo_files_from_zip(content, ctx.settings.photo_max_bytes)
    except zipfile.BadZipFile:
        problem = _problem("not_a_zip", Msg("不是 zip 文件。", "Not a zip file."))
        return PhotoImportReport(problems=[problem])
    async with ctx.db.sessions.begin() as session:
        report = await import_photos(session, files, ctx.settings, ctx.now(), Actor.of(staff))
        audit(
            session, "staff.import_photos", actor=staff.actor, at=ctx.now(),
            stored=len(report.stored), problems=len(report.problems),
            corrections_applied=report.corrections_applied,
        )  # fmt: skip
    return report
