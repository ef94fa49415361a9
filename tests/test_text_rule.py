"""The text rule (kiosk.fields.text_rule): NFC, and no invisible, private or broken characters.

Property tests over all of Unicode: the rule refuses exactly the characters of categories
Cc, Cf, Cs and Co and the non-characters, returns NFC, and is what every field validator and
every free-text request field applies.
"""

from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from typing import Annotated, Literal, get_args, get_origin

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from kiosk import protocol
from kiosk.fields import FIELD_KEYS, TEXT_RULE_CODE, is_noncharacter, text_rule, validate_field
from kiosk.protocol.base import Model, Reply, TextRule
from kiosk.protocol.progress import ReminderSelection
from kiosk.protocol.registration import RegistrationRequest
from kiosk.protocol.student import FieldDecision, PhotoDecision
from kiosk.protocol.terminal import TerminalControl

REFUSED = {"Cc", "Cf", "Cs", "Co"}


def refused(ch: str) -> bool:
    return unicodedata.category(ch) in REFUSED or is_noncharacter(ch)


clean_text = st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co")), max_size=40)


@given(st.text(max_size=40))
@example("信息工程学院\u200b")
@example("\u202e院学程工息信")
@example("张\u200d三")
@example("\ufdd0")
@example("\U0010ffff")
@example("\ue000")
def test_the_rule_refuses_exactly_the_forbidden_characters(value: str) -> None:
    check = text_rule(value)
    assert check.ok == (not any(refused(ch) for ch in value))
    if not check.ok:
        assert [p.code for p in check.errors] == [TEXT_RULE_CODE]
        assert check.errors[0].msg.zh and check.errors[0].msg.en


@given(clean_text)
def test_accepted_text_comes_back_nfc_and_stays_accepted(value: str) -> None:
    check = text_rule(value)
    if check.ok:  # a non-character can still be drawn here
        assert check.value == unicodedata.normalize("NFC", value)
        assert text_rule(check.value) == check  # idempotent


@given(st.text(max_size=20), st.sampled_from(sorted({"\u200b", "\u200d", "\u202e", "\ufeff"})))
def test_an_invisible_character_anywhere_refuses_every_field(value: str, invisible: str) -> None:
    for key in FIELD_KEYS:
        position = len(value) // 2
        check = validate_field(key, value[:position] + invisible + value[position:])
        assert TEXT_RULE_CODE in [p.code for p in check.errors]


def test_a_decomposed_name_is_stored_composed() -> None:
    decomposed = "Zoe\u0308"  # e + combining diaeresis: NFC makes it one character
    assert text_rule(decomposed).value == "Zo\u00eb"


@pytest.mark.parametrize("invisible", ["\u200b", "\u202e", "\u2066", "\ue000", "\ufffe"])
def test_request_models_refuse_invisible_text_with_its_code(invisible: str) -> None:
    with pytest.raises(ValidationError) as raised:
        FieldDecision(key="college", verdict="incorrect", proposed="信息工程学院" + invisible)
    assert raised.value.errors()[0]["type"] == TEXT_RULE_CODE
    with pytest.raises(ValidationError):
        PhotoDecision(verdict="incorrect", reason="other", note="背景" + invisible)
    with pytest.raises(ValidationError):
        RegistrationRequest.model_validate(
            {"email": "a@b.cn", "password": "x", "name": "张三" + invisible, "gender": "男",
             "id_number": "1", "birth_date": "2000-01-01", "mobile": "13800000000"}
        )  # fmt: skip


def test_request_models_store_nfc() -> None:
    note = PhotoDecision(verdict="incorrect", reason="other", note="Zoe\u0308").note
    assert note == "Zo\u00eb"


LOOKUPS = {
    # Credentials and codes: compared with what is stored (a hash, a code), never shown.
    ("LoginRequest", "username"), ("LoginRequest", "password"),
    ("RegistrationRequest", "email"), ("RegistrationRequest", "password"),
    ("VerifyCodesRequest", "email_code"), ("VerifyCodesRequest", "sms_code"),
    ("EnrolRequest", "code"), ("VerificationRequest", "ticket"),
    # Matched against the records: a 学号 with an invisible character finds no one.
    ("SupervisedSessionCreate", "student_nos"), ("SupervisedSessionUpdate", "student_nos"),
    # Each through its field's validator in kiosk.fields, which applies the rule first.
    ("RegistrationRequest", "gender"), ("RegistrationRequest", "id_number"),
    ("RegistrationRequest", "birth_date"), ("RegistrationRequest", "mobile"),
}  # fmt: skip
"""Request text fields that are not free text; a pattern (``EnrolRequest.name``) also bounds."""


def _text_rule_or_pattern(annotation: object, metadata: list[object]) -> bool:
    """True when the field's string type carries the text rule or a pattern, at any depth."""
    for item in metadata:
        if item is TextRule or getattr(item, "pattern", None):
            return True
    if get_origin(annotation) is Annotated:
        inner, *more = get_args(annotation)
        return _text_rule_or_pattern(inner, more)
    return any(_text_rule_or_pattern(arg, []) for arg in get_args(annotation))


def _has_text(annotation: object) -> bool:
    if annotation is str:
        return True
    if get_origin(annotation) is Literal:
        return False
    return any(_has_text(arg) for arg in get_args(annotation))


def test_every_free_text_a_request_carries_has_the_rule() -> None:
    """Each text field of each request model in the contract: the rule, a pattern, or listed
    above as a lookup. A new field that forgets the rule fails here."""
    requests = {
        model
        for info in pkgutil.iter_modules(protocol.__path__)
        for model in vars(importlib.import_module(f"kiosk.protocol.{info.name}")).values()
        if isinstance(model, type) and issubclass(model, Model) and not issubclass(model, Reply)
    }
    missing = [
        f"{model.__name__}.{name}"
        for model in requests
        for name, field in model.model_fields.items()
        if _has_text(field.annotation)
        and (model.__name__, name) not in LOOKUPS
        and not _text_rule_or_pattern(field.annotation, list(field.metadata))
    ]
    assert sorted(missing) == []
    assert len(requests) > 20  # the walk found the contract's request models


@pytest.mark.parametrize("invisible", ["\u200b", "\u202e"])
def test_a_proctors_message_and_a_reminder_selection_refuse_invisible_text(
    invisible: str,
) -> None:
    with pytest.raises(ValidationError) as raised:
        TerminalControl(action="message", text="请举手" + invisible)
    assert raised.value.errors()[0]["type"] == TEXT_RULE_CODE
    with pytest.raises(ValidationError):
        ReminderSelection(college="信息工程学院" + invisible, kinds=["not_registered"])
