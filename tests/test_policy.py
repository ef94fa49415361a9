"""kiosk.policy: the policy rules as data, each switchable, each with its own message."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk import fields, policy
from kiosk.errors import ERROR_MESSAGES
from kiosk.policy import Request, broken_rule
from tests.server.conftest import id_number, record

RECORD = record(1)  # born 2003-05-17
SAME_BIRTH = id_number("330502", "2003-05-17", 105)
OTHER_BIRTH = id_number("330502", "2004-01-01", 103)
TODAY = dt.date(2026, 6, 1)


def rule_of(changes: dict[str, str], proof: str = "", **kw: object) -> str | None:
    off = kw.pop("off", ())
    request = Request(changes, RECORD, proof, today=TODAY, **kw)  # type: ignore[arg-type]
    found = broken_rule(request, off)  # type: ignore[arg-type]
    return found.name if found else None


def test_name_and_id_number_not_in_one_request() -> None:
    assert rule_of({"name": "张三", "id_number": SAME_BIRTH}) == "name_with_id_number"
    assert rule_of({"name": "张三"}) is None
    assert rule_of({"id_number": SAME_BIRTH}) is None
    assert rule_of({"name": "张三", "id_number": SAME_BIRTH}, off=["name_with_id_number"]) is None


@pytest.mark.parametrize(
    ("number", "proof", "broken"),
    [
        (OTHER_BIRTH, "", "id_birth_needs_certificate"),
        (OTHER_BIRTH, "身份证、户口簿", "id_birth_needs_certificate"),
        (OTHER_BIRTH, "身份证、出生医学证明", None),
        (OTHER_BIRTH, "ID card and Birth Certificate", None),
        (SAME_BIRTH, "", None),  # the birth date stays: no certificate needed
    ],
)
def test_an_id_number_that_moves_the_birth_date_needs_the_certificate(
    number: str, proof: str, broken: str | None
) -> None:
    assert rule_of({"id_number": number}, proof) == broken


def test_nothing_changes_after_the_freeze_date() -> None:
    assert rule_of({"major": "数学"}, freeze_date=TODAY) is None  # the day itself still counts
    assert rule_of({"major": "数学"}, freeze_date=TODAY - dt.timedelta(days=1)) == (
        "register_frozen"
    )
    late = {"freeze_date": TODAY - dt.timedelta(days=1), "off": ["register_frozen"]}
    assert rule_of({"major": "数学"}, **late) is None
    # Saying everything is right is never refused.
    assert rule_of({}, freeze_date=TODAY - dt.timedelta(days=1)) is None


def test_every_rule_has_a_registered_code_and_both_languages() -> None:
    assert len({rule.code for rule in policy.RULES}) == len(policy.RULES)
    for rule in policy.RULES:
        assert ERROR_MESSAGES[rule.code] == rule.message
        assert rule.message.zh and rule.message.en


def test_the_split_is_one_table() -> None:
    assert set(fields.KEY_FIELDS) | set(fields.SCHOOL_FIELDS) == set(fields.FIELD_KEYS)
    assert {fields.BY_KEY[k].label.zh for k in fields.SCHOOL_FIELDS} == {
        "分院", "系", "班级", "学号", "学籍状态", "院校名称",
    }  # fmt: skip
    assert fields.field_kind_hint("id_number") == fields.HINT_KEY_FIELD
    assert fields.field_kind_hint("class_name") == fields.HINT_SCHOOL_FIELD
    assert fields.field_kind_hint("class_name", ["class_name"]) == fields.HINT_KEY_FIELD
