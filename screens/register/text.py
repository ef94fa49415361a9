"""Every text of the registration wizard, in Chinese and English.

Kept beside :mod:`screens.text` (which holds the wizard's name and title) so that the
wizard's many messages stay together; error texts for server codes are in
:mod:`kiosk.errors`, the rules for passwords, ID numbers and mobile numbers in
:mod:`kiosk.fields`.
"""

from __future__ import annotations

from kiosk.i18n import Msg

# --- the steps ---------------------------------------------------------------------------

STEP_OF = Msg("第 {n} 步，共 4 步：{title}", "Step {n} of 4: {title}")
TITLE_ACCOUNT = Msg("邮箱和密码", "E-mail and password")
TITLE_IDENTITY = Msg("身份信息和手机号", "Identity and mobile number")
TITLE_CODES = Msg("邮箱和短信验证码", "E-mail and SMS codes")
TITLE_DONE = Msg("完成", "Done")
INTRO_IDENTITY = Msg(
    "请按身份证如实填写，学校会与学籍记录核对。",
    "Fill these in exactly as on your ID card; the school checks them against your record.",
)

# --- step 1: e-mail and password ----------------------------------------------------------

EMAIL = Msg("电子邮箱", "E-mail")
EMAIL_HINT = Msg("以后用这个邮箱登录。", "You will log in with this address.")
PASSWORD = Msg("密码", "Password")
PASSWORD_REPEAT = Msg("再输一次密码", "Password again")
PASSWORD_OK = Msg("密码符合要求。", "The password meets the rules.")
PASSWORD_DIFFERS = Msg("两次输入的密码不一样。", "The two passwords are not the same.")

# --- step 2: identity and mobile ----------------------------------------------------------

ID_TYPE = Msg("证件类型", "ID type")
ID_TYPE_VALUE = Msg("身份证", "Resident ID card (身份证)")
REGION = Msg("地区（选填）", "Region (optional)")
REGION_HINT = Msg("例如 浙江省湖州市", "e.g. Huzhou, Zhejiang")
MOBILE = Msg("手机号", "Mobile number")
MOBILE_HINT = Msg("11 位手机号，用来接收短信验证码。", "11 digits; the SMS code goes here.")
ID_NUMBER_HINT = Msg("18 位，最后一位可以是 X。", "18 characters; the last may be X.")
ID_DECODED = Msg(
    "身份证号有效：出生日期 {birth}，性别 {gender}（第 17 位）。",
    "A valid ID number: born {birth}, {gender} (digit 17).",
)
BIRTH_HINT = Msg(
    "YYYY-MM-DD；填好身份证号后会自动填写。",
    "YYYY-MM-DD; filled in from the ID number.",
)
BIRTH_FILLED = Msg("已按身份证号填写，请核对。", "Filled in from the ID number; please check it.")
GENDER_NAMES: dict[str, Msg] = {"男": Msg("男", "male"), "女": Msg("女", "female")}
"""The two genders as the choice list and the ID-number note show them."""
CHECK_ALSO = Msg("请一并核对这一项。", "Please check this entry too.")
GO_TO_LOGIN = Msg("按 F3 去登录。", "Press F3 to go to the login.")
FIX_STEP_ONE = Msg(
    "第 1 步的邮箱或密码需要修改，已返回第 1 步。",
    "The e-mail or password of step 1 needs a change; you are back at step 1.",
)

# --- step 3: the codes ---------------------------------------------------------------------

CODES_SENT = Msg(
    "验证码已经发出。请查看邮箱和手机短信，分别填写 6 位验证码。",
    "The codes are on their way: enter the 6-digit code from the e-mail and the one from the SMS.",
)
EMAIL_CODE = Msg("邮箱验证码", "E-mail code")
SMS_CODE = Msg("短信验证码", "SMS code")
SENT_TO = Msg("已发送到 {to}，{time} 前有效。", "Sent to {to}; works until {time}.")
CODE_FORMAT = Msg("验证码是 6 位数字。", "A code has 6 digits.")
CODE_CONFIRMED = Msg("已确认。", "Confirmed.")
RESEND = Msg("重新发送", "Send again")
RESEND_WAIT = Msg("{n} 秒后可重发", "Again in {n} s")
RESENT = Msg(
    "新的验证码已发出，之前的验证码不再有效（今天还可发送 {n} 次）。",
    "A new code is on its way; the earlier one no longer works ({n} more today).",
)
CHECKING = Msg("正在验证……", "Checking…")
REGISTRATION_LOST = Msg(
    "本终端找不到这次注册。请按 Esc 返回上一步，再提交一次。",
    "This terminal cannot find the registration. Press Esc to go back a step and submit again.",
)
SUBMIT_AGAIN = Msg(
    "请按 Esc 返回上一步，再提交一次。", "Press Esc to go back a step and submit again."
)
MAILBOX_TITLE = Msg("演示邮箱（只在演示中显示）", "Demo mailbox (shown in the demo only)")
MAILBOX_EMPTY = Msg("还没有收到消息……", "No messages yet…")
CHANNEL_NAMES: dict[str, Msg] = {"email": Msg("邮件", "Mail"), "sms": Msg("短信", "SMS")}
"""The two channels as the demo mailbox labels them."""

# --- step 4: done ------------------------------------------------------------------------

DONE_TITLE = Msg("注册完成，账号已经开通！", "You are registered: the account is active!")
DONE_USERNAME = Msg("用户名：{username}", "User name: {username}")
DONE_DEADLINE = Msg(
    "请在 {when} 之前完成学籍和照片校对（还剩 {left}）。",
    "Check your record and photo before {when} ({left} left).",
)
DONE_NEXT = Msg("按 Enter 登录，开始校对。", "Press Enter to log in and start the check.")
REGISTERED_LOG_IN = Msg(
    "注册完成。请输入密码登录。", "You are registered. Enter your password to log in."
)

# --- keys and buttons ----------------------------------------------------------------------

KEY_NEXT = Msg("下一步", "Next")
KEY_SUBMIT = Msg("提交", "Submit")
KEY_CONFIRM_CODES = Msg("确认验证码", "Confirm the codes")
KEY_PREVIOUS = Msg("上一步", "Back")
KEY_LEAVE = Msg("返回登录", "Back to login")
KEY_TO_LOGIN = Msg("去登录", "Log in instead")
KEY_LOG_IN_NOW = Msg("登录并开始校对", "Log in and start")
