"""First-time real-name registration and its one-time codes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    Field,
    StringConstraints,
)

from kiosk.protocol.base import Model, Reply, TextRule

Channel = Literal["email", "sms"]
CodeText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]


class RegistrationRequest(Model):
    """A first-time student's identity and contacts, matched against the record.

    Lengths here are generous bounds; the rules (password strength, mobile number, the ID
    number's check digit, birth date and gender digit) are checked by the server with
    :mod:`kiosk.fields` and answered as ``validation_failed`` with one code per field.
    """

    email: Annotated[str, StringConstraints(max_length=254)]
    password: Annotated[str, StringConstraints(max_length=256)]
    id_type: Literal["身份证"] = Field(
        default="身份证", description="证件类型: only the resident ID card (身份证) is accepted."
    )
    name: Annotated[str, StringConstraints(max_length=60), TextRule]
    gender: Annotated[str, StringConstraints(max_length=8)] = Field(description="男 or 女.")
    id_number: Annotated[str, StringConstraints(max_length=40)]
    birth_date: Annotated[str, StringConstraints(max_length=20)] = Field(
        description="YYYY-MM-DD; must agree with the ID number."
    )
    region: Annotated[str, StringConstraints(max_length=100), TextRule] | None = Field(
        default=None, description="Free text, optional."
    )
    mobile: Annotated[str, StringConstraints(max_length=30)] = Field(
        description="11 digits, 13x-19x; +86, spaces and dashes are allowed."
    )


class RegistrationResponse(Reply):
    """A registration waiting for its two codes; contacts are shown masked."""

    registration_id: str = Field(description="Opaque; use it in .../verify and .../resend.")
    email_masked: str
    mobile_masked: str
    code_expires_at: dt.datetime = Field(description="When the codes just sent stop working.")
    resend_after: dt.datetime = Field(description="The earliest moment a resend is accepted.")
    expires_at: dt.datetime = Field(description="When the unfinished registration lapses.")


class VerifyCodesRequest(Model):
    """The codes the student received; either may be left out once it is confirmed."""

    email_code: CodeText | None = None
    sms_code: CodeText | None = None


class VerifyCodesResponse(Reply):
    """Where the registration stands; ``active`` means the account exists and the window runs."""

    status: Literal["pending", "active"]
    email_confirmed: bool
    sms_confirmed: bool
    username: str | None = Field(default=None, description="The new account's user name.")
    window_closes_at: dt.datetime | None = Field(
        default=None, description="The deadline of the verification window, once active."
    )


class ResendRequest(Model):
    """Which code to send again (a new code replaces the old one)."""

    channel: Channel


class ResendResponse(Reply):
    """A new code is on its way."""

    channel: Channel
    code_expires_at: dt.datetime
    resend_after: dt.datetime
    sends_left: int = Field(description="Codes this address or number may still get today.")


class MailboxMessage(Reply):
    """A message in the demo's local mailbox."""

    channel: Channel
    to: str
    subject: str | None
    text: str
    created_at: dt.datetime


class MailboxResponse(Reply):
    """The latest messages for one address or number (demo servers only)."""

    messages: list[MailboxMessage]
