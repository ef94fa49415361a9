"""Registration step 3: the e-mail code and the SMS code, each with "send again" and its wait.

Waits are counted on the app's monotonic clock: the server says when a resend is allowed
(``resend_after``, a wall-clock time), the kiosk turns that into seconds once, on arrival,
so a wall clock that jumps cannot make the countdown jump. A 429 ``resend_too_soon`` sets
the wait to the server's own count (``retry_after_s``), which corrects any clock skew.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input

from kiosk.client import ApiError
from kiosk.errors import field_message
from kiosk.fields import normalise_code
from kiosk.i18n import Lang, Msg
from kiosk.protocol.registration import (
    Channel,
    MailboxMessage,
    RegistrationResponse,
    ResendResponse,
    VerifyCodesRequest,
)
from screens.ports import KioskHost
from screens.register import text as R
from screens.timefmt import local_clock
from screens.widgets.form import FormRow
from screens.widgets.i18n import Tr, Translatable

CHANNELS: tuple[Channel, ...] = ("email", "sms")
CODE_ENTRIES: dict[Channel, str] = {"email": "email_code", "sms": "sms_code"}
"""The input of each channel; also the ``field`` of the server's per-code errors."""
_SIX_DIGITS = re.compile(r"[0-9]{6}")
RESEND_WAIT_CAP_S = 300.0
"""The longest wait derived from ``resend_after``. The server's interval is a minute; a
longer wait only comes from a terminal clock that is behind, and the server's 429 then
gives the true count."""


@dataclass
class _ChannelState:
    to: str
    """The address or number, masked as the server sent it."""
    expires_at: dt.datetime
    ready_at: float
    """Monotonic time from which "send again" is allowed."""
    confirmed: bool = False


class DemoMailbox(Translatable):
    """The demo's local mailbox: the newest message to the e-mail address and to the phone.

    Shown in demo mode only, so that a demo user can read the codes; one line per message,
    cut at the screen's edge (the code comes first in both texts).
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._messages: tuple[MailboxMessage, ...] = ()

    def text_in(self, lang: Lang) -> str:
        """The title, then one line per message."""
        lines = [R.MAILBOX_TITLE.get(lang)]
        for message in self._messages:
            when = message.created_at.astimezone().strftime("%H:%M:%S")
            channel = R.CHANNEL_NAMES[message.channel].get(lang)
            lines.append(f"{when} {channel}  {' '.join(message.text.split())}")
        if not self._messages:
            lines.append(R.MAILBOX_EMPTY.get(lang))
        return "\n".join(lines)

    def show_messages(self, messages: Sequence[MailboxMessage]) -> None:
        """Show these messages (newest first)."""
        self._messages = tuple(messages)
        self.relabel(self._lang)

    def clear(self) -> None:
        """Forget the messages (the wizard is being left)."""
        self.show_messages(())


class CodesStep(VerticalScroll):
    """The two code inputs with their resend buttons, Confirm, and in demo mode the mailbox."""

    def __init__(self, *, demo: bool, id: str) -> None:
        super().__init__(id=id)
        self._demo = demo
        self._channels: dict[Channel, _ChannelState] = {}
        self._errors: dict[Channel, list[Msg]] = {}

    @property
    def kiosk(self) -> KioskHost:
        """The app, as the port the screens may use (its clocks)."""
        return cast(KioskHost, self.app)

    def compose(self) -> ComposeResult:
        """What happened, the two codes, Confirm and the message line; the demo mailbox."""
        yield Tr(R.CODES_SENT, id="codes-intro")
        labels: dict[Channel, Msg] = {"email": R.EMAIL_CODE, "sms": R.SMS_CODE}
        for channel, label in labels.items():
            entry = CODE_ENTRIES[channel]
            yield FormRow(
                label,
                Input(id=entry, max_length=6, restrict=r"[0-9０-９]*", compact=True),
                Button(R.RESEND.zh, id=f"resend-{channel}", compact=True),
                id=f"row-{entry}",
            )
        with Horizontal(classes="register-buttons"):
            yield Button(R.KEY_CONFIRM_CODES.zh, id="codes-next", variant="primary", compact=True)
        yield Tr(id="codes-message", classes="register-message")
        if self._demo:
            yield DemoMailbox(id="demo-mailbox")

    # --- what the server said -------------------------------------------------------------

    def start(self, answer: RegistrationResponse) -> None:
        """Codes went out for a new registration: fresh inputs, notes and waits."""
        ready_at = self._ready_at(answer.resend_after)
        self._channels = {
            "email": _ChannelState(answer.email_masked, answer.code_expires_at, ready_at),
            "sms": _ChannelState(answer.mobile_masked, answer.code_expires_at, ready_at),
        }
        self._errors = {}
        for channel in CHANNELS:
            code = self.code_input(channel)
            code.value = ""
            code.disabled = False
            self._show(channel)
        self.show_message(None)
        self.tick()

    def resent(self, answer: ResendResponse) -> None:
        """A new code went out on one channel: the old one is dead, so is what was typed."""
        state = self._channels[answer.channel]
        state.expires_at = answer.code_expires_at
        state.ready_at = self._ready_at(answer.resend_after)
        self._errors.pop(answer.channel, None)
        self.code_input(answer.channel).value = ""
        self._show(answer.channel)
        self.tick()

    def wait(self, channel: Channel, seconds: int) -> None:
        """The server wants ``seconds`` more before another code on ``channel``."""
        self._channels[channel].ready_at = self.kiosk.monotonic() + seconds
        self.tick()

    def set_confirmed(self, confirmed: dict[Channel, bool]) -> None:
        """Channels the server confirmed stay confirmed: their input is closed."""
        for channel, done in confirmed.items():
            state = self._channels[channel]
            if done and not state.confirmed:
                state.confirmed = True
                self._errors.pop(channel, None)
                self.code_input(channel).disabled = True
                self._show(channel)
        self.tick()

    def set_errors(self, errors: dict[Channel, list[Msg]]) -> None:
        """Explain under each code what is wrong with it (until it is changed)."""
        self._errors.update(errors)
        for channel in errors:
            self._show(channel)

    def show_message(self, message: Msg | Sequence[Msg] | None, *, error: bool = False) -> None:
        """The line under Confirm: progress, or a problem not tied to one code."""
        line = self.query_one("#codes-message", Tr)
        line.show(message)
        line.set_class(error, "-error")

    def show_mailbox(self, messages: Sequence[MailboxMessage]) -> None:
        """Demo mode: the newest messages to the student's address and number."""
        for mailbox in self.query(DemoMailbox):
            mailbox.show_messages(messages)

    # --- what the student did ----------------------------------------------------------------

    def request(self) -> VerifyCodesRequest | None:
        """The codes typed, as the server is sent them; None, with the reason under the
        codes, when they cannot be sent (none typed, or not six digits)."""
        typed = {ch: normalise_code(self.code_input(ch).value) for ch in self.open_channels()}
        errors: dict[Channel, list[Msg]] = {
            ch: [R.CODE_FORMAT]
            for ch, code in typed.items()
            if code and not _SIX_DIGITS.fullmatch(code)
        }
        if not any(typed.values()):
            errors = {ch: [field_message("code_missing")] for ch in typed}
        if errors:
            self.set_errors(errors)
            self.code_input(next(ch for ch in CHANNELS if ch in errors)).focus()
            return None
        return VerifyCodesRequest(
            email_code=typed.get("email") or None, sms_code=typed.get("sms") or None
        )

    def refused(self, error: ApiError, channel: Channel | None = None) -> bool:
        """Show a refusal that concerns the codes where it belongs; False when it does not.

        ``code_invalid`` goes under each code the server names (``errors[].field`` is the
        code's input), with the tries that code has left; ``code_already_confirmed`` marks
        the channel of a resend confirmed.
        """
        problem = error.problem
        if error.code == "code_already_confirmed" and channel is not None:
            self.set_confirmed({channel: True})
            return True
        if error.code != "code_invalid" or problem is None:
            return False
        extensions = problem.model_extra or {}
        confirmed = extensions.get("confirmed")
        if isinstance(confirmed, dict):
            self.set_confirmed({ch: confirmed.get(ch) is True for ch in CHANNELS})
        left = extensions.get("attempts_left")
        attempts = left if isinstance(left, dict) else {}
        errors: dict[Channel, list[Msg]] = {}
        for item in problem.errors:
            for ch in CHANNELS:
                if item.field == CODE_ENTRIES[ch]:
                    count = attempts.get(ch)
                    tries = count if isinstance(count, int) else None
                    errors.setdefault(ch, []).append(field_message(item.code, tries))
        # A refused code is cleared, so the new digits can be typed (the box holds six)
        # and Enter cannot send the same wrong code again and use up another try.
        for ch in errors:
            self.code_input(ch).value = ""
        self.set_errors(errors)
        wrong = [ch for ch in CHANNELS if ch in errors]
        if wrong:
            self.code_input(wrong[0]).focus()
        else:
            self.show_message(error.message, error=True)
        return True

    def code_input(self, channel: Channel) -> Input:
        """The input of ``channel``'s code."""
        return self.query_one(f"#{CODE_ENTRIES[channel]}", Input)

    def open_channels(self) -> list[Channel]:
        """The channels still waiting for their code."""
        return [ch for ch in CHANNELS if ch in self._channels and not self._channels[ch].confirmed]

    def can_resend(self, channel: Channel) -> bool:
        """True when "send again" is allowed for ``channel`` now."""
        state = self._channels.get(channel)
        return (
            state is not None and not state.confirmed and state.ready_at <= self.kiosk.monotonic()
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        """A newly typed code is no longer the one the server refused (clearing the refused
        one keeps the reason on screen)."""
        if not event.value:
            return
        for channel in CHANNELS:
            if event.input.id == CODE_ENTRIES[channel] and channel in self._errors:
                del self._errors[channel]
                self._show(channel)

    # --- showing -------------------------------------------------------------------------

    def _ready_at(self, resend_after: dt.datetime) -> float:
        wait = (resend_after - self.kiosk.clock()).total_seconds()
        return self.kiosk.monotonic() + min(max(wait, 0.0), RESEND_WAIT_CAP_S)

    def _show(self, channel: Channel) -> None:
        state = self._channels[channel]
        note = (
            R.CODE_CONFIRMED
            if state.confirmed
            else R.SENT_TO.fmt(to=state.to, time=local_clock(state.expires_at))
        )
        row = self.query_one(f"#row-{CODE_ENTRIES[channel]}", FormRow)
        row.show(self._errors.get(channel, ()), note=note)

    def tick(self) -> None:
        """Count the resend waits down on the buttons, in the current language."""
        lang = self.kiosk.lang
        now = self.kiosk.monotonic()
        for channel in CHANNELS:
            button = self.query_one(f"#resend-{channel}", Button)
            state = self._channels.get(channel)
            left = math.ceil(state.ready_at - now) if state is not None else 0
            # A confirmed code needs no new one.
            button.display = state is None or not state.confirmed
            button.disabled = state is None or state.confirmed or left > 0
            label = R.RESEND_WAIT.fmt(n=left) if left > 0 else R.RESEND
            button.label = label.get(lang)
