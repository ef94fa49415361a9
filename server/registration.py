"""First-time registration: identity matched against the record, then an e-mail and an SMS code.

``POST /registrations`` checks the form, matches it against one student record, and queues a
code to the e-mail address and one to the mobile number; ``…/verify`` takes the codes and,
once both are confirmed, creates the account and starts the verification window;
``…/resend`` sends a channel a new code. Each request is one transaction, including its
audit row; refusals are committed (audit, tries) and raised after the commit.

What the answers leak (a terminal is a public machine, so assume anyone can ask):

* ``validation_failed`` looks only at the request itself (formats, the ID number's check
  digit, that the birth date and gender agree with the ID number) — nothing from the records.
* ``record_not_found`` is the one answer for "no record has this ID number" and "the record
  with this ID number has another name", so an ID number alone cannot be tested for
  membership, and a name is never confirmed or denied on its own.
* Only a caller who already gave a matching name *and* ID number gets anything more:
  ``identity_mismatch`` (the record's gender or birth date differs; since the request's
  values must agree with the ID number, this means the record itself is inconsistent — the
  answer never says which field), ``already_registered``, ``email_taken``, and the password
  rule about the 学号. They tell that person that the record exists — which whoever holds a
  name with its ID number can assume anyway — and never a value from the record.
* ``email_taken`` reveals that an address has an account, but only to a caller past the
  identity match, and it never tells whose.
* No answer echoes a record value; contacts come back masked, and only the caller's own.

One-time codes are 6 digits from :mod:`secrets`, bound to one registration and channel,
valid ``code_ttl_minutes``, single use, dead after ``code_max_attempts`` wrong tries. They are
stored as HMAC-SHA256 under a key derived from the server secret, not as a salted SHA-256:
a million possible codes fall to brute force in a moment whatever the salt, as the salt sits
beside the hash, but without the server secret a database dump gives nothing to test
guesses against. Online guessing is what the try limit is for: 5 tries on a million codes is
a 1 in 200,000 chance per code, and at most ``resend_daily_cap`` codes a day per address.
Codes are never logged and never put in audit rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Request
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.catalogue import CODE_WRONG
from kiosk.fields import (
    GENDERS,
    M_BIRTH_ID_MISMATCH,
    M_DATE_FORMAT,
    M_GENDER_ID_MISMATCH,
    M_NOT_IN_LIST,
    Problem,
    check_email,
    check_id_number,
    check_mobile,
    check_password,
    name_key,
    normalise_code,
    normalise_text,
    parse_date,
    validate_field,
)
from kiosk.i18n import Msg, Plural
from kiosk.privacy import mask_email, mask_mobile
from kiosk.protocol.base import API_PREFIX, FieldError
from kiosk.protocol.registration import (
    Channel,
    RegistrationRequest,
    RegistrationResponse,
    ResendRequest,
    ResendResponse,
    VerifyCodesRequest,
    VerifyCodesResponse,
)
from server.audit import audit
from server.auth import TerminalKey, authenticate_terminal
from server.context import Ctx, ServerContext
from server.db import locked_row
from server.models import Account, Registration, RegistrationCode, SendThrottle, Student, Terminal
from server.notify import Delivery, OutgoingMessage, queue_message
from server.problems import ApiProblem, retry_problem, validation_problem
from server.rate_limit import spend_terminal_attempt
from server.throttle import FixedWindow

router = APIRouter(prefix=API_PREFIX, tags=["registration"])

CHANNELS: tuple[Channel, ...] = ("email", "sms")
CODE_FIELDS: dict[Channel, str] = {"email": "email_code", "sms": "sms_code"}
_CODE_KEY_LABEL = b"registration-code.v1"
SEND_WINDOW = dt.timedelta(hours=24)
"""The window of ``resend_daily_cap``: codes to one address or number per 24 hours."""

_T = TypeVar("_T")

RegistrationId = Annotated[str, Path(min_length=1, max_length=64)]

M_CODE_EXPIRED = Msg("验证码已过期，请重新获取。", "The code has expired; ask for a new one.")
M_CODE_EXHAUSTED = Msg(
    "错误次数太多，此验证码已失效，请重新获取。",
    "Too many wrong tries; this code no longer works. Ask for a new one.",
)
M_CODE_MISSING = Msg("请填写验证码。", "Please enter the code.")
# The problems' details (the kiosk words them itself, by code: kiosk/errors.py).
M_RECORD_NOT_FOUND = Msg(
    "没有与该姓名和身份证号相符的学籍记录，请联系学院教学办。",
    "No student record matches this name and ID number; please contact your college office "
    "(学院教学办).",
)
M_IDENTITY_MISMATCH = Msg(
    "所填信息与学籍记录不一致，请联系学院教学办核实。",
    "These details do not agree with the student record; please contact your college office "
    "(学院教学办).",
)
M_ALREADY_REGISTERED = Msg(
    "该学生已注册，请直接登录。", "This student already has an account; log in instead."
)
M_EMAIL_TAKEN = Msg("该邮箱已被其他账号使用。", "This e-mail address is used by another account.")
M_SEND_LIMIT = Msg(
    "今天发送到该地址或号码的验证码太多，请稍后再试。",
    "Too many codes to this address or number today; try again later.",
)
M_RESEND_TOO_SOON = Msg(
    "刚刚发送过验证码，请稍候再试。",
    "A code was sent a moment ago; wait a little before asking again.",
)
M_REGISTRATION_CLOSED = Msg(
    "注册已完成，请用邮箱和密码登录。",
    "This registration is complete; log in with the e-mail address and password.",
)
M_REGISTRATION_EXPIRED = Msg(
    "注册已过期，请重新注册。", "This registration has lapsed; please register again."
)
M_CODE_INVALID = Msg("验证码有误、已过期或已失效。", "A code is wrong, expired or used up.")
M_CODE_ALREADY_CONFIRMED = Msg("该验证码已确认，无需重发。", "This channel is confirmed already.")
M_CODE_SUBJECT = Msg("学籍校对终端 注册验证码", "Registration code")


@dataclass(frozen=True)
class _Form:
    """A registration request after normalising and checking its format."""

    email: str
    password: str
    name: str
    gender: str
    id_number: str
    birth_date: str
    region: str | None
    mobile: str


def _field_errors(field: str, problems: tuple[Problem, ...]) -> list[FieldError]:
    return [FieldError(field=field, code=p.code, message=p.msg.both()) for p in problems]


def _check_form(body: RegistrationRequest, today: dt.date) -> _Form | list[FieldError]:
    """The normalised form, or every format problem; looks at nothing but the request."""
    errors: list[FieldError] = []
    email = check_email(body.email)
    errors += _field_errors("email", email.errors)
    id_check = check_id_number(body.id_number, today)
    # Region warnings are ignored: stdnum's table rejects some real numbers.
    errors += _field_errors("id_number", id_check.errors)
    errors += _field_errors("password", check_password(body.password, id_number=id_check.number))
    name = validate_field("name", body.name)
    errors += _field_errors("name", name.errors)
    gender = normalise_text(body.gender)
    if gender not in GENDERS:
        errors += _field_errors("gender", (Problem("not_in_list", M_NOT_IN_LIST),))
    elif id_check.gender is not None and gender != id_check.gender:
        problem = Problem("gender_id_mismatch", M_GENDER_ID_MISMATCH.fmt(expected=id_check.gender))
        errors += _field_errors("gender", (problem,))
    birth = parse_date(body.birth_date)
    if birth is None:
        errors += _field_errors("birth_date", (Problem("date_format", M_DATE_FORMAT),))
    elif id_check.birth_date is not None and birth != id_check.birth_date:
        expected = id_check.birth_date.isoformat()
        problem = Problem("birth_date_id_mismatch", M_BIRTH_ID_MISMATCH.fmt(expected=expected))
        errors += _field_errors("birth_date", (problem,))
    region = normalise_text(body.region or "") or None
    if region is not None:
        errors += _field_errors("region", validate_field("institution", region).errors)
    mobile = check_mobile(body.mobile)
    errors += _field_errors("mobile", mobile.errors)
    if errors or birth is None:
        return errors
    return _Form(
        email=email.value,
        password=body.password,
        name=name.value,
        gender=gender,
        id_number=id_check.number,
        birth_date=birth.isoformat(),
        region=region,
        mobile=mobile.value,
    )


async def _match(session: AsyncSession, form: _Form) -> Student:
    """The one record this form belongs to, or the problem to answer (see the module doc)."""
    student = (
        await session.execute(select(Student).where(Student.id_number == form.id_number))
    ).scalar_one_or_none()
    if student is None or name_key(student.name) != name_key(form.name):
        raise ApiProblem(
            404,
            "record_not_found",
            M_RECORD_NOT_FOUND.both(),
        )
    if student.gender != form.gender or student.birth_date != form.birth_date:
        raise ApiProblem(
            422,
            "identity_mismatch",
            M_IDENTITY_MISMATCH.both(),
            target=f"student:{student.id}",
        )
    if await _has_account(session, Account.student_id == student.id):
        raise ApiProblem(
            409,
            "already_registered",
            M_ALREADY_REGISTERED.both(),
            target=f"student:{student.id}",
        )
    if await _has_account(session, Account.username == form.email):
        raise ApiProblem(
            409,
            "email_taken",
            M_EMAIL_TAKEN.both(),
            target=f"student:{student.id}",
        )
    problems = check_password(form.password, student_no=student.student_no)
    if problems:
        raise validation_problem(_field_errors("password", problems))
    return student


async def _has_account(session: AsyncSession, condition: ColumnElement[bool]) -> bool:
    query = select(Account.id).where(condition).limit(1)
    return (await session.execute(query)).first() is not None


def _code_hash(ctx: ServerContext, registration_id: str, channel: str, code: str) -> str:
    key = hmac.new(ctx.settings.secret_key.encode(), _CODE_KEY_LABEL, hashlib.sha256).digest()
    message = f"{registration_id}:{channel}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


_CODE_MAIL = Plural(
    "您的注册验证码是：{code}\n{n} 分钟内有效，只能使用一次。如果不是您本人在注册，请忽略这封邮件。",
    "Your registration code is: {code}\nIt works once, within 1 minute. "
    "If you are not registering, ignore this mail.",
    "Your registration code is: {code}\nIt works once, within {n} minutes. "
    "If you are not registering, ignore this mail.",
)


def _code_message(ctx: ServerContext, channel: Channel, to: str, code: str) -> OutgoingMessage:
    minutes = ctx.settings.code_ttl_minutes
    if channel == "sms":
        text = (
            f"【学籍校对】注册验证码 {code}，{minutes} 分钟内有效。"
            f"Registration code {code}, valid {minutes} min."
        )
        return OutgoingMessage("sms", to, None, text)
    mail = _CODE_MAIL.n(minutes, code=code)
    text = f"{mail.zh}\n\n{mail.en}\n"
    return OutgoingMessage("email", to, M_CODE_SUBJECT.both(), text)


# --- throttling codes per address ---------------------------------------------------------


def _throttle_key(channel: str, address: str) -> str:
    # Hashed so the table holds no addresses or numbers.
    return f"{channel}:" + hashlib.sha256(address.encode()).hexdigest()


async def _throttle_row(
    session: AsyncSession, ctx: ServerContext, channel: str, address: str, now: dt.datetime
) -> SendThrottle:
    key = _throttle_key(channel, address)
    values = {"key": key, "window_started_at": now, "attempts": 0, "last_sent_at": now}
    row = await locked_row(session, SendThrottle, values)
    _send_day(ctx).roll(row)
    return row


def _send_day(ctx: ServerContext) -> FixedWindow:
    return FixedWindow(SEND_WINDOW, ctx.settings.resend_daily_cap, ctx.now)


def _throttle_problem(ctx: ServerContext, row: SendThrottle, now: dt.datetime) -> ApiProblem | None:
    """Why no code may go to this address now, if so."""
    settings = ctx.settings
    day = _send_day(ctx)
    if day.full(row):
        return retry_problem(
            "send_limit_reached",
            M_SEND_LIMIT.both(),
            day.wait(row),
        )
    next_allowed = row.last_sent_at + dt.timedelta(seconds=settings.resend_interval_s)
    if row.attempts and now < next_allowed:
        return retry_problem(
            "resend_too_soon",
            M_RESEND_TOO_SOON.both(),
            next_allowed - now,
        )
    return None


def _count_send(ctx: ServerContext, row: SendThrottle, now: dt.datetime) -> None:
    _send_day(ctx).add(row)
    row.last_sent_at = now


# --- the endpoints ------------------------------------------------------------------------


def _delivery(request: Request) -> Delivery:
    delivery = request.app.state.delivery
    assert isinstance(delivery, Delivery)
    return delivery


async def _refusing(
    session: AsyncSession,
    ctx: ServerContext,
    action: str,
    terminal: Terminal,
    step: Awaitable[_T],
    target: str | None = None,
) -> _T | ApiProblem:
    """Run ``step``; a refusal is audited and returned, to be raised after the commit.

    A problem's ``target`` extension (an opaque ``student:<id>``) goes to the audit row and
    is removed from the answer.
    """
    try:
        return await step
    except ApiProblem as problem:
        where = problem.extensions.pop("target", None) or target
        audit(
            session, action, actor=f"terminal:{terminal.id}", at=ctx.now(),
            terminal_id=terminal.id, target=where, outcome="denied", reason=problem.code,
        )  # fmt: skip
        return problem


@router.post(
    "/registrations",
    status_code=201,
    response_model=RegistrationResponse,
    summary="Register a first-time student; sends an e-mail and an SMS code",
    responses={
        404: {"description": "`record_not_found`"},
        409: {"description": "`already_registered`, `email_taken`"},
        422: {"description": "`validation_failed` (per field), `identity_mismatch`"},
        429: {
            "description": "`resend_too_soon`, `send_limit_reached`, `rate_limited` (per "
            "terminal), with `retry_after_s`"
        },
    },
)
async def register(
    body: RegistrationRequest, ctx: Ctx, request: Request, terminal_key: TerminalKey = None
) -> RegistrationResponse:
    """Match the identity against the records, then queue one code by mail and one by SMS.

    The module docstring lists what each refusal reveals and why that is acceptable. The
    password is hashed between two transactions so the argon2 time holds no lock; the
    second transaction matches again, so a registration completed meanwhile is noticed.
    """
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        await spend_terminal_attempt(session, ctx, terminal.id)
        form = await _refusing(session, ctx, "registration", terminal, _checked(ctx, body, session))
    if isinstance(form, ApiProblem):
        raise form
    password_hash = await ctx.passwords.hash(form.password)
    async with ctx.db.sessions.begin() as session:
        step = _create(session, ctx, form, password_hash, terminal)
        answer = await _refusing(session, ctx, "registration", terminal, step)
    if isinstance(answer, ApiProblem):
        raise answer
    _delivery(request).wake()
    return answer


async def _checked(ctx: ServerContext, body: RegistrationRequest, session: AsyncSession) -> _Form:
    form = _check_form(body, ctx.now().date())
    if isinstance(form, list):
        raise validation_problem(form)
    await _match(session, form)
    return form


async def _create(
    session: AsyncSession,
    ctx: ServerContext,
    form: _Form,
    password_hash: str,
    terminal: Terminal,
) -> RegistrationResponse:
    settings = ctx.settings
    now = ctx.now()
    student = await _match(session, form)
    addresses: dict[Channel, str] = {"email": form.email, "sms": form.mobile}
    throttles = {ch: await _throttle_row(session, ctx, ch, addresses[ch], now) for ch in CHANNELS}
    for channel in CHANNELS:
        problem = _throttle_problem(ctx, throttles[channel], now)
        if problem is not None:
            problem.extensions["target"] = f"student:{student.id}"
            raise problem
    registration = Registration(
        id=secrets.token_hex(16),
        student_id=student.id,
        terminal_id=terminal.id,
        email=form.email,
        mobile=form.mobile,
        region=form.region,
        password_hash=password_hash,
        status="pending",
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.registration_ttl_hours),
    )
    session.add(registration)
    code_expires = now + dt.timedelta(minutes=settings.code_ttl_minutes)
    for channel in CHANNELS:
        code = _new_code()
        session.add(
            RegistrationCode(
                registration_id=registration.id,
                channel=channel,
                code_hash=_code_hash(ctx, registration.id, channel, code),
                expires_at=code_expires,
                wrong_tries=0,
            )
        )
        _send_code(session, ctx, registration, channel, code, code_expires)
        _count_send(ctx, throttles[channel], now)
    audit(
        session, "registration", actor=f"terminal:{terminal.id}", at=now,
        terminal_id=terminal.id, target=f"registration:{registration.id}",
        student=f"student:{student.id}",
    )  # fmt: skip
    return RegistrationResponse(
        registration_id=registration.id,
        email_masked=mask_email(form.email),
        mobile_masked=mask_mobile(form.mobile),
        code_expires_at=code_expires,
        resend_after=now + dt.timedelta(seconds=settings.resend_interval_s),
        expires_at=registration.expires_at,
    )


def _send_code(
    session: AsyncSession,
    ctx: ServerContext,
    registration: Registration,
    channel: Channel,
    code: str,
    expires_at: dt.datetime,
) -> None:
    to = registration.email if channel == "email" else registration.mobile
    queue_message(
        session,
        _code_message(ctx, channel, to, code),
        now=ctx.now(),
        expires_at=expires_at,
        reference=f"registration:{registration.id}",
    )


async def _pending_registration(
    session: AsyncSession, ctx: ServerContext, registration_id: str, terminal: Terminal
) -> tuple[Registration, dict[str, RegistrationCode]]:
    """The registration, locked, if it was started at this terminal and can still go on."""
    registration = (
        await session.execute(
            select(Registration)
            .where(Registration.id == registration_id, Registration.terminal_id == terminal.id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if registration is None:
        raise ApiProblem(404, "not_found", "No such registration at this terminal.")
    if registration.status != "pending":
        raise ApiProblem(
            409,
            "registration_closed",
            M_REGISTRATION_CLOSED.both(),
        )
    if ctx.now() >= registration.expires_at:
        raise ApiProblem(
            410,
            "registration_expired",
            M_REGISTRATION_EXPIRED.both(),
        )
    codes = (
        await session.execute(
            select(RegistrationCode)
            .where(RegistrationCode.registration_id == registration.id)
            .with_for_update()
        )
    ).scalars()
    return registration, {code.channel: code for code in codes}


@router.post(
    "/registrations/{registration_id}/verify",
    response_model=VerifyCodesResponse,
    summary="Confirm the e-mail and SMS codes; both confirmed → the account is active",
    responses={
        404: {"description": "`not_found`: unknown, or started at another terminal"},
        409: {"description": "`registration_closed`, `already_registered`, `email_taken`"},
        410: {"description": "`registration_expired`"},
        422: {"description": "`code_invalid` with per-field `errors`, `attempts_left`"},
    },
)
async def verify(
    registration_id: RegistrationId,
    body: VerifyCodesRequest,
    ctx: Ctx,
    terminal_key: TerminalKey = None,
) -> VerifyCodesResponse:
    """Check the codes given; each right one confirms its channel for good.

    When both channels are confirmed the account is created and the student's verification
    window starts: it closes ``verification_window_hours`` after this moment.
    """
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        step = _verify(session, ctx, registration_id, body, terminal)
        target = f"registration:{registration_id[:40]}"
        answer = await _refusing(session, ctx, "registration_verify", terminal, step, target)
    if isinstance(answer, ApiProblem):
        raise answer
    return answer


async def _verify(
    session: AsyncSession,
    ctx: ServerContext,
    registration_id: str,
    body: VerifyCodesRequest,
    terminal: Terminal,
) -> VerifyCodesResponse:
    registration, codes = await _pending_registration(session, ctx, registration_id, terminal)
    given = {"email": body.email_code, "sms": body.sms_code}
    open_channels = [ch for ch in CHANNELS if codes[ch].confirmed_at is None]
    # A code may be left out to confirm the other one first, but not all of them.
    checked = [ch for ch in open_channels if given[ch]] or open_channels
    errors: list[FieldError] = []
    attempts_left: dict[str, int] = {}
    for channel in checked:
        row = codes[channel]
        problem = _check_code(ctx, registration, row, given[channel])
        if problem is not None:
            errors.append(FieldError(field=CODE_FIELDS[channel], code=problem.code,
                                     message=problem.msg.both()))  # fmt: skip
            if problem.code == "code_wrong":
                attempts_left[channel] = ctx.settings.code_max_attempts - row.wrong_tries
    confirmed = {channel: codes[channel].confirmed_at is not None for channel in CHANNELS}
    now = ctx.now()
    target = f"registration:{registration.id}"
    actor = f"terminal:{terminal.id}"
    if errors:
        raise ApiProblem(
            422,
            "code_invalid",
            M_CODE_INVALID.both(),
            errors=errors,
            attempts_left=attempts_left,
            confirmed=confirmed,
        )
    if not all(confirmed.values()):
        audit(session, "registration_verify", actor=actor, at=now, terminal_id=terminal.id,
              target=target, confirmed=[ch for ch in CHANNELS if confirmed[ch]])  # fmt: skip
        return VerifyCodesResponse(
            status="pending", email_confirmed=confirmed["email"], sms_confirmed=confirmed["sms"]
        )
    account, closes_at = await _activate(session, ctx, registration)
    audit(session, "registration_verify", actor=actor, at=now, terminal_id=terminal.id,
          target=target, activated=f"account:{account.id}")  # fmt: skip
    return VerifyCodesResponse(
        status="active",
        email_confirmed=True,
        sms_confirmed=True,
        username=account.username,
        window_closes_at=closes_at,
    )


def _check_code(
    ctx: ServerContext, registration: Registration, row: RegistrationCode, given: str | None
) -> Problem | None:
    """None when ``given`` confirms the channel; a wrong code uses up one try."""
    now = ctx.now()
    if not given:
        return Problem("code_missing", M_CODE_MISSING)
    if row.wrong_tries >= ctx.settings.code_max_attempts:
        return Problem("code_exhausted", M_CODE_EXHAUSTED)
    if now >= row.expires_at:
        return Problem("code_expired", M_CODE_EXPIRED)
    expected = _code_hash(ctx, registration.id, row.channel, normalise_code(given))
    if hmac.compare_digest(expected, row.code_hash):
        row.confirmed_at = now
        return None
    row.wrong_tries += 1
    left = ctx.settings.code_max_attempts - row.wrong_tries
    return Problem("code_wrong", CODE_WRONG.n(left))


async def _activate(
    session: AsyncSession, ctx: ServerContext, registration: Registration
) -> tuple[Account, dt.datetime]:
    """Create the account and start the window (both codes are confirmed)."""
    now = ctx.now()
    student = await session.get(Student, registration.student_id, with_for_update=True)
    assert student is not None  # the foreign key cascades
    if await _has_account(session, Account.student_id == student.id):
        raise ApiProblem(409, "already_registered", "This student already has an account.")
    if await _has_account(session, Account.username == registration.email):
        raise ApiProblem(409, "email_taken", "This e-mail address is used by another account.")
    account = Account(
        username=registration.email,
        password_hash=registration.password_hash,
        role="student",
        student_id=student.id,
        active=True,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(account)
    except IntegrityError:
        # A concurrent activation won the unique user name or student; the retry says which.
        raise ApiProblem(409, "already_registered", "This account exists already.") from None
    closes_at = now + dt.timedelta(hours=ctx.settings.verification_window_hours)
    student.window_closes_at = closes_at
    registration.status = "active"
    registration.activated_at = now
    # The account has the hash now; the registration need not keep a second copy.
    registration.password_hash = ""
    return account, closes_at


@router.post(
    "/registrations/{registration_id}/resend",
    response_model=ResendResponse,
    summary="Send one channel a new code (throttled per address)",
    responses={
        404: {"description": "`not_found`"},
        409: {"description": "`registration_closed`, `code_already_confirmed`"},
        410: {"description": "`registration_expired`"},
        429: {"description": "`resend_too_soon`, `send_limit_reached` with `retry_after_s`"},
    },
)
async def resend(
    registration_id: RegistrationId,
    body: ResendRequest,
    ctx: Ctx,
    request: Request,
    terminal_key: TerminalKey = None,
) -> ResendResponse:
    """Replace the channel's code with a new one (fresh tries, fresh 10 minutes) and send it."""
    async with ctx.db.sessions.begin() as session:
        terminal = await authenticate_terminal(session, terminal_key)
        step = _resend(session, ctx, registration_id, body.channel, terminal)
        target = f"registration:{registration_id[:40]}"
        answer = await _refusing(session, ctx, "registration_resend", terminal, step, target)
    if isinstance(answer, ApiProblem):
        raise answer
    _delivery(request).wake()
    return answer


async def _resend(
    session: AsyncSession,
    ctx: ServerContext,
    registration_id: str,
    channel: Channel,
    terminal: Terminal,
) -> ResendResponse:
    settings = ctx.settings
    registration, codes = await _pending_registration(session, ctx, registration_id, terminal)
    row = codes[channel]
    if row.confirmed_at is not None:
        raise ApiProblem(
            409,
            "code_already_confirmed",
            M_CODE_ALREADY_CONFIRMED.both(),
        )
    now = ctx.now()
    address = registration.email if channel == "email" else registration.mobile
    throttle = await _throttle_row(session, ctx, channel, address, now)
    problem = _throttle_problem(ctx, throttle, now)
    if problem is not None:
        raise problem
    code = _new_code()
    row.code_hash = _code_hash(ctx, registration.id, channel, code)
    row.expires_at = now + dt.timedelta(minutes=settings.code_ttl_minutes)
    row.wrong_tries = 0
    _send_code(session, ctx, registration, channel, code, row.expires_at)
    _count_send(ctx, throttle, now)
    audit(
        session, "registration_resend", actor=f"terminal:{terminal.id}", at=now,
        terminal_id=terminal.id, target=f"registration:{registration.id}", channel=channel,
    )  # fmt: skip
    return ResendResponse(
        channel=channel,
        code_expires_at=row.expires_at,
        resend_after=now + dt.timedelta(seconds=settings.resend_interval_s),
        sends_left=settings.resend_daily_cap - throttle.attempts,
    )
