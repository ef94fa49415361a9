"""Registration step 2: 证件类型 (fixed), name, gender, ID number, birth date, region, mobile."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Select

from kiosk.fields import BY_KEY, GENDERS
from screens import text as T
from screens.register import text as R
from screens.widgets.form import FormRow
from screens.widgets.i18n import Tr

_DATE_CHARS = r"[0-9０-９\-－]*"


class IdentityStep(VerticalScroll):
    """Step 2: 证件类型 (fixed), name, gender, ID number, birth date, region, mobile."""

    REFUSALS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        "record_not_found": ("id_number", ("name",)),
        "already_registered": ("id_number", ("name",)),
        "identity_mismatch": ("birth_date", ("gender",)),
    }
    """Refusals of the registration that concern this step: the entry the message goes
    under, and the entries it asks to check as well. A change to any of them clears all."""

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
