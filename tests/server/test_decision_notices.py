"""Students hear about decisions on their corrections: by real SMTP and a real HTTP SMS
gateway on loopback, once per decision, naming the field but no value; the kiosk's record
lists the messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from server.models import DecisionNotice, OutgoingMessage
from tests.server.conftest import World, make_world
from tests.server.receivers import SmsGateway, SmtpReceiver, sms_gateway, smtp_server
from tests.server.staff_world import BATCHES, add_staff, check_and_submit, staff_headers
from tests.server.test_reminders import add_mobile, wiring

__all__ = ["sms_gateway", "smtp_server"]  # fixtures

BASE = "/api/v1/staff/corrections"
MOBILE = "13900139001"
PROPOSED = "李四"


@pytest.fixture
async def wired(
    database_url: str, smtp_server: SmtpReceiver, sms_gateway: SmsGateway
) -> AsyncIterator[World]:
    """Student 1, registered with e-mail and mobile, reported 专业名称, 民族 and 院系名称."""
    async for world in make_world(database_url, **wiring(smtp_server, sms_gateway)):
        await add_staff(world)
        await world.add_student(1, email="s1@test")
        await add_mobile(world, 1, MOBILE)
        await check_and_submit(world, "s1@test", "major", "ethnicity", "department",
                               proposed={"ethnicity": "回族"})  # fmt: skip
        yield world


async def _step(world: World, who: str, cid: int, path: str, **body: Any) -> None:
    answer = await world.client.post(
        f"{BASE}/{cid}/{path}", json=body, headers=await staff_headers(world, who)
    )
    assert answer.status_code == 200, answer.text


async def _ids(world: World) -> dict[str, int]:
    found = await world.client.get(BASE, headers=await staff_headers(world, "registrar"))
    return {row["field"]: row["id"] for row in found.json()["corrections"]}


async def _queued(world: World) -> int:
    async with world.ctx.db.sessions() as session:
        return (await session.execute(select(func.count(OutgoingMessage.id)))).scalar_one()


async def test_each_decision_reaches_the_student_once_by_mail_and_sms(
    wired: World, smtp_server: SmtpReceiver, sms_gateway: SmsGateway
) -> None:
    world = wired
    ids = await _ids(world)
    await _step(world, "office", ids["major"], "college", decision="reject", comment="请附证明")
    mail = await smtp_server.wait_for(1)
    assert mail["To"] == "s1@test"
    text = mail.get_content()
    assert "专业名称" in text and "请附证明" in text and "major" in text.lower()
    assert PROPOSED not in text and "计算机科学与技术" not in text
    sms = await sms_gateway.wait_for(1)
    assert sms["json"]["to"] == MOBILE and "专业名称" in sms["json"]["text"]

    # Accepting and confirming say nothing; the registrar's rejection and applying do.
    await _step(world, "office", ids["ethnicity"], "college", decision="accept", comment="属实",
                proof="户口本原件")  # fmt: skip
    await _step(world, "registrar", ids["ethnicity"], "registrar", decision="reject",
                comment="内部意见")  # fmt: skip
    await _step(world, "office", ids["department"], "college", decision="accept", comment="属实")
    await _step(world, "registrar", ids["department"], "registrar", decision="confirm",
                comment="同意")  # fmt: skip
    await _step(world, "registrar2", ids["department"], "apply", comment="已更正")
    rejected, applied = await smtp_server.wait_for(2), await smtp_server.wait_for(3)
    assert "学籍管理科" in rejected.get_content() and "民族" in rejected.get_content()
    assert "内部意见" not in rejected.get_content() and "回族" not in rejected.get_content()
    assert "再次核对" in applied.get_content() and "check it again" in applied.get_content()
    await sms_gateway.wait_for(3)

    # Every worker's round runs; a notice is claimed once, so nothing is sent again.
    assert await world.app.state.notices.dispatch() is False
    assert await _queued(world) == 6
    async with world.ctx.db.sessions() as session:
        pending = await session.execute(
            select(func.count(DecisionNotice.id)).where(DecisionNotice.dispatched_at.is_(None))
        )
    assert pending.scalar_one() == 0
    assert len(smtp_server.messages) == 3

    token = await world.token_for("s1@test")
    record = (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()
    assert [(n["field"], n["state"]) for n in record["notices"]] == [
        ("department", "applied"),
        ("ethnicity", "registrar_rejected"),
        ("major", "college_rejected"),
    ]
    assert record["notices"][2]["comment"] == "请附证明"
    assert record["notices"][1]["comment"] is None


async def test_the_provinces_answer_reaches_the_student_with_its_comment(
    wired: World, smtp_server: SmtpReceiver
) -> None:
    world = wired
    ids = await _ids(world)
    await _step(world, "office", ids["major"], "college", decision="accept", comment="属实",
                proof="学籍卡")  # fmt: skip
    await _step(world, "registrar", ids["major"], "registrar", decision="confirm", comment="同意")
    headers = await staff_headers(world, "registrar")
    made = await world.client.post(BATCHES, json={"ids": [ids["major"]]}, headers=headers)
    assert made.status_code == 201, made.text
    answer = {
        "decision": "reject",
        "reference": "浙教学函〔2027〕2号",
        "comment": "专业名称以招生计划为准",
    }
    batch = made.json()["batch"]["id"]
    refused = await world.client.post(f"{BATCHES}/{batch}/answer", json=answer, headers=headers)
    assert refused.status_code == 200, refused.text
    mail = await smtp_server.wait_for(1)
    text = mail.get_content()
    assert "省教育厅" in text and "专业名称以招生计划为准" in text and "provincial" in text
    assert PROPOSED not in text and "计算机科学与技术" not in text
    token = await world.token_for("s1@test")
    record = (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()
    assert [(n["field"], n["state"]) for n in record["notices"]] == [("major", "province_rejected")]
