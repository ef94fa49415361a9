"""Imports (the registrar): records from a CSV or Excel file, photos from a zip or a folder."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from kiosk.client import ApiError
from kiosk.fields import BY_KEY
from kiosk.i18n import Msg
from kiosk.protocol import (
    PHOTO_SUFFIXES,
    ImportProblem,
    PhotoImportReport,
    RecordChange,
    RecordImportReport,
)
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffScreen
from screens.widgets.i18n import KeyHint, Tr

PROBLEMS_SHOWN = 8
"""Problems listed on screen; the rest are counted (fix those, then import again)."""


def zip_folder(folder: Path) -> bytes:
    """The photos of a folder as one zip, as the server takes them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES:
                archive.write(path, path.name)
    return buffer.getvalue()


def read_upload(raw: str) -> tuple[bytes, bool]:
    """The bytes to send and whether they are photos (a zip or a folder) rather than records."""
    path = Path(raw).expanduser()
    if path.is_dir():
        return zip_folder(path), True
    return path.read_bytes(), path.suffix.lower() == ".zip"


def problem_lines(problems: list[ImportProblem]) -> list[Msg]:
    """The first problems, one line each, and how many more there are."""
    lines = []
    for item in problems[:PROBLEMS_SHOWN]:
        where = item.file or " ".join(
            part for part in (str(item.line or ""), item.column or "") if part
        )
        text = f"{where}: {item.message}"
        lines.append(Msg(text, text))
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(T.IMPORT_MORE.fmt(n=len(problems) - PROBLEMS_SHOWN))
    return lines


def record_lines(report: RecordImportReport) -> list[Msg]:
    """What a record import did, or why it did nothing."""
    if report.problems:
        return [T.IMPORT_RECORDS_BAD.fmt(n=len(report.problems)), *problem_lines(report.problems)]
    head = T.IMPORT_RECORDS_DONE if report.applied else T.IMPORT_RECORDS_VALID
    counts = head.fmt(rows=report.rows, created=report.created, updated=report.updated,
                      unchanged=report.unchanged)  # fmt: skip
    return [counts, *change_lines(report.changes)]


def change_lines(changes: list[RecordChange]) -> list[Msg]:
    """Which students an import adds or changes, and each changed field: old → new."""
    lines = []
    for change in changes[:PROBLEMS_SHOWN]:
        who = {"line": change.line, "student_no": change.student_no, "name": change.name}
        if change.new:
            lines.append(T.IMPORT_NEW.fmt(**who))
            continue
        start = T.IMPORT_CHANGED.fmt(**who)
        parts = {
            lang: "; ".join(
                f"{BY_KEY[item.key].label.get(lang)} {item.old} → {item.new}"
                for item in change.fields
            )
            for lang in ("zh", "en")
        }
        lines.append(Msg(start.zh + parts["zh"], start.en + parts["en"]))
    if len(changes) > PROBLEMS_SHOWN:
        lines.append(T.IMPORT_MORE_CHANGES.fmt(n=len(changes) - PROBLEMS_SHOWN))
    return lines


def photo_lines(report: PhotoImportReport) -> list[Msg]:
    """What a photo import stored, and each refused photo."""
    head = T.IMPORT_PHOTOS_DONE.fmt(
        stored=len(report.stored), refused=len(report.problems),
        applied=report.corrections_applied,
    )  # fmt: skip
    return [head, *problem_lines(report.problems)]


class ImportsScreen(StaffScreen):
    """A path line; Enter imports, F6 only checks a record file."""

    KEYS: ClassVar[tuple[KeyHint, ...]] = (
        ("Enter", T.KEY_IMPORT, "screen.run"),
        ("F6", T.KEY_CHECK_ONLY, "screen.check"),
        *NAVIGATION,
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f6", "check", show=False)]
    AUTO_FOCUS = "#import-path"

    def compose_body(self) -> ComposeResult:
        """Title, the path, the report."""
        yield Tr(T.IMPORTS_TITLE, id="screen-title")
        yield Tr(T.IMPORT_PATH, classes="label")
        yield Input(id="import-path")
        yield Tr(id="import-report")

    @on(Input.Submitted, "#import-path")
    def action_run(self) -> None:
        """Enter: import the file or folder."""
        self._import(dry_run=False)

    def action_check(self) -> None:
        """F6: check a record file without importing it."""
        self._import(dry_run=True)

    @work(exclusive=True, group="import")
    async def _import(self, *, dry_run: bool) -> None:
        raw = self.query_one("#import-path", Input).value.strip()
        if not raw:
            return
        try:
            content, photos = await asyncio.to_thread(read_upload, raw)
        except OSError:
            self.say(T.IMPORT_UNREADABLE.fmt(path=raw), error=True)
            return
        self.say(T.LOADING)
        try:
            if photos:
                lines = photo_lines(await self.client.import_photos(content))
            else:
                report = await self.client.import_records(content, dry_run=dry_run)
                lines = record_lines(report)
        except ApiError as error:
            self.fail(error)
            return
        self.say(None)
        self.query_one("#import-report", Tr).show(lines)
