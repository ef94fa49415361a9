"""Plain-language, bilingual messages for every error code the kiosk can meet.

The server answers errors as problem+json with a stable ``code`` (docs/contract-notes.md); the
client adds three codes of its own for answers that never arrived or made no sense. The kiosk
never shows the server's ``title`` or ``detail``: they are English only and written for
developers, so the text a student reads comes from here, keyed by code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from kiosk.catalogue import CODE_WRONG, LOGIN_EXPIRED, PHOTO_LABEL
from kiosk.fields import (
    BY_KEY,
    M_CONTROL,
    M_DATE_FORMAT,
    M_EMAIL,
    M_ID_BIRTH,
    M_ID_FORMAT,
    M_ID_FUTURE,
    M_MOBILE,
    M_NAME_CHARS,
    M_NOT_IN_LIST,
    M_PASSWORD_CLASSES,
    M_PASSWORD_ID_NUMBER,
    M_PASSWORD_LONG,
    M_PASSWORD_SHORT,
    M_PASSWORD_STUDENT_NO,
)
from kiosk.i18n import Msg, Plural
from kiosk.policy import RULES as POLICY_RULES
from kiosk.problem_codes import ProblemCode, is_problem_code
from kiosk.protocol.base import ProblemDetails

# What a student can do when the server or the network fails.
# Said at login as well as at submission, so it speaks of what was typed, not of answers.
_KEPT = Msg(
    "你填写的内容仍保留在本屏幕上，请重试；如仍不行，请联系监考老师。",
    "What you typed is kept on this screen; please try again, or ask the proctor.",
)

ERROR_MESSAGES: dict[ProblemCode, Msg] = {
    # --- the terminal itself -----------------------------------------------------------
    "terminal_key_missing": Msg(
        "本终端尚未配置终端密钥，暂时无法使用。请联系监考老师。",
        "This terminal has no terminal key configured and cannot be used yet. "
        "Please ask the proctor.",
    ),
    "terminal_key_invalid": Msg(
        "本终端未获学校服务器授权（密钥无效或终端已停用）。请联系监考老师。",
        "The university server does not accept this terminal (wrong key or terminal disabled). "
        "Please ask the proctor.",
    ),
    # --- enrolment (kiosk enrol) --------------------------------------------------------
    "enrolment_code_invalid": Msg(
        "注册码不正确，请核对后重新输入（不区分大小写，短横线可省略）。",
        "That enrolment code is not valid. Check it and type it again (case and dashes do "
        "not matter).",
    ),
    "enrolment_code_expired": Msg(
        "注册码已过期（有效期 1 小时），请让监考老师或学籍科重新生成。",
        "The enrolment code has expired (it is valid for 1 hour). Ask the proctor or the "
        "registrar for a new one.",
    ),
    "enrolment_code_used_up": Msg(
        "注册码的使用次数已用完，请让监考老师或学籍科重新生成。",
        "The enrolment code has been used as many times as allowed. Ask the proctor or the "
        "registrar for a new one.",
    ),
    "terminal_name_taken": Msg(
        "该机房已有同名的终端在用。请换一个名称，或先在控制台停用旧终端。",
        "A terminal of this name is already active in the lab. Choose another name, or retire "
        "the old terminal in the console first.",
    ),
    # --- sessions ----------------------------------------------------------------------
    "unauthenticated": Msg(
        "你尚未登录或登录已失效，请重新登录。",
        "You are not logged in, or your login is no longer valid. Please log in again.",
    ),
    "session_expired": LOGIN_EXPIRED,
    "invalid_credentials": Msg(
        "用户名或密码不正确。",
        "The user name or password is not correct.",
    ),
    "account_locked": Msg(
        "密码输错次数过多，账户已暂时锁定，请稍后再试。",
        "Too many wrong passwords: the account is locked for a while. Please try again later.",
    ),
    "window_closed": Msg(
        "你的校对时间已结束（或尚未开始），无法在终端上校对。请联系所在学院的学院教学办。",
        "Your verification window has ended (or has not started), so you cannot check your "
        "record here. Please contact your college teaching office (学院教学办).",
    ),
    "forbidden": Msg(
        "你没有权限进行此操作。",
        "You are not allowed to do this.",
    ),
    # --- the record and the submission -------------------------------------------------
    "ticket_invalid": Msg(
        "提交凭证无效或已过期，结果未被接收。请重新登录后再校对一次。",
        "The submission ticket is not valid or has expired, so the result was not accepted. "
        "Please log in and check your record again.",
    ),
    "ticket_used": Msg(
        "这张提交凭证已用于另一份校对结果，本结果未被接收。请重新登录后再校对一次。",
        "This submission ticket has already been used for another result, so this one was not "
        "accepted. Please log in and check your record again.",
    ),
    "not_found": Msg(
        "学校服务器上找不到所需的内容。请联系监考老师。",
        "The university server could not find what was asked for. Please ask the proctor.",
    ),
    "record_changed": Msg(
        "你的学籍档案在显示之后已被更新。校对将按新的档案重新开始。",
        "Your record was updated after it was shown to you. The check starts again "
        "with the new record.",
    ),
    "request_in_progress": Msg(
        "上一次提交仍在处理中，请稍候片刻。",
        "The previous submission is still being processed. Please wait a moment.",
    ),
    "result_conflict": Msg(
        "这份校对结果已经以另一次提交的形式送达，不能再次提交。请联系监考老师。",
        "This result has already arrived as a different submission and cannot be sent again. "
        "Please ask the proctor.",
    ),
    "idempotency_key_missing": Msg(
        "终端发出的提交不完整（缺少请求编号），结果未被接收。请联系监考老师。",
        "The terminal sent an incomplete submission (no request key), so it was not accepted. "
        "Please ask the proctor.",
    ),
    "idempotency_key_invalid": Msg(
        "终端发出的提交编号格式有误，结果未被接收。请联系监考老师。",
        "The terminal sent a submission with a malformed request key, so it was not accepted. "
        "Please ask the proctor.",
    ),
    "idempotency_key_reused": Msg(
        "终端重复使用了提交编号但内容不同，结果未被接收。请联系监考老师。",
        "The terminal reused a request key with different content, so the submission was "
        "not accepted. Please ask the proctor.",
    ),
    "validation_failed": Msg(
        "部分填写的内容不符合要求，请检查后再试。",
        "Some of what was entered is not valid. Please check it and try again.",
    ),
    "body_too_large": Msg(
        "提交的内容太长，学校服务器无法接收。请缩短备注后再试。",
        "What was sent is too large for the university server. Please shorten the notes "
        "and try again.",
    ),
    "rate_limited": Msg(
        "本终端的请求过于频繁，请稍等片刻再试。",
        "This terminal has sent too many requests. Please wait a moment and try again.",
    ),
    "login_slowed": Msg(
        "这个账户近一小时内密码输错过多，在此处暂时不能登录，请稍后再试；"
        "在其他终端仍可登录。如非本人所为，请告知监考老师。",
        "This account has had too many wrong passwords this hour, so it cannot log in from "
        "here for a while; other terminals still work. If this was not you, tell the proctor.",
    ),
    # --- staff ---------------------------------------------------------------------------
    "session_state": Msg(
        "该场次当前状态下不能这样操作。", "The session's state does not allow this."
    ),
    "lab_busy": Msg(
        "该机房已有进行中的场次，请先结束它。",
        "Another session is running in that lab; end it first.",
    ),
    "window_not_closed": Msg(
        "该学生的校对时间未结束（或尚未开始），无需重新开放。",
        "The student's window is not closed (or never started); nothing to reopen.",
    ),
    "invalid_transition": Msg(
        "该勘误当前状态下不能进行此操作（可能已被他人处理）。",
        "This correction cannot take that step now (someone may have handled it).",
    ),
    "four_eyes": Msg(
        "须由另一位工作人员办理：确认人不能是学院审核通过人，关键字段的写入人不能是确认人。",
        "Another person must do this: who confirms may not be who accepted for the college, "
        "and who applies a key field may not be who confirmed it.",
    ),
    "other_college": Msg(
        "这是其他学院的学生，学院教学办只能处理本学院的学生。",
        "This is another college's student; a college office acts only for its own college.",
    ),
    "bulk_failed": Msg(
        "批量操作中有条目无法处理，因此全部未执行。请查看各条的原因后重试。",
        "Some entries of the bulk action could not be processed, so none was changed. "
        "See the reason for each and try again.",
    ),
    # --- proof documents (the receipt's link and the phone's upload page) -------------
    "no_proof_needed": Msg(
        "目前没有需要上传证明材料的更正。",
        "No correction needs proof documents now.",
    ),
    "proof_too_large": Msg(
        "文件太大，未保存。请降低相机分辨率后重拍。",
        "The file is too large and was not stored. Take it again at a lower resolution.",
    ),
    "proof_not_image": Msg(
        "只能上传 JPEG 或 PNG 照片，未保存。",
        "Only JPEG or PNG photographs can be uploaded; nothing was stored.",
    ),
    "proof_damaged": Msg(
        "图片已损坏或不完整，未保存。请重新拍摄。",
        "The image is damaged or incomplete and was not stored. Please take it again.",
    ),
    "proof_too_many_pixels": Msg(
        "图片像素过多，未保存。请降低相机分辨率后重拍。",
        "The image has too many pixels and was not stored. Take it again at a lower resolution.",
    ),
    "proof_kind": Msg(
        "请选择材料类型并选择一张照片。", "Choose what the document is and pick one photograph."
    ),
    "proof_link_closed": Msg(
        "学院已开始审核，不能再上传证明材料。如需补充，请到学院教学办。",
        "The college has started its review; no more proof can be uploaded. To add a document, "
        "go to your college office.",
    ),
    "proof_slots_full": Msg(
        "已收到全部可上传的文件，这个链接已关闭。",
        "All the files this link takes were received; it is now closed.",
    ),
    "reminder_conflict": Msg(
        "刚才有人也给这些学生发送了提醒，请重新预览后再发送。",
        "Someone reminded these students just now; preview again, then send.",
    ),
    # --- policy rules (kiosk.policy: one message for the kiosk and the server) ----------
    **{rule.code: rule.message for rule in POLICY_RULES},
    # --- province batches ----------------------------------------------------------------
    "platform_file_problems": Msg(
        "有数据放不进省平台的上报文件（如字段过长），批次未提交。请查看各条原因。",
        "Some values do not fit the platform's submission file (e.g. too long), so the batch "
        "was not submitted. See the reason for each.",
    ),
    # --- registration ------------------------------------------------------------------
    "record_not_found": Msg(
        "没有与该姓名和身份证号相符的学籍记录。请逐字核对姓名和身份证号；"
        "如确认无误，请联系学院教学办。",
        "No student record matches this name and ID number. Check both character by "
        "character; if they are right, contact your college teaching office (学院教学办).",
    ),
    "identity_mismatch": Msg(
        "所填性别或出生日期与学籍记录不一致。请联系学院教学办核实学籍记录。",
        "The gender or birth date does not agree with the student record. Please ask your "
        "college teaching office (学院教学办) to check the record.",
    ),
    "already_registered": Msg(
        "该学生已经注册过账号，请直接登录。忘记密码请联系监考老师。",
        "This student already has an account; please log in. If you forgot the password, "
        "ask the proctor.",
    ),
    "email_taken": Msg(
        "该邮箱已被其他账号使用，请换一个邮箱。",
        "This e-mail address is used by another account; please use another one.",
    ),
    "resend_too_soon": Msg(
        "刚刚发送过验证码，请稍候再试。",
        "A code was sent a moment ago; please wait a little before asking again.",
    ),
    "send_limit_reached": Msg(
        "今天发送到该邮箱或手机号的验证码已达上限，请稍后再试。",
        "Too many codes went to this e-mail address or number today; please try again later.",
    ),
    "registration_closed": Msg(
        "注册已经完成，请用邮箱和密码登录。",
        "The registration is complete; please log in with your e-mail address and password.",
    ),
    "registration_expired": Msg(
        "注册已过期（没有及时完成验证），请重新提交注册。",
        "The registration has lapsed (the codes were not confirmed in time); please "
        "register again.",
    ),
    "code_invalid": Msg(
        "验证码有误、已过期或已失效，请检查。",
        "A code is wrong, has expired or no longer works; please check it.",
    ),
    "code_already_confirmed": Msg(
        "这个验证码已经确认过，无需重新发送。",
        "This code is confirmed already; there is no need to send it again.",
    ),
    # --- the photo link ----------------------------------------------------------------
    "link_expired": Msg(
        "照片预览链接已过期，请获取新的链接。",
        "The photo preview link has expired. Please get a new link.",
    ),
    "link_invalid": Msg(
        "照片预览链接无效，请获取新的链接。",
        "The photo preview link is not valid. Please get a new link.",
    ),
    # --- the server or the network -----------------------------------------------------
    "bad_request": Msg(
        "学校服务器无法处理终端发出的请求。请联系监考老师。",
        "The university server cannot handle what the terminal sent. Please ask the proctor.",
    ),
    "method_not_allowed": Msg(
        "学校服务器不接受终端的这种请求。请联系监考老师。",
        "The university server does not accept this kind of request from the terminal. "
        "Please ask the proctor.",
    ),
    "http_error": Msg(
        "学校服务器拒绝了终端的请求。请联系监考老师。",
        "The university server refused the terminal's request. Please ask the proctor.",
    ),
    "internal_error": Msg(
        "学校服务器出现内部错误。" + _KEPT.zh,
        "The university server had an internal error. " + _KEPT.en,
    ),
    "server_unreachable": Msg(
        "无法连接学校服务器。" + _KEPT.zh,
        "Cannot reach the university server. " + _KEPT.en,
    ),
    "timeout": Msg(
        "学校服务器长时间没有应答。" + _KEPT.zh,
        "The university server did not answer in time. " + _KEPT.en,
    ),
    "bad_response": Msg(
        "学校服务器的应答无法识别。" + _KEPT.zh,
        "The university server sent an answer the terminal does not understand. " + _KEPT.en,
    ),
}

GENERIC_MESSAGE = Msg(
    "出现错误（代码：{code}）。请重试；如仍不行，请联系监考老师。",
    "Something went wrong (code: {code}). Please try again, or ask the proctor.",
)

_ATTEMPTS_LEFT = Plural("还可以再试 {n} 次。", "1 attempt left.", "{n} attempts left.")
_NO_ATTEMPTS_LEFT = Msg("再输错一次账户将被锁定。", "One more wrong password locks the account.")
_LOCKED_UNTIL = Msg(
    "密码输错次数过多，账户已暂时锁定，请于 {time} 之后再试。",
    "Too many wrong passwords: the account is locked. Please try again after {time}.",
)
_CLOSED_AT = Msg("（校对截止时间：{time}）", "(The window closed at {time}.)")
_FIELDS_TO_CHECK = Msg("请检查：{zh}", "Please check: {en}")


_RETRY_SECONDS = Msg("请 {n} 秒后再试。", "Try again in {n} s.")
_RETRY_MINUTES = Msg("请约 {n} 分钟后再试。", "Try again in about {n} min.")


def _join(first: Msg, second: Msg) -> Msg:
    return Msg(first.zh + second.zh, f"{first.en} {second.en}")


def _extensions(problem: ProblemDetails | None) -> Mapping[str, object]:
    return (problem.model_extra or {}) if problem is not None else {}


def _local_time(value: object) -> dt.datetime | None:
    """An ISO timestamp from the server in this terminal's time zone; None if unusable."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        # The server stores and sends UTC; a missing offset must not shift the time by
        # the terminal's own offset.
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone()


def _attempts_left(base: Msg, extensions: Mapping[str, object]) -> Msg:
    left = extensions.get("attempts_left")
    # bool is an int subclass; a stray true/false is not a count.
    if not isinstance(left, int) or isinstance(left, bool) or left < 0:
        return base
    if left == 0:
        return _join(base, _NO_ATTEMPTS_LEFT)
    return _join(base, _ATTEMPTS_LEFT.n(left))


def _locked_until(base: Msg, extensions: Mapping[str, object]) -> Msg:
    until = _local_time(extensions.get("locked_until"))
    if until is None:
        return base
    return _LOCKED_UNTIL.fmt(time=until.strftime("%H:%M"))


def _closed_at(base: Msg, extensions: Mapping[str, object]) -> Msg:
    closed = _local_time(extensions.get("closes_at"))
    if closed is None:
        return base
    return _join(base, _CLOSED_AT.fmt(time=closed.strftime("%Y-%m-%d %H:%M")))


def retry_after_s(problem: ProblemDetails | None) -> int | None:
    """The seconds a 429 answer asks to wait (its ``retry_after_s``), if it gives them."""
    wait = _extensions(problem).get("retry_after_s")
    if not isinstance(wait, int) or isinstance(wait, bool) or wait < 0:
        return None
    return wait


def _retry_after(base: Msg, problem: ProblemDetails | None) -> Msg:
    wait = retry_after_s(problem)
    if wait is None:
        return base
    if wait <= 120:
        return _join(base, _RETRY_SECONDS.fmt(n=wait))
    return _join(base, _RETRY_MINUTES.fmt(n=-(-wait // 60)))


def _label(path: str) -> Msg:
    """A student-readable name for a field path such as ``fields.id_number.proposed``."""
    parts = path.split(".")
    for part in parts:
        if part in BY_KEY:
            return BY_KEY[part].label
    if "photo" in parts:
        return PHOTO_LABEL
    return Msg(path, path)


def _invalid_fields(base: Msg, problem: ProblemDetails | None) -> Msg:
    # Only the field names are shown: the server's own messages are not promised in both
    # languages, and the kiosk validated the values with the same rules before sending.
    if problem is None:
        return base
    labels = list(
        dict.fromkeys(_label(error.field) for error in problem.errors if error.field.strip())
    )
    if not labels:
        return base
    where = _FIELDS_TO_CHECK.fmt(
        zh="、".join(label.zh for label in labels), en=", ".join(label.en for label in labels)
    )
    return _join(base, where)


def known_message(code: str) -> Msg | None:
    """The plain message for a code an answer carried; None for a code this kiosk does not know."""
    return ERROR_MESSAGES[code] if is_problem_code(code) else None


def message_for(code: str, problem: ProblemDetails | None = None) -> Msg:
    """The message to show for ``code``, using what the server's ``problem`` adds.

    Unknown codes get a generic message that still shows the code, so a proctor can report
    it. Nothing here says whether an account exists.
    """
    base = known_message(code)
    if base is None:
        return GENERIC_MESSAGE.fmt(code=code)
    extensions = _extensions(problem)
    if code == "invalid_credentials":
        return _attempts_left(base, extensions)
    if code == "account_locked":
        return _locked_until(base, extensions)
    if code == "window_closed":
        return _closed_at(base, extensions)
    if code == "validation_failed":
        return _invalid_fields(base, problem)
    if code in ("resend_too_soon", "send_limit_reached"):
        return _retry_after(base, problem)
    return base


# --- one entry of a form: the per-field codes of validation_failed and code_invalid ---------

FIELD_MESSAGES: dict[str, Msg] = {
    "required": Msg("请填写这一项。", "Please fill this in."),
    "control_characters": M_CONTROL,
    "name_characters": M_NAME_CHARS,
    "not_in_list": M_NOT_IN_LIST,
    "email_format": M_EMAIL,
    "password_too_short": M_PASSWORD_SHORT,
    "password_too_long": M_PASSWORD_LONG,
    "password_letters_digits": M_PASSWORD_CLASSES,
    "password_contains_id_number": M_PASSWORD_ID_NUMBER,
    "password_contains_student_no": M_PASSWORD_STUDENT_NO,
    "id_format": M_ID_FORMAT,
    "id_birth_date": M_ID_BIRTH,
    "id_birth_future": M_ID_FUTURE,
    "date_format": M_DATE_FORMAT,
    "mobile_format": M_MOBILE,
    "code_missing": Msg("请填写验证码。", "Please enter the code."),
    "code_expired": Msg(
        "验证码已过期，请按“重新发送”获取新的验证码。",
        "The code has expired; press “Send again” for a new one.",
    ),
    "code_exhausted": Msg(
        "错误次数太多，这个验证码已失效，请按“重新发送”获取新的验证码。",
        "Too many wrong tries: this code no longer works. Press “Send again” for a new one.",
    ),
}
"""Per-field codes whose message needs no value from the request (docs/contract-notes.md).

Codes whose message names a value (``too_long``, ``id_checksum``, ``gender_id_mismatch`` …)
are explained by running the same check on the kiosk, which fills the value in.
"""

FIELD_UNKNOWN = Msg("请检查这一项。", "Please check this entry.")
_CODE_WRONG_PLAIN = Msg("验证码不对，请检查。", "The code is wrong; please check it.")
_CODE_WRONG_LAST = Msg(
    "验证码不对，这个验证码已不能再试，请按“重新发送”获取新的验证码。",
    "The code is wrong and cannot be tried again; press “Send again” for a new one.",
)


def field_message(code: str, attempts_left: int | None = None) -> Msg:
    """What to say under an input for one per-field ``code`` the server answered.

    ``attempts_left`` is the count ``code_invalid`` gives for a wrong code's channel.
    """
    if code == "code_wrong":
        if attempts_left is None:
            return _CODE_WRONG_PLAIN
        return CODE_WRONG.n(attempts_left) if attempts_left > 0 else _CODE_WRONG_LAST
    return FIELD_MESSAGES.get(code, FIELD_UNKNOWN)
