"""Every text the student kiosk shows, in Chinese and English.

Screens take their words from here (or from :mod:`kiosk.fields` and the client's error
messages), never from string literals, so that F2 can re-render any screen in the other
language and a test can check that nothing is missing in either.
"""

from __future__ import annotations

from kiosk.catalogue import CANCEL, CONFIRM, LOGIN_EXPIRED, PHOTO_REASON_LABELS
from kiosk.i18n import Msg, Plural


def fill(template: Msg, **parts: Msg) -> Msg:
    """``template`` with other messages filled in, each in the template's own language."""
    return Msg(
        template.zh.format(**{name: part.zh for name, part in parts.items()}),
        template.en.format(**{name: part.en for name, part in parts.items()}),
    )


# --- everywhere ---------------------------------------------------------------------------

APP_TITLE = Msg("学籍校对终端", "Record Verification Kiosk")
STUDENT = Msg("学生：{name}", "Student: {name}")
KEY_BACK = Msg("返回", "Back")
KEY_LOGOUT = Msg("退出登录", "Log out")
KEY_RETRY = Msg("重试", "Retry")
KEY_CONFIRM = CONFIRM
KEY_CANCEL = CANCEL
LOADING = Msg("正在加载……", "Loading…")

# --- welcome ------------------------------------------------------------------------------

STEP_WELCOME = Msg("欢迎", "Welcome")
WELCOME_HEADLINE = Msg("毕业生学籍与照片校对", "Graduate record and photo check")
STEPS = Msg(
    "1 登录  ·  2 逐项核对  ·  3 照片确认  ·  4 提交",
    "1 Log in · 2 Check fields · 3 Photo · 4 Submit",
)
PRESS_ENTER_TO_START = Msg("按 Enter 开始", "Press Enter to start")
TERMINAL = Msg("终端：{name}", "Terminal: {name}")
TERMINAL_UNNAMED = Msg("终端：未命名", "Terminal: unnamed")
SERVER_ONLINE = Msg("服务器：在线", "Server: online")
SERVER_OFFLINE = Msg(
    "服务器：离线（暂时无法登录，请稍候或联系监考老师）",
    "Server: offline (logging in is not possible now; wait or ask the proctor)",
)
SERVER_CHECKING = Msg("服务器：检查中……", "Server: checking…")
SUPERVISED_SESSION = Msg(
    "本机房正在进行：{title}（{until} 结束）", "In this lab now: {title} (until {until})"
)
RESULTS_WAITING = Msg("待发送结果：{n}", "Results waiting to send: {n}")
DEMO_TITLE = Msg("演示账号", "Demo accounts")
DEMO_USER = Msg("用户名", "User name")
DEMO_PASSWORD = Msg("密码", "Password")
DEMO_NOTE = Msg("说明", "Note")
KEY_START = Msg("开始", "Start")

# --- login --------------------------------------------------------------------------------

STEP_LOGIN = Msg("登录", "Log in")
LOGIN_TITLE = Msg("登录学信档案", "Log in to your record")
USERNAME = Msg("用户名（邮箱或学号）", "User name (e-mail or student number)")
PASSWORD = Msg("密码", "Password")
LOGIN_BUTTON = Msg("登录", "Log in")
REGISTER_BUTTON = Msg("首次使用？注册", "First time? Register")
LOGGING_IN = Msg("正在登录……", "Logging in…")
FILL_BOTH = Msg("请填写用户名和密码。", "Please enter your user name and password.")
RETRY_HINT = Msg("按 Enter 再试一次。", "Press Enter to try again.")
RELOAD_HINT = Msg("按 R 再试一次。", "Press R to try again.")
SESSION_EXPIRED = LOGIN_EXPIRED
LOGGED_OUT_IDLE = Msg(
    "因长时间无操作，已自动退出登录。", "You were logged out after a period of inactivity."
)

# --- registration (the wizard's own texts are in screens/register/text.py) ----------------

STEP_REGISTER = Msg("注册", "Registration")
REGISTER_TITLE = Msg("首次使用：注册账号", "First time: register an account")

# --- record overview ----------------------------------------------------------------------

STEP_RECORD = Msg("学籍档案", "Your record")
COLUMN_FIELD = Msg("项目", "Field")
COLUMN_VALUE = Msg("当前内容", "Current value")
DEADLINE = Msg("截止时间：{when}", "Deadline: {when}")
DEADLINE_LEFT = Msg("剩余 {left}", "{left} left")
DEADLINE_NONE = Msg("校对时间窗尚未开始。", "The verification window has not started.")
WINDOW_IS_CLOSED = Msg(
    "校对时间已结束，不能再提交。", "The verification window has closed; nothing can be submitted."
)
STATE_NOT_CHECKED = Msg("状态：尚未校对", "State: not yet checked")
STATE_SUBMITTED = Msg("状态：已提交（回执号 {receipt}）", "State: submitted (receipt {receipt})")
STATE_PENDING = Msg("状态：更正审核中（{n} 项）", "State: corrections under review ({n})")
STATE_CHECK_AGAIN = Msg(
    "状态：档案已更新，请重新校对", "State: the record changed; please check it again"
)
YOUR_CORRECTIONS = Msg("你报告的更正：", "Corrections you reported:")
YOUR_NOTICES = Msg("审核结果通知：", "Messages about your corrections:")
CORRECTION_ITEM = Msg("{field}：{proposed}（{state}）", "{field}: {proposed} ({state})")
CORRECTION_COMMENT = Msg("　审核意见：{comment}", "  Reviewer: {comment}")
CORRECTION_STATES: dict[str, Msg] = {
    "reported": Msg("等待学院审核", "waiting for the college"),
    "college_accepted": Msg("学院已通过，等待学籍科", "accepted by the college"),
    "college_rejected": Msg("学院未通过", "rejected by the college"),
    "registrar_confirmed": Msg("学籍科已确认", "confirmed by the registrar"),
    "registrar_rejected": Msg("学籍科未通过", "rejected by the registrar"),
    "sent_to_vendor": Msg("已送照相公司", "sent to the photo studio"),
    "submitted_to_province": Msg("已报省教育厅，等待审核", "sent to the province for approval"),
    "province_approved": Msg("省教育厅已批准，等待更正", "approved by the province"),
    "province_rejected": Msg("省教育厅未批准", "rejected by the province"),
    "applied": Msg("已更正", "corrected"),
}
"""A correction's state as the student reads it on the record overview."""
START_CHECK = Msg("开始校对", "Start the check")
ALREADY_DONE = Msg(
    "已经提交过，无需再次校对。", "Already submitted; there is nothing more to check."
)

# --- field by field -----------------------------------------------------------------------

STEP_FIELDS = Msg("逐项核对", "Check the fields")
FIELD_POSITION = Msg("第 {n} 项，共 {total} 项", "Field {n} of {total}")
IS_IT_CORRECT = Msg("这一项正确吗？", "Is this correct?")
MARKED_CORRECT = Msg("已标记：正确", "Marked: correct")
MARKED_WRONG = Msg("已标记：有误，应为 {value}", "Marked: wrong, should be {value}")
PROPOSED_PROMPT = Msg("正确的内容应为：", "The correct value is:")
DATE_PLACEHOLDER = Msg("YYYY-MM-DD，例如 2004-09-01", "YYYY-MM-DD, e.g. 2004-09-01")
TEXT_PLACEHOLDER = Msg("输入正确的内容", "Type the correct value")
CHOICE_PROMPT = Msg("请选择", "Choose")
NOTE_LABEL = Msg("备注（可选）：", "Note (optional):")
NOTE_PLACEHOLDER = Msg("补充说明，例如证明材料", "Anything to add, e.g. proof you can bring")
SAME_AS_CURRENT = Msg(
    "与当前内容相同；如果正确请按 Esc 后按 Y。",
    "Same as the current value; if it is right press Esc, then Y.",
)
KEY_CORRECT = Msg("正确", "Correct")
KEY_WRONG = Msg("有误", "Wrong")
KEY_PREV_NEXT = Msg("上一项/下一项", "Previous/next")
KEY_SAVE = Msg("保存", "Save")
KEY_NEXT_BOX = Msg("下一栏", "Next box")
KEY_CHOOSE = Msg("选择", "Choose")
ALL_FIELDS_FIRST = Msg("还有未核对的项目。", "Some fields are not checked yet.")

# --- photo --------------------------------------------------------------------------------

STEP_PHOTO = Msg("照片确认", "Photo")
PHOTO_SCAN = Msg(
    "用手机扫描二维码查看学历证书照片（原尺寸）：",
    "Scan the QR code with a phone to see your certificate photo at full size:",
)
PHOTO_EXPIRES = Msg("链接 {left} 后失效", "The link expires in {left}")
PHOTO_EXPIRED = Msg(
    "链接已失效，请按 R 获取新链接。", "The link has expired; press R for a new one."
)
PHOTO_NO_PHOTO = Msg(
    "档案中还没有照片，请联系学院。", "There is no photo in the record yet; contact your college."
)
PHOTO_QUESTION = Msg(
    "照片是你本人、清晰、背景合格吗？", "Is the photo you, sharp, with a proper background?"
)
PHOTO_REASON = Msg("问题是：", "What is wrong:")
REASON_NOT_ME = PHOTO_REASON_LABELS["not_me"]
REASON_BLURRED = PHOTO_REASON_LABELS["blurred"]
REASON_BACKGROUND = PHOTO_REASON_LABELS["background"]
REASON_OTHER = Msg("其他（请写备注）", "Other (add a note)")
CHOOSE_REASON = Msg("请选择一个原因。", "Please choose a reason.")
NOTE_NEEDED = Msg("选择“其他”时请写明原因。", "With 'Other', please say what is wrong.")
KEY_NEW_LINK = Msg("新链接", "New link")
PHOTO_MARKED_CORRECT = Msg("已标记：照片正确", "Marked: the photo is correct")
PHOTO_MARKED_WRONG = Msg("已标记：照片有误（{reason}）", "Marked: the photo is wrong ({reason})")

# --- review -------------------------------------------------------------------------------

STEP_REVIEW = Msg("确认提交", "Review and submit")
REVIEW_HINT = Msg(
    "请检查每一项；选中一行按 Enter 可以修改。",
    "Check every answer; select a row and press Enter to change it.",
)
VERDICT_CORRECT = Msg("正确", "correct")
VERDICT_WRONG_TO = Msg("有误 → {value}", "wrong → {value}")
VERDICT_PHOTO_WRONG = Msg("有误：{reason}", "wrong: {reason}")
VERDICT_MISSING = Msg("未核对", "not checked")
DECLARATION = Msg(
    "我已逐项核对，以上结果真实、由本人确认。",
    "I checked every item myself and my answers are true.",
)
KEY_CHANGE = Msg("修改", "Change")
KEY_DECLARE = Msg("勾选声明", "Declaration")
DECLARE_FIRST = Msg("请先勾选声明（空格键）。", "Please tick the declaration first (space).")
SUBMIT = Msg("提交", "Submit")
CONFIRM_SUBMIT_TITLE = Msg("确认提交？", "Submit now?")
CONFIRM_SUBMIT_BODY = Plural(
    "提交后本次结果不能再修改。报告有误的{n}项将交学院教学办审核。",
    "After submitting, this result cannot be changed. The 1 reported error goes to your "
    "college teaching office for review.",
    "After submitting, this result cannot be changed. The {n} reported errors go to your "
    "college teaching office for review.",
)
CONFIRM_SUBMIT_ALL_CORRECT = Msg(
    "提交后本次结果不能再修改。你确认全部内容正确。",
    "After submitting, this result cannot be changed. You confirm that everything is correct.",
)
SUBMITTING = Msg("正在提交……", "Submitting…")
NOT_SAVED = Msg(
    "结果未能保存在本终端（存储故障）。请按 R 重试；仍不行请联系监考老师。",
    "The result could not be saved on this terminal (storage fault). Press R to try again; "
    "if it still fails, ask the proctor.",
)
FIX_BEFORE_SUBMIT = Msg(
    "请按 Esc 返回修改相应字段后再提交。",
    "Press Esc to go back and change those fields, then submit.",
)
SUBMIT_REFUSED = Msg(
    "服务器拒收了这份结果，已留存在本终端供工作人员处理。请联系监考老师。",
    "The server refused this result; it is kept on this terminal for staff. Please ask the "
    "proctor.",
)
RELOADING = Msg("正在重新加载档案……", "Reloading the record…")
RELOAD_FAILED = Msg(
    "档案未能重新加载。请按 Esc 回到档案页，再按 R 重新加载。",
    "The record could not be reloaded. Press Esc to go back to the record, then R to reload.",
)
CHECK_AGAIN = Msg(
    "档案已更新，之前的答案已作废。请按 Enter 按最新内容重新校对。",
    "The record was updated, so your earlier answers no longer apply. Press Enter to check "
    "the new record.",
)

# --- receipt ------------------------------------------------------------------------------

STEP_RECEIPT = Msg("回执", "Receipt")
RECEIPT_TITLE = Msg("已提交，谢谢！", "Submitted, thank you!")
RECEIPT_NO = Msg("回执号：{no}", "Receipt number: {no}")
RECEIPT_TIME = Msg("提交时间：{when}", "Submitted at: {when}")
NEXT_ALL_CORRECT = Msg("全部正确，无需其他操作。", "Everything is correct; nothing more to do.")
NEXT_FIELDS = Plural(
    "报告有误的{n}项已交{office}，审核后由教务处学籍管理科确认，结果会通知你。",
    "Your 1 reported error goes to the {office}, then to the registrar for "
    "confirmation; you will be told the outcome.",
    "Your {n} reported errors go to the {office}, then to the registrar for "
    "confirmation; you will be told the outcome.",
)
OFFICE = Msg("{college}教学办", "{college} teaching office")
OFFICE_AT = Msg("{college}教学办（{place}）", "{college} teaching office ({place})")
OFFICE_UNKNOWN = Msg("学院教学办", "college teaching office")
NEXT_KEY = Msg(
    "{fields}是关键信息：须报省教育厅审核，需数周。",
    "{fields}: key fields; the province approves the change, which takes weeks.",
)
NEXT_SCHOOL = Msg(
    "{fields}是学校信息：学籍科核实后直接更正。",
    "{fields}: school fields; the registrar corrects them after checking.",
)
NEXT_PROOF = Msg("{field}：请带{proof}到{office}。", "{field}: bring {proof} to the {office}.")
NEXT_PHOTO = Msg(
    "照片有误：学院会安排重新拍摄，请留意通知。",
    "Photo reported wrong: the college will arrange a new photo; watch for the notice.",
)
SAVED_TITLE = Msg("已保存，谢谢！", "Saved, thank you!")
SAVED_DELIVERED = Msg(
    "已送达学校服务器，回执号：{no}（以后登录也能在学籍档案中看到）",
    "Delivered to the university server, receipt number {no} (shown on your record next time)",
)
SAVED_BODY = Msg(
    "暂时连不上学校服务器。你的结果已安全保存在本终端，联网后会自动发送，无需重新校对。",
    "The university server cannot be reached right now. Your result is saved safely on this "
    "terminal and will be sent automatically; you do not need to check again.",
)
SAVED_REFERENCE = Msg("登记号：{ref}", "Reference: {ref}")
RECEIPT_COUNTDOWN = Msg(
    "{n} 秒后自动退出（按 Enter 立即退出）", "Logging out in {n} s (Enter logs out now)"
)
KEY_FINISH = Msg("完成并退出", "Finish and log out")
PROOF_CODE = Msg(
    "手机扫码，拍摄证明材料上传（{until}前有效）：",
    "Scan with your phone to photograph your proof (until {until}):",
)
PROOF_NEXT = Plural(
    "也可以用手机扫左侧二维码，拍照上传户口簿、身份证等证明材料（最多 {n} 张）。",
    "You can also scan the code on the left to photograph your household register, ID card "
    "or other proof (at most {n} photo).",
    "You can also scan the code on the left to photograph your household register, ID card "
    "or other proof (at most {n} photos).",
)
RECEIPT_CODE = Msg("回执号二维码：", "Receipt number code:")
KEY_SWITCH_CODE = Msg("切换二维码", "Other QR code")

# --- modals -------------------------------------------------------------------------------

STAFF_TITLE = Msg("工作人员退出", "Staff exit")
STAFF_PROMPT = Msg("请输入工作人员 PIN：", "Enter the staff PIN:")
STAFF_WRONG = Msg("PIN 不正确。", "Wrong PIN.")
STAFF_WAIT = Msg("PIN 错误次数过多，请 {n} 秒后再试。", "Too many wrong PINs: try again in {n} s.")
STAFF_LOCKED = Msg(
    "PIN 错误次数过多，已锁定，请 {n} 秒后再试。",
    "Too many wrong PINs: locked, try again in {n} s.",
)
STAFF_CHECKING = Msg("正在验证……", "Checking…")
STAFF_DISABLED = Msg(
    "本终端未设置工作人员 PIN，不能从键盘退出。",
    "No staff PIN is set on this terminal, so it cannot be left from the keyboard.",
)
IDLE_TITLE = Msg("还在吗？", "Are you still there?")
IDLE_BODY = Msg(
    "{n} 秒后将自动退出登录，已填写的内容会被清除。按任意键继续。",
    "You will be logged out in {n} s and your answers cleared. Press any key to continue.",
)

PHOTO_REASONS: dict[str, Msg] = {
    "not_me": REASON_NOT_ME,
    "blurred": REASON_BLURRED,
    "background": REASON_BACKGROUND,
    "other": REASON_OTHER,
}
"""The reasons a photo can be wrong, keyed as the contract's ``PhotoReason``."""

# --- remote control from the live board -------------------------------------------------

LOCKED_TITLE = Msg("请联系监考老师", "Please contact the proctor")
LOCKED_BODY = Msg(
    "监考老师暂停了本终端的使用。", "The proctor has paused this terminal for the moment."
)
ENDED_BY_PROCTOR = Msg(
    "监考老师结束了上一位同学的登录，其信息已清除。",
    "The proctor ended the last student's session; nothing of it is left on this terminal.",
)

# --- the photo on the terminal's own screen --------------------------------------------

KEY_SHOW_PHOTO = Msg("看照片", "Photo")
KEY_SHOW_CODE = Msg("二维码", "QR code")
