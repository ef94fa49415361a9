"""Database engines: SQLite by default, PostgreSQL in production, one code path for both.

SQLite gets WAL, a busy timeout, foreign keys and ``BEGIN IMMEDIATE`` for every transaction:
a deferred transaction that reads and then writes fails at once when another writer holds
the lock, ignoring the busy timeout (SQLite's busy_timeout does not apply to a lock upgrade), and our idempotency flow
reads before it writes.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str | URL) -> bool:
    """True for any SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions itself, or BEGIN IMMEDIATE below cannot.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=15000", "foreign_keys=ON", "synchronous=FULL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine for ``database_url`` with the settings its dialect needs."""
    url = make_url(database_url)
    if not is_sqlite(url):
        return create_async_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_recycle=600
        )
    _prepare_sqlite_file(url)
    # One connection per process: SQLite has one writer anyway, and queueing in the pool is
    # cheaper and fairer than spinning on the file lock.
    engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=120)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


class Database:
    """The engine and session factory of one server instance."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = create_engine(database_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for one request (a FastAPI dependency)."""
        async with self.sessions() as session:
            yield session

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def insert_ignoring_conflict(
    session: AsyncSession, table: Any, values: dict[str, Any], returning: Any | None = None
) -> Any | None:
    """``INSERT … ON CONFLICT DO NOTHING`` on either dialect; the ``returning`` column or None.

    None means another transaction already holds that unique key. On PostgreSQL the insert
    waits for a concurrent holder to commit or roll back, which is what makes concurrent
    duplicates safe.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # The values go as parameters, not into the statement: a statement with the values
    # built in has a new cache key every time and costs a fresh compilation (~2 ms).
    # The table, not the mapped class: a plain Core statement skips the ORM's bulk layer.
    statement = insert(table.metadata.tables[table.__tablename__]).on_conflict_do_nothing()
    if returning is None:
        await session.execute(statement, values)
        return None
    return (await session.execute(statement.returning(returning), values)).scalar_one_or_none()


async def one_at_a_time(session: AsyncSession, name: str) -> None:
    """Hold ``name``'s lock until the transaction ends: one transaction at a time gets past.

    PostgreSQL's transaction-level advisory lock (keyed by a CRC of ``name``); on SQLite every
    transaction already holds the one write lock from its start (``BEGIN IMMEDIATE``). Reads
    after it see what the transaction that held it before committed.
    """
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        key = zlib.crc32(name.encode())
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


RowT = TypeVar("RowT")


async def locked_row(session: AsyncSession, model: type[RowT], values: dict[str, Any]) -> RowT:
    """The row of ``model`` with the primary key in ``values``, inserted from them if missing.

    Locked for the rest of the transaction on PostgreSQL (SQLite has one writer anyway).
    Housekeeping may delete a quiet row between the insert and the read; then it is inserted
    again.
    """
    table = model.__table__  # type: ignore[attr-defined]
    [column] = table.primary_key.columns
    query = (
        select(model)
        .where(column == values[column.name])
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    while True:
        await insert_ignoring_conflict(session, model, values)
        row = (await session.execute(query)).scalar_one_or_none()
        if row is not None:
            return row
