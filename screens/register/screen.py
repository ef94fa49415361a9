"""Registration for first-time students: a wizard of four steps.

1 e-mail and password → 2 identity and mobile number, sent to the server, which matches
them against the student record and sends two codes → 3 the e-mail code and the SMS code →
4 done: the account is active and the verification window runs; the student logs in.

The four steps are one screen (a ContentSwitcher), so going back a step and forward again
loses nothing, and F2 relabels every step in place. What the student typed lives only in
this screen's widgets: logout and idle timeout remove the screen with the rest of the
student's mode, and leaving the wizard empties the inputs first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Button, ContentSwitcher, Input, Select

from kiosk.client import ApiError
from kiosk.errors import field_message, retry_after_s
from kiosk.fields import check_id_number
from kiosk.i18n import Lang, Msg
from kiosk.protocol.base import FieldError
from kiosk.protocol.registration import (
    Channel,
    RegistrationRequest,
    RegistrationResponse,
    VerifyCodesRequest,
)
from screens import text as T
from screens.base import KioskScreen
from screens.problems import describe
from screens.register import text as R
from screens.register.account import AccountStep
from screens.register.codes import CODE_ENTRIES, CodesStep
from screens.register.done import DoneStep
from screens.register.form import (
    ACCOUNT_ENTRIES,
    IDENTITY_ENTRIES,
    LIVE_ENTRIES,
    check_entry,
    id_number_note,
)
from screens.register.identity import IdentityStep
from screens.timefmt import local, remaining
from screens.topbar import TopBar
from screens.widgets.form import FormRow
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap

ACCOUNT, IDENTITY, CODES, DONE = range(4)
_STEP_IDS = ("step-account", "step-identity", "step-codes", "step-done")
_TITLES = (R.TITLE_ACCOUNT, R.TITLE_IDENTITY, R.TITLE_CODES, R.TITLE_DONE)
_TO_LOGIN = Key("F3", "f3", "to_login", R.KEY_TO_LOGIN)
_PREVIOUS = Key("Esc", "escape", "back", R.KEY_PREVIOUS)
_BUTTONS = {
    "account-next": R.KEY_NEXT,
    "identity-next": T.SUBMIT,
    "codes-next": R.KEY_CONFIRM_CODES,
    "done-next": R.KEY_LOG_IN_NOW,
}
ENTRIES = ACCOUNT_ENTRIES + IDENTITY_ENTRIES

# Refusals of POST /registrations that concern particular entries, as each step maps them.
_CONCERNS = {**AccountStep.REFUSALS, **IdentityStep.REFUSALS}


@dataclass(frozen=True)
class Registered:
    """What the wizard hands the login screen once the account is active."""

    username: str
    password: str | None
    """To log straight in; None when the student chose to log in by hand."""


class RegisterScreen(KioskScreen[Registered | None]):
    """The registration wizard; dismissed with :class:`Registered`, or None if left."""

    CSS_PATH = "register.tcss"
    STEP = "register"
    FORM = True
    AUTO_FOCUS = "#email"
    # Inputs and buttons take Enter themselves; the binding is for when nothing has focus.
    KEYS: ClassVar[KeyMap] = KeyMap(
        account=(
            Key("Enter", "enter", "next", R.KEY_NEXT),
            Key("Esc", "escape", "back", R.KEY_LEAVE),
        ),
        identity=(Key("Enter", "enter", "next", T.SUBMIT), _PREVIOUS, _TO_LOGIN),
        codes=(Key("Enter", "enter", "next", R.KEY_CONFIRM_CODES), _PREVIOUS, _TO_LOGIN),
        done=(Key("Enter", "enter", "next", R.KEY_LOG_IN_NOW), _TO_LOGIN),
    )
    """The key bar of each step, in order."""
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def __init__(self) -> None:
        super().__init__()
        self.step = ACCOUNT
        self._touched: set[str] = set()
        self._server_errors: dict[str, list[Msg]] = {}
        self._linked: dict[str, frozenset[str]] = {}
        self._auto_birth: str | None = None
        self._busy = False
        self._leaving = False
        self._submitted: RegistrationRequest | None = None
        self._registration: RegistrationResponse | None = None
        self._username: str | None = None
        self._closes_at: dt.datetime | None = None

    def compose(self) -> ComposeResult:
        """The heading, the four steps (one shown at a time) and the keys."""
        yield TopBar(T.STEP_REGISTER)
        with Horizontal(id="register-head"):
            yield Tr(T.REGISTER_TITLE, id="register-title")
            yield Tr(id="register-step")
        with ContentSwitcher(initial=_STEP_IDS[ACCOUNT], id="register-steps"):
            yield AccountStep(id=_STEP_IDS[ACCOUNT])
            yield IdentityStep(id=_STEP_IDS[IDENTITY])
            yield CodesStep(demo=bool(self.kiosk.demo_accounts), id=_STEP_IDS[CODES])
            yield DoneStep(id=_STEP_IDS[DONE])
        yield KeyBar(self.KEYS["account"], id="register-keys")

    def on_mount(self) -> None:
        """Labels in the current language; the countdowns; the demo mailbox's rhythm."""
        self.relabel(self.kiosk.lang)
        self._show_step()
        self._refresh()
        self.set_interval(1, self.tick)
        if self.kiosk.demo_accounts:
            self.set_interval(self.kiosk.timing.mailbox_poll_s, self._poll_mailbox)

    @property
    def _codes(self) -> CodesStep:
        return self.query_one(CodesStep)

    def relabel(self, lang: Lang) -> None:
        """Buttons and the choice prompt have plain labels, so set them in ``lang``."""
        for button_id, label in _BUTTONS.items():
            button = self.query_one(f"#{button_id}", Button)
            button.label = label.get(lang)
            button.refresh(layout=True)  # a new label does not resize the button by itself
        self.query_one("#gender", Select).prompt = T.CHOICE_PROMPT.get(lang)
        self.tick()

    # --- moving between steps ---------------------------------------------------------------

    def _show_step(self) -> None:
        self.query_one(ContentSwitcher).current = _STEP_IDS[self.step]
        number = str(self.step + 1)
        heading = T.fill(R.STEP_OF, n=Msg(number, number), title=_TITLES[self.step])
        self.query_one("#register-step", Tr).show(heading)
        self.query_one("#register-keys", KeyBar).set_keys(list(self.KEYS.values())[self.step])

    def _go(self, step: int, focus: str | None = None) -> None:
        """Show ``step`` and put the cursor where the student goes on (or at ``focus``)."""
        self.step = step
        self._show_step()
        target = (
            focus
            or {
                ACCOUNT: "email",
                IDENTITY: "name",
                CODES: next((CODE_ENTRIES[ch] for ch in self._codes.open_channels()), "codes-next"),
                DONE: "done-next",
            }[step]
        )
        self.query_one(f"#{target}").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing moves while the server is being asked (a second press would send twice)."""
        return not (self._busy and action in ("next", "back"))

    def action_next(self) -> None:
        """Enter: on to the next step, if this one is in order."""
        if self.step == ACCOUNT:
            self._next_from_account()
        elif self.step == IDENTITY:
            self._next_from_identity()
        elif self.step == CODES:
            self._next_from_codes()
        elif self._username is not None:
            password = self._values()["password"]
            self._leave(Registered(self._username, password))

    def action_back(self) -> None:
        """Esc: one step back (nothing typed is lost); from the first step, out."""
        if self.step == ACCOUNT:
            self._leave(None)
        elif self.step == DONE:
            self.action_to_login()
        else:
            self._go(self.step - 1)

    def action_to_login(self) -> None:
        """F3: to the login screen; with the new user name once registered."""
        registered = Registered(self._username, None) if self._username is not None else None
        self._leave(registered)

    def _leave(self, result: Registered | None) -> None:
        """Wipe what was typed, then hand ``result`` to the login screen."""
        self._leaving = True
        for entry in self.query(Input):
            entry.value = ""
        self.query_one("#gender", Select).clear()
        self._codes.show_mailbox(())
        self._submitted = self._registration = None
        self._server_errors.clear()
        self.dismiss(result)

    # --- steps 1 and 2: the form --------------------------------------------------------------

    def _values(self) -> dict[str, str]:
        values = {entry: self.query_one(f"#{entry}", Input).value for entry in ENTRIES
                  if entry != "gender"}  # fmt: skip
        gender = self.query_one("#gender", Select).value
        values["gender"] = gender if isinstance(gender, str) else ""
        return values

    def _today(self) -> dt.date:
        return self.kiosk.clock().astimezone().date()

    def _refresh(self) -> set[str]:
        """Explain every entry as far as it should be; the entries that block going on."""
        values = self._values()
        today = self._today()
        blocked: set[str] = set()
        for entry in ENTRIES:
            check = check_entry(entry, values, today)
            given = bool(values[entry].strip())
            # Untouched entries are judged only while typed, and only the live ones.
            judged = entry in self._touched or (entry in LIVE_ENTRIES and given)
            server = self._server_errors.get(entry, [])
            errors = [p.msg for p in check.errors] if judged else []
            warnings = [p.msg for p in check.warnings] if judged else []
            note = None if check.errors else self._note(entry, values, today)
            self.query_one(f"#row-{entry}", FormRow).show(errors + server, warnings, note)
            if check.errors or server:
                blocked.add(entry)
        return blocked

    def _note(self, entry: str, values: dict[str, str], today: dt.date) -> Msg | None:
        """What an entry in order is worth saying (instead of the hint)."""
        if entry == "id_number":
            return id_number_note(values[entry], today)
        if entry == "password" and values[entry]:
            return R.PASSWORD_OK
        if entry == "birth_date" and values[entry] and values[entry] == self._auto_birth:
            return R.BIRTH_FILLED
        return None

    def _fill_birth_date(self) -> None:
        """The birth date follows the ID number, unless the student typed one of their own."""
        found = check_id_number(self.query_one("#id_number", Input).value, self._today())
        birth = self.query_one("#birth_date", Input)
        if found.ok and found.birth_date is not None and birth.value in ("", self._auto_birth):
            self._auto_birth = found.birth_date.isoformat()
            birth.value = self._auto_birth

    def _set_server_error(self, entry: str, messages: list[Msg], group: frozenset[str]) -> None:
        self._server_errors[entry] = messages
        self._linked[entry] = group

    def _clear_server_errors(self, entry: str) -> None:
        for linked in self._linked.pop(entry, frozenset({entry})):
            self._server_errors.pop(linked, None)
            self._linked.pop(linked, None)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Check as the student types (see LIVE_ENTRIES); a change clears the server's word."""
        entry = event.input.id
        if self._leaving or entry not in ENTRIES:
            return
        self._clear_server_errors(entry)
        if entry == "id_number":
            self._fill_birth_date()
        self._refresh()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        """An entry left with something in it is judged from now on."""
        entry = event.input.id
        if not self._leaving and entry in ENTRIES and event.value.strip():
            self._touched.add(entry)
            self._refresh()

    def on_select_changed(self, event: Select.Changed) -> None:
        """A gender was chosen: check it against the ID number.

        The cursor stays on the list: the student presses Tab to go on, as the key bar
        says, and a cursor that had jumped ahead would make that Tab skip the ID number.
        """
        if self._leaving or event.select.id != "gender":
            return
        self._clear_server_errors("gender")
        self._touched.add("gender")
        self._refresh()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter goes to the next entry; in the last one of a step, to the next step."""
        event.stop()
        entry = event.input.id
        if entry in ENTRIES:
            if event.value.strip():
                self._touched.add(entry)
                self._refresh()
            order = ACCOUNT_ENTRIES if self.step == ACCOUNT else IDENTITY_ENTRIES
            if entry != order[-1]:
                self.focus_next()
                return
        elif entry == CODE_ENTRIES["email"] and "sms" in self._codes.open_channels():
            self._codes.code_input("sms").focus()
            return
        if self.check_action("next", ()):
            self.action_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Next / Submit / Confirm / Log in, and the two "send again" buttons."""
        button = event.button.id or ""
        if button in _BUTTONS:
            if self.check_action("next", ()):
                self.action_next()
        elif button.startswith("resend-"):
            channel: Channel = "email" if button == "resend-email" else "sms"
            self._resend(channel)

    def _focus_entry(self, entry: str) -> None:
        step = ACCOUNT if entry in ACCOUNT_ENTRIES else IDENTITY
        if step != self.step:
            self._go(step, focus=entry)
        else:
            self.query_one(f"#{entry}").focus()

    def _next_from_account(self) -> None:
        self._touched.update(ACCOUNT_ENTRIES)
        blocked = self._refresh()
        wrong = [entry for entry in ACCOUNT_ENTRIES if entry in blocked]
        if wrong:
            self._focus_entry(wrong[0])
            return
        self._message("#account-message", None)
        self._go(IDENTITY)

    def _next_from_identity(self) -> None:
        self._touched.update(ENTRIES)
        blocked = self._refresh()
        wrong = [entry for entry in ENTRIES if entry in blocked]
        if wrong:
            if wrong[0] in ACCOUNT_ENTRIES:
                # Only the ID number can make a password of step 1 wrong now.
                self._message("#account-message", R.FIX_STEP_ONE, error=True)
            self._focus_entry(wrong[0])
            return
        request = self._request()
        if self._registration is not None and request == self._submitted:
            self._go(CODES)  # back and forth without a change: the codes sent still work
            return
        self._register(request)

    def _request(self) -> RegistrationRequest:
        """The form as the server is sent it: every value normalised as the server would."""
        values = self._values()
        today = self._today()

        def value(entry: str) -> str:
            return check_entry(entry, values, today).value

        return RegistrationRequest(
            email=value("email"),
            password=values["password"],
            name=value("name"),
            gender=value("gender"),
            id_number=value("id_number"),
            birth_date=value("birth_date"),
            region=value("region") or None,
            mobile=value("mobile"),
        )

    def _message(
        self, target: str, message: Msg | list[Msg] | None, *, error: bool = False
    ) -> None:
        line = self.query_one(target, Tr)
        line.show(message)
        line.set_class(error, "-error")

    @work(exclusive=True, group="registration")
    async def _register(self, request: RegistrationRequest) -> None:
        self._busy = True
        self._message("#identity-message", T.SUBMITTING)
        try:
            answer = await self.kiosk.client.register(request)
        except ApiError as error:
            self._message("#identity-message", None)
            self._register_refused(error)
            return
        finally:
            self._busy = False
        self._message("#identity-message", None)
        self._submitted, self._registration = request, answer
        self._codes.start(answer)
        self._go(CODES)
        self._poll_mailbox()

    def _register_refused(self, error: ApiError) -> None:
        """Put the server's refusal next to the entries it concerns."""
        problem = error.problem
        if error.code == "validation_failed" and problem and self._field_errors(problem.errors):
            return
        concern = _CONCERNS.get(error.code)
        if concern is None:
            self._message("#identity-message", describe(error), error=True)
            return
        primary, others = concern
        group = frozenset((primary, *others))
        messages = [error.message]
        if error.code == "already_registered":
            messages.append(R.GO_TO_LOGIN)
        self._set_server_error(primary, messages, group)
        for other in others:
            self._set_server_error(other, [R.CHECK_ALSO], group)
        self._refresh()
        self._focus_entry(primary)

    def _field_errors(self, errors: list[FieldError]) -> bool:
        """Show ``validation_failed`` errors under their entries; False if none had one."""
        values = self._values()
        today = self._today()
        shown: list[str] = []
        for error in errors:
            if error.field not in ENTRIES:
                continue
            shown.append(error.field)
            local = check_entry(error.field, values, today).errors
            # The kiosk's own check says it already (with the value filled in), or the
            # server knows more (the 学号 in the password): then the code's own message.
            if not any(problem.code == error.code for problem in local):
                message = field_message(error.code)
                self._set_server_error(error.field, [message], frozenset({error.field}))
        if not shown:
            return False
        self._refresh()
        first = next(entry for entry in ENTRIES if entry in shown)
        if first in ACCOUNT_ENTRIES:
            self._message("#account-message", R.FIX_STEP_ONE, error=True)
        self._focus_entry(first)
        return True

    # --- step 3: the codes ---------------------------------------------------------------------

    def _next_from_codes(self) -> None:
        request = self._codes.request()
        if request is not None:
            self._verify(request)

    @work(exclusive=True, group="registration")
    async def _verify(self, codes_given: VerifyCodesRequest) -> None:
        registration = self._registration
        codes = self._codes
        if registration is None:
            codes.show_message(R.REGISTRATION_LOST, error=True)
            return
        self._busy = True
        codes.show_message(R.CHECKING)
        try:
            answer = await self.kiosk.client.verify_registration(
                registration.registration_id, codes_given
            )
        except ApiError as error:
            codes.show_message(None)
            self._codes_refused(error)
            return
        finally:
            self._busy = False
        codes.show_message(None)
        codes.set_confirmed({"email": answer.email_confirmed, "sms": answer.sms_confirmed})
        if answer.status == "active":
            submitted = self._submitted
            username = answer.username or (submitted.email if submitted is not None else "")
            self._done(username, answer.window_closes_at)
            return
        self._go(CODES)

    @work(exclusive=True, group="resend")
    async def _resend(self, channel: Channel) -> None:
        registration = self._registration
        codes = self._codes
        if registration is None or not codes.can_resend(channel):
            return
        # Counted down at once, so a second press cannot send twice; the answer sets it.
        codes.wait(channel, 1)
        try:
            answer = await self.kiosk.client.resend_code(registration.registration_id, channel)
        except ApiError as error:
            self._codes_refused(error, channel)
            return
        codes.resent(answer)
        codes.show_message(R.RESENT.fmt(n=answer.sends_left))
        codes.code_input(channel).focus()
        self._poll_mailbox()

    def _codes_refused(self, error: ApiError, channel: Channel | None = None) -> None:
        """Explain a refused verify or resend: under the code it concerns where there is one
        (the codes step's own mapping), else for the wizard as a whole."""
        codes = self._codes
        if codes.refused(error, channel):
            return
        if error.code == "registration_closed" and self._submitted is not None:
            # Complete already: an earlier answer was lost on the way. The account is there.
            self._done(self._submitted.email, None)
        elif error.code in ("registration_expired", "not_found"):
            self._registration = None
            lost = error.code == "not_found"
            codes.show_message(
                R.REGISTRATION_LOST if lost else [error.message, R.SUBMIT_AGAIN], error=True
            )
        elif error.code == "already_registered":
            codes.show_message([error.message, R.GO_TO_LOGIN], error=True)
        elif error.code == "email_taken":
            self._registration = None
            self._set_server_error("email", [error.message], frozenset({"email"}))
            self._refresh()
            self._go(ACCOUNT, focus="email")
        else:
            if channel is not None:
                codes.wait(channel, retry_after_s(error.problem) or 0)
            codes.show_message(describe(error), error=True)

    def _poll_mailbox(self) -> None:
        """Demo mode only: read the codes the demo server "sent"."""
        if self.kiosk.demo_accounts and self.step == CODES and self._submitted is not None:
            self._read_mailbox(self._submitted.email, self._submitted.mobile)

    @work(exclusive=True, group="mailbox")
    async def _read_mailbox(self, *addresses: str) -> None:
        newest = []
        for address in addresses:
            try:
                messages = await self.kiosk.client.demo_mailbox(address)
            except ApiError:
                return  # the panel keeps what it showed; the next poll tries again
            newest.extend(messages[:1])
        self._codes.show_mailbox(newest)

    # --- step 4: done ------------------------------------------------------------------------

    def _done(self, username: str, closes_at: dt.datetime | None) -> None:
        self._username = username
        self._closes_at = closes_at
        # The registration is over: its codes are used, the request (and password in it)
        # is no longer needed. The password stays only in its input, to log straight in.
        self._registration = None
        self._submitted = None
        self.query_one("#done-username", Tr).show(R.DONE_USERNAME.fmt(username=username))
        self.tick()
        self._go(DONE)

    def tick(self) -> None:
        """Once a second: the resend countdowns, and the window's time left once registered."""
        self._codes.tick()
        deadline = self.query_one("#done-deadline", Tr)
        if self._closes_at is None:
            deadline.show(None)
            return
        left = (self._closes_at - self.kiosk.clock()).total_seconds()
        deadline.show(R.DONE_DEADLINE.fmt(when=local(self._closes_at), left=remaining(left)))
