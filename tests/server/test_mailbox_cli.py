"""``kiosk admin mailbox``: the local mailbox and undelivered messages, from the command line."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from kiosk.cli import main
from server.db import Database
from server.migrate import migrate
from server.models import MailboxEntry, OutgoingMessage

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
AT = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


async def _fill(url: str) -> None:
    await migrate(url)
    db = Database(url)
    async with db.sessions.begin() as session:
        session.add_all(
            [
                MailboxEntry(channel="email", recipient="a@x.cn", subject="Code", body="Mail 111111",
                             created_at=AT),
                MailboxEntry(channel="sms", recipient="13812345678", subject=None,
                             body="SMS 222222", created_at=AT),
                OutgoingMessage(channel="sms", recipient="13900000000", body=None,
                                status="failed", attempts=5, next_attempt_at=AT, created_at=AT,
                                last_error="DeliveryError: SMS gateway answered HTTP 500"),
            ]
        )  # fmt: skip
    await db.dispose()


def test_mailbox_lists_messages_and_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/server.db"
    asyncio.run(_fill(url))
    base = ["--config", str(CONFIG), "admin", "--database-url", url, "mailbox"]

    assert main(base) == 0
    everything = capsys.readouterr().out
    assert "Mail 111111" in everything and "SMS 222222" in everything
    assert everything.index("Mail 111111") < everything.index("SMS 222222")  # oldest first

    assert main([*base, "--to", "138 1234 5678"]) == 0
    only_sms = capsys.readouterr().out
    assert "SMS 222222" in only_sms and "Mail" not in only_sms

    assert main([*base, "--failed"]) == 0
    failed = capsys.readouterr().out
    assert "13900000000" in failed and "HTTP 500" in failed and "tries 5" in failed
