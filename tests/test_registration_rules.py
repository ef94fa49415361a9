"""The registration rules the kiosk shows and the server enforces (kiosk.fields)."""

from __future__ import annotations

import pytest

from kiosk.fields import PASSWORD_RULE, check_email, check_mobile, check_password, name_key
from kiosk.privacy import mask_email, mask_mobile

ID = "360426199101010071"


def codes(password: str, **context: str) -> list[str]:
    return [problem.code for problem in check_password(password, **context)]


def test_the_rule_is_published_in_both_languages() -> None:
    assert "8" in PASSWORD_RULE.zh and "128" in PASSWORD_RULE.en


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("abcdef12", []),
        ("密码abcd1234", []),
        ("abc1234", ["password_too_short"]),
        ("a1" * 64, []),
        ("a1" * 64 + "x", ["password_too_long"]),
        ("abcdefghij", ["password_letters_digits"]),
        ("1234567890", ["password_letters_digits"]),
        ("ａｂｃｄ１２３４", []),
    ],
)
def test_password_strength(password: str, expected: list[str]) -> None:
    assert codes(password) == expected


def test_password_may_not_contain_identity_numbers() -> None:
    assert codes(f"x{ID}", id_number=ID) == ["password_contains_id_number"]
    assert codes("pw-360426199101010071".upper(), id_number=ID.lower()) == [
        "password_contains_id_number"
    ]
    assert codes("Secret-2022100101", student_no="2022100101") == ["password_contains_student_no"]
    assert codes("Secret-2022100101", student_no="2022100102") == []


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 19912345678", "19912345678"),
        ("008615012345678", "15012345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_mobile_numbers_accepted(raw: str, number: str) -> None:
    check = check_mobile(raw)
    assert check.ok and check.value == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12812345678",
        "10012345678",
        "1381234567",
        "138123456789",
        "1381234567a",
        "+1 13812345678",
    ],
)
def test_mobile_numbers_refused(raw: str) -> None:
    assert [p.code for p in check_mobile(raw).errors] == ["mobile_format"]


def test_email_addresses() -> None:
    assert check_email("  Zhang.Wei@STU.Example.edu.cn ").value == "zhang.wei@stu.example.edu.cn"
    for bad in ("", "no-at-sign", "a@b", "a b@c.cn", "a@@b.cn", "x" * 250 + "@b.cn"):
        assert not check_email(bad).ok, bad


def test_name_key_ignores_width_spaces_and_dot_variants() -> None:
    assert name_key(" 王　芳 ") == name_key("王芳")
    assert (
        name_key("阿卜杜拉•买买提") == name_key("阿卜杜拉·买买提") == name_key("阿卜杜拉・买买提")
    )
    assert name_key("ＬＩ Ｎａ") == name_key("li na")
    assert name_key("王芳") != name_key("王方")


def test_contacts_are_masked() -> None:
    assert mask_email("zhang.wei@x.cn") == "zh******i@x.cn"
    assert mask_email("ab@x.cn") == "*@x.cn"
    assert mask_mobile("13812345678") == "138****5678"
