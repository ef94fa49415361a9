"""The 17-field catalogue and its validators (kiosk.fields), ID numbers through python-stdnum.

The ID-number cases are python-stdnum's own vectors and the pitfalls of
python-stdnum 2.2 (``stdnum/cn/ric.py``, its test vectors) can raise ``KeyError`` and rejects some real numbers
by its birth-year region rule, so the wrapper must turn those into region *warnings*.
"""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from kiosk import fields
from kiosk.fields import (
    BY_KEY,
    DURATIONS,
    EDUCATION_CATEGORIES,
    ETHNICITIES,
    FIELD_KEYS,
    FIELDS,
    IDENTITY_KEYS,
    LEVELS,
    STUDY_MODES,
    Kind,
    check_id_number,
    normalise_code,
    normalise_text,
    parse_date,
    validate_field,
)
from kiosk.i18n import Msg

TODAY = dt.date(2026, 6, 1)
ASCII_ID = re.compile(r"[0-9]{17}[0-9X]")


def codes(problems: tuple[fields.Problem, ...]) -> list[str]:
    return [problem.code for problem in problems]


def with_check_digit(body: str) -> str:
    """A 17-digit body completed with its GB 11643 check digit."""
    return body + ric.calc_check_digit(body + "0")


# --- the catalogue -------------------------------------------------------------------------


def test_catalogue_has_the_17_contract_keys() -> None:
    assert FIELD_KEYS == (
        "name", "gender", "ethnicity", "birth_date", "id_number", "student_no", "institution",
        "college", "department", "major", "class_name", "level", "duration",
        "education_category", "study_mode", "enrollment_date", "status",
    )  # fmt: skip
    assert {"name", "gender", "birth_date", "id_number", "ethnicity"} == IDENTITY_KEYS
    assert set(BY_KEY) == set(FIELD_KEYS)
    assert len(ETHNICITIES) == 58 and len(set(ETHNICITIES)) == 58
    assert ETHNICITIES[0] == "汉族" and ETHNICITIES[55] == "基诺族"
    for spec in FIELDS:
        assert (spec.kind is Kind.CHOICE) == bool(spec.choices), spec.key


def test_every_message_has_both_languages() -> None:
    messages = [value for value in vars(fields).values() if isinstance(value, Msg)]
    messages += [spec.label for spec in FIELDS]
    assert len(messages) > 20
    formatter = string.Formatter()
    for msg in messages:
        assert msg.zh.strip() and msg.en.strip(), msg
        # Both languages must take the same placeholders, or .fmt() fails in one of them.
        zh_fields = {name for _, name, _, _ in formatter.parse(msg.zh) if name}
        en_fields = {name for _, name, _, _ in formatter.parse(msg.en) if name}
        assert zh_fields == en_fields, msg


@pytest.mark.parametrize(("zh", "en"), [("", "x"), ("x", ""), ("  ", "x"), ("x", "\n")])
def test_msg_refuses_a_missing_language(zh: str, en: str) -> None:
    with pytest.raises(ValueError, match="missing a language"):
        Msg(zh, en)


def test_msg_formatting() -> None:
    msg = Msg("最多 {n} 个", "at most {n}")
    assert msg.fmt(n=3) == Msg("最多 3 个", "at most 3")
    assert msg.get("en", n=5) == "at most 5"
    assert msg.both(n=1) == "最多 1 个 / at most 1"


# --- ID numbers: python-stdnum's vectors -------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "birth", "gender", "region"),
    [
        ("360426199101010071", dt.date(1991, 1, 1), "男", "江西省德安县"),
        ("44011320141005001X", dt.date(2014, 10, 5), "男", "广东省番禺区"),
        ("11010519491231002X", dt.date(1949, 12, 31), "女", "北京市朝阳区"),
        ("412723199010050012", dt.date(1990, 10, 5), "男", "河南省商水县"),
        ("110102199101010078", dt.date(1991, 1, 1), "男", "北京市西城区"),
        ("120110198012010073", dt.date(1980, 12, 1), "男", "天津市东郊区"),
        ("120110199212010072", dt.date(1992, 12, 1), "男", "天津市东丽区"),
    ],
)
def test_valid_numbers(number: str, birth: dt.date, gender: str, region: str) -> None:
    found = check_id_number(number, TODAY)
    assert found.ok and found.errors == () and found.warnings == ()
    assert found.number == number
    assert (found.birth_date, found.gender, found.region) == (birth, gender, region)


@pytest.mark.parametrize(
    "written",
    [
        "44011320141005001x",  # lowercase x
        " 44011320141005001X ",
        "４４０１１３２０１４１００５００１Ｘ",  # full-width digits and letter, as IMEs type them
        "４４０１１３２０１４１００５００１ｘ",
        "440113 20141005 001X",  # spaces between the groups, as printed on some forms
        "440113\u300020141005001x",  # ideographic space
    ],
)
def test_written_forms_are_normalised(written: str) -> None:
    found = check_id_number(written, TODAY)
    assert found.ok, found
    assert found.number == "44011320141005001X"


@pytest.mark.parametrize(
    ("number", "expected"),
    [("36042619910102009X", "3"), ("360426199101010072", "1"), ("44011320141005001Y", None)],
)
def test_wrong_check_digit(number: str, expected: str | None) -> None:
    found = check_id_number(number, TODAY)
    assert not found.ok
    if expected is None:  # a letter other than X is a format error, not a checksum error
        assert codes(found.errors) == ["id_format"]
        return
    assert codes(found.errors) == ["id_checksum"]
    assert f"应为 {expected}" in found.errors[0].msg.zh
    assert f"give {expected}" in found.errors[0].msg.en
    assert found.birth_date is None and found.gender is None


@pytest.mark.parametrize(
    "number",
    ["T60426199101010078", "36042619910101007-", "3604261991O1010071", "X60426199101010071"],
)
def test_invalid_format(number: str) -> None:
    assert codes(check_id_number(number, TODAY).errors) == ["id_format"]


@pytest.mark.parametrize(
    ("number", "length"),
    [
        ("", 0),
        ("12345678", 8),
        ("360426910101007", 15),  # the old 15-digit form is not accepted
        ("3604261991010100712", 19),
        ("360426-19910101-0071", 20),
    ],
)
def test_invalid_length(number: str, length: int) -> None:
    found = check_id_number(number, TODAY)
    assert codes(found.errors) == ["id_length"]
    assert f"has {length})" in found.errors[0].msg.en
    assert f"现有 {length} 位" in found.errors[0].msg.zh


@pytest.mark.parametrize("number", ["360426199113010079", with_check_digit("36042619910230001")])
def test_birth_date_that_does_not_exist(number: str) -> None:
    found = check_id_number(number, TODAY)
    assert codes(found.errors) == ["id_birth_date"]
    assert found.birth_date is None


def test_future_birth_date_is_an_error() -> None:
    # stdnum 2.2 accepts it; the wrapper must not.
    found = check_id_number("110105209912310029", TODAY)
    assert codes(found.errors) == ["id_birth_future"]
    assert found.birth_date == dt.date(2099, 12, 31)
    assert check_id_number("110105209912310029", dt.date(2100, 1, 1)).ok


@pytest.mark.parametrize(
    "number",
    [
        "354133198209290022",  # makes stdnum 2.2's is_valid() raise KeyError
        "359999199001010017",
        "119999199001010012",
        "449999199001010019",
        "110199199001010010",
        "990426199112010074",  # unknown province
        "440524188001010014",  # GB 11643's own example: 潮阳县 only in the table from 1983
        "110111198012010078",  # county not yet registered in the birth year
        "110201199312010077",  # county deregistered before the birth year
        "230306196304054513",
    ],
)
def test_unknown_region_is_only_a_warning(number: str) -> None:
    found = check_id_number(number, TODAY)
    assert found.ok, found
    assert found.errors == ()
    assert codes(found.warnings) == ["id_region_unknown"]
    assert number[:6] in found.warnings[0].msg.zh and number[:6] in found.warnings[0].msg.en
    assert found.region is None
    assert found.birth_date is not None and found.gender is not None
    check = validate_field("id_number", number, today=TODAY)
    assert check.ok and codes(check.warnings) == ["id_region_unknown"]


def test_stdnum_still_raises_where_the_wrapper_must_not() -> None:
    """Documents why the wrapper exists; if stdnum fixes the bug this test says so."""
    with pytest.raises(KeyError):
        ric.is_valid("354133198209290022")
    assert not ric.is_valid("440524188001010014")


@pytest.mark.parametrize(
    "number",
    [
        # Arabic-Indic and Devanagari digits: str.isdigit() and int() accept them, NFKC keeps them.
        "٣٦٠٤٢٦١٩٩١٠١٠١٠٠٧1",
        "٣٦٠٤٢٦١٩٩١٠١٠١٠٠٧١",
        "३६०४२६१९९१०१०१००७1",
    ],
)
def test_digits_of_other_scripts_are_rejected(number: str) -> None:
    found = check_id_number(number, TODAY)
    assert not found.ok, found
    assert codes(found.errors) == ["id_format"]
    assert not validate_field("id_number", number, today=TODAY).ok


# --- ID numbers: properties ---------------------------------------------------------------


@st.composite
def id_bodies(draw: st.DrawFn) -> tuple[str, dt.date]:
    region = draw(st.integers(100000, 999999))
    birth = draw(st.dates(dt.date(1900, 1, 1), TODAY))
    sequence = draw(st.integers(0, 999))
    return f"{region}{birth:%Y%m%d}{sequence:03d}", birth


@given(id_bodies(), st.booleans())
def test_any_body_with_its_check_digit_is_accepted(
    drawn: tuple[str, dt.date], lowercase: bool
) -> None:
    body, birth = drawn
    number = with_check_digit(body)
    found = check_id_number(number.lower() if lowercase else number, TODAY)
    assert found.ok, found
    assert found.number == number
    assert found.birth_date == birth
    assert found.gender == ("男" if int(body[16]) % 2 else "女")
    assert codes(found.warnings) in ([], ["id_region_unknown"])
    assert (found.region is None) == bool(found.warnings)


@given(id_bodies(), st.integers(0, 17), st.integers(1, 9))
def test_any_single_digit_change_is_caught(
    drawn: tuple[str, dt.date], position: int, delta: int
) -> None:
    number = with_check_digit(drawn[0])
    if position == 17 and number[17] == "X":
        changed = number[:17] + str(delta)
    else:
        digit = 10 if number[position] == "X" else int(number[position])
        new = (digit + delta) % (11 if position == 17 else 10)
        changed = number[:position] + ("X" if new == 10 else str(new)) + number[position + 1 :]
    found = check_id_number(changed, TODAY)
    assert not found.ok
    # A changed birth-date digit may also make the date impossible; both are errors.
    assert codes(found.errors)[0] in {"id_checksum", "id_birth_date", "id_birth_future"}


@given(st.text())
@example("354133198209290022")
@example("\x00" * 18)
@example("٣٦٠٤٢٦١٩٩١٠١٠١٠٠٧1")
def test_check_id_number_never_raises(text: str) -> None:
    found = check_id_number(text, TODAY)
    if found.ok:
        assert ASCII_ID.fullmatch(found.number), found.number
        assert found.birth_date is not None and found.birth_date <= TODAY


# --- validate_field by kind ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("张三", "张三"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("阿卜杜拉·买买提", "阿卜杜拉·买买提"),
        ("  张　三  ", "张 三"),
        ("Zhang  San", "Zhang San"),
        ("𠀾明", "𠀾明"),  # CJK extension B, common in rare surnames
        ("张" * 50, "张" * 50),
    ],
)
def test_name_accepted(value: str, normal: str) -> None:
    check = validate_field("name", value, today=TODAY)
    assert check.ok and check.warnings == (), check
    assert check.value == normal


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("张" * 51, "too_long"),
        ("张\x00三", "control_characters"),
        ("张三\n", "control_characters"),
        ("\x1b[31m张三", "control_characters"),
        ("张三1", "name_characters"),
        ("张三<script>", "name_characters"),
        ("张_三", "name_characters"),
    ],
)
def test_name_rejected(value: str, code: str) -> None:
    assert codes(validate_field("name", value, today=TODAY).errors) == [code]


@pytest.mark.parametrize(
    ("key", "choices"),
    [
        ("gender", ("男", "女")),
        ("ethnicity", ETHNICITIES),
        ("level", LEVELS),
        ("duration", DURATIONS),
        ("education_category", EDUCATION_CATEGORIES),
        ("study_mode", STUDY_MODES),
    ],
)
def test_choices(key: str, choices: tuple[str, ...]) -> None:
    assert BY_KEY[key].choices == choices
    for choice in choices:
        check = validate_field(key, f" {choice} ", today=TODAY)
        assert check.ok and check.value == choice
    for wrong in ("other", choices[0] + "x", "男性", "4.0", "汉"):
        if wrong not in choices:
            assert codes(validate_field(key, wrong, today=TODAY).errors) == ["not_in_list"]


def test_choice_accepts_full_width_forms() -> None:
    assert validate_field("duration", "４").value == "4"
    assert validate_field("duration", "２．５").value == "2.5"
    assert "专科起点本科" in LEVELS and "3" in DURATIONS


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("2001-02-03", "2001-02-03"),
        ("2001-2-3", "2001-02-03"),
        (" 2004-09-01 ", "2004-09-01"),
        ("２００１－０２－０３", "2001-02-03"),
        ("2000-02-29", "2000-02-29"),
        ("2026-06-01", "2026-06-01"),  # today itself is not in the future
    ],
)
def test_dates_accepted(value: str, normal: str) -> None:
    for key in ("birth_date", "enrollment_date"):
        check = validate_field(key, value, today=TODAY)
        assert check.ok and check.warnings == (), check
        assert check.value == normal


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2001-02-30", "date_invalid"),
        ("2001-02-29", "date_invalid"),
        ("1900-02-29", "date_invalid"),
        ("2001-13-01", "date_invalid"),
        ("2001-00-10", "date_invalid"),
        ("2001/02/03", "date_format"),
        ("20010203", "date_format"),
        ("03-02-2001", "date_format"),
        ("yesterday", "date_format"),
        ("2026-06-02", "date_in_future"),
        ("2999-01-01", "date_in_future"),
        ("1899-12-31", "date_too_old"),
        ("", "required"),
    ],
)
def test_dates_rejected(value: str, code: str) -> None:
    for key in ("birth_date", "enrollment_date"):
        assert codes(validate_field(key, value, today=TODAY).errors) == [code], key


def test_enrollment_must_follow_birth() -> None:
    context = {"birth_date": "2004-03-05"}
    for day in ("2003-09-01", "2004-03-05"):
        check = validate_field("enrollment_date", day, context, TODAY)
        assert codes(check.errors) == ["enrollment_before_birth"]
    assert validate_field("enrollment_date", "2022-09-01", context, TODAY).ok
    # A birth date that cannot be read is the birth_date field's problem, not this one's.
    assert validate_field("enrollment_date", "2022-09-01", {"birth_date": "bad"}, TODAY).ok


def test_birth_date_against_id_number() -> None:
    context = {"id_number": "360426199101010071"}
    assert validate_field("birth_date", "1991-01-01", context, TODAY).warnings == ()
    check = validate_field("birth_date", "1991-01-02", context, TODAY)
    assert check.ok  # only a warning: either of the two may be the wrong one
    assert codes(check.warnings) == ["birth_date_id_mismatch"]
    assert "1991-01-01" in check.warnings[0].msg.zh and "1991-01-01" in check.warnings[0].msg.en
    # No comparison against an ID number that is itself broken or missing.
    broken = {"id_number": "360426199101010072"}
    assert validate_field("birth_date", "1991-01-02", broken, TODAY).warnings == ()
    assert validate_field("birth_date", "1991-01-02", {}, TODAY).warnings == ()


def test_gender_against_id_number() -> None:
    male, female = "360426199101010071", "11010519491231002X"
    assert validate_field("gender", "男", {"id_number": male}, TODAY).warnings == ()
    assert validate_field("gender", "女", {"id_number": female}, TODAY).warnings == ()
    check = validate_field("gender", "女", {"id_number": male}, TODAY)
    assert check.ok and codes(check.warnings) == ["gender_id_mismatch"]
    assert "男" in check.warnings[0].msg.zh
    check = validate_field("gender", "男", {"id_number": female.lower()}, TODAY)
    assert codes(check.warnings) == ["gender_id_mismatch"]
    assert validate_field("gender", "女", {"id_number": "bad"}, TODAY).warnings == ()


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("2022011101", "2022011101"),
        ("ab12", "AB12"),
        ("２０２２０１", "202201"),
        ("A" * 20, "A" * 20),
    ],
)
def test_student_no_accepted(value: str, normal: str) -> None:
    check = validate_field("student_no", value, today=TODAY)
    assert check.ok and check.value == normal


@pytest.mark.parametrize("value", ["123", "A" * 21, "2022-0111", "学号2022", "2022_01"])
def test_student_no_rejected(value: str) -> None:
    assert codes(validate_field("student_no", value, today=TODAY).errors) == ["student_no_format"]


def test_text_fields() -> None:
    for key in ("institution", "college", "department", "major", "class_name", "status"):
        check = validate_field(key, "  湖州师范学院　信息工程学院 ", today=TODAY)
        assert check.ok and check.value == "湖州师范学院 信息工程学院"
        assert codes(validate_field(key, "x" * 101, today=TODAY).errors) == ["too_long"]
        assert codes(validate_field(key, "", today=TODAY).errors) == ["required"]
        assert codes(validate_field(key, "a\tb", today=TODAY).errors) == ["control_characters"]
    assert validate_field("status", "在籍（注册学籍）").value == "在籍（注册学籍）"


def test_id_number_field_gives_the_normal_form() -> None:
    check = validate_field("id_number", "４４０１１３２０１４１００５００１ｘ", today=TODAY)
    assert check.ok and check.value == "44011320141005001X"
    assert codes(validate_field("id_number", "110105209912310029", today=TODAY).errors) == [
        "id_birth_future"
    ]


def test_unknown_key_is_an_error_not_an_exception() -> None:
    check = validate_field("favourite_colour", "blue")
    assert codes(check.errors) == ["unknown_field"]
    assert "favourite_colour" in check.errors[0].msg.en
    long_key = "k" * 1000
    assert len(validate_field(long_key, "x").errors[0].msg.en) < 100


def test_parse_date() -> None:
    assert parse_date("2004-09-01") == dt.date(2004, 9, 1)
    assert parse_date("2001-02-30") is None
    assert parse_date("not a date") is None


# --- properties of validate_field and the normalisers -----------------------------------------

_any_key = st.one_of(st.sampled_from(FIELD_KEYS), st.text(max_size=30))
_context = st.dictionaries(st.sampled_from(FIELD_KEYS), st.text(max_size=30), max_size=4)


@given(_any_key, st.text(), _context)
@example("birth_date", "2001-02-30", {"id_number": "354133198209290022"})
@example("gender", "男", {"id_number": "354133198209290022"})
@example("enrollment_date", "2001-01-01", {"birth_date": "9999-99-99"})
def test_validate_field_never_raises(key: str, value: str, context: dict[str, str]) -> None:
    check = validate_field(key, value, context, TODAY)
    assert isinstance(check.value, str)
    for problem in check.errors + check.warnings:
        assert problem.code and problem.msg.zh and problem.msg.en


@given(st.sampled_from(FIELD_KEYS), st.text(), _context)
def test_accepted_values_are_in_normal_form(key: str, value: str, context: dict[str, str]) -> None:
    """Validating an accepted value again changes nothing: what the kiosk sends is stable."""
    first = validate_field(key, value, context, TODAY)
    if first.ok:
        again = validate_field(key, first.value, context, TODAY)
        assert again.ok and again.value == first.value


@given(st.text())
def test_normalise_text_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert once == once.strip()


_code_like = st.text(
    st.one_of(
        st.characters(codec="ascii"),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),  # full-width forms
        st.sampled_from("\u3000\u00a0\u2002\t xXｘＸ"),
    )
)


@given(_code_like)
def test_normalise_code_is_idempotent(text: str) -> None:
    once = normalise_code(text)
    assert normalise_code(once) == once
    assert not any(ch.isspace() for ch in once)


# --- the whole record ---------------------------------------------------------------------


def _whole(**overrides: str) -> dict[str, str]:
    from tests.server.conftest import record

    return record(1, **overrides)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, []),
        ({"birth_date": "2005-01-01"}, [("birth_date", "birth_date_id_mismatch")]),
        ({"gender": "女"}, [("gender", "gender_id_mismatch")]),
        ({"enrollment_date": "2001-09-01"}, [("enrollment_date", "enrollment_before_birth")]),
        ({"major": ""}, [("major", "required")]),
        (
            {"birth_date": "2003-02-30", "level": "研究生"},
            [("birth_date", "date_invalid"), ("level", "not_in_list")],
        ),
    ],
)
def test_a_record_is_checked_whole(
    overrides: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    found = fields.validate_record(_whole(**overrides), dt.date(2026, 6, 1))
    assert [(key, problem.code) for key, problem in found.problems] == expected
    assert found.ok == (not expected)


def test_a_whole_record_comes_back_normalised() -> None:
    found = fields.validate_record(_whole(name=" 张　伟 ", birth_date="２００３-５-１７"))
    assert found.ok, found.problems
    assert found.values["name"] == "张 伟" and found.values["birth_date"] == "2003-05-17"
    assert set(found.values) == set(fields.FIELD_KEYS)


def test_the_key_fields_are_marked_in_the_one_table() -> None:
    labels = {fields.BY_KEY[key].label.zh for key in fields.KEY_FIELD_KEYS}
    assert labels == {
        "姓名", "性别", "出生日期", "身份证号", "民族", "专业名称", "层次", "学制", "学习形式",
        "入学日期", "学历类别",
    }  # fmt: skip
    assert fields.IDENTITY_KEYS < fields.KEY_FIELD_KEYS
