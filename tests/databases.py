"""The tests' databases: migrated once per test worker, reset quickly for each test.

SQLite: one file is migrated per worker and copied for each test (a copy is a fresh,
migrated database, and no test sees another's rows). PostgreSQL (when
``KIOSK_TEST_POSTGRES_URL`` names a database the role may create databases next to): each
worker makes databases of its own next to that one, named after it, the worker and their
purpose, so parallel workers (pytest-xdist) never meet; the role needs CREATEDB.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from server.migrate import alembic_config, migrate

POSTGRES_ENV = "KIOSK_TEST_POSTGRES_URL"
"""Names the PostgreSQL database the tests start from (``.ci/run`` sets it)."""


def worker_name() -> str:
    """This pytest-xdist worker's name (``gw0``, ``gw1``…), or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def sqlite_url(path: Path) -> str:
    """The server's URL of the SQLite file at ``path``."""
    return f"sqlite+aiosqlite:///{path}"


def migrated_sqlite(directory: Path) -> Path:
    """A SQLite file in ``directory`` migrated to head (once per worker: copy it per test)."""
    path = directory / "migrated.db"
    asyncio.run(migrate(sqlite_url(path)))
    return path


def copy_database(template: Path, directory: Path, name: str = "server.db") -> str:
    """A copy of the migrated ``template`` in ``directory``; its URL."""
    target = directory / name
    shutil.copyfile(template, target)
    return sqlite_url(target)


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
"""The newest migration: a database at another revision is migrated again, not emptied."""


class PostgresDatabases:
    """This worker's databases on the PostgreSQL server that ``base_url`` is on.

    They stay when the session ends, for the next run to empty: dropping a database makes
    PostgreSQL checkpoint, which took seconds on a busy machine; emptying its schema does not.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = make_url(base_url)

    def fresh(self, purpose: str) -> str:
        """An empty database for ``purpose``, made on first use; its URL."""
        name = f"{self.base_url.database}_{worker_name()}_{purpose}".lower()
        url = self.base_url.set(database=name).render_as_string(hide_password=False)
        asyncio.run(self._make(name, url))
        return url

    async def _make(self, name: str, url: str) -> None:
        admin = create_async_engine(self.base_url, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as connection:
                exists = await connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if exists.scalar() is None:
                    await connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await admin.dispose()
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await _drop_schema(connection)
        finally:
            await engine.dispose()


async def _drop_schema(connection: AsyncConnection) -> None:
    await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
    await connection.execute(text("CREATE SCHEMA public"))


async def empty_postgres(url: str) -> None:
    """Every table at ``url`` emptied and its ids restarted, the schema kept; a database
    that a test left at another revision (or none) is built again from nothing."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            version = None
            if (await connection.execute(text("SELECT to_regclass('alembic_version')"))).scalar():
                version = (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
            if version == HEAD:
                tables = (
                    await connection.execute(
                        text(
                            "SELECT quote_ident(tablename) FROM pg_tables WHERE "
                            "schemaname = 'public' AND tablename <> 'alembic_version'"
                        )
                    )
                ).scalars()
                await connection.execute(
                    text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                )
                return
            await _drop_schema(connection)
    finally:
        await engine.dispose()
    await migrate(url)
