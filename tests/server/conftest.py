"""Server test fixtures: a migrated database on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from stdnum.cn import ric

from kiosk.config import ServerSettings
from kiosk.protocol.base import TERMINAL_KEY_HEADER
from server.app import create_app
from server.context import ServerContext
from server.migrate import migrate
from server.models import Account, Student
from server.seed import add_photo
from server.terminals import add_terminal
from tests.databases import PostgresDatabases, copy_database, empty_postgres

PASSWORD = "Correct-Horse-9"
START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def id_number(region: str, birth: str, sequence: int) -> str:
    """A valid 18-digit ID number (python-stdnum computes the check digit)."""
    body = f"{region}{birth.replace('-', '')}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def record(n: int = 1, **overrides: str) -> dict[str, str]:
    """A valid 17-field record; ``n`` makes 学号 and ID number unique."""
    values = {
        "name": ["张伟", "李娜", "王芳", "刘洋"][n % 4],
        "gender": "男" if n % 2 else "女",
        "ethnicity": "汉族",
        "birth_date": "2003-05-17",
        "id_number": id_number("330502", "2003-05-17", 100 + 2 * n + (1 if n % 2 else 0)),
        "student_no": f"20221001{n:04d}",
        "institution": "湖州师范学院",
        "college": "信息工程学院",
        "department": "计算机系",
        "major": "计算机科学与技术",
        "class_name": "计算机221",
        "level": "本科",
        "duration": "4",
        "education_category": "普通高等教育",
        "study_mode": "普通全日制",
        "enrollment_date": "2022-09-01",
        "status": "在籍（注册学籍）",
    }
    values.update(overrides)
    return values


def many_records(count: int) -> list[dict[str, str]]:
    """``count`` valid records with distinct 学号 and ID numbers (400 per birth date)."""
    first = dt.date(2003, 1, 1)
    rows = []
    for n in range(count):
        birth = (first + dt.timedelta(days=n // 400)).isoformat()
        sequence = 100 + n % 400
        rows.append(
            record(
                n,
                birth_date=birth,
                id_number=id_number("330502", birth, sequence),
                student_no=f"2030{n:08d}",
                gender="男" if sequence % 2 else "女",
            )
        )
    return rows


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class World:
    """A running app with one terminal, and helpers to add students."""

    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    terminal_key: str
    other_terminal_key: str
    students: dict[str, int] = field(default_factory=dict)

    @property
    def ctx(self) -> ServerContext:
        ctx = self.app.state.ctx
        assert isinstance(ctx, ServerContext)
        return ctx

    async def add_student(
        self, n: int = 1, *, email: str | None = None, window_hours: float = 24, **overrides: str
    ) -> Student:
        """Insert a student with a photo and, with ``email``, an account."""
        async with self.ctx.db.sessions.begin() as session:
            student = Student(**record(n, **overrides), record_version=1, photo_version=0)
            student.window_closes_at = self.clock() + dt.timedelta(hours=window_hours)
            session.add(student)
            await session.flush()
            await add_photo(session, student, tiny_jpeg())
            if email:
                session.add(
                    Account(
                        username=email.casefold(),
                        password_hash=self.ctx.passwords.hash_sync(PASSWORD),
                        student_id=student.id,
                    )
                )
        return student

    async def login(
        self, username: str, password: str = PASSWORD, key: str | None = None
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/sessions",
            json={"username": username, "password": password},
            headers={TERMINAL_KEY_HEADER: key or self.terminal_key},
        )

    async def token_for(self, username: str) -> str:
        response = await self.login(username)
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def headers(self, token: str | None = None, key: str | None = None) -> dict[str, str]:
        headers = {TERMINAL_KEY_HEADER: key or self.terminal_key}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers


_TINY_JPEG: list[bytes] = []


def tiny_jpeg() -> bytes:
    """A small real JPEG at the photo spec's size."""
    if not _TINY_JPEG:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (480, 640), (100, 197, 255)).save(buffer, "JPEG", quality=80)
        _TINY_JPEG.append(buffer.getvalue())
    return _TINY_JPEG[0]


@pytest.fixture(scope="session")
def migrated_postgres(postgres: PostgresDatabases) -> str:
    """This worker's PostgreSQL database for the server tests, migrated once."""
    url = postgres.fresh("server")
    asyncio.run(migrate(url))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each dialect: a copy of the worker's migrated SQLite
    file, or the worker's PostgreSQL database with every table emptied."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("migrated_postgres")
        asyncio.run(empty_postgres(url))
        return url
    return copy_database(request.getfixturevalue("migrated_template"), tmp_path)


def test_settings(database_url: str, **overrides: object) -> ServerSettings:
    """Server settings for tests: cheap argon2 (the real cost is measured in the benchmarks)."""
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": "test-secret-key",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "public_base_url": "http://kiosk.test",
    }
    values.update(overrides)
    return ServerSettings.model_validate(values)


test_settings.__test__ = False  # type: ignore[attr-defined]


async def make_world(database_url: str, **overrides: object) -> AsyncIterator[World]:
    clock = Clock()
    app = create_app(test_settings(database_url, **overrides), clock=clock)
    async with LifespanManager(app):
        ctx = app.state.ctx
        async with ctx.db.sessions.begin() as session:
            _t1, key = await add_terminal(session, "A101", "t01")
            _t2, other = await add_terminal(session, "A101", "t02")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kiosk.test") as client:
            yield World(app, client, clock, key, other)


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    """The server on a fresh database, with two terminals."""
    async for item in make_world(database_url):
        yield item
