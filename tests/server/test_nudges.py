"""Automatic reminders on the days of ``[server] reminder_schedule``: once a day, whoever
runs the round; on PostgreSQL with a real ``kiosk serve --workers 2`` and real SMTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from server.db import Database
from server.migrate import migrate
from server.models import Account, AuditEvent, OutgoingMessage, Reminder, Student
from server.progress.nudges import remind_on_schedule
from server.seed import add_photo
from tests.databases import PostgresDatabases
from tests.e2e.serving import PUBLIC_TEST_URL, ROOT, free_port, kiosk_command
from tests.server.conftest import START, World, make_world, record, tiny_jpeg
from tests.server.receivers import SmsGateway, SmtpReceiver, sms_gateway, smtp_server
from tests.server.test_progress import campaign
from tests.server.test_reminders import wiring

__all__ = ["sms_gateway", "smtp_server"]  # fixtures

DEADLINE = START.date() + dt.timedelta(days=3)
"""Three days after the tests' first day; with the schedule [1], reminders go on day 3."""


@pytest.fixture
async def scheduled(
    database_url: str, smtp_server: SmtpReceiver, sms_gateway: SmsGateway
) -> AsyncIterator[World]:
    """The progress campaign's students, reminded one day before a deadline 3 days away."""
    settings = wiring(smtp_server, sms_gateway) | {
        "campaign_deadline": DEADLINE,
        "reminder_schedule": [1],
    }
    async for world in make_world(database_url, **settings):
        await campaign(world)
        yield world


async def _reminders(world: World) -> int:
    async with world.ctx.db.sessions() as session:
        return (await session.execute(select(func.count(Reminder.id)))).scalar_one()


async def test_reminders_go_on_the_scheduled_day_once(
    scheduled: World, smtp_server: SmtpReceiver
) -> None:
    world = scheduled
    delivery = world.app.state.delivery
    assert await remind_on_schedule(world.ctx, delivery) is None  # 3 days before: not in it
    world.clock.advance(days=2)
    # The campaign's registered students who have not checked: 3, 4 and 7.
    assert await remind_on_schedule(world.ctx, delivery) == 3
    await smtp_server.wait_for(3)
    assert await remind_on_schedule(world.ctx, delivery) is None, "the day is taken"
    assert await _reminders(world) == 3
    world.clock.advance(days=1)
    assert await remind_on_schedule(world.ctx, delivery) is None  # the deadline itself
    await asyncio.sleep(0.5)
    assert len(smtp_server.messages) == 3
    async with world.ctx.db.sessions() as session:
        audited = (
            await session.execute(
                select(AuditEvent.details).where(AuditEvent.action == "system.scheduled_reminders")
            )
        ).scalars().all()  # fmt: skip
    assert [row["to_remind"] for row in audited] == [3]


async def test_off_by_default(world: World) -> None:
    await campaign(world)
    world.ctx.settings.campaign_deadline = world.clock().date() + dt.timedelta(days=1)
    for _ in range(3):
        assert await remind_on_schedule(world.ctx, world.app.state.delivery) is None
        world.clock.advance(days=1)
    assert await _reminders(world) == 0


# --- two real workers on PostgreSQL --------------------------------------------------------


async def _seed(url: str, students: int) -> None:
    await migrate(url)
    db = Database(url)
    try:
        async with db.sessions.begin() as session:
            for n in range(1, students + 1):
                student = Student(**record(n), record_version=1, photo_version=0)
                session.add(student)
                await session.flush()
                await add_photo(session, student, tiny_jpeg())
                session.add(Account(username=f"nudge{n}@test", password_hash="-",
                                    student_id=student.id))  # fmt: skip
    finally:
        await db.dispose()


async def _rows(url: str) -> tuple[int, int, int]:
    db = Database(url)
    try:
        async with db.sessions() as session:
            reminders = (await session.execute(select(func.count(Reminder.id)))).scalar_one()
            queued = (await session.execute(select(func.count(OutgoingMessage.id)))).scalar_one()
            audited = (
                await session.execute(
                    select(func.count(AuditEvent.id)).where(
                        AuditEvent.action == "system.scheduled_reminders"
                    )
                )
            ).scalar_one()
        return reminders, queued, audited
    finally:
        await db.dispose()


def _serve(url: str, smtp: SmtpReceiver, log: Path) -> subprocess.Popen[bytes]:
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    env = dict(
        os.environ,
        KIOSK_SERVER__SECRET_KEY="nudges-secret-of-at-least-32-bytes-for-kiosk-serve",
        KIOSK_SERVER__PUBLIC_BASE_URL=PUBLIC_TEST_URL,
        KIOSK_SERVER__SMTP_HOST="127.0.0.1",
        KIOSK_SERVER__SMTP_PORT=str(smtp.port),
        KIOSK_SERVER__SMTP_TLS="none",
        KIOSK_SERVER__CAMPAIGN_DEADLINE=(today + dt.timedelta(days=1)).isoformat(),
        KIOSK_SERVER__REMINDER_SCHEDULE="3,1",
    )
    command = kiosk_command("serve", "--port", str(free_port()), "--database-url", url,
                            "--workers", "2")  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        start_new_session=True,
    )  # fmt: skip


def _wait_for_log(
    server: subprocess.Popen[bytes], log: Path, *lines: str, timeout_s: float = 60
) -> str:
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline and server.poll() is None:
        text = log.read_text(errors="replace")
        if all(line in text for line in lines):
            return text
        time.sleep(0.2)
    raise AssertionError(f"not all of {lines} in the server's log:\n{text}")


def _wait_for_mail(smtp: SmtpReceiver, count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while len(smtp.messages) < count:
        assert time.monotonic() < deadline, f"{len(smtp.messages)} of {count} mails arrived"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()


def test_two_workers_on_postgresql_send_once(
    smtp_server: SmtpReceiver, tmp_path: Path, postgres: PostgresDatabases
) -> None:
    url = postgres.fresh("nudges")
    asyncio.run(_seed(url, 4))
    log = tmp_path / "serve.log"
    server = _serve(url, smtp_server, log)
    try:
        # Each worker runs the round as it starts: one takes the day, the other finds it taken.
        text = _wait_for_log(
            server, log, "scheduled reminders: 4 students reminded",
            "scheduled reminders: today's were sent already",
        )  # fmt: skip
        assert text.count("students reminded") == 1
        _wait_for_mail(smtp_server, 4)
    finally:
        _stop(server)
    # A restart the same day (both workers again) sends nothing either.
    log_again = tmp_path / "serve-again.log"
    server = _serve(url, smtp_server, log_again)
    try:
        _wait_for_log(server, log_again, "today's were sent already")
        time.sleep(1)
        text = log_again.read_text(errors="replace")
        assert "students reminded" not in text
    finally:
        _stop(server)
    assert sorted(m["To"] for m in smtp_server.messages) == [f"nudge{n}@test" for n in range(1, 5)]
    assert asyncio.run(_rows(url)) == (4, 4, 1)
