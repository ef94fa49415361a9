"""``kiosk serve --demo --demo-accounts-to FILE``: what ``kiosk demo`` reads instead of running
``kiosk admin demo-accounts`` (one process fewer before the first screen)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from kiosk.config import ServerSettings
from server.db import Database
from server.runner import prepare
from server.seed import demo_accounts


async def test_the_demo_accounts_file_is_what_the_admin_command_prints(tmp_path: Path) -> None:
    settings = ServerSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        demo=True,
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
    )
    written = tmp_path / "accounts.json"
    await prepare(settings, written)
    db = Database(settings.database_url)
    try:
        expected = await demo_accounts(db, settings)
    finally:
        await db.dispose()
    assert json.loads(written.read_text(encoding="utf-8")) == expected
    assert expected["terminal_key"] and expected["students"]
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # it holds the terminal key
