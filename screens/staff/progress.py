"""Check progress (核对进度): who has checked, per college and class; the students behind any
number; the 核对统计表; reminders to those who have not checked.

Arrows move between the numbers, Enter lists the students behind the one highlighted, R
reminds the highlighted college or class after a preview, C lists who there has no registered
contact (to be called), F11/F12/Ctrl+T save the 核对统计表.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable

from kiosk.catalogue import PROGRESS_LABELS
from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg, Plural
from kiosk.protocol.progress import (
    REMINDER_KINDS,
    ProgressCounts,
    ProgressNumber,
    ProgressReport,
    ProgressStudents,
    ReminderSelection,
)
from kiosk.staff_client import ExportFormat
from screens.staff import text as T
from screens.staff.base import (
    COLLEGE_FILTER,
    EXPORTS,
    NAVIGATION,
    CollegeChoice,
    StaffModal,
    StaffScreen,
    confirmed,
)
from screens.staff.save_report import save_download
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap

TITLE = Msg("核对进度", "Check progress")
SUMMARY = Msg(
    "{scope} · 截止日期：{deadline} · 统计于 {time}",
    "{scope} · deadline: {deadline} · as of {time}",
)
NO_DEADLINE = Msg("未设定", "not set")
TOTALS = Msg(
    "毕业生 {graduates} · 已核对 {checked}（全部正确 {all_correct}，报告有误 {reported}）· "
    "未核对 {not_checked}（未注册 {not_registered}，已注册 {registered_not_checked}，"
    "期限已过 {window_closed}）· 待处理勘误 {corrections}",
    "{graduates} graduates · {checked} checked ({all_correct} all correct, {reported} "
    "reported) · {not_checked} not yet ({not_registered} not registered, "
    "{registered_not_checked} registered, {window_closed} window closed) · "
    "{corrections} open corrections",
)
COLUMNS: tuple[tuple[Msg, ProgressNumber], ...] = (
    (Msg("毕业生", "Grads"), "graduates"),
    (Msg("已注册", "Reg."), "registered"),
    (Msg("已核对", "Done"), "checked"),
    (Msg("正确", "OK"), "all_correct"),
    (Msg("有误", "Err."), "reported"),
    (Msg("未核对", "Not yet"), "not_checked"),
    (Msg("过期", "Closed"), "window_closed"),
    (Msg("勘误", "Corr."), "corrections_open"),
    (Msg("提醒", "Remind"), "reminded_today"),
)
"""The numeric columns after the name, and the number each drills down to."""
NAME_COLUMN = Msg("学院 / 班级", "College/class")
NAME_NUMBER: ProgressNumber = "not_checked"
"""Enter on a name lists who has not checked there."""
KEY_LIST = Msg("名单", "List")
KEY_REMIND = Msg("提醒", "Remind")
KEY_CALL_LIST = Msg("待电话联系", "To call")
KEY_NEXT_PAGE = Msg("下一页", "Next page")
KEY_PREVIOUS_PAGE = Msg("上一页", "Previous")
EXPORTED = Msg("核对统计表已保存：{path}", "Progress table saved: {path}")
NOTHING = Msg("没有学生数据。", "No students yet.")

DRILL_TITLE = Plural(
    "{where} · {number}：共 {total} 人",
    "{where} · {number}: 1 student",
    "{where} · {number}: {total} students",
    count="total",
)
DRILL_PAGE = Msg("第 {first}–{last} 人", "{first}–{last}")
DRILL_COLUMNS = (
    Msg("学号", "Student no."),
    Msg("姓名", "Name"),
    Msg("班级", "Class"),
    Msg("状态", "State"),
    Msg("联系方式", "Contact"),
    Msg("最近提醒", "Reminded"),
)
NO_STUDENTS = Msg("没有学生。", "No students.")
CONTACT = {True: Msg("有", "yes"), False: Msg("无（请电话联系）", "none: call")}

REMIND_TITLE = Msg("发送核对提醒？", "Send reminders?")
REMIND_QUESTION = Msg(
    "{where}：未核对 {students} 人。将提醒 {to_remind} 人（邮件 {email}，短信 {sms}）；"
    "今日已提醒 {already_today} 人，不再发送；{no_contact} 人没有联系方式，请在名单中查看并电话联系。",
    "{where}: {students} have not checked. {to_remind} will be reminded ({email} e-mail, {sms} "
    "SMS); {already_today} were reminded today and are skipped; {no_contact} have no contact: "
    "list them and call.",
)
NOBODY_TO_REMIND = Msg(
    "{where}：没有可以提醒的学生（今日已提醒 {already_today} 人，无联系方式 {no_contact} 人）。",
    "{where}: nobody to remind ({already_today} reminded today, {no_contact} without contact).",
)
REMINDED = Plural("已提醒 {n} 人。", "1 student reminded.", "{n} students reminded.")
PAGE = 50
"""Students per drill-down page."""


@dataclass(frozen=True)
class Line:
    """One table line: a college's total (``class_name`` None) or one class."""

    college: str
    class_name: str | None
    counts: ProgressCounts

    def scope(self) -> dict[str, str]:
        """The line as the API's college and class parameters."""
        found = {"college": self.college}
        if self.class_name is not None:
            found["class_name"] = self.class_name
        return found

    def name(self) -> Msg:
        """What the first column and the dialogs call it."""
        name = self.class_name or self.college
        return Msg(name, name)


def lines_of(report: ProgressReport) -> list[Line]:
    """Each college's total, followed by its classes."""
    found: list[Line] = []
    for college in report.colleges:
        found.append(Line(college.college, None, college))
        found += [
            Line(row.college, row.class_name, row)
            for row in report.classes
            if row.college == college.college
        ]
    return found


def in_both(text: Callable[[Lang], str]) -> Msg:
    """A message whose parts differ by language (a college total's name, "whole school")."""
    return Msg(text("zh"), text("en"))


def _cell(counts: ProgressCounts, number: ProgressNumber) -> str:
    return str(counts.number(number))


class ProgressScreen(StaffScreen):
    """The numbers per college and class; Enter lists the students behind one."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("Enter", "enter", "open", KEY_LIST, by=DataTable),
            Key("R", "r", "remind", KEY_REMIND),
            Key("C", "c", "call_list", KEY_CALL_LIST),
            COLLEGE_FILTER,
            *EXPORTS,
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#campaign-table"

    def __init__(self) -> None:
        super().__init__()
        self._report: ProgressReport | None = None
        self._lines: list[Line] = []
        self._college = CollegeChoice()

    def compose_body(self) -> ComposeResult:
        """Title, scope and deadline, totals, the table."""
        yield Tr(TITLE, id="screen-title")
        yield Tr(T.LOADING, id="campaign-summary")
        yield Tr(id="campaign-totals")
        yield DataTable(id="campaign-table", cursor_type="cell", zebra_stripes=True)

    def on_mount(self) -> None:
        """Load the view."""
        self.reload()

    @work(exclusive=True, group="progress")
    async def reload(self, notice: Msg | None = None) -> None:
        """Ask for the view again (after a reminder, or another college)."""
        try:
            report = await self.client.progress(**self._college.scope())
        except ApiError as error:
            self.fail(error)
            return
        self._report, self._lines = report, lines_of(report)
        self.say(notice or (None if self._lines else NOTHING))
        self.relabel(self.console.lang)

    @work(exclusive=True, group="progress")
    async def action_next_college(self) -> None:
        """Ctrl+L: one college only (after the last: the whole school)."""
        try:
            await self._college.advance(self.client)
        except ApiError as error:
            self.fail(error)
            return
        self.reload()

    def _current(self) -> tuple[Line, ProgressNumber] | None:
        table = self.query_one(DataTable)
        row, column = table.cursor_coordinate
        if not 0 <= row < len(self._lines):
            return None
        number = NAME_NUMBER if column == 0 else COLUMNS[column - 1][1]
        return self._lines[row], number

    @on(DataTable.CellSelected)
    def action_open(self) -> None:
        """Enter: the students behind the highlighted number."""
        current = self._current()
        if current is not None:
            line, number = current
            self.app.push_screen(DrillDownModal(line, number))

    def action_call_list(self) -> None:
        """C: who has not checked and has no registered contact, for the office to call."""
        current = self._current()
        if current is not None:
            self.app.push_screen(DrillDownModal(current[0], "no_contact"))

    def action_remind(self) -> None:
        """R: remind the highlighted college or class, after a preview."""
        current = self._current()
        if current is not None:
            self._remind(current[0])

    @work(exclusive=True, group="ask")
    async def _remind(self, line: Line) -> None:
        selection = ReminderSelection(
            college=line.college, class_name=line.class_name, kinds=list(REMINDER_KINDS)
        )
        try:
            preview = await self.client.reminder_preview(selection)
        except ApiError as error:
            self.fail(error)
            return
        where = line.name()
        counts = preview.model_dump()
        if not preview.to_remind:
            self.say(in_both(lambda each: NOBODY_TO_REMIND.get(each, where=where.get(each),
                                                               **counts)))  # fmt: skip
            return
        question = in_both(lambda each: REMIND_QUESTION.get(each, where=where.get(each), **counts))
        if not await confirmed(self.app, REMIND_TITLE, question):
            return
        try:
            done = await self.client.send_reminders(selection)
        except ApiError as error:
            self.fail(error)
            return
        self.reload(REMINDED.fmt(n=done.to_remind))

    @work(exclusive=True, group="export")
    async def action_export(self, fmt: ExportFormat) -> None:
        """F11 / F12 / Ctrl+T (PDF, to sign): the 核对统计表 of what the screen shows, saved where the staff member
        says, under the name the server gives it (college and date)."""
        await save_download(
            self, self.client.export_progress(fmt, **self._college.scope()), EXPORTED
        )

    def relabel(self, lang: Lang) -> None:
        """The summary, the totals and the table in ``lang``."""
        report = self._report
        if report is None:
            return
        moment = f"{self.console.local(report.as_of):%Y-%m-%d %H:%M}"
        self.query_one("#campaign-summary", Tr).show(
            in_both(
                lambda each: SUMMARY.get(
                    each,
                    scope=report.college or T.WHOLE_SCHOOL.get(each),
                    deadline=report.deadline.isoformat()
                    if report.deadline
                    else NO_DEADLINE.get(each),
                    time=moment,
                )
            )
        )
        total = report.total
        self.query_one("#campaign-totals", Tr).show(
            TOTALS.fmt(
                **{key: getattr(total, key) for key in (
                    "graduates", "checked", "all_correct", "reported", "not_checked",
                    "not_registered", "registered_not_checked", "window_closed")},
                corrections=total.number("corrections_open"),
            )
        )  # fmt: skip
        table = self.query_one(DataTable)
        cursor = table.cursor_coordinate
        table.clear(columns=True)
        table.add_columns(NAME_COLUMN.get(lang), *(label.get(lang) for label, _ in COLUMNS))
        for line in self._lines:
            name = line.name().get(lang)
            table.add_row(
                # A college's line is its total, in bold above its classes.
                Text(name, style="bold") if line.class_name is None else f"  {name}",
                *(_cell(line.counts, number) for _, number in COLUMNS),
            )
        if self._lines:
            table.move_cursor(
                row=min(cursor.row, len(self._lines) - 1), column=cursor.column, animate=False
            )


class DrillDownModal(StaffModal[None]):
    """The students behind one number, a page at a time; Esc closes."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        dialog=(
            Key("N", "n", "next_page", KEY_NEXT_PAGE),
            Key("P", "p", "previous_page", KEY_PREVIOUS_PAGE),
            Key("Esc", "escape", "close", T.KEY_CLOSE),
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#drill-table"

    def __init__(self, line: Line, number: ProgressNumber) -> None:
        super().__init__()
        self._line = line
        self._number = number
        self._page: ProgressStudents | None = None
        self._offset = 0

    def compose(self) -> ComposeResult:
        """Title, the page, a message line, the keys."""
        with Vertical(id="drill", classes="dialog"):
            yield Tr(T.LOADING, id="drill-title", classes="dialog-title")
            yield DataTable(id="drill-table", cursor_type="row")
            yield Tr(id="drill-message")
            yield KeyBar(self.KEYS["dialog"])

    def on_mount(self) -> None:
        """Load the first page."""
        self._load()

    @work(exclusive=True, group="drill")
    async def _load(self) -> None:
        try:
            self._page = await self.console.client.progress_students(
                self._number, offset=self._offset, limit=PAGE, **self._line.scope()
            )
        except ApiError as error:
            self.fail(error, self.query_one("#drill-message", Tr))
            return
        self.refresh_language(self.console.lang)

    def action_next_page(self) -> None:
        """N: the next page."""
        self._turn(1)

    def action_previous_page(self) -> None:
        """P: the previous page."""
        self._turn(-1)

    def _turn(self, step: int) -> None:
        page = self._page
        if page is None:
            return
        offset = self._offset + step * PAGE
        if 0 <= offset < page.total:
            self._offset = offset
            self._load()

    def action_close(self) -> None:
        """Esc: back to the numbers."""
        self.dismiss(None)

    def refresh_language(self, lang: Lang) -> None:
        """Every text in ``lang``, the students' lines included."""
        super().refresh_language(lang)
        page = self._page
        if page is None:
            return
        label = PROGRESS_LABELS[self._number]
        where = self._line.name()
        self.query_one("#drill-title", Tr).show(
            DRILL_TITLE.n(page.total, where=where, number=label)
        )  # fmt: skip
        shown = len(page.students)
        self.query_one("#drill-message", Tr).show(
            DRILL_PAGE.fmt(first=page.offset + 1, last=page.offset + shown) if shown
            else NO_STUDENTS
        )  # fmt: skip
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(column.get(lang) for column in DRILL_COLUMNS))
        for student in page.students:
            reminded = student.last_reminded_at
            table.add_row(
                student.student_no,
                student.name,
                student.class_name,
                PROGRESS_LABELS[student.status].get(lang),
                CONTACT[student.has_contact].get(lang),
                f"{self.console.local(reminded):%m-%d %H:%M}" if reminded else "",
            )
