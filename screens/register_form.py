"""Registration steps 1 and 2: the form, and the checks the kiosk runs on it as it is typed.

The checks are the server's (:mod:`kiosk.fields`: ``check_email``, ``check_password``,
``check_id_number``, ``check_mobile``, the name and text validators) with the same codes, so
that what the kiosk accepts the server accepts, and a refusal the server still sends can be
explained with the kiosk's own words. One check is the kiosk's alone: the repeated password.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Select

from kiosk.errors import FIELD_MESSAGES
from kiosk.fields import (
    BY_KEY,
    GENDERS,
    M_BIRTH_ID_MISMATCH,
    M_DATE_FORMAT,
    M_GENDER_ID_MISMATCH,
    M_NOT_IN_LIST,
    PASSWORD_MAX,
    PASSWORD_RULE,
    Check,
    Problem,
    check_email,
    check_id_number,
    check_mobile,
    check_password,
    parse_date,
    validate_field,
)
from kiosk.i18n import Msg
from screens import register_text as R
from screens import text as T
from screens.widgets.form import FormRow
from screens.widgets.i18n import Tr

ACCOUNT_ENTRIES: tuple[str, ...] = ("email", "password", "password_repeat")
"""Step 1, in the order Tab and Enter go through them."""
IDENTITY_ENTRIES: tuple[str, ...] = (
    "name",
    "gender",
    "id_number",
    "birth_date",
    "region",
    "mobile",
)
"""Step 2, in the order Tab and Enter go through them."""
LIVE_ENTRIES = frozenset({"password", "gender", "id_number", "birth_date"})
"""Checked while typed. The others are checked once left (or at Next), so that a half-typed
e-mail address is not called wrong before the student has finished it."""

_REQUIRED = Problem("required", FIELD_MESSAGES["required"])
_DATE_CHARS = r"[0-9０-９\-－]*"


def check_entry(entry: str, values: Mapping[str, str], today: dt.date) -> Check:
    """Check one entry of the form against the server's rules; ``values`` holds all entries.

    The value of the result is what the server is sent (normalised); errors block the step,
    warnings only inform.
    """
    raw = values.get(entry, "")
    if entry == "region":
        if not raw.strip():
            return Check("")
        # The server holds a region to the rules of a free-text record field.
        return validate_field("institution", raw)
    if not raw.strip():
        return Check("", (_REQUIRED,))
    if entry == "email":
        return check_email(raw)
    if entry == "password":
        id_number = check_id_number(values.get("id_number", "")).number
        return Check(raw, check_password(raw, id_number=id_number))
    if entry == "password_repeat":
        differs = Problem("password_differs", R.PASSWORD_DIFFERS)
        return Check(raw, () if raw == values.get("password", "") else (differs,))
    if entry == "name":
        return validate_field("name", raw)
    if entry == "gender":
        return _check_gender(raw, values.get("id_number", ""))
    if entry == "id_number":
        found = check_id_number(raw, today)
        # No region warning: the server ignores it (stdnum's table rejects some real
        # numbers), so it would only worry the student.
        return Check(found.number, found.errors)
    if entry == "birth_date":
        return _check_birth_date(raw, values.get("id_number", ""), today)
    if entry == "mobile":
        return check_mobile(raw)
    raise ValueError(f"no such entry: {entry}")


def _check_gender(gender: str, id_number: str) -> Check:
    if gender not in GENDERS:
        return Check(gender, (Problem("not_in_list", M_NOT_IN_LIST),))
    encoded = check_id_number(id_number).gender
    if encoded is not None and encoded != gender:
        message = M_GENDER_ID_MISMATCH.fmt(expected=encoded)
        return Check(gender, (Problem("gender_id_mismatch", message),))
    return Check(gender)


def _check_birth_date(raw: str, id_number: str, today: dt.date) -> Check:
    birth = parse_date(raw)
    if birth is None:
        return Check(raw, (Problem("date_format", M_DATE_FORMAT),))
    encoded = check_id_number(id_number, today).birth_date
    if encoded is not None and encoded != birth:
        message = M_BIRTH_ID_MISMATCH.fmt(expected=encoded.isoformat())
        return Check(birth.isoformat(), (Problem("birth_date_id_mismatch", message),))
    return Check(birth.isoformat())


def id_number_note(id_number: str, today: dt.date) -> Msg | None:
    """What a valid ID number says (birth date and gender digit), for the student to compare."""
    found = check_id_number(id_number, today)
    if not found.ok or found.birth_date is None or found.gender is None:
        return None
    birth = found.birth_date.isoformat()
    return T.fill(R.ID_DECODED, birth=Msg(birth, birth), gender=R.GENDER_NAMES[found.gender])


class AccountStep(VerticalScroll):
    """Step 1: the e-mail address (the future user name) and the password, twice."""

    def compose(self) -> ComposeResult:
        """The password rule above the three entries, then Next and the message line."""
        yield Tr(PASSWORD_RULE, id="password-rule")
        yield FormRow(
            R.EMAIL,
            Input(id="email", max_length=254, compact=True),
            hint=R.EMAIL_HINT,
            id="row-email",
        )
        yield FormRow(
            R.PASSWORD,
            Input(id="password", password=True, max_length=PASSWORD_MAX, compact=True),
            id="row-password",
        )
        yield FormRow(
            R.PASSWORD_REPEAT,
            Input(id="password_repeat", password=True, max_length=PASSWORD_MAX, compact=True),
            id="row-password_repeat",
        )
        with Horizontal(classes="register-buttons"):
            yield Button(R.KEY_NEXT.zh, id="account-next", variant="primary", compact=True)
        yield Tr(id="account-message", classes="register-message")


class IdentityStep(VerticalScroll):
    """Step 2: 证件类型 (fixed), name, gender, ID number, birth date, region, mobile."""

    def compose(self) -> ComposeResult:
        """The entries in the order of the ID card, then Submit and the message line."""
        yield Tr(R.INTRO_IDENTITY, id="identity-intro")
        yield FormRow(R.ID_TYPE, Tr(R.ID_TYPE_VALUE, id="id-type"), id="row-id_type")
        yield FormRow(
            BY_KEY["name"].label, Input(id="name", max_length=50, compact=True), id="row-name"
        )
        genders = [(f"{g} / {R.GENDER_NAMES[g].en}", g) for g in GENDERS]
        yield FormRow(
            BY_KEY["gender"].label,
            Select[str](genders, id="gender", prompt=T.CHOICE_PROMPT.zh, compact=True),
            id="row-gender",
        )
        yield FormRow(
            BY_KEY["id_number"].label,
            # Spaces are allowed (and dropped): numbers are often copied in groups.
            Input(id="id_number", max_length=24, restrict=r"[0-9０-９xXｘＸ ]*", compact=True),
            hint=R.ID_NUMBER_HINT,
            id="row-id_number",
        )
        yield FormRow(
            BY_KEY["birth_date"].label,
            Input(id="birth_date", max_length=10, restrict=_DATE_CHARS, compact=True),
            hint=R.BIRTH_HINT,
            id="row-birth_date",
        )
        yield FormRow(
            R.REGION,
            Input(id="region", max_length=100, compact=True),
            hint=R.REGION_HINT,
            id="row-region",
        )
        yield FormRow(
            R.MOBILE,
            Input(id="mobile", max_length=20, restrict=r"[0-9０-９+＋\- ]*", compact=True),
            hint=R.MOBILE_HINT,
            id="row-mobile",
        )
        with Horizontal(classes="register-buttons"):
            yield Button(T.SUBMIT.zh, id="identity-next", variant="primary", compact=True)
        yield Tr(id="identity-message", classes="register-message")
