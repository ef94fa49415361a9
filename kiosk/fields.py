"""The 17 record fields: the catalogue both the kiosk and the server use, and their validators.

Keys are part of the API contract (:mod:`kiosk.protocol`). A validator takes a value a student
proposes (or an import supplies) and returns a :class:`Check`: the normalised value, the
errors that reject it and the warnings that only inform. Validators never raise.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stdnum.cn import ric

from kiosk.i18n import Msg, Plural


class Kind(StrEnum):
    """How a field's value is entered and checked."""

    NAME = "name"
    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    ID_NUMBER = "id_number"
    STUDENT_NO = "student_no"


# GB/T 3304-1991 in code order, then the two extra values in use.
ETHNICITIES: tuple[str, ...] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族",
    "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
    "其他", "外国血统中国籍人士",
)  # fmt: skip
GENDERS: tuple[str, ...] = ("男", "女")
LEVELS: tuple[str, ...] = (
    "博士研究生", "硕士研究生", "第二学士学位", "本科", "专科",
    "高中起点本科", "专科起点本科", "高中起点专科",
)  # fmt: skip
DURATIONS: tuple[str, ...] = (
    "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5", "5.5", "6", "7", "8",
)  # fmt: skip
EDUCATION_CATEGORIES: tuple[str, ...] = (
    "普通高等教育", "成人高等教育", "高等教育自学考试", "网络教育", "开放教育",
)  # fmt: skip
STUDY_MODES: tuple[str, ...] = ("普通全日制", "全日制", "非全日制", "脱产", "业余", "函授")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value is rejected (an error) or worth a second look (a warning)."""

    code: str
    msg: Msg


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of validating one value."""

    value: str
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing rejects the value (warnings may remain)."""
        return not self.errors


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One of the 17 fields: how to show it, enter it and check a proposed value.

    ``identity`` fields change only against a proof document; they and the ``key_field``
    ones (what the degree certificate states) change only under four eyes
    (:data:`KEY_FIELD_KEYS`).
    """

    key: str
    label: Msg
    kind: Kind
    identity: bool = False
    key_field: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 100

    def validate(
        self, value: str, context: Mapping[str, str] | None = None, today: dt.date | None = None
    ) -> Check:
        """Check a proposed ``value``; ``context`` holds the record's other values by key."""
        return _validate(self, value, context or {}, today or dt.date.today())


# ---------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------

M_REQUIRED = Msg("请填写正确的值。", "Please enter the correct value.")
M_TOO_LONG = Plural(
    "太长了：最多 {n} 个字符。",
    "Too long: at most 1 character.",
    "Too long: at most {n} characters.",
)
M_CONTROL = Msg(
    "含有不可见或不允许的字符（如控制符、零宽字符、文字方向符）。",
    "Contains invisible or disallowed characters (control, zero-width or text-direction marks).",
)
M_NAME_CHARS = Msg(
    "姓名只能包含汉字、字母、间隔号“·”和空格。",
    "A name may contain only Chinese characters, letters, the middle dot '·' and spaces.",
)
M_NOT_IN_LIST = Msg("请从列表中选择一项。", "Please choose one of the listed values.")
M_DATE_FORMAT = Msg("日期格式为 YYYY-MM-DD，例如 2004-09-01。", "Use YYYY-MM-DD, e.g. 2004-09-01.")
M_DATE_UNREAL = Msg(
    "没有这一天，请检查年月日。", "That day does not exist; check year, month and day."
)
M_DATE_FUTURE = Msg("日期不能晚于今天。", "The date cannot be later than today.")
M_DATE_TOO_OLD = Msg("日期早于 1900 年，请检查。", "The date is before 1900; please check it.")
M_ENROLL_BEFORE_BIRTH = Msg(
    "入学日期必须晚于出生日期。", "The enrollment date must be after the birth date."
)
M_BIRTH_ID_MISMATCH = Msg(
    "与身份证号中的出生日期（{expected}）不一致，请确认两项都正确。",
    "Differs from the birth date in the ID number ({expected}); make sure both are right.",
)
M_GENDER_ID_MISMATCH = Msg(
    "与身份证号第 17 位表示的性别（{expected}）不一致，请确认两项都正确。",
    "Differs from the gender in digit 17 of the ID number ({expected}); make sure both are right.",
)
M_STUDENT_NO = Msg("学号为 4–20 位字母或数字。", "A student number has 4-20 letters or digits.")
M_ID_LENGTH = Msg(
    "身份证号应为 18 位（现有 {n} 位）。", "An ID number has 18 characters (this one has {n})."
)
M_ID_FORMAT = Msg(
    "前 17 位必须是数字，最后一位是数字或 X。",
    "The first 17 characters must be digits; the last is a digit or X.",
)
M_ID_CHECKSUM = Msg(
    "校验位不对：按前 17 位应为 {expected}，请逐位核对。",
    "The check digit is wrong: the first 17 digits give {expected}; check each digit.",
)
M_ID_BIRTH = Msg("第 7–14 位不是有效的出生日期。", "Digits 7-14 are not a valid date of birth.")
M_ID_REGION = Msg(
    "地区码 {code} 不在当前行政区划表中；如果确实如此请保留，学院会核实。",
    "Region code {code} is not in the current list of regions; keep it if it is right, "
    "the college will check it.",
)
M_ID_FUTURE = Msg(
    "身份证号中的出生日期晚于今天。", "The birth date in the ID number is in the future."
)

M_UNCHANGED = Msg(
    "与现有的值相同；如果现有的值是对的，请选择“正确”。",
    "Same as the value on record; if that value is right, mark it correct.",
)

# ---------------------------------------------------------------------------------------
# Normalisation and the ID-number wrapper
# ---------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_NAME_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134fA-Za-z·• ]+$")
_STUDENT_NO_RE = re.compile(r"^[A-Za-z0-9]{4,20}$")
_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
# ASCII only: str.isdigit() and int() also take Arabic-Indic and other digits, which NFKC keeps.
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")


# The text rule (issue 12). Cc: control characters. Cf: format characters, invisible on every
# screen: U+200B beside 信息工程学院 made another college that looked the same, and bidi
# overrides reorder what staff read. Cs: lone surrogates, not text at all. Co: private use,
# which shows as whatever a font puts there. ZWJ (U+200D, Cf) is refused too: it joins emoji
# and Indic or Arabic letter forms, while a name on a Chinese student record is written in
# Han characters, Latin letters, '·' and spaces (see _NAME_RE), none of which needs it.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
TEXT_RULE_CODE = "control_characters"


def is_noncharacter(ch: str) -> bool:
    """True for Unicode's 66 non-characters: U+FDD0..U+FDEF and the last two of each plane."""
    point = ord(ch)
    return 0xFDD0 <= point <= 0xFDEF or (point & 0xFFFE) == 0xFFFE


def _refused_ranges() -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for point in range(0x110000):
        ch = chr(point)
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or is_noncharacter(ch):
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return ranges


def _escape(point: int) -> str:
    # Beyond the BMP the character itself: Python reads ``\U0001xxxx`` and ECMA-262 (the
    # schema's dialect) ``\u{1xxxx}``, and neither reads the other's; both read the literal.
    return f"\\u{point:04x}" if point <= 0xFFFF else chr(point)


@functools.cache
def text_rule_pattern() -> str:
    """The text rule's refusals as a regular expression (Python syntax), for API schemas.

    Built from this interpreter's Unicode tables, so it agrees with :func:`text_rule`; only
    the schema uses it (NFC and the refusal itself are :func:`text_rule`'s). Built on first
    use: scanning all of Unicode takes half a second, which the kiosk's start must not pay.
    """
    # Lone surrogates (Cs) are left out: schema tools built on Rust or UTF-8 cannot even hold
    # them in a pattern, and would drop the whole pattern; the server still refuses them.
    ranges = [
        (max(lo, 0xE000), hi) if lo <= 0xDFFF <= hi else (lo, hi)
        for lo, hi in _refused_ranges()
        if not (lo >= 0xD800 and hi <= 0xDFFF)
    ]
    parts = "".join(
        _escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}" for lo, hi in ranges
    )
    return f"^[^{parts}]*$"


def text_rule(value: str) -> Check:
    """The one rule for free text, names and notes: NFC, and no invisible or unassigned use.

    The value comes back NFC-normalised (what is compared and stored); it is refused with
    ``control_characters`` if it holds a character of category Cc, Cf, Cs or Co or a
    non-character. The kiosk, the server's request models and the imports all call this.
    """
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES or is_noncharacter(ch) for ch in value):
        return Check(value, (Problem(TEXT_RULE_CODE, M_CONTROL),))
    return Check(unicodedata.normalize("NFC", value))


def normalise_text(value: str) -> str:
    """Trim and collapse white space (full-width spaces included); keep the characters."""
    return _SPACES.sub(" ", value.replace("\u3000", " ")).strip()


def normalise_code(value: str) -> str:
    """Full-width digits and letters to ASCII, spaces removed: for ID numbers, 学号, dates."""
    # NFKC once more after upper(): upper-casing can produce decomposable characters.
    return unicodedata.normalize(
        "NFKC", _SPACES.sub("", unicodedata.normalize("NFKC", value)).upper()
    )


@dataclass(frozen=True, slots=True)
class IdNumberCheck:
    """What the ID-number wrapper found: the number and what it encodes, errors, warnings."""

    number: str
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    birth_date: dt.date | None = None
    gender: str | None = None
    region: str | None = None

    @property
    def ok(self) -> bool:
        """True when the number is well formed with a right check digit and a real birth date."""
        return not self.errors


def check_id_number(value: str, today: dt.date | None = None) -> IdNumberCheck:
    """Check an 18-character resident ID number (GB 11643) through python-stdnum.

    Never raises: stdnum 2.2 can raise ``KeyError`` from its region lookup, and its
    birth-year-aware region table rejects some real numbers, so an unknown region is only a
    warning (python-stdnum 2.2, ``stdnum/cn/ric.py``).
    """
    return _check_id_number(value, today or dt.date.today())


# A record's ID number is checked three times (the field, and the birth date and gender it
# encodes); stdnum's region lookup is most of a record's validation, so the last few answers
# are kept. The result is immutable.
@functools.lru_cache(maxsize=16)
def _check_id_number(value: str, today: dt.date) -> IdNumberCheck:
    number = normalise_code(value)
    if len(number) != 18:
        return IdNumberCheck(number, (Problem("id_length", M_ID_LENGTH.fmt(n=len(number))),))
    if not _ID_RE.match(number):
        return IdNumberCheck(number, (Problem("id_format", M_ID_FORMAT),))
    try:
        expected = ric.calc_check_digit(number)
    except Exception:
        return IdNumberCheck(number, (Problem("id_format", M_ID_FORMAT),))
    if expected != number[17]:
        problem = Problem("id_checksum", M_ID_CHECKSUM.fmt(expected=expected))
        return IdNumberCheck(number, (problem,))
    try:
        birth = ric.get_birth_date(number)
    except Exception:
        return IdNumberCheck(number, (Problem("id_birth_date", M_ID_BIRTH),))
    gender = "男" if int(number[16]) % 2 else "女"
    errors: tuple[Problem, ...] = ()
    if birth > today:
        errors = (Problem("id_birth_future", M_ID_FUTURE),)
    region: str | None = None
    warnings: tuple[Problem, ...] = ()
    try:
        place = ric.get_birth_place(number)
        region = "".join(str(part) for part in place.values())
    except Exception:
        warnings = (Problem("id_region_unknown", M_ID_REGION.fmt(code=number[:6])),)
    return IdNumberCheck(number, errors, warnings, birth, gender, region)


def parse_date(value: str) -> dt.date | None:
    """A real calendar date from ``YYYY-MM-DD`` (full-width digits allowed), else None."""
    match = _DATE_RE.match(normalise_code(value))
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# Validators by kind
# ---------------------------------------------------------------------------------------


def _validate(spec: FieldSpec, raw: str, context: Mapping[str, str], today: dt.date) -> Check:
    checked = text_rule(raw)
    if not checked.ok:
        return checked
    raw = checked.value
    code_like = spec.kind in (Kind.DATE, Kind.ID_NUMBER, Kind.STUDENT_NO)
    value = normalise_code(raw) if code_like else normalise_text(raw)
    if spec.kind is Kind.CHOICE:
        value = unicodedata.normalize("NFKC", value)
    if not value:
        return Check(value, (Problem("required", M_REQUIRED),))
    if len(value) > spec.max_length:
        return Check(value, (Problem("too_long", M_TOO_LONG.fmt(n=spec.max_length)),))
    if spec.kind is Kind.CHOICE and value not in spec.choices:
        return Check(value, (Problem("not_in_list", M_NOT_IN_LIST),))
    if spec.kind is Kind.NAME and not _NAME_RE.match(value):
        return Check(value, (Problem("name_characters", M_NAME_CHARS),))
    if spec.kind is Kind.STUDENT_NO and not _STUDENT_NO_RE.match(value):
        return Check(value, (Problem("student_no_format", M_STUDENT_NO),))
    if spec.kind is Kind.DATE:
        return _check_date(spec.key, value, context, today)
    if spec.kind is Kind.ID_NUMBER:
        found = check_id_number(value, today)
        return Check(found.number, found.errors, found.warnings)
    if spec.key == "gender":
        return Check(value, (), _gender_against_id(value, context, today))
    return Check(value)


def _check_date(key: str, value: str, context: Mapping[str, str], today: dt.date) -> Check:
    if not _DATE_RE.match(value):
        return Check(value, (Problem("date_format", M_DATE_FORMAT),))
    day = parse_date(value)
    if day is None:
        return Check(value, (Problem("date_invalid", M_DATE_UNREAL),))
    value = day.isoformat()
    if day > today:
        return Check(value, (Problem("date_in_future", M_DATE_FUTURE),))
    if day.year < 1900:
        return Check(value, (Problem("date_too_old", M_DATE_TOO_OLD),))
    if key == "enrollment_date":
        birth = parse_date(context.get("birth_date", ""))
        if birth is not None and day <= birth:
            return Check(value, (Problem("enrollment_before_birth", M_ENROLL_BEFORE_BIRTH),))
    if key == "birth_date":
        id_check = check_id_number(context.get("id_number", ""), today)
        if id_check.birth_date is not None and id_check.birth_date != day:
            expected = id_check.birth_date.isoformat()
            problem = Problem("birth_date_id_mismatch", M_BIRTH_ID_MISMATCH.fmt(expected=expected))
            return Check(value, (), (problem,))
    return Check(value)


def _gender_against_id(
    value: str, context: Mapping[str, str], today: dt.date
) -> tuple[Problem, ...]:
    id_check = check_id_number(context.get("id_number", ""), today)
    if id_check.gender is not None and id_check.gender != value:
        return (Problem("gender_id_mismatch", M_GENDER_ID_MISMATCH.fmt(expected=id_check.gender)),)
    return ()


# ---------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", Msg("姓名", "Name"), Kind.NAME, identity=True, max_length=50),
    FieldSpec("gender", Msg("性别", "Gender"), Kind.CHOICE, identity=True, choices=GENDERS),
    FieldSpec("ethnicity", Msg("民族", "Ethnicity"), Kind.CHOICE, identity=True,
              choices=ETHNICITIES),
    FieldSpec("birth_date", Msg("出生日期", "Date of birth"), Kind.DATE, identity=True),
    FieldSpec("id_number", Msg("身份证号", "ID number"), Kind.ID_NUMBER, identity=True),
    FieldSpec("student_no", Msg("学号", "Student number"), Kind.STUDENT_NO),
    FieldSpec("institution", Msg("院校名称", "Institution"), Kind.TEXT),
    FieldSpec("college", Msg("分院", "College"), Kind.TEXT),
    FieldSpec("department", Msg("系", "Department"), Kind.TEXT),
    FieldSpec("major", Msg("专业名称", "Major"), Kind.TEXT, key_field=True),
    FieldSpec("class_name", Msg("班级", "Class"), Kind.TEXT),
    FieldSpec("level", Msg("层次", "Level"), Kind.CHOICE, key_field=True, choices=LEVELS),
    FieldSpec("duration", Msg("学制", "Length of study (years)"), Kind.CHOICE, key_field=True,
              choices=DURATIONS),
    FieldSpec("education_category", Msg("学历类别", "Education category"), Kind.CHOICE, key_field=True,
              choices=EDUCATION_CATEGORIES),
    FieldSpec("study_mode", Msg("学习形式", "Mode of study"), Kind.CHOICE, key_field=True,
              choices=STUDY_MODES),
    FieldSpec("enrollment_date", Msg("入学日期", "Enrollment date"), Kind.DATE, key_field=True),
    FieldSpec("status", Msg("学籍状态", "Student status"), Kind.TEXT),
)  # fmt: skip

FIELD_KEYS: tuple[str, ...] = tuple(spec.key for spec in FIELDS)
BY_KEY: dict[str, FieldSpec] = {spec.key: spec for spec in FIELDS}
IDENTITY_KEYS: frozenset[str] = frozenset(spec.key for spec in FIELDS if spec.identity)
KEY_FIELD_KEYS: frozenset[str] = frozenset(
    spec.key for spec in FIELDS if spec.identity or spec.key_field
)
"""The fields whose correction one registrar confirms and another applies (four eyes)."""

KEY_FIELDS: tuple[str, ...] = tuple(spec.key for spec in FIELDS if spec.key in KEY_FIELD_KEYS)
"""The key fields (关键信息) by default: a change needs the provincial education department's
approval before the registrar applies it; ``[server] key_fields`` replaces the list, as
provinces differ. Every other field is a school field (学校信息), applied by the registrar."""
SCHOOL_FIELDS: tuple[str, ...] = tuple(spec.key for spec in FIELDS if spec.key not in KEY_FIELDS)
"""The school fields by default: 分院 系 班级 学号 学籍状态, and the institution's own name."""


def unknown_field_keys(keys: Sequence[str]) -> list[str]:
    """The entries of ``keys`` that are not one of the 17 field keys (for config checks)."""
    return [key for key in keys if key not in BY_KEY]


HINT_KEY_FIELD = Msg(
    # One line at 80 columns, as the field-check screen shows it.
    "关键信息：须报省教育厅审核，需数周；须提供证明材料",
    "Key field: needs province approval (weeks) and proof.",
)
HINT_SCHOOL_FIELD = Msg(
    "学校信息：学籍科核实后直接更正，无需报省",
    "School field: the registrar corrects it directly.",
)


def field_kind_hint(key: str, key_fields: Collection[str] = KEY_FIELDS) -> Msg:
    """What the kind of field ``key`` means for a student who reports it wrong."""
    return HINT_KEY_FIELD if key in key_fields else HINT_SCHOOL_FIELD


_ID_CARD_AND_HUKOU = Msg("身份证和户口本", "your ID card and household register")
IDENTITY_PROOF: dict[str, Msg] = {
    "name": _ID_CARD_AND_HUKOU,
    "gender": _ID_CARD_AND_HUKOU,
    "ethnicity": Msg("户口本", "your household register"),
    "birth_date": Msg(
        "身份证和户口本（或出生证明）", "your ID card and household register (or birth certificate)"
    ),
    "id_number": _ID_CARD_AND_HUKOU,
}
"""The proof a correction of each identity field needs, brought to the college office."""
KEY_FIELD_PROOF = Msg("录取材料等证明（如录取通知书）", "proof such as your admission letter")
"""The proof for the other key fields: the school checks them against the admission file."""


def validate_field(
    key: str, value: str, context: Mapping[str, str] | None = None, today: dt.date | None = None
) -> Check:
    """Validate ``value`` for the field ``key``; an unknown key is an error, not an exception."""
    spec = BY_KEY.get(key)
    if spec is None:
        return Check(value, (Problem("unknown_field", M_UNKNOWN_FIELD.fmt(key=key[:40])),))
    return spec.validate(value, context, today)


M_UNKNOWN_FIELD = Msg("没有名为 {key} 的字段。", "There is no field called {key}.")

RECORD_RULES: frozenset[str] = frozenset({"birth_date_id_mismatch", "gender_id_mismatch"})
"""Cross-field warnings a student only sees, but a stored record may not have: the ID number
decides gender and birth date, and a master record that disagrees with it would lock its
student out of registration (``identity_mismatch``)."""


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """A whole record after validation: its normalised values and every problem, by key."""

    values: dict[str, str]
    problems: tuple[tuple[str, Problem], ...] = ()

    @property
    def ok(self) -> bool:
        """True when the record may be stored as it is."""
        return not self.problems


def validate_record(values: Mapping[str, str], today: dt.date | None = None) -> RecordCheck:
    """Check all 17 fields of a record together, as every write to a master record must.

    Each field's own rule runs (:meth:`FieldSpec.validate`, with the rest of the record as
    context), and the cross-field rules are errors here: enrollment after birth, and birth
    date and gender as the ID number encodes them (:data:`RECORD_RULES`).
    """
    normalised: dict[str, str] = {}
    problems: list[tuple[str, Problem]] = []
    for spec in FIELDS:
        check = spec.validate(values.get(spec.key, ""), values, today)
        normalised[spec.key] = check.value
        wrong = list(check.errors) + [w for w in check.warnings if w.code in RECORD_RULES]
        problems.extend((spec.key, problem) for problem in wrong)
    return RecordCheck(normalised, tuple(problems))


# ---------------------------------------------------------------------------------------
# Registration: password, mobile number and e-mail address rules
# ---------------------------------------------------------------------------------------

PASSWORD_MIN = 8
PASSWORD_MAX = 128

PASSWORD_RULE = Msg(
    f"密码 {PASSWORD_MIN}–{PASSWORD_MAX} 位，须同时包含字母和数字，且不能包含学号或身份证号。",
    f"A password has {PASSWORD_MIN}-{PASSWORD_MAX} characters, with both letters and digits, "
    "and must not contain your student number or ID number.",
)
M_PASSWORD_SHORT = Msg(
    f"密码太短：至少 {PASSWORD_MIN} 位。", f"Too short: at least {PASSWORD_MIN} characters."
)
M_PASSWORD_LONG = Msg(
    f"密码太长：最多 {PASSWORD_MAX} 位。", f"Too long: at most {PASSWORD_MAX} characters."
)
M_PASSWORD_CLASSES = Msg("密码须同时包含字母和数字。", "A password needs both letters and digits.")
M_PASSWORD_ID_NUMBER = Msg("密码不能包含身份证号。", "A password must not contain your ID number.")
M_PASSWORD_STUDENT_NO = Msg(
    "密码不能包含学号。", "A password must not contain your student number."
)
M_MOBILE = Msg(
    "手机号为 11 位数字，以 13–19 开头。",
    "A mobile number has 11 digits and starts with 13 to 19.",
)
M_EMAIL = Msg("请填写有效的电子邮箱地址。", "Please enter a valid e-mail address.")

_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# Deliberately loose (one @, a dot in the domain, no spaces): the e-mail code proves the rest.
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


def check_password(
    password: str, *, student_no: str = "", id_number: str = ""
) -> tuple[Problem, ...]:
    """The ways ``password`` breaks :data:`PASSWORD_RULE` (empty when it is acceptable).

    ``student_no`` and ``id_number`` are compared case-insensitively after normalising; the
    kiosk knows only the ID number while the student types, the server checks both.
    """
    if len(password) < PASSWORD_MIN:
        return (Problem("password_too_short", M_PASSWORD_SHORT),)
    if len(password) > PASSWORD_MAX:
        return (Problem("password_too_long", M_PASSWORD_LONG),)
    problems: list[Problem] = []
    has_letter = any(ch.isalpha() for ch in password)
    has_digit = any(ch in "0123456789" for ch in unicodedata.normalize("NFKC", password))
    if not (has_letter and has_digit):
        problems.append(Problem("password_letters_digits", M_PASSWORD_CLASSES))
    folded = normalise_code(password)
    if id_number and normalise_code(id_number) in folded:
        problems.append(Problem("password_contains_id_number", M_PASSWORD_ID_NUMBER))
    if student_no and normalise_code(student_no) in folded:
        problems.append(Problem("password_contains_student_no", M_PASSWORD_STUDENT_NO))
    return tuple(problems)


def check_mobile(value: str) -> Check:
    """A mainland mobile number: 11 digits from 13x to 19x; ``+86``, spaces, dashes allowed."""
    number = normalise_code(value).replace("-", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            number = number[len(prefix) :]
    if not _MOBILE_RE.match(number):
        return Check(number, (Problem("mobile_format", M_MOBILE),))
    return Check(number)


def check_email(value: str) -> Check:
    """An e-mail address, trimmed and case-folded (user names are compared that way)."""
    address = unicodedata.normalize("NFKC", value).strip().casefold()
    if len(address) > 254 or not _EMAIL_RE.match(address):
        return Check(address, (Problem("email_format", M_EMAIL),))
    return Check(address)


def name_key(name: str) -> str:
    """A name reduced for comparison: width, spaces, middle-dot variants and case ignored."""
    folded = unicodedata.normalize("NFKC", name)
    for dot in ("•", "・", "．", "⋅", "∙", "‧"):
        folded = folded.replace(dot, "·")
    return _SPACES.sub("", folded).casefold()
