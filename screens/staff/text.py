"""Every text the staff console shows, in Chinese and English (F2 switches)."""

from __future__ import annotations

import errno

from kiosk.catalogue import (
    CANCEL,
    CONFIRM,
    CORRECTION_STATE_LABELS,
    ROLE_LABELS,
    correction_field_label,
)
from kiosk.client import ApiError
from kiosk.errors import ERROR_MESSAGES, known_message
from kiosk.i18n import Msg, Plural
from kiosk.protocol.base import ProblemDetails, StaffRole
from kiosk.protocol.corrections import BulkAction, CorrectionRow
from kiosk.protocol.staff import SupervisedState
from kiosk.protocol.student import RecordState
from kiosk.protocol.terminal import TerminalState

# --- everywhere ---------------------------------------------------------------------------

APP_TITLE = Msg("学籍校对 · 工作台", "Record check · staff console")
SIGNED_IN = Msg("{user}（{role}）", "{user} ({role})")
ROLES = ROLE_LABELS
KEY_PROGRESS = Msg("进度", "Progress")
KEY_BOARD = Msg("看板", "Board")
KEY_SESSIONS = Msg("场次", "Sessions")
KEY_STUDENTS = Msg("学生", "Students")
KEY_CORRECTIONS = Msg("勘误", "Corrections")
KEY_IMPORTS = Msg("导入", "Imports")
KEY_LOGOUT = Msg("退出", "Log out")
KEY_QUIT = Msg("关闭", "Quit")
KEY_CONFIRM = CONFIRM
KEY_CANCEL = CANCEL
LOADING = Msg("正在加载……", "Loading…")
CANNOT_UNDO = Msg("此操作不能撤销。", "This cannot be undone.")

# --- login --------------------------------------------------------------------------------

LOGIN_TITLE = Msg("工作人员登录", "Staff login")
LOGIN_SERVER = Msg("服务器：{url}", "Server: {url}")
USERNAME = Msg("用户名", "User name")
PASSWORD = Msg("密码", "Password")
LOGIN_HINT = Msg(
    "监考、学院教学办和教务处使用各自的工作人员账号。",
    "Proctors, college offices and the registrar use their own staff accounts.",
)
KEY_LOGIN = Msg("登录", "Log in")
LOGIN_AGAIN_KEPT = Msg(
    "登录已过期。重新登录后回到这里，已填写的内容都在；请再操作一次。",
    "Your login expired. Log in again to come back here with what you typed; then try again.",
)

# --- the live board -----------------------------------------------------------------------

BOARD_TITLE = Msg("实时看板", "Live board")
BOARD_LAB = Msg("机房：{lab}", "Lab: {lab}")
BOARD_SESSION = Msg("场次：{title}（至 {ends}）", "Session: {title} (until {ends})")
BOARD_NO_SESSION = Msg("本机房当前没有进行中的场次。", "No session is running in this lab.")
BOARD_NO_LABS = Msg("还没有登记任何终端。", "No terminals are registered yet.")
BOARD_UPDATED = Msg("更新于 {time}", "Updated {time}")
BOARD_STALE = Msg("连接中断，显示的是 {time} 的数据", "Connection lost; showing data of {time}")
UNDER_ATTACK = Plural(
    "⚠ {n} 个账户本小时密码错误过多，疑似被人试密码（各处分别锁定，本人在别处仍可登录）",
    "⚠ 1 account had many wrong passwords this hour, perhaps someone guessing (each place "
    "locks on its own; its owner can still log in elsewhere)",
    "⚠ {n} accounts had many wrong passwords this hour, perhaps someone guessing (each place "
    "locks on its own; owners can still log in elsewhere)",
)
TERMINAL_STATES: dict[TerminalState, Msg] = {
    "idle": Msg("空闲", "idle"),
    "in_use": Msg("使用中", "in use"),
    "offline": Msg("离线", "offline"),
}
STEPS: dict[str, Msg] = {
    "welcome": Msg("欢迎", "welcome"),
    "login": Msg("登录", "login"),
    "register": Msg("注册", "register"),
    "record": Msg("档案", "record"),
    "fields": Msg("逐项核对", "fields"),
    "photo": Msg("照片", "photo"),
    "review": Msg("检查", "review"),
    "receipt": Msg("回执", "receipt"),
}
BOARD_SUMMARY = Plural(
    "终端 {total}：使用中 {in_use} · 空闲 {idle} · 离线 {offline} · 待发 {waiting} · PIN错误 {pin}",
    "{total} terminal: {in_use} in use · {idle} idle · {offline} offline · {waiting} waiting · {pin} PIN",
    "{total} terminals: {in_use} in use · {idle} idle · {offline} offline · {waiting} waiting · {pin} PIN",
    count="total",
)
BOARD_VIEW = Msg("显示：{filter}（{shown} 台）· {order}", "Showing: {filter} ({shown}) · {order}")
BOARD_FILTERS: dict[str, Msg] = {
    "all": Msg("全部", "all"),
    "in_use": Msg("使用中", "in use"),
    "idle": Msg("空闲", "idle"),
    "offline": Msg("离线", "offline"),
    "waiting": Msg("有待发结果", "results waiting"),
    "pin": Msg("PIN 输错", "PIN attempts"),
}
BOARD_ORDERS: dict[str, Msg] = {
    "name": Msg("按终端名", "by name"),
    "attention": Msg("需关注的在前", "needing attention first"),
}
TERMINAL_COLUMNS = (
    Msg("终端", "Terminal"),
    Msg("状态", "State"),
    Msg("步骤", "Step"),
    Msg("学生", "Student"),
    Msg("待发", "Waiting"),
    Msg("失败", "Failed"),
    Msg("PIN错", "PIN"),
    Msg("最后在线", "Last seen"),
)
KEY_BOARD_FILTER = Msg("筛选", "Filter")
KEY_BOARD_ORDER = Msg("排序", "Sort")
PROGRESS = Plural(
    "共 {total} 人 · 未开始 {not_started} · 进行中 {in_progress} · 全部正确 {all_correct} · 报告勘误 {corrections_reported}",
    "{total} student · not started {not_started} · in progress {in_progress} · all correct {all_correct} · corrections {corrections_reported}",
    "{total} students · not started {not_started} · in progress {in_progress} · all correct {all_correct} · corrections {corrections_reported}",
    count="total",
)
KEY_NEXT_LAB = Msg("换机房", "Next lab")
KEY_LAB_TERMINALS = Msg("机房终端", "Terminals")

# --- sessions -----------------------------------------------------------------------------

SESSIONS_TITLE = Msg("监考场次", "Supervised sessions")
SESSION_COLUMNS = (
    Msg("编号", "No."),
    Msg("名称", "Title"),
    Msg("机房", "Lab"),
    Msg("时间", "Time"),
    Msg("状态", "State"),
    Msg("人数", "Roster"),
)
SESSION_STATES: dict[SupervisedState, Msg] = {
    "planned": Msg("计划中", "planned"),
    "running": Msg("进行中", "running"),
    "ended": Msg("已结束", "ended"),
}
NO_SESSIONS = Msg("还没有场次。按 N 新建。", "No sessions yet. Press N to plan one.")
KEY_NEW = Msg("新建", "New")
KEY_START = Msg("开始", "Start")
KEY_END = Msg("结束", "End")
KEY_REPORT_CSV = Msg("导出CSV", "CSV")
KEY_REPORT_XLSX = Msg("导出Excel", "Excel")
KEY_SHOW_BOARD = Msg("看板", "Board")
STARTED = Msg(
    "场次已开始，机房终端将显示该场次。", "The session has started; the lab's kiosks show it."
)
ENDED = Msg("场次已结束。", "The session has ended.")
CREATED = Msg("已新建场次 {id}。", "Session {id} planned.")
CONFIRM_END_TITLE = Msg("结束场次？", "End the session?")
CONFIRM_END = Msg(
    "场次 {id}「{title}」（{lab}，名单{n}人）将结束，机房终端不再显示它；结束的场次不能再开始。",
    "Session {id} “{title}” ({lab}, {n} on the roster) ends and the lab's kiosks stop showing"
    " it; an ended session cannot start again.",
)
CONFIRM_CANCEL_TITLE = Msg("取消场次？", "Cancel the session?")
CONFIRM_CANCEL = Msg(
    "场次 {id}「{title}」（{lab}，{time} 开始，名单{n}人）将被取消，不会再开始；取消不能撤销。",
    "Session {id} “{title}” ({lab}, starting {time}, {n} on the roster) is cancelled and will"
    " not start; this cannot be undone.",
)
REPORT_SUMMARY = Msg(
    "报告：到场 {came} · 完成 {finished} · 报告勘误 {corrected} · 未到场 {absent}",
    "Report: came {came} · finished {finished} · reported corrections {corrected} · did not come {absent}",
)

PLAN_TITLE = Msg("新建监考场次", "Plan a supervised session")
EDIT_TITLE = Msg("修改场次 {id}（名单留空则不变）", "Edit session {id} (an empty roster keeps it)")
EXTEND_TITLE = Msg("延长场次 {id}：只能推迟结束时间", "Extend session {id}: a later end only")
KEY_EDIT = Msg("修改/延长", "Edit/extend")
KEY_CANCEL_SESSION = Msg("取消场次", "Cancel session")
UPDATED = Msg("场次 {id} 已更新。", "Session {id} updated.")
CANCELLED = Msg("场次 {id} 已取消。", "Session {id} cancelled.")
PLAN_NAME = Msg("名称", "Title")
PLAN_LAB = Msg("机房", "Lab")
PLAN_DATE = Msg("日期（YYYY-MM-DD）", "Date (YYYY-MM-DD)")
PLAN_FROM = Msg("开始（HH:MM）", "From (HH:MM)")
PLAN_UNTIL = Msg("结束（HH:MM）", "Until (HH:MM)")
PLAN_CLASS = Msg("班级（或留空，填写学号）", "Class (or leave empty and list 学号)")
PLAN_NUMBERS = Msg("学号（空格或逗号分隔）", "Student numbers (spaces or commas)")
PLAN_BAD_TIME = Msg(
    "日期或时间格式不对，或结束不晚于开始。",
    "The date or a time is not valid, or the end is not after the start.",
)
PLAN_BAD_ROSTER = Msg(
    "请填写班级或学号名单（二选一）。", "Give a class or a list of student numbers (one of them)."
)
PLAN_MISSING = Msg("请填写名称和机房。", "Give a title and a lab.")

SAVE_TITLE = Msg("保存报告", "Save the report")
SAVE_PATH = Msg("保存到文件（确认路径后按 Enter）", "Save to file (check the path, then Enter)")
SAVED = Msg("报告已保存：{path}", "Report saved: {path}")
SAVE_FAILED = Msg("无法写入该文件：{problem}", "Cannot write that file: {problem}")
SAVE_EXISTS = Msg(
    "文件已存在，再按一次 Enter 覆盖。", "The file exists; press Enter again to overwrite it."
)

# --- students -----------------------------------------------------------------------------

STUDENTS_TITLE = Msg("学生查询", "Students")
SEARCH = Msg("学号、姓名或身份证号，按 Enter 查询", "学号, name or ID number, then Enter")
STUDENT_COLUMNS = (
    Msg("学号", "Student no."),
    Msg("姓名", "Name"),
    Msg("班级", "Class"),
    Msg("身份证号", "ID number"),
    Msg("状态", "State"),
)
RECORD_STATES: dict[RecordState, Msg] = {
    "not_checked": Msg("未校对", "not checked"),
    "submitted": Msg("已提交", "submitted"),
    "corrections_pending": Msg("勘误处理中", "corrections pending"),
    "check_again": Msg("需重新核对", "check again"),
}
NO_MATCH = Msg("没有找到学生。", "No student found.")
DETAIL_WINDOW_OPEN = Msg("校对时间：开放，至 {time}", "Window: open until {time}")
DETAIL_WINDOW_CLOSED = Msg("校对时间：已于 {time} 结束", "Window: closed at {time}")
DETAIL_WINDOW_NONE = Msg("校对时间：尚未开始（未注册）", "Window: not started (not registered)")
HISTORY_KINDS: dict[str, Msg] = {
    "login": Msg("登录", "login"),
    "submission": Msg("提交", "submission"),
    "correction": Msg("勘误", "correction"),
    "reopen": Msg("重新开放", "reopened"),
}
NO_HISTORY = Msg("暂无记录。", "Nothing yet.")
OUTCOMES: dict[str, Msg] = {
    "ok": Msg("成功", "succeeded"),
    "denied": Msg("被拒绝", "refused"),
}


def history_what(kind: str, outcome: str, detail: str | None) -> Msg | None:
    """What one history event did, in words: a correction's field and state, a login's
    outcome, a submission's receipt number."""
    if kind == "correction":
        field = correction_field_label(detail or "")
        state = CORRECTION_STATE_LABELS.get(outcome) or Msg(outcome, outcome)
        return Msg(f"{field.zh} {state.zh}", f"{field.en} {state.en}")
    if kind == "submission":
        return Msg(detail, detail) if detail else None
    if kind == "login":
        return OUTCOMES.get(outcome) or Msg(outcome, outcome)
    return None


KEY_SEARCH = Msg("查询", "Search")
KEY_REOPEN = Msg("重新开放", "Reopen")
REOPENED = Msg("已重新开放校对时间，至 {time}。", "The window is open again until {time}.")

# --- corrections ---------------------------------------------------------------------------

CORRECTIONS_TITLE = Msg("勘误处理", "Corrections")
CORRECTIONS_SEARCH = Msg("学号或姓名，按 Enter 查询", "学号 or name, then Enter")
CORRECTIONS_FILTER = Msg(
    "状态：{state} · 学院：{college} · 共 {total} 条 · 已选 {marked} 条",
    "State: {state} · College: {college} · {total} in all · {marked} marked",
)
ALL_STATES = Msg("全部", "all")
WHOLE_SCHOOL = Msg("全校", "whole school")
CORRECTION_COLUMNS = (
    Msg("选", "✓"),
    Msg("学号", "Student no."),
    Msg("姓名", "Name"),
    Msg("字段", "Field"),
    Msg("状态", "State"),
    Msg("更正为", "Proposed"),
    Msg("班级", "Class"),
)
"""The state before the free-length columns, so it is never the one cut off at 80 columns."""
CORRECTION_STATES = CORRECTION_STATE_LABELS
NO_CORRECTIONS = Msg("没有符合条件的勘误。", "No corrections match.")
KEY_OPEN = Msg("处理", "Open")
KEY_STATE_FILTER = Msg("按状态", "By state")
KEY_COLLEGE_FILTER = Msg("按学院", "By college")
KEY_MARK = Msg("选中", "Mark")
KEY_BULK_CONFIRM = Msg("批量确认", "Confirm marked")
KEY_BULK_APPLY = Msg("批量更正", "Apply marked")
KEY_EXPORT_CSV = Msg("导出CSV", "CSV")
KEY_EXPORT_XLSX = Msg("导出Excel", "Excel")
KEY_EXPORT_PDF = Msg("导出PDF", "PDF")
BULK_DONE: dict[BulkAction, Msg] = {
    "confirm": Msg("已确认 {n} 条。", "{n} confirmed."),
    "apply": Msg(
        "已更正 {n} 条，学生将被请求再次核对。",
        "{n} applied; the students will be asked to check again.",
    ),
}
BULK_FAILED = Msg(
    "批量操作未执行：{row}：{reason}",
    "Nothing was done: {row}: {reason}",
)
CONFIRM_APPLY_TITLE = Msg("写入学籍档案？", "Apply to the records?")
CONFIRM_BULK_APPLY = Plural(
    "已选的 {n} 条勘误将写入学籍档案，这些学生须再次核对。此操作不能撤销。",
    "The 1 marked correction is written into the records, and that student is asked to check"
    " again. This cannot be undone.",
    "The {n} marked corrections are written into the records, and those students are asked"
    " to check again. This cannot be undone.",
)
CONFIRM_APPLY = Msg(
    "{student} 的“{field}”将由“{current}”改为“{proposed}”，写入学籍档案（1 条）。此操作不能撤销。",
    "{student}'s “{field}” changes from “{current}” to “{proposed}” in the records (1 row)."
    " This cannot be undone.",
)
CONFIRM_REJECT_TITLE = Msg("退回勘误？", "Reject the correction?")
CONFIRM_REJECT = Msg(
    "{student} 的“{field}”勘误将被退回（1 条），学生会看到您的意见：{comment}",
    "{student}'s correction of “{field}” is rejected (1 row); the student sees your comment:"
    " {comment}",
)
BULK_ROW = Msg(
    "勘误 {id}（{student_no} {name} · {field}）", "correction {id} ({student_no} {name} · {field})"
)
BULK_MORE = Msg("（另有 {n} 条有问题）", " (and {n} more)")
EXPORTED = Msg("勘误汇总表已保存：{path}", "Corrections table saved: {path}")

DETAIL_TITLE = Msg(
    "勘误 {id}：{student_no} {name} · {field}", "Correction {id}: {student_no} {name} · {field}"
)
DETAIL_VALUES = Msg("原值：{current}　更正为：{proposed}", "Now: {current}   Proposed: {proposed}")
DETAIL_NOTE = Msg("学生说明：{note}", "Student's note: {note}")
DETAIL_PROOF = Msg("证明材料：{proof}", "Proof: {proof}")
DETAIL_NEEDS_PROOF = Msg(
    "身份信息：通过前须登记所见的证明材料。",
    "Identity field: record the proof seen before accepting.",
)
COMMENT = Msg("意见（必填）", "Comment (required)")
PROOF = Msg("证明材料（如：户口本原件）", "Proof document (e.g. household register)")
KEY_ACCEPT = Msg("通过", "Accept")
KEY_CONFIRM_CORRECTION = Msg("确认", "Confirm")
KEY_REJECT = Msg("退回", "Reject")
KEY_APPLY = Msg("更正档案", "Apply")
KEY_VENDOR = Msg("送照相公司", "To vendor")
KEY_CLOSE = Msg("关闭", "Close")
DETAIL_PROOF_FILES = Msg("学生上传的证明材料照片：", "Proof photographed by the student:")
PROOF_FILE_LINE = Msg(
    "  {n}. {kind}（{size} KB，{width}×{height}）", "  {n}. {kind} ({size} KB, {width}×{height})"
)
KEY_PROOF_VIEW = Msg("查看证明", "View proof")
KEY_APPLICATION_FORM = Msg("申请表PDF", "Form PDF")
APPLICATION_FORM_SAVED = Msg("申请表已保存：{path}", "Application form saved: {path}")
PROOF_VIEW_TITLE = Msg(
    "证明材料 {n}/{total}：{kind}（{size} KB，{width}×{height}）",
    "Proof {n}/{total}: {kind} ({size} KB, {width}×{height})",
)
PROOF_NO_IMAGES = Msg(
    "本终端不能显示图片。按 Ctrl+S 保存为 JPEG 文件后用看图软件打开。",
    "This terminal cannot show images. Press Ctrl+S to save it as a JPEG file and open it "
    "with an image viewer.",
)
PROOF_SAVED = Msg("已保存：{path}", "Saved: {path}")
KEY_PREVIOUS = Msg("上一张", "Previous")
KEY_NEXT = Msg("下一张", "Next")
KEY_SAVE_FILE = Msg("保存文件", "Save file")
NEED_COMMENT = Msg("请填写意见。", "Please write a comment.")
DECIDED = Msg("勘误 {id} 现为：{state}。", "Correction {id} is now: {state}.")

# --- imports ------------------------------------------------------------------------------

IMPORTS_TITLE = Msg("导入档案与照片", "Import records and photos")
IMPORT_PATH = Msg(
    "文件路径：CSV/Excel 导入档案；zip 或文件夹导入照片（按 Enter）",
    "Path: a CSV/Excel file imports records; a zip or folder imports photos (Enter)",
)
KEY_IMPORT = Msg("导入", "Import")
KEY_CHECK_ONLY = Msg("仅检查", "Check only")
CONFIRM_IMPORT_TITLE = Msg("导入？", "Import?")
CONFIRM_IMPORT_RECORDS = Plural(
    "{path}：{rows} 行全部有效，将写入学籍档案：新增 {created}，更新 {updated}，未变 {unchanged}。"
    "此操作不能撤销。",
    "{path}: the 1 row is valid and will be written into the records: {created} new,"
    " {updated} changed, {unchanged} unchanged. This cannot be undone.",
    "{path}: all {rows} rows are valid and will be written into the records: {created} new,"
    " {updated} changed, {unchanged} unchanged. This cannot be undone.",
    count="rows",
)
CONFIRM_IMPORT_PHOTOS = Plural(
    "{path}：{n} 张照片将替换学生现有的照片。此操作不能撤销。",
    "{path}: 1 photo will replace the student's current photo. This cannot be undone.",
    "{path}: {n} photos will replace the students' current photos. This cannot be undone.",
)
IMPORT_UNREADABLE = Msg("无法读取：{path}", "Cannot read: {path}")
IMPORT_RECORDS_DONE = Plural(
    "已导入 {rows} 行：新增 {created}，更新 {updated}，未变 {unchanged}。",
    "1 row imported: {created} new, {updated} changed, {unchanged} unchanged.",
    "{rows} rows imported: {created} new, {updated} changed, {unchanged} unchanged.",
    count="rows",
)
IMPORT_RECORDS_VALID = Plural(
    "{rows} 行全部有效（仅检查，未导入）：将新增 {created}，更新 {updated}，未变 {unchanged}。",
    "The 1 row is valid (checked only): {created} new, {updated} to change, {unchanged} unchanged.",
    "All {rows} rows are valid (checked only): {created} new, {updated} to change, "
    "{unchanged} unchanged.",
    count="rows",
)
IMPORT_NEW = Msg("第 {line} 行 {student_no} {name}：新增", "line {line} {student_no} {name}: new")
IMPORT_CHANGED = Msg("第 {line} 行 {student_no} {name}：", "line {line} {student_no} {name}: ")
IMPORT_MORE_CHANGES = Plural("……另有 {n} 名学生", "… and 1 more student", "… and {n} more students")
IMPORT_RECORDS_BAD = Plural(
    "发现 {n} 个问题，未导入任何记录：",
    "1 problem; nothing was imported:",
    "{n} problems; nothing was imported:",
)
IMPORT_PHOTOS_DONE = Plural(
    "已导入照片 {stored} 张，退回 {refused} 张，完成照片勘误 {applied} 条。",
    "1 photo stored, {refused} refused, {applied} applied.",
    "{stored} photos stored, {refused} refused, {applied} applied.",
    count="stored",
)
PHOTO_CORRECTIONS_APPLIED = Plural("{n}", "1 photo correction", "{n} photo corrections")
"""The ``{applied}`` of :data:`IMPORT_PHOTOS_DONE`, a count of its own."""
PROBLEM_COLUMNS = (Msg("行", "Line"), Msg("列或文件", "Column or file"), Msg("问题", "Problem"))
PROBLEMS_SHEET = Msg("导入问题", "Import problems")
PROBLEMS_SAVED = Msg("问题清单已保存：{path}", "Problem list saved: {path}")

# --- errors the console explains itself ---------------------------------------------------

FORBIDDEN = Msg(
    "您的角色（{role}）无权进行此操作；服务器已拒绝并记入审计日志。",
    "Your role ({role}) may not do this; the server refused and logged it.",
)
# Staff-facing wording where the kiosk's (kiosk.errors) speaks to a student; other codes,
# the staff-only ones included, use kiosk.errors as they are.
STAFF_ERRORS: dict[str, Msg] = {
    "invalid_credentials": Msg("用户名或密码不正确。", "The user name or password is wrong."),
    "unauthenticated": Msg("请重新登录。", "Please log in again."),
    "not_found": Msg("找不到该记录。", "Not found."),
    "server_unreachable": Msg("无法连接服务器。", "The server cannot be reached."),
    "timeout": Msg("服务器响应超时。", "The server did not answer in time."),
    "rate_limited": Msg(
        "从这台电脑登录的尝试过于频繁，请一分钟后再试。",
        "Too many login attempts from this computer; try again in a minute.",
    ),
}
VALIDATION: dict[str, Msg] = {
    "unknown_lab": Msg("没有这个机房（该机房没有终端）。", "No such lab (it has no terminals)."),
    "unknown_class": Msg("没有这个班级。", "No such class."),
    "unknown_student": Msg(
        "名单中有不存在的学号。", "A student number on the list does not exist."
    ),
    "proof_required": DETAIL_NEEDS_PROOF,
    "end_not_later": Msg(
        "延长时新的结束时间须晚于原结束时间（且晚于现在）。",
        "An extension must end later than before (and later than now).",
    ),
    "end_before_start": PLAN_BAD_TIME,
}


def localized(template: Msg, **values: object) -> Msg:
    """``template`` filled in each language; values that are messages are taken in that one."""
    return Msg(
        *(
            template.get(lang, **{key: value.get(lang) if isinstance(value, Msg) else value
                                  for key, value in values.items()})
            for lang in ("zh", "en")
        )
    )  # fmt: skip


def _server_message(text: str) -> Msg:
    """A server's ``"中文 / English"`` message as a pair (other text: the same in both)."""
    zh, sep, en = text.partition(" / ")
    return Msg(zh, en) if sep else Msg(text, text)


def bulk_refusal(problem: ProblemDetails, ids: list[int], rows: dict[int, CorrectionRow]) -> Msg:
    """Why a bulk action did nothing, naming the first correction that stopped it."""
    if not problem.errors:
        return ERROR_MESSAGES["bulk_failed"]
    first = problem.errors[0]
    index = int(first.field.rpartition(".")[2]) if first.field.startswith("ids.") else -1
    correction_id = ids[index] if 0 <= index < len(ids) else None
    reason = known_message(first.code) or _server_message(
        first.message.partition(": ")[2] or first.message
    )
    row = rows.get(correction_id) if correction_id is not None else None
    if row is not None:
        parts = {"id": row.id, "student_no": row.student_no, "name": row.name}
        label = correction_field_label(row.field)
        where = Msg(
            BULK_ROW.zh.format(field=label.zh, **parts), BULK_ROW.en.format(field=label.en, **parts)
        )
    else:
        where = Msg(f"勘误 {correction_id}", f"correction {correction_id}")
    text = Msg(
        BULK_FAILED.zh.format(row=where.zh, reason=reason.zh),
        BULK_FAILED.en.format(row=where.en, reason=reason.en),
    )
    if len(problem.errors) > 1:
        more = BULK_MORE.fmt(n=len(problem.errors) - 1)
        text = Msg(text.zh + more.zh, text.en + more.en)
    return text


OS_REASONS: dict[int, Msg] = {
    errno.ENOENT: Msg("文件夹不存在", "the folder does not exist"),
    errno.ENOTDIR: Msg("路径中有一项不是文件夹", "a part of the path is not a folder"),
    errno.EACCES: Msg("没有写入权限", "no permission to write there"),
    errno.EPERM: Msg("没有写入权限", "no permission to write there"),
    errno.EISDIR: Msg("这是一个文件夹，请写上文件名", "that is a folder; add a file name"),
    errno.ENOSPC: Msg("磁盘已满", "the disk is full"),
    errno.EROFS: Msg("该位置只读", "that place is read-only"),
    errno.ENAMETOOLONG: Msg("文件名太长", "the file name is too long"),
}


def save_failed(error: OSError) -> Msg:
    """Why a file could not be written, in words in both languages (not the OS's English)."""
    reason = OS_REASONS.get(error.errno or 0) or Msg(
        f"系统错误（{error.errno}）", f"system error ({error.errno})"
    )
    return Msg(SAVE_FAILED.zh.format(problem=reason.zh), SAVE_FAILED.en.format(problem=reason.en))


def error_text(error: ApiError, role: StaffRole | None) -> Msg:
    """What to tell a staff member about a failed request, in both languages."""
    if error.code == "forbidden":
        name = ROLES[role] if role else Msg("未知", "unknown")
        return Msg(FORBIDDEN.zh.format(role=name.zh), FORBIDDEN.en.format(role=name.en))
    if error.code == "validation_failed" and error.problem is not None:
        for item in error.problem.errors:
            if item.code in VALIDATION:
                return VALIDATION[item.code]
    return STAFF_ERRORS.get(error.code) or error.message


# --- province batches (issue 14) ----------------------------------------------------------

KEY_BATCHES = Msg("报省批次", "Batches")
BATCHES_TITLE = Msg("报省批次：关键信息的更正须经省教育厅审核", "Province batches: key fields")
BATCH_CANDIDATES = Msg(
    "待报省（学籍科已确认）：{n} 条 · 已选 {marked} 条",
    "Waiting for a batch: {n} · marked {marked}",
)
BATCH_LIST = Msg("已报批次：{n} 个", "Batches submitted: {n}")
BATCH_REFERENCE = Msg("省厅批复文号（登记批复时填写）", "The province's reply reference")
CANDIDATE_COLUMNS = (
    Msg("选", "✓"),
    Msg("学号", "Student no."),
    Msg("姓名", "Name"),
    Msg("字段", "Field"),
    Msg("更正为", "Proposed"),
    Msg("学院", "College"),
)
BATCH_COLUMNS = (
    Msg("批次号", "Batch"),
    Msg("报送日期", "Submitted"),
    Msg("条数", "Items"),
    Msg("待批复", "Waiting"),
    Msg("报送人", "By"),
)
KEY_SUBMIT_BATCH = Msg("报省", "Submit")
KEY_APPROVE = Msg("省厅批准", "Approved")
KEY_REJECT_BATCH = Msg("省厅不批准", "Rejected")
KEY_SAVE_DBF = Msg("保存DBF", "DBF")
KEY_SAVE_XLSX = Msg("保存Excel", "Excel")
CONFIRM_SUBMIT_BATCH_TITLE = Msg("报送省教育厅", "Submit to the province")
CONFIRM_SUBMIT_BATCH = Msg(
    "将所选 {n} 条勘误作为新批次报送省教育厅？报送后生成上报文件。",
    "Submit the {n} marked corrections to the province as a new batch? The files follow.",
)
CONFIRM_ANSWER_TITLE = Msg("登记省厅批复", "Record the province's answer")
CONFIRM_ANSWER = Msg(
    "批次 {number} 中待批复的 {n} 条：{decision}（批复文号 {reference}）？",
    "Batch {number}, its {n} waiting corrections: {decision} (reply {reference})?",
)
ANSWER_WORDS = {
    "approve": Msg("批准", "approved"),
    "reject": Msg("不批准", "rejected"),
}
BATCH_MADE = Msg(
    "批次 {number} 已报送（{n} 条）。按 F11/F12 保存上报文件。",
    "Batch {number} submitted ({n}). F11/F12 save its files.",
)
BATCH_ANSWERED = Msg("批次 {number} 的批复已登记。", "The answer to batch {number} is recorded.")
NEED_REFERENCE = Msg("请先填写省厅批复文号。", "Type the province's reply reference first.")
NO_BATCH = Msg("请先在批次列表中选中一个批次。", "Highlight a batch in the list first.")
BATCH_SAVED = Msg("上报文件已保存：{path}", "Submission file saved: {path}")
NOTHING_MARKED = Msg("请先用空格键选择要报送的勘误。", "Mark corrections with Space first.")
BATCH_TITLE = Msg(
    "批次 {number}（{day}）· 待批复 {waiting} 条 · 已选 {marked} 条",
    "Batch {number} ({day}) · waiting {waiting} · marked {marked}",
)
BATCH_ITEM_COLUMNS = (
    Msg("选", "✓"),
    Msg("学号", "Student no."),
    Msg("姓名", "Name"),
    Msg("字段", "Field"),
    Msg("更正为", "Proposed"),
    Msg("状态", "State"),
    Msg("批复文号", "Reply"),
)
NOTHING_MARKED_ANSWER = Msg(
    "请先用空格键选择待批复的勘误。", "Mark corrections still waiting with Space first."
)
KEY_OPEN_BATCH = Msg("查看批次", "Open batch")
