"""Registration steps 1 and 2: the entries of the form, and the checks the kiosk runs on them
as they are typed (the steps themselves: screens/register/account.py and identity.py).

The checks are the server's (:mod:`kiosk.fields`: ``check_email``, ``check_password``,
``check_id_number``, ``check_mobile``, the name and text validators) with the same codes, so
that what the kiosk accepts the server accepts, and a refusal the server still sends can be
explained with the kiosk's own words. One check is the kiosk's alone: the repeated password.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from kiosk.errors import FIELD_MESSAGES
from kiosk.fields import (
    GENDERS,
    M_BIRTH_ID_MISMATCH,
    M_DATE_FORMAT,
    M_GENDER_ID_MISMATCH,
    M_NOT_IN_LIST,
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
from screens import text as T
from screens.register import text as R

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
