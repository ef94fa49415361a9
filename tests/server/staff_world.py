"""Staff accounts in a test :class:`World`, shared by the API and console tests."""

from __future__ import annotations

import uuid
from typing import Any

from server.models import Account
from server.security import Passwords
from tests.server.conftest import PASSWORD, World
from tests.server.test_verifications import result_for

COLLEGE = "信息工程学院"
OTHER_COLLEGE = "文学院"
STAFF = {
    "proctor": ("proctor@test", "proctor", None),
    "office": ("office@test", "college_office", COLLEGE),
    "other_office": ("office2@test", "college_office", OTHER_COLLEGE),
    "registrar": ("registrar@test", "registrar", None),
    # Four eyes: a key field is applied by another registrar than the one who confirmed it.
    "registrar2": ("registrar2@test", "registrar", None),
}
"""Who logs in in the tests: a key, and the account's user name, role and college."""


def staff_accounts(passwords: Passwords) -> list[Account]:
    """Every account of :data:`STAFF`, all with the tests' password."""
    password_hash = passwords.hash_sync(PASSWORD)
    return [
        Account(username=username, password_hash=password_hash, role=role, college=college)
        for username, role, college in STAFF.values()
    ]


async def add_staff(world: World) -> None:
    """Create every account of :data:`STAFF` in the World's database."""
    async with world.ctx.db.sessions.begin() as session:
        session.add_all(staff_accounts(world.ctx.passwords))


async def staff_login(world: World, who: str, password: str = PASSWORD) -> Any:
    """``POST /api/v1/staff/sessions`` for one of :data:`STAFF`."""
    return await world.client.post(
        "/api/v1/staff/sessions", json={"username": STAFF[who][0], "password": password}
    )


async def staff_headers(world: World, who: str) -> dict[str, str]:
    """A bearer header of a fresh session of ``who``."""
    response = await staff_login(world, who)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def all_correct(
    record: dict[str, Any], *wrong: str, proposed: dict[str, str] | None = None
) -> dict[str, Any]:
    """A result for ``record``: every field correct except the keys in ``wrong``, for which
    the student proposes ``proposed[key]`` (default 李四)."""
    values = proposed or {}
    body = result_for(record, **{key: values.get(key, "李四") for key in wrong if key != "photo"})
    if "photo" in wrong:
        body["photo"] = {"verdict": "incorrect", "reason": "blurred"}
    return body


async def check_and_submit(
    world: World,
    email: str,
    *wrong: str,
    key: str | None = None,
    proposed: dict[str, str] | None = None,
) -> str:
    """Log ``email`` in at a terminal (``key``, default the World's), check, submit."""
    login = await world.login(email, key=key)
    assert login.status_code == 201, login.text
    headers = world.headers(login.json()["token"], key)
    record = (await world.client.get("/api/v1/me/record", headers=headers)).json()
    response = await world.client.post(
        "/api/v1/verifications",
        json=all_correct(record, *wrong, proposed=proposed),
        headers=world.headers(key=key) | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["receipt_no"])


BATCHES = "/api/v1/staff/province-batches"


async def through_province(world: World, *ids: int, who: str = "registrar") -> int:
    """The province route of confirmed key-field corrections ``ids``: one batch submitted,
    the province's approval recorded; the batch's id. Then a registrar may apply them."""
    headers = await staff_headers(world, who)
    made = await world.client.post(BATCHES, json={"ids": list(ids)}, headers=headers)
    assert made.status_code == 201, made.text
    batch_id = int(made.json()["batch"]["id"])
    answer = {"decision": "approve", "reference": "浙教学函〔2027〕1号"}
    approved = await world.client.post(f"{BATCHES}/{batch_id}/answer", json=answer, headers=headers)
    assert approved.status_code == 200, approved.text
    return batch_id
