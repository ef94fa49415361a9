"""Imports by the registrar: master records from CSV or Excel, photos from a folder or a zip.

A record file is validated whole before anything is written (bad input changes
nothing): every problem is reported with its line and column, with the same validators the
kiosk and the registration use. Re-importing updates by 学号, and a record's version goes up
only where a value really changed. Photos are independent of each other: each is checked
against the photo spec (学历证书电子注册图像: JPEG, 480×640) and the good ones are stored, closing the
photo corrections that were waiting for the vendor.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import logging
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Annotated, Any

import anyio.to_thread
import simplejpeg
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from PIL import Image
from pydantic import TypeAdapter
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import correction_value_text
from kiosk.config import ServerSettings
from kiosk.fields import BY_KEY, FIELD_KEYS, normalise_code
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
from server.record_files import (
    M_ARCHIVE_TOO_LARGE,
    CheckedRecordFile,
    Row,
    Unreadable,
    check_archive,
    checked_file,
)
from server.record_files import import_problem as _problem
from server.seed import add_photo
from server.staff import Registrar
from server.uploads import spool_upload

log = logging.getLogger(__name__)
router = APIRouter(prefix=f"{API_PREFIX}/staff/imports", tags=["imports"])
UPLOAD_PATHS = (f"{router.prefix}/records", f"{router.prefix}/photos")
"""The two routes whose bodies may be as large as ``import_max_bytes``, for the registrar."""

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

PHOTO_SIZE = (480, 640)
assert PHOTO_SIZE[0] * PHOTO_SIZE[1] <= MAX_PIXELS  # the cap in force once this module loads


# --- applying a record file ---------------------------------------------------------------

BATCH_PHOTOS = 100
"""Photos checked (in a worker thread) and stored (in one transaction) at a time."""

_STUDENT_NO = FIELD_KEYS.index("student_no")
_ID_NUMBER = FIELD_KEYS.index("id_number")
_NAME = FIELD_KEYS.index("name")
_STUDENTS = Student.metadata.tables[Student.__tablename__]
_FIELD_COLUMNS = [getattr(Student, key) for key in FIELD_KEYS]


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


async def _stored(
    session: AsyncSession, rows: Sequence[Row]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """For some rows: the 学号 that holds each of their ID numbers, and the stored values of
    each of their 学号, as plain tuples (a file of 30,000 updates loads no ORM objects)."""
    ids = [values[_ID_NUMBER] for _, values in rows]
    numbers = [values[_STUDENT_NO] for _, values in rows]
    holders = await session.execute(
        select(Student.id_number, Student.student_no).where(Student.id_number.in_(ids))
    )
    stored = await session.execute(
        select(Student.student_no, *_FIELD_COLUMNS).where(Student.student_no.in_(numbers))
    )
    return (
        {id_number: student_no for id_number, student_no in holders},
        {row[0]: tuple(row[1:]) for row in stored},
    )


def diff_records(rows: Iterable[Row], stored: Mapping[str, Sequence[str]]) -> list[RecordChange]:
    """Each row that adds a student or changes a value, with the values it changes."""
    changes: list[RecordChange] = []
    for line, values in rows:
        student_no, name = values[_STUDENT_NO], values[_NAME]
        old = stored.get(student_no)
        if old is None:
            changes.append(RecordChange(line=line, student_no=student_no, name=name, new=True))
            continue
        fields = [
            FieldChange(key=key, old=str(before), new=after)
            for key, before, after in zip(FIELD_KEYS, old, values, strict=True)
            if before != after
        ]
        if fields:
            changes.append(
                RecordChange(line=line, student_no=student_no, name=name, new=False, fields=fields)
            )
    return changes


_CHANGES: TypeAdapter[list[RecordChange]] = TypeAdapter(list[RecordChange])


@dataclass
class RecordImport:
    """A record import's report, its list of changes kept as JSON a batch at a time.

    A 30,000-row file changes 30,000 students: held as models until the answer, they left
    the server's memory 20 MiB larger after the import (freed small objects pin their
    allocator arenas). Serialised as each batch is looked at, they are a few large byte
    strings, which go back to the system when freed.
    """

    report: RecordImportReport
    """Everything but the changes (its ``changes`` is empty)."""
    change_batches: list[bytes] = field(default_factory=list)
    """The changes, each item the inside of a JSON array: one batch's changes."""

    def json_parts(self) -> Iterator[bytes]:
        """The whole report as the API answers it, in parts (never joined in memory)."""
        head = self.report.model_dump_json(exclude={"changes"}).encode()
        yield head[:-1] + b',"changes":['
        for index, batch in enumerate(self.change_batches):
            yield b"," + batch if index else batch
        yield b"]}"

    def changes(self) -> Iterator[RecordChange]:
        """The changes, read back a batch at a time (for the command line)."""
        for batch in self.change_batches:
            yield from _CHANGES.validate_json(b"[" + batch + b"]")


async def import_records(
    db: Database,
    source: IO[bytes],
    settings: ServerSettings,
    now: dt.datetime,
    *,
    dry_run: bool = False,
) -> RecordImport:
    """Check a record file and, if all of it is valid (and not ``dry_run``), apply it.

    The file is read and checked in a process of its own (:mod:`server.record_files`); the
    lookups and the writes go in transactions of ``BATCH_ROWS`` rows, so terminals keep
    logging in and submitting meanwhile. An apply cut short (the server stopped) leaves the
    rows done so far; importing the same file again finishes it, since an import updates by
    学号 and changes only what differs.
    """
    async with checked_file(source, settings, now.date()) as checked:
        problems = checked.check.problems
        change_batches: list[bytes] = []
        created = updated = 0
        async for batch in checked.batches():
            async with db.sessions.begin() as session:
                holders, stored = await _stored(session, batch)
            for number, values in batch:
                holder = holders.get(values[_ID_NUMBER])
                if holder is not None and holder != values[_STUDENT_NO]:
                    problems.append(
                        _problem("id_number_taken", M_ID_TAKEN, line=number,
                                 column=BY_KEY["id_number"].label.zh)
                    )  # fmt: skip
            if not problems:  # a file with problems reports those, not what it would change
                changes = diff_records(batch, stored)
                new = sum(change.new for change in changes)
                created, updated = created + new, updated + len(changes) - new
                if changes:
                    change_batches.append(_CHANGES.dump_json(changes)[1:-1])
        rows = checked.check.rows
        if problems:
            problems.sort(key=lambda p: (p.line or 0, p.column or ""))
            report = RecordImportReport(
                applied=False, rows=rows, ignored_columns=checked.check.ignored_columns,
                problems=problems,
            )  # fmt: skip
            return RecordImport(report)
        report = RecordImportReport(
            applied=not dry_run, rows=rows, created=created, updated=updated,
            unchanged=rows - created - updated, ignored_columns=checked.check.ignored_columns,
        )  # fmt: skip
        if not dry_run:
            await _write(db, checked, now)
    return RecordImport(report, change_batches)


async def _write(db: Database, checked: CheckedRecordFile, now: dt.datetime) -> None:
    """Apply the file, one batch of rows a transaction: each batch is compared with the
    records again, since another request may have changed one of them since the check."""
    async for rows in checked.batches():
        async with db.sessions.begin() as session:
            # One query: a batch of new students (the usual large file) loads nothing.
            students = await _by(session, "student_no", (values[_STUDENT_NO] for _, values in rows))
            stored = {
                no: tuple(getattr(s, key) for key in FIELD_KEYS) for no, s in students.items()
            }
            changes = diff_records(rows, stored)
            if not changes:
                continue
            values_of = dict(rows)
            added: list[dict[str, object]] = []
            for change in changes:
                student = students.get(change.student_no)
                if student is None:
                    added.append(
                        dict(zip(FIELD_KEYS, values_of[change.line], strict=True),
                             record_version=1, photo_version=0, updated_at=now,
                             recheck_fields=[])
                    )  # fmt: skip
                    continue
                for item in change.fields:
                    setattr(student, item.key, item.new)
                await record_changed(session, student, [item.key for item in change.fields], now)
            if added:
                # One executemany through Core: new students need none of the ORM's unit of
                # work, which cost more than the INSERT itself and held SQLite's write lock.
                await session.execute(insert(_STUDENTS), added)


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
) -> StreamingResponse:
    """Every problem with its line and column; nothing is applied unless the file is valid."""
    # The body is read only now, after Registrar has checked the token and the role.
    with await spool_upload(request, ctx.settings.import_max_bytes) as upload:
        found = await import_records(ctx.db, upload, ctx.settings, ctx.now(), dry_run=dry_run)
    report = found.report
    async with ctx.db.sessions.begin() as session:
        audit(
            session, "staff.import_records", actor=staff.actor, at=ctx.now(),
            applied=report.applied, rows=report.rows, created=report.created,
            updated=report.updated, problems=len(report.problems),
        )  # fmt: skip
    # The report's JSON as it was built (RecordImport), not through the response model.
    return StreamingResponse(found.json_parts(), media_type="application/json")


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
