"""First-time registration: identity matching, one-time codes, throttling, the window."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from stdnum.cn import ric

from kiosk.protocol.base import TERMINAL_KEY_HEADER
from server.models import Account, AuditEvent, OutgoingMessage, Registration, RegistrationCode
from server.notify import Delivery, delivery_failures, mailbox_messages
from tests.server.conftest import World, id_number, make_world, record
from tests.server.receivers import SmsGateway, SmtpReceiver, sms_gateway, smtp_server

__all__ = ["sms_gateway", "smtp_server"]  # fixtures

EMAIL = "new.student@stu.example.edu.cn"
MOBILE = "13812345678"
NEW_PASSWORD = "Grad2026pass"
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def form(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A registration body that matches ``record(n)``."""
    values = record(n)
    body: dict[str, Any] = {
        "email": EMAIL,
        "password": NEW_PASSWORD,
        "id_type": "身份证",
        "name": values["name"],
        "gender": values["gender"],
        "id_number": values["id_number"],
        "birth_date": values["birth_date"],
        "region": "浙江省湖州市",
        "mobile": MOBILE,
    }
    body.update(overrides)
    return body


async def register(world: World, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return await world.client.post(
        "/api/v1/registrations", json=body, headers=world.headers(key=key)
    )


async def verify(world: World, reg_id: str, key: str | None = None, **codes: str) -> httpx.Response:
    return await world.client.post(
        f"/api/v1/registrations/{reg_id}/verify", json=codes, headers=world.headers(key=key)
    )


async def resend(world: World, reg_id: str, channel: str) -> httpx.Response:
    return await world.client.post(
        f"/api/v1/registrations/{reg_id}/resend",
        json={"channel": channel},
        headers=world.headers(),
    )


def delivery(world: World) -> Delivery:
    found = world.app.state.delivery
    assert isinstance(found, Delivery)
    return found


async def mailbox_codes(world: World, recipient: str, count: int = 1) -> list[str]:
    """The codes in the local mailbox for ``recipient``, oldest first, once ``count`` arrived."""
    for _ in range(500):
        await delivery(world).deliver_due()
        async with world.ctx.db.sessions() as session:
            entries = await mailbox_messages(session, recipient, limit=50)
        if len(entries) >= count:
            return [_code_in(entry.body) for entry in reversed(entries)]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no message for {recipient}")


def _code_in(text: str) -> str:
    found = CODE.search(text)
    assert found is not None, text
    return found.group()


async def registered(world: World, n: int = 1, **overrides: Any) -> tuple[str, str, str]:
    """Register ``record(n)``; the registration id and the two codes."""
    response = await register(world, form(n, **overrides))
    assert response.status_code == 201, response.text
    reg_id = response.json()["registration_id"]
    email = str(overrides.get("email", EMAIL)).strip().casefold()
    mobile = str(overrides.get("mobile", MOBILE))
    return reg_id, (await mailbox_codes(world, email))[-1], (await mailbox_codes(world, mobile))[-1]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def audit_rows(world: World) -> list[AuditEvent]:
    async with world.ctx.db.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.action.startswith("registration"))
        return list((await session.execute(query.order_by(AuditEvent.id))).scalars())


# --- the happy path, with real SMTP and HTTP receivers --------------------------------------


@pytest.fixture
async def wired(
    database_url: str, smtp_server: SmtpReceiver, sms_gateway: SmsGateway
) -> AsyncIterator[World]:
    """The server sending mail to a local SMTP server and SMS to a local HTTP gateway."""
    overrides = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_server.port,
        "smtp_tls": "none",
        "smtp_username": "",
        "mail_from": "学籍校对 <noreply@kiosk.test>",
        "sms_gateway_url": sms_gateway.url,
        "sms_headers": {"X-Api-Key": "gateway-secret"},
        "sms_body_template": {"phone": "{number}", "content": "{text}", "sign": "学籍校对"},
    }
    async for world in make_world(database_url, **overrides):
        yield world


async def test_registration_by_real_mail_and_sms(
    wired: World,
    smtp_server: SmtpReceiver,
    sms_gateway: SmsGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = wired
    student = await world.add_student(1)
    response = await register(world, form(1))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email_masked"] == "ne********t@stu.example.edu.cn"
    assert body["mobile_masked"] == "138****5678"
    start = world.clock.now
    expires = dt.datetime.fromisoformat(body["code_expires_at"])
    assert expires == start + dt.timedelta(minutes=10)

    mail = await smtp_server.wait_for(1)
    assert mail["To"] == EMAIL
    assert mail["From"] == "学籍校对 <noreply@kiosk.test>"
    email_code = _code_in(mail.get_content())
    sms = await sms_gateway.wait_for(1)
    assert sms["headers"]["x-api-key"] == "gateway-secret"
    assert sms["headers"]["content-type"] == "application/json"
    assert sms["json"]["phone"] == MOBILE
    assert sms["json"]["sign"] == "学籍校对"
    sms_code = _code_in(sms["json"]["content"])

    done = await verify(world, body["registration_id"], email_code=email_code, sms_code=sms_code)
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["status"] == "active"
    assert answer["username"] == EMAIL
    closes = dt.datetime.fromisoformat(answer["window_closes_at"])
    assert closes == start + dt.timedelta(hours=24)
    assert (await world.login(EMAIL, NEW_PASSWORD)).status_code == 201
    assert (await world.login(student.student_no, NEW_PASSWORD)).status_code == 201

    async with world.ctx.db.sessions() as session:
        sent = (await session.execute(select(OutgoingMessage))).scalars().all()
        reg = await session.get(Registration, body["registration_id"])
    assert [m.status for m in sent] == ["sent", "sent"]
    assert all(m.body is None for m in sent), "codes must not stay in the queue"
    assert reg is not None and reg.status == "active" and reg.password_hash == ""
    await _assert_codes_nowhere(world, caplog, [email_code, sms_code])


async def _assert_codes_nowhere(
    world: World, caplog: pytest.LogCaptureFixture, codes: list[str]
) -> None:
    rows = await audit_rows(world)
    assert rows
    dumped = json.dumps(
        [[r.actor, r.action, r.target, r.outcome, r.details] for r in rows], ensure_ascii=False
    )
    # Everything at INFO and above, and our own loggers at every level. Not included: the
    # test SMTP server (the receiver's log, not ours) and database drivers' DEBUG traces of
    # statement parameters, which are off unless someone debugs the driver itself.
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("mail")
        and (record.levelno >= logging.INFO or record.name.startswith(("server", "kiosk")))
    )
    for code in codes:
        assert code not in dumped
        assert code not in ours
    assert EMAIL not in dumped and MOBILE not in dumped


async def test_codes_confirm_one_at_a_time_and_never_leak(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await world.add_student(1)
    reg_id, email_code, sms_code = await registered(world)
    first = await verify(world, reg_id, email_code=email_code)
    assert first.status_code == 200
    assert first.json() == {
        "status": "pending",
        "email_confirmed": True,
        "sms_confirmed": False,
        "username": None,
        "window_closes_at": None,
    }
    bad = await verify(world, reg_id, sms_code=wrong(sms_code))
    assert bad.status_code == 422
    assert bad.json()["code"] == "code_invalid"
    assert bad.json()["confirmed"] == {"email": True, "sms": False}
    done = await verify(world, reg_id, sms_code=f" {sms_code} ")
    assert done.json()["status"] == "active"
    await _assert_codes_nowhere(world, caplog, [email_code, sms_code])


# --- identity matching ----------------------------------------------------------------------


async def test_full_width_and_spaced_input_matches(world: World) -> None:
    number = next(
        candidate
        for seq in range(100, 999, 2)  # even sequence numbers: female
        if (candidate := id_number("330502", "2003-05-17", seq)).endswith("X")
    )
    await world.add_student(3, name="王芳", gender="女", id_number=number)
    wide = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "ｘ"
    response = await register(
        world,
        form(
            3,
            name=" 王　芳 ",
            gender=" 女 ",
            id_number=f" {wide[:6]} {wide[6:14]} {wide[14:]} ",
            birth_date="２００３-０５-１７",
            mobile="＋86 138-1234-5678",
            email="  New.Student@STU.example.edu.cn ",
        ),
    )
    assert response.status_code == 201, response.text


async def test_id_number_that_makes_stdnum_raise(world: World) -> None:
    number = "354133198209290022"  # python-stdnum 2.2 raises KeyError on this one
    assert ric.calc_check_digit(number) == number[-1]
    unknown = await register(world, form(2, id_number=number, birth_date="1982-09-29", gender="女"))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "record_not_found"
    await world.add_student(2, id_number=number, birth_date="1982-09-29", gender="女")
    known = await register(world, form(2, id_number=number, birth_date="1982-09-29", gender="女"))
    assert known.status_code == 201, known.text


async def test_unknown_person_and_wrong_name_get_the_same_answer(world: World) -> None:
    await world.add_student(1)
    other_number = record(5)["id_number"]
    unknown = await register(world, form(1, id_number=other_number, gender="男"))
    wrong_name = await register(world, form(1, name="赵六"))
    assert unknown.status_code == wrong_name.status_code == 404
    assert unknown.json() == wrong_name.json()
    assert unknown.json()["code"] == "record_not_found"
    assert "学院教学办" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("gender", "女", "gender_id_mismatch"),
        ("gender", "M", "not_in_list"),
        ("birth_date", "2003-05-18", "birth_date_id_mismatch"),
        ("birth_date", "2003-02-30", "date_format"),
        ("id_number", "330502200305171010", "id_checksum"),
        ("id_number", "33050220030517", "id_length"),
        ("name", "张伟1", "name_characters"),
        ("email", "not-an-address", "email_format"),
        ("mobile", "12812345678", "mobile_format"),
        ("mobile", "1381234567", "mobile_format"),
        ("mobile", "138123456789", "mobile_format"),
        ("password", "short1", "password_too_short"),
        ("password", "onlyletters", "password_letters_digits"),
        ("password", "1234567890", "password_letters_digits"),
        ("password", "a1" * 65, "password_too_long"),
    ],
)
async def test_bad_input_is_refused_per_field(
    world: World, field: str, value: str, code: str
) -> None:
    await world.add_student(1)
    response = await register(world, form(1, **{field: value}))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in problem["errors"]
    ]
    async with world.ctx.db.sessions() as session:
        assert not (await session.execute(select(Registration))).first()
        assert not (await session.execute(select(OutgoingMessage))).first()


async def test_password_may_not_contain_the_id_number_or_student_no(world: World) -> None:
    student = await world.add_student(1)
    with_id = await register(world, form(1, password=f"pw{record(1)['id_number'].lower()}"))
    assert with_id.json()["errors"][0]["code"] == "password_contains_id_number"
    with_no = await register(world, form(1, password=f"Pw-{student.student_no}"))
    assert with_no.status_code == 422
    assert with_no.json()["errors"][0]["code"] == "password_contains_student_no"


async def test_a_record_inconsistent_with_its_id_number_is_a_mismatch(world: World) -> None:
    # The record says 2003-05-18 but its ID number says 2003-05-17: the student cannot fix
    # that at the kiosk, and the answer must not tell the record's value or which field.
    await world.add_student(1, birth_date="2003-05-18")
    await world.add_student(2, gender="男" if record(2)["gender"] == "女" else "女")
    for n in (1, 2):
        response = await register(world, form(n, email=f"s{n}@stu.example.edu.cn"))
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "identity_mismatch"
        assert "学院教学办" in problem["detail"]
        assert problem["errors"] == []
        assert "2003-05-18" not in response.text
        assert "birth" not in response.text and "gender" not in response.text
        assert "target" not in problem


async def test_already_registered_and_email_taken(world: World) -> None:
    await world.add_student(1, email="first@stu.example.edu.cn")
    await world.add_student(2)
    again = await register(world, form(1))
    assert again.status_code == 409
    assert again.json()["code"] == "already_registered"
    taken = await register(world, form(2, email="FIRST@stu.example.edu.cn"))
    assert taken.status_code == 409
    assert taken.json()["code"] == "email_taken"


async def test_terminal_key_is_required_and_binds_the_registration(world: World) -> None:
    await world.add_student(1)
    no_key = await world.client.post("/api/v1/registrations", json=form(1))
    assert no_key.status_code == 401
    assert no_key.json()["code"] == "terminal_key_missing"
    reg_id, email_code, sms_code = await registered(world)
    elsewhere = await verify(
        world, reg_id, key=world.other_terminal_key, email_code=email_code, sms_code=sms_code
    )
    assert elsewhere.status_code == 404
    assert (await verify(world, "no-such-id", email_code="123456")).status_code == 404


# --- codes ----------------------------------------------------------------------------------


async def test_five_wrong_tries_kill_the_code_and_a_resend_revives(world: World) -> None:
    await world.add_student(1)
    reg_id, email_code, sms_code = await registered(world)
    for left in range(4, -1, -1):
        response = await verify(world, reg_id, email_code=wrong(email_code), sms_code=sms_code)
        assert response.status_code == 422
        problem = response.json()
        assert problem["errors"] == [
            {
                "field": "email_code",
                "code": "code_wrong",
                "message": problem["errors"][0]["message"],
            }
        ]
        assert problem["attempts_left"] == {"email": left}
        assert problem["confirmed"] == {"email": False, "sms": True}
    sixth = await verify(world, reg_id, email_code=email_code)
    assert sixth.json()["errors"][0]["code"] == "code_exhausted"
    world.clock.advance(seconds=60)
    assert (await resend(world, reg_id, "email")).status_code == 200
    new_code = (await mailbox_codes(world, EMAIL, 2))[-1]
    old = await verify(world, reg_id, email_code=email_code)
    if new_code != email_code:  # one in a million they coincide
        assert old.json()["errors"][0]["code"] == "code_wrong"
    done = await verify(world, reg_id, email_code=new_code)
    assert done.json()["status"] == "active"


async def test_expired_code_and_resend(world: World) -> None:
    await world.add_student(1)
    reg_id, email_code, sms_code = await registered(world)
    world.clock.advance(minutes=10)
    expired = await verify(world, reg_id, email_code=email_code, sms_code=sms_code)
    assert expired.status_code == 422
    assert {e["code"] for e in expired.json()["errors"]} == {"code_expired"}
    assert (await resend(world, reg_id, "sms")).status_code == 200
    assert (await resend(world, reg_id, "email")).status_code == 200
    email_new = (await mailbox_codes(world, EMAIL, 2))[-1]
    sms_new = (await mailbox_codes(world, MOBILE, 2))[-1]
    done = await verify(world, reg_id, email_code=email_new, sms_code=sms_new)
    assert done.json()["status"] == "active"


async def test_codes_are_single_use(world: World) -> None:
    await world.add_student(1)
    reg_id, email_code, sms_code = await registered(world)
    assert (await verify(world, reg_id, email_code=email_code, sms_code=sms_code)).is_success
    reused = await verify(world, reg_id, email_code=email_code, sms_code=sms_code)
    assert reused.status_code == 409
    assert reused.json()["code"] == "registration_closed"
    assert (await resend(world, reg_id, "email")).json()["code"] == "registration_closed"


async def test_a_missing_code_is_named(world: World) -> None:
    await world.add_student(1)
    reg_id, _email_code, _sms_code = await registered(world)
    response = await verify(world, reg_id)
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["code_missing", "code_missing"]


async def test_codes_are_stored_hashed(world: World) -> None:
    await world.add_student(1)
    _reg_id, email_code, sms_code = await registered(world)
    async with world.ctx.db.sessions() as session:
        rows = (await session.execute(select(RegistrationCode))).scalars().all()
    assert len(rows) == 2
    for row in rows:
        assert len(row.code_hash) == 64
        assert email_code not in row.code_hash and sms_code not in row.code_hash


# --- throttling -----------------------------------------------------------------------------


async def test_resend_too_soon_then_after_a_minute(world: World) -> None:
    await world.add_student(1)
    reg_id, _email_code, sms_code = await registered(world)
    world.clock.advance(seconds=59)
    soon = await resend(world, reg_id, "email")
    assert soon.status_code == 429
    assert soon.json()["code"] == "resend_too_soon"
    assert soon.json()["retry_after_s"] == 1
    assert soon.headers["retry-after"] == "1"
    world.clock.advance(seconds=1)
    ok = await resend(world, reg_id, "email")
    assert ok.status_code == 200, ok.text
    assert ok.json()["sends_left"] == 8
    assert (await verify(world, reg_id, sms_code=sms_code)).json()["sms_confirmed"] is True
    confirmed = await resend(world, reg_id, "sms")
    assert confirmed.status_code == 409
    assert confirmed.json()["code"] == "code_already_confirmed"


async def test_a_new_registration_to_the_same_address_is_throttled_too(world: World) -> None:
    await world.add_student(1)
    await registered(world)
    again = await register(world, form(1))
    assert again.status_code == 429
    assert again.json()["code"] == "resend_too_soon"


@pytest.fixture
async def long_world(database_url: str) -> AsyncIterator[World]:
    """Registrations that stay open for three days."""
    async for world in make_world(database_url, registration_ttl_hours=72):
        yield world


async def test_daily_cap_per_address(long_world: World) -> None:
    world = long_world
    await world.add_student(1)
    reg_id, _email_code, _sms_code = await registered(world)
    cap = world.ctx.settings.resend_daily_cap
    for sent in range(2, cap + 1):
        world.clock.advance(seconds=60)
        response = await resend(world, reg_id, "email")
        assert response.status_code == 200, response.text
        assert response.json()["sends_left"] == cap - sent
    world.clock.advance(seconds=60)
    capped = await resend(world, reg_id, "email")
    assert capped.status_code == 429
    assert capped.json()["code"] == "send_limit_reached"
    assert capped.json()["retry_after_s"] == 24 * 3600 - cap * 60
    world.clock.advance(hours=24)
    assert (await resend(world, reg_id, "email")).status_code == 200


async def test_registration_lapses(world: World) -> None:
    await world.add_student(1)
    reg_id, email_code, sms_code = await registered(world)
    world.clock.advance(hours=24)
    late = await verify(world, reg_id, email_code=email_code, sms_code=sms_code)
    assert late.status_code == 410
    assert late.json()["code"] == "registration_expired"


# --- the window -----------------------------------------------------------------------------


async def test_window_closes_24_hours_after_activation(world: World) -> None:
    student = await world.add_student(1)
    reg_id, email_code, sms_code = await registered(world)
    world.clock.advance(minutes=5)
    activated_at = world.clock.now
    done = await verify(world, reg_id, email_code=email_code, sms_code=sms_code)
    assert dt.datetime.fromisoformat(
        done.json()["window_closes_at"]
    ) == activated_at + dt.timedelta(hours=24)
    world.clock.advance(hours=23, minutes=59)
    assert (await world.login(EMAIL, NEW_PASSWORD)).status_code == 201
    world.clock.advance(minutes=1)
    closed = await world.login(student.student_no, NEW_PASSWORD)
    assert closed.status_code == 403
    assert closed.json()["code"] == "window_closed"


# --- delivery -------------------------------------------------------------------------------


@pytest.fixture
async def unreachable(database_url: str) -> AsyncIterator[World]:
    """SMTP and the SMS gateway point at closed ports; retries are quick to reach."""
    from tests.e2e.serving import free_port

    overrides = {
        "smtp_host": "127.0.0.1",
        "smtp_port": free_port(),
        "smtp_tls": "none",
        "smtp_timeout_s": 2,
        "sms_gateway_url": f"http://127.0.0.1:{free_port()}/sms",
        "delivery_max_attempts": 3,
        "delivery_retry_base_s": 10,
        "delivery_poll_s": 300,
    }
    async for world in make_world(database_url, **overrides):
        yield world


async def _settled(world: World) -> list[OutgoingMessage]:
    for _ in range(500):
        await delivery(world).deliver_due()
        async with world.ctx.db.sessions() as session:
            rows = list((await session.execute(select(OutgoingMessage))).scalars())
        if rows and all(row.status in ("pending", "sent", "failed") for row in rows):
            return rows
        await asyncio.sleep(0.01)
    raise AssertionError("delivery did not settle")


async def test_failed_delivery_is_retried_then_recorded(
    unreachable: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = unreachable
    caplog.set_level(logging.DEBUG)
    await world.add_student(1)
    assert (await register(world, form(1))).status_code == 201
    first = await _settled(world)
    assert {(row.status, row.attempts) for row in first} == {("pending", 1)}
    assert all(row.last_error for row in first)
    world.clock.advance(seconds=10)
    await _settled(world)
    world.clock.advance(seconds=20)
    final = await _settled(world)
    assert {(row.status, row.attempts) for row in final} == {("failed", 3)}
    assert all(row.body is None for row in final)
    async with world.ctx.db.sessions() as session:
        failures = await delivery_failures(session)
    assert {f.channel for f in failures} == {"email", "sms"}
    assert all(f.status == "failed" and f.last_error for f in failures)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("server")]
    assert any("not delivered" in line for line in ours)
    assert not any(CODE.search(text) for text in [*ours, *(f.last_error or "" for f in failures)])


async def test_a_code_not_delivered_in_time_is_dropped(unreachable: World) -> None:
    world = unreachable
    await world.add_student(1)
    assert (await register(world, form(1))).status_code == 201
    await _settled(world)
    world.clock.advance(minutes=10)
    final = await _settled(world)
    assert {(row.status, row.last_error) for row in final} == {
        ("failed", "expired before delivery")
    }


async def test_gateway_errors_are_recorded_without_the_body(
    database_url: str, sms_gateway: SmsGateway
) -> None:
    sms_gateway.status = 500
    async for world in make_world(database_url, sms_gateway_url=sms_gateway.url):
        await world.add_student(1)
        assert (await register(world, form(1))).status_code == 201
        rows = await _settled(world)
        sms = next(row for row in rows if row.channel == "sms")
        assert sms.status == "pending"
        assert sms.last_error == "DeliveryError: SMS gateway answered HTTP 500"


# --- the demo mailbox -----------------------------------------------------------------------


async def test_no_demo_mailbox_on_real_servers(world: World) -> None:
    missing = await world.client.get("/api/v1/demo/mailbox", params={"to": EMAIL})
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


@pytest.fixture
async def demo_world(database_url: str) -> AsyncIterator[World]:
    """A server started with ``demo = true``."""
    async for world in make_world(database_url, demo=True):
        yield world


async def test_demo_mailbox_shows_the_codes(demo_world: World) -> None:
    world = demo_world
    await world.add_student(7)
    assert (await register(world, form(7))).status_code == 201
    await mailbox_codes(world, MOBILE)
    box = await world.client.get("/api/v1/demo/mailbox", params={"to": "138 1234 5678"})
    assert box.status_code == 200
    messages = box.json()["messages"]
    assert [m["channel"] for m in messages] == ["sms"]
    assert messages[0]["to"] == MOBILE
    assert CODE.search(messages[0]["text"])
    mail = await world.client.get("/api/v1/demo/mailbox", params={"to": EMAIL.upper()})
    assert mail.json()["messages"][0]["subject"]


async def test_accounts_are_unique_even_when_two_registrations_race(world: World) -> None:
    await world.add_student(1)
    first = await registered(world)
    world.clock.advance(seconds=60)
    second = await registered(world, email="second@stu.example.edu.cn", mobile="13900001111")
    assert (await verify(world, second[0], email_code=second[1], sms_code=second[2])).is_success
    late = await verify(world, first[0], email_code=first[1], sms_code=first[2])
    assert late.status_code == 409
    assert late.json()["code"] == "already_registered"
    async with world.ctx.db.sessions() as session:
        accounts = (await session.execute(select(Account.username))).scalars().all()
    assert accounts == ["second@stu.example.edu.cn"]


async def test_only_the_id_card_is_accepted(world: World) -> None:
    await world.add_student(1)
    response = await world.client.post(
        "/api/v1/registrations",
        json=form(1, id_type="护照"),
        headers={TERMINAL_KEY_HEADER: world.terminal_key},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "id_type"
