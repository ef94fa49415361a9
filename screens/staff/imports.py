"""Imports (the registrar): records from a CSV or Excel file, photos from a zip or a folder."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input

from kiosk.client import ApiError
from kiosk.fields import BY_KEY
from kiosk.i18n import Lang, Msg
from kiosk.protocol.imports import (
    PHOTO_SUFFIXES,
    ImportProblem,
    PhotoImportReport,
    RecordChange,
    RecordImportReport,
)
from kiosk.staff_client import ReportFormat
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffScreen, confirmed
from screens.staff.save_report import SaveReportModal
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyMap
from server.exports import table_csv, table_xlsx

CHANGES_SHOWN = 8
"""Students an import adds or changes, listed by name; the rest are counted."""


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


def photo_count(content: bytes) -> int:
    """How many photos a zip holds (0 if it is no zip: the server explains that)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return 0
    return sum(Path(name).suffix.lower() in PHOTO_SUFFIXES for name in names)


def problem_message(item: ImportProblem) -> Msg:
    """The server's problem text (``中文 / English``) as a message in each language."""
    zh, _, en = item.message.partition(" / ")
    return Msg(zh, en or zh)


def problem_rows(problems: list[ImportProblem], lang: Lang) -> list[tuple[str, str, str]]:
    """Each problem as (line, column or file, what), for the table and the saved list."""
    return [
        (str(item.line or ""), item.column or item.file or "", problem_message(item).get(lang))
        for item in problems
    ]


def record_lines(report: RecordImportReport) -> list[Msg]:
    """What a record import did, or why it did nothing (the problems are in the table)."""
    if report.problems:
        return [T.IMPORT_RECORDS_BAD.fmt(n=len(report.problems))]
    head = T.IMPORT_RECORDS_DONE if report.applied else T.IMPORT_RECORDS_VALID
    counts = head.fmt(rows=report.rows, created=report.created, updated=report.updated,
                      unchanged=report.unchanged)  # fmt: skip
    return [counts, *change_lines(report.changes)]


def change_lines(changes: list[RecordChange]) -> list[Msg]:
    """Which students an import adds or changes, and each changed field: old → new."""
    lines = []
    for change in changes[:CHANGES_SHOWN]:
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
    if len(changes) > CHANGES_SHOWN:
        lines.append(T.IMPORT_MORE_CHANGES.fmt(n=len(changes) - CHANGES_SHOWN))
    return lines


def photo_lines(report: PhotoImportReport) -> list[Msg]:
    """What a photo import stored (each refused photo is in the table)."""
    return [
        T.IMPORT_PHOTOS_DONE.fmt(
            stored=len(report.stored), refused=len(report.problems),
            applied=T.PHOTO_CORRECTIONS_APPLIED.n(report.corrections_applied),
        )
    ]  # fmt: skip


class ImportsScreen(StaffScreen):
    """A path line; Enter imports (once confirmed), F6 only checks a record file.

    The problems of the last file fill a table that scrolls (Tab to it, then the arrows and
    Page Up/Down), and F11/F12 save them as CSV or Excel to fix the file by.
    """

    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("Enter", "enter", "run", T.KEY_IMPORT, by=Input),
            Key("F6", "f6", "check", T.KEY_CHECK_ONLY),
            Key("F11", "f11", "save_problems('csv')", T.KEY_EXPORT_CSV),
            Key("F12", "f12", "save_problems('xlsx')", T.KEY_EXPORT_XLSX),
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#import-path"

    def __init__(self) -> None:
        super().__init__()
        self._problems: list[ImportProblem] = []
        self._source = ""

    def compose_body(self) -> ComposeResult:
        """Title, the path, the report, its problems."""
        yield Tr(T.IMPORTS_TITLE, id="screen-title")
        yield Tr(T.IMPORT_PATH, classes="label")
        yield Input(id="import-path")
        yield Tr(id="import-report")
        yield DataTable(id="import-problems", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """No problems yet."""
        self.relabel(self.console.lang)

    def relabel(self, lang: Lang) -> None:
        """The problem table in ``lang``."""
        table = self.query_one("#import-problems", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(column.get(lang) for column in T.PROBLEM_COLUMNS))
        table.add_rows(problem_rows(self._problems, lang))
        table.display = bool(self._problems)
        if self._problems:
            table.move_cursor(row=min(max(row, 0), len(self._problems) - 1))

    @on(Input.Submitted, "#import-path")
    def action_run(self) -> None:
        """Enter: import the file or folder, once confirmed."""
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
                question = T.CONFIRM_IMPORT_PHOTOS.fmt(path=raw, n=photo_count(content))
                if not await confirmed(self.app, T.CONFIRM_IMPORT_TITLE, question):
                    self.say(None)
                    return
                photo_report = await self.client.import_photos(content)
                lines, problems = photo_lines(photo_report), photo_report.problems
            else:
                # The real run is asked for only once the file has checked clean, with its
                # preview (the counts and who changes how) on the screen behind the question.
                report = await self.client.import_records(content, dry_run=True)
                if not dry_run and not report.problems:
                    self._show(raw, record_lines(report), [])
                    question = T.CONFIRM_IMPORT_RECORDS.fmt(
                        path=raw, rows=report.rows, created=report.created,
                        updated=report.updated, unchanged=report.unchanged,
                    )  # fmt: skip
                    if not await confirmed(self.app, T.CONFIRM_IMPORT_TITLE, question):
                        return
                    report = await self.client.import_records(content, dry_run=False)
                lines, problems = record_lines(report), report.problems
        except ApiError as error:
            self.fail(error)
            return
        self._show(raw, lines, problems)
        if problems:
            self.query_one("#import-problems", DataTable).focus()

    def _show(self, raw: str, lines: list[Msg], problems: list[ImportProblem]) -> None:
        self.say(None)
        self._problems, self._source = problems, Path(raw).name
        self.query_one("#import-report", Tr).show(lines)
        self.relabel(self.console.lang)

    def action_save_problems(self, fmt: ReportFormat) -> None:
        """F11 / F12: the problem list as CSV or Excel, saved where the staff member says."""
        if not self._problems:
            return
        suggested = Path.cwd() / f"{Path(self._source).stem}-问题.{fmt}"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._save(fmt, path)

        self.app.push_screen(SaveReportModal(suggested), chosen)

    @work(exclusive=True, group="save")
    async def _save(self, fmt: ReportFormat, path: Path) -> None:
        lang = self.console.lang
        table = [
            [column.get(lang) for column in T.PROBLEM_COLUMNS],
            *(list(row) for row in problem_rows(self._problems, lang)),
        ]
        data = (
            table_csv(table) if fmt == "csv" else table_xlsx([(T.PROBLEMS_SHEET.get(lang), table)])
        )
        await self.save_file(path, data, T.PROBLEMS_SAVED.fmt(path=str(path)))
