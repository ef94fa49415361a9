"""The migrations build exactly the schema the models describe, and 0005 keeps every answer."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from server.db import create_engine
from server.migrate import alembic_config, migrate
from server.models import Base


async def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    await migrate(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:

            def differences(sync: Any) -> list[Any]:
                return list(compare_metadata(MigrationContext.configure(sync), Base.metadata))

            found = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert found == []


async def test_0005_keeps_the_answers_and_drops_the_status(database_url: str) -> None:
    # The fixture's database is at head: down to 0004 (its downgrade runs too), then up.
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0004"))
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO terminals (id, lab, name, secret_hash, active, created_at, "
                    "state, results_waiting, dead_letters) "
                    "VALUES (1, 'A101', 't01', 'x', true, '2026-06-01 08:00:00', 'offline', 0, 0)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO idempotency_keys (terminal_id, key, fingerprint, status, "
                    "response_code, response_body, created_at) VALUES "
                    "(1, 'k1', 'f', 'done', 201, '{\"receipt_no\": \"XJ1\"}', '2026-06-01 08:00:00')"
                )
            )
        await migrate(database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT * FROM idempotency_keys"))).mappings()
            kept = [dict(row) for row in rows]
    finally:
        await engine.dispose()
    assert [(row["key"], row["response_body"]) for row in kept] == [("k1", '{"receipt_no": "XJ1"}')]
    assert "status" not in kept[0] and "response_code" not in kept[0]
