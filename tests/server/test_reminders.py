"""Reminders through the API, delivered by real SMTP and a real HTTP SMS gateway on loopback:
the preview, the send, one a day per student, the audit, and who was reminded when."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, OutgoingMessage, Registration, Reminder, Student
from tests.server.conftest import World, make_world, record
from tests.server.receivers import SmsGateway, SmtpReceiver, sms_gateway, smtp_server
from tests.server.staff_world import COLLEGE, OTHER_COLLEGE, staff_headers
from tests.server.test_progress import CLASS, campaign

__all__ = ["sms_gateway", "smtp_server"]  # fixtures

MOBILE = "13800138003"
DEADLINE = dt.date(2026, 6, 20)
NOT_CHECKED = ["registered_not_checked", "window_closed"]


def wiring(smtp: SmtpReceiver, sms: SmsGateway) -> dict[str, object]:
    """Settings that send mail to ``smtp`` and SMS to ``sms``."""
    return {
        "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_tls": "none",
        "mail_from": "学籍校对 <noreply@kiosk.test>", "sms_gateway_url": sms.url,
        "campaign_deadline": DEADLINE,
    }  # fmt: skip


@pytest.fixture
async def wired(
    database_url: str, smtp_server: SmtpReceiver, sms_gateway: SmsGateway
) -> AsyncIterator[World]:
    """The progress campaign's students; student 3 also registered a mobile number."""
    async for world in make_world(database_url, **wiring(smtp_server, sms_gateway)):
        await campaign(world)
        await add_mobile(world, 3, MOBILE)
        yield world


async def add_mobile(world: World, n: int, mobile: str) -> None:
    """Record that student ``n`` registered with ``mobile`` (an active registration)."""
    now = world.clock()
    async with world.ctx.db.sessions.begin() as session:
        student_id = (
            await session.execute(
                select(Student.id).where(Student.student_no == record(n)["student_no"])
            )
        ).scalar_one()
        session.add(
            Registration(
                id=uuid.uuid4().hex, student_id=student_id, terminal_id=1,
                email=f"s{n}@test", mobile=mobile, password_hash="", status="active",
                created_at=now, expires_at=now, activated_at=now,
            )
        )  # fmt: skip


async def _post(world: World, who: str, path: str, **body: Any) -> Any:
    return await world.client.post(
        f"/api/v1/staff/reminders{path}", json=body, headers=await staff_headers(world, who)
    )


async def _sent(world: World) -> int:
    async with world.ctx.db.sessions() as session:
        return (await session.execute(select(func.count(OutgoingMessage.id)))).scalar_one()


async def test_a_preview_counts_then_a_send_reaches_each_student_once_a_day(
    wired: World, smtp_server: SmtpReceiver, sms_gateway: SmsGateway
) -> None:
    world = wired
    preview = await _post(world, "office", "/preview", class_name=CLASS, kinds=NOT_CHECKED)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "students": 2, "to_remind": 2, "email": 2, "sms": 1, "already_today": 0,
        "no_contact": 0,
    }  # fmt: skip
    wider = (
        await _post(world, "office", "/preview", kinds=[*NOT_CHECKED, "not_registered"])
    ).json()
    assert (wider["students"], wider["to_remind"], wider["no_contact"]) == (4, 2, 2)
    assert await _sent(world) == 0, "a preview sends nothing"

    sent = await _post(world, "office", "", class_name=CLASS, kinds=NOT_CHECKED)
    assert sent.status_code == 200, sent.text
    assert sent.json()["to_remind"] == 2
    first, second = await smtp_server.wait_for(1), await smtp_server.wait_for(2)
    assert sorted([first["To"], second["To"]]) == ["s3@test", "s4@test"]
    assert first["Subject"] == world.ctx.settings.reminder_subject
    assert "2026-06-20" in first.get_content()
    sms = await sms_gateway.wait_for(1)
    assert sms["json"]["to"] == MOBILE
    assert "2026-06-20" in sms["json"]["text"]

    again = (await _post(world, "registrar", "", kinds=NOT_CHECKED)).json()
    assert again["to_remind"] == 1  # student 7 of the other college only
    assert again["already_today"] == 2
    assert await _sent(world) == 4

    headers = await staff_headers(world, "office")
    view = (await world.client.get("/api/v1/staff/progress", headers=headers)).json()
    (row,) = [r for r in view["classes"] if r["class_name"] == CLASS]
    assert row["reminded_today"] == 2
    assert row["last_reminded_at"] == world.clock().isoformat().replace("+00:00", "Z")
    reminded = (
        await world.client.get(
            "/api/v1/staff/progress/students",
            params={"number": "reminded_today"},
            headers=headers,
        )
    ).json()
    assert [s["student_no"] for s in reminded["students"]] == [
        record(n)["student_no"] for n in (3, 4)
    ]
    assert all(s["last_reminded_at"] for s in reminded["students"])

    world.clock.advance(days=1)
    next_day = await _post(world, "office", "/preview", class_name=CLASS, kinds=NOT_CHECKED)
    assert next_day.json()["to_remind"] == 2


async def test_each_send_is_audited_without_addresses(wired: World) -> None:
    world = wired
    await _post(world, "office", "", kinds=[*NOT_CHECKED, "not_registered"])
    async with world.ctx.db.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "staff.send_reminders")
                )
            )
            .scalars()
            .all()
        )
    (row,) = rows
    assert row.details["college"] == COLLEGE
    assert row.details["to_remind"] == 2
    assert row.details["no_contact"] == 2
    dumped = json.dumps(row.details, ensure_ascii=False)
    assert "@" not in dumped and MOBILE not in dumped


async def test_a_college_office_reminds_only_its_own_college(wired: World) -> None:
    refused = await _post(wired, "office", "", college=OTHER_COLLEGE, kinds=NOT_CHECKED)
    assert refused.status_code == 403
    assert refused.json()["code"] == "other_college"
    assert (await _post(wired, "proctor", "/preview", kinds=NOT_CHECKED)).status_code == 403
    bad = await _post(wired, "office", "/preview", kinds=[])
    assert bad.status_code == 422
    bad = await _post(wired, "office", "/preview", kinds=["everyone"])
    assert bad.status_code == 422
    assert await _sent(wired) == 0


async def test_two_sends_at_once_remind_each_student_once(wired: World) -> None:
    """The registrar and an office send at the same moment (on PostgreSQL truly at once):
    sends take turns, so both succeed, and the later one counts whom the first reminded."""
    world = wired
    answers = await asyncio.gather(
        _post(world, "registrar", "", kinds=NOT_CHECKED),
        _post(world, "office", "", kinds=NOT_CHECKED),
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sum(a.json()["to_remind"] for a in answers) == 3
    async with world.ctx.db.sessions() as session:
        reminded = (await session.execute(select(Reminder.student_id))).scalars().all()
    assert len(reminded) == len(set(reminded)) == 3  # 3, 4 and 7, once each
    assert await _sent(world) == 4  # three mails and student 3's SMS
