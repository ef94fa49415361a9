"""Demo data in the database: students, photos, a few registered accounts, one terminal, staff."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.config import ServerSettings
from server.db import Database
from server.demo_data import DEMO_SEED, DemoStudent, draw_photo, generate_students
from server.models import Account, Photo, Student, Terminal, utcnow
from server.security import Passwords, demo_terminal_secret

NEWCOMER_KEYS = ("name", "gender", "id_number", "birth_date", "student_no")
NEWCOMERS_SHOWN = 5
DEMO_LAB = "演示机房"
DEMO_TERMINAL = "demo-01"
DEMO_STAFF_PASSWORD = "Demo-Staff-2026!"  # noqa: S105 - the documented password of demo staff
DEMO_STAFF: tuple[tuple[str, str, str | None], ...] = (
    ("proctor@demo", "proctor", None),
    ("registrar@demo", "registrar", None),
    # Four eyes: a key field is applied by another registrar than the one who confirmed it.
    ("registrar2@demo", "registrar", None),
    ("office.it@demo", "college_office", "信息工程学院"),
    ("office.em@demo", "college_office", "经济管理学院"),
    ("office.lit@demo", "college_office", "文学院"),
)
"""User name, role and college of each demo staff account: a proctor, two registrars (so the
four-eyes rule can be shown), an office per college."""


async def add_photo(session: AsyncSession, student: Student, jpeg: bytes) -> Photo:
    """Store a new photo version and point the record at it."""
    with Image.open(io.BytesIO(jpeg)) as image:
        width, height = image.size
    student.photo_version += 1
    photo = Photo(
        student_id=student.id, version=student.photo_version, jpeg=jpeg, width=width, height=height
    )
    session.add(photo)
    return photo


async def seed_demo(
    db: Database, settings: ServerSettings, *, count: int = 200, now: dt.datetime | None = None
) -> bool:
    """Fill an empty database with the demo data; False (and nothing done) if it has students."""
    now = now or utcnow()
    passwords = Passwords(settings)
    demo = generate_students(count=count, seed=DEMO_SEED, today=now.date())
    async with db.sessions.begin() as session:
        if (await session.execute(select(func.count(Student.id)))).scalar_one():
            return False
        window = dt.timedelta(hours=settings.verification_window_hours)
        # The demo accounts share one password, so they share its hash too (as the staff's
        # do): one argon2 hash instead of one per account on every `kiosk demo` start.
        hashes: dict[str, str] = {}
        for item in demo:
            student = Student(**item.values, record_version=1, photo_version=0, updated_at=now)
            session.add(student)
            await session.flush()
            await add_photo(session, student, draw_photo(item))
            if item.account is not None:
                student.window_closes_at = now + window
                password = item.account.password
                if password not in hashes:
                    hashes[password] = passwords.hash_sync(password)
                session.add(
                    Account(
                        username=item.account.email.casefold(),
                        password_hash=hashes[password],
                        role="student",
                        student_id=student.id,
                        created_at=now,
                    )
                )
        # Here, not at the top: server.terminals brings FastAPI and the board (~1 s), which
        # `kiosk admin demo-accounts` (run by every `kiosk demo`) does not need.
        from server.terminals import add_terminal

        await add_terminal(
            session, DEMO_LAB, DEMO_TERMINAL, secret=demo_terminal_secret(settings.secret_key)
        )
        staff_hash = passwords.hash_sync(DEMO_STAFF_PASSWORD)
        session.add_all(
            Account(
                username=username, password_hash=staff_hash, role=role, college=college,
                created_at=now,
            )
            for username, role, college in DEMO_STAFF
        )  # fmt: skip
    return True


async def demo_accounts(db: Database, settings: ServerSettings) -> dict[str, Any]:
    """The demo terminal's key, student and staff accounts, for scripts and the demo screen."""
    async with db.sessions() as session:
        terminal = (
            await session.execute(
                select(Terminal).where(Terminal.lab == DEMO_LAB, Terminal.name == DEMO_TERMINAL)
            )
        ).scalar_one_or_none()
    key = f"{terminal.id}.{demo_terminal_secret(settings.secret_key)}" if terminal else None
    students = generate_students(seed=DEMO_SEED)
    return {
        "terminal_key": key,
        "students": [_account_row(item) for item in students if item.account],
        # Identities to try the registration wizard with (demo data, not real people).
        "newcomers": [
            {key: item.values[key] for key in NEWCOMER_KEYS}
            for item in students
            if item.account is None
        ][:NEWCOMERS_SHOWN],
        "staff": [
            {
                "username": username,
                "role": role,
                "college": college,
                "password": DEMO_STAFF_PASSWORD,
            }
            for username, role, college in DEMO_STAFF
        ],
    }


def _account_row(item: DemoStudent) -> dict[str, str]:
    assert item.account is not None
    return {
        "username": item.account.email,
        "student_no": item.values["student_no"],
        "password": item.account.password,
        "name": item.values["name"],
        "college": item.values["college"],
    }
