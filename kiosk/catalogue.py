"""The words for the domain's codes, shared by the server, the kiosk, the console and exports.

A label that more than one part of the product shows lives here once, so that the kiosk, the
console and a spreadsheet never call the same thing by two names. Texts that belong to one
screen stay with that screen (``screens/text.py``, ``screens/staff/text.py``).
"""

from __future__ import annotations

import re

from kiosk.fields import BY_KEY
from kiosk.i18n import Lang, Msg, Plural
from kiosk.protocol.base import StaffRole
from kiosk.protocol.student import CorrectionNotice

PHOTO_LABEL = Msg("照片", "Photo")
"""The photo as one of the things a record holds (next to the 17 fields' labels)."""

LOGIN_EXPIRED = Msg("登录已过期，请重新登录。", "Your login has expired. Please log in again.")
"""A student's or a staff member's login ended (problem code ``session_expired``)."""

CODE_WRONG = Plural(
    "验证码不对，还可以再试 {n} 次。",
    "The code is wrong; 1 try left.",
    "The code is wrong; {n} tries left.",
)
"""A registration code was wrong; ``n`` tries remain (problem code ``code_invalid``)."""

KEY_LANGUAGE = Msg("English", "中文")
"""The language key's hint: the language F2 switches to, named in that language."""

CONFIRM = Msg("确定", "Confirm")
"""A dialog's yes: the key and the button (both apps)."""
CANCEL = Msg("取消", "Cancel")
"""A dialog's no, and Esc out of a step (both apps)."""

YES = Msg("是", "yes")
NO = Msg("否", "no")

ROLE_LABELS: dict[StaffRole, Msg] = {
    "proctor": Msg("监考", "proctor"),
    "college_office": Msg("学院教学办", "college office"),
    "registrar": Msg("教务处学籍管理科", "registrar"),
}
"""A staff account's role in words."""


def correction_field_label(field: str) -> Msg:
    """The name of what a correction is about: one of the 17 fields, or the photo."""
    spec = BY_KEY.get(field)
    return spec.label if spec else PHOTO_LABEL


CORRECTION_STATE_LABELS: dict[str, Msg] = {
    "reported": Msg("已报告", "reported"),
    "college_accepted": Msg("学院已通过", "college accepted"),
    "college_rejected": Msg("学院未通过", "college rejected"),
    "registrar_confirmed": Msg("学籍科已确认", "registrar confirmed"),
    "registrar_rejected": Msg("学籍科未通过", "registrar rejected"),
    "sent_to_vendor": Msg("已送照相公司", "sent to vendor"),
    "submitted_to_province": Msg("已报省教育厅", "submitted to province"),
    "province_approved": Msg("省教育厅已批准", "province approved"),
    "province_rejected": Msg("省教育厅未批准", "province rejected"),
    "applied": Msg("已更正", "applied"),
}
"""A correction's state in words."""
PHOTO_REASON_LABELS: dict[str, Msg] = {
    "not_me": Msg("不是我本人", "Not me"),
    "blurred": Msg("模糊不清", "Blurred"),
    "background": Msg("背景不合格", "Wrong background"),
    "other": Msg("其他", "Other"),
}
"""Why a student says the photo is wrong, in words."""
_PHOTO_VERSION = re.compile(r"^v([0-9]+)$")
_PHOTO_OF_VERSION = Msg("照片（第 {n} 版）", "photo (version {n})")


def correction_value_text(field: str, value: str | None, lang: Lang = "zh") -> str:
    """A correction's current or proposed value as people read it, in ``lang``.

    A field's value is itself; a photo correction stores the photo's version (``v1``) as the
    current value and the student's reason (``blurred``) as the proposed one.
    """
    text = value or ""
    if field != "photo":
        return text
    version = _PHOTO_VERSION.match(text)
    if version:
        return _PHOTO_OF_VERSION.get(lang, n=version[1])
    reason = PHOTO_REASON_LABELS.get(text)
    return reason.get(lang) if reason is not None else text


PROGRESS_LABELS: dict[str, Msg] = {
    "graduates": Msg("毕业生", "graduates"),
    "registered": Msg("已注册", "registered"),
    "checked": Msg("已核对", "checked"),
    "all_correct": Msg("全部正确", "all correct"),
    "reported": Msg("报告有误", "reported errors"),
    "not_checked": Msg("未核对", "not checked"),
    "not_registered": Msg("未注册", "not registered"),
    "registered_not_checked": Msg("已注册未核对", "registered, not checked"),
    "window_closed": Msg("期限已过未核对", "window closed unchecked"),
    "corrections_open": Msg("待处理勘误", "open corrections"),
    "reminded_today": Msg("今日已提醒", "reminded today"),
    "no_contact": Msg("无联系方式", "no contact"),
}
"""What the console and the 核对统计表 call each number and each student state."""

NOTICE_TEXTS: dict[str, Msg] = {
    "college_rejected": Msg(
        "你报告的“{field}”更正未获学院审核通过。学院意见：{comment}",
        "Your college did not accept your correction of “{field}”. Its comment: {comment}",
    ),
    "registrar_rejected": Msg(
        "你报告的“{field}”更正未获学籍管理科通过。",
        "The registrar did not accept your correction of “{field}”.",
    ),
    "province_approved": Msg(
        "你报告的“{field}”更正已获省教育厅批准，学籍管理科将在学籍档案中更正。",
        "The provincial education department approved your correction of “{field}”; the "
        "registrar will now change your record.",
    ),
    "province_rejected": Msg(
        "你报告的“{field}”更正未获省教育厅批准。省厅意见：{comment}",
        "The provincial education department did not approve your correction of “{field}”. "
        "Its comment: {comment}",
    ),
    "applied": Msg(
        "你报告的“{field}”已在学籍档案中更正。请到学籍校对终端登录，再次核对。",
        "Your correction of “{field}” is now in your record. Please log in at a kiosk and "
        "check it again.",
    ),
}
"""The decisions a student hears about, by the correction's new state. Only the field's
name and the reviewer's comment: never a value from the record."""
NOTICE_SUBJECT = Msg("学籍核对：勘误处理结果", "A decision on your correction").both()


def notice_text(notice: CorrectionNotice) -> Msg:
    """The message about ``notice`` in both languages."""
    template = NOTICE_TEXTS.get(notice.state, Msg("{field}：{state}", "{field}: {state}"))
    field = correction_field_label(notice.field)
    comment = notice.comment or "-"
    return Msg(
        template.zh.format(field=field.zh, comment=comment, state=notice.state),
        template.en.format(field=field.en, comment=comment, state=notice.state),
    )
