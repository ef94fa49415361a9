"""Registration step 1: the e-mail address (the future user name) and the password, twice."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input

from kiosk.fields import PASSWORD_MAX, PASSWORD_RULE
from screens.register import text as R
from screens.widgets.form import FormRow
from screens.widgets.i18n import Tr


class AccountStep(VerticalScroll):
    """Step 1: the e-mail address (the future user name) and the password, twice."""

    REFUSALS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {"email_taken": ("email", ())}
    """Refusals of the registration that concern this step: the entry the message goes
    under, and the entries it asks to check as well."""

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
