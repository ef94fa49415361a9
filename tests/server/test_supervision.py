"""Supervised sessions, the live board and the end-of-session report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from kiosk.protocol.base import TERMINAL_KEY_HEADER
from server.models import AuditEvent, RosterEntry
from server.terminals import add_terminal
from tests.server.conftest import World, record
from tests.server.staff_world import add_staff, check_and_submit, staff_headers

BOARD = "/api/v1/staff/board"
SESSIONS = "/api/v1/staff/supervised-sessions"


@pytest.fixture
async def proctor(world: World) -> dict[str, str]:
    """Staff accounts exist; the proctor's bearer header."""
    await add_staff(world)
    return await staff_headers(world, "proctor")


async def beat(world: World, key: str | None = None, **state: Any) -> Any:
    response = await world.client.post(
        "/api/v1/terminals/heartbeat",
        json={"state": "idle", **state},
        headers={TERMINAL_KEY_HEADER: key or world.terminal_key},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def board(world: World, headers: dict[str, str], **params: Any) -> Any:
    response = await world.client.get(BOARD, params=params or {"lab": "A101"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def plan(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "计算机221 校对",
        "lab": "A101",
        "starts_at": "2026-06-01T09:00:00Z",
        "ends_at": "2026-06-01T11:00:00Z",
        "class_name": "计算机221",
    }
    return body | overrides


async def test_the_board_shows_wrong_staff_pins_from_the_heartbeat(
    world: World, proctor: dict[str, str]
) -> None:
    await beat(world, pin_failures=4)
    assert (await board(world, proctor))["terminals"][0]["pin_failures"] == 4
    await beat(world)  # the right PIN starts the count over; the kiosk then sends 0
    assert (await board(world, proctor))["terminals"][0]["pin_failures"] == 0
    response = await world.client.post(
        "/api/v1/terminals/heartbeat",
        json={"state": "idle", "pin_failures": -1},
        headers={TERMINAL_KEY_HEADER: world.terminal_key},
    )
    assert response.status_code == 422


async def test_heartbeats_move_a_terminal_idle_in_use_offline(
    world: World, proctor: dict[str, str]
) -> None:
    states = [t["state"] for t in (await board(world, proctor))["terminals"]]
    assert states == ["offline", "offline"]  # never heard from
    await beat(world)
    t01 = (await board(world, proctor))["terminals"][0]
    assert (t01["name"], t01["state"], t01["step"]) == ("t01", "idle", None)
    await beat(world, state="in_use", step="fields", student_masked="张*", results_waiting=2)
    t01 = (await board(world, proctor))["terminals"][0]
    assert (t01["state"], t01["step"], t01["student_masked"]) == ("in_use", "fields", "张*")
    assert t01["results_waiting"] == 2
    world.clock.advance(seconds=30)
    assert (await board(world, proctor))["terminals"][0]["state"] == "in_use"
    world.clock.advance(seconds=1)
    t01 = (await board(world, proctor))["terminals"][0]
    # Offline hides who was there: the board only tells who is there now.
    assert (t01["state"], t01["step"], t01["student_masked"]) == ("offline", None, None)
    assert t01["results_waiting"] == 2
    await beat(world)
    assert (await board(world, proctor))["terminals"][0]["state"] == "idle"


async def test_an_unchanged_board_answers_304(world: World, proctor: dict[str, str]) -> None:
    first = await world.client.get(BOARD, params={"lab": "A101"}, headers=proctor)
    etag = first.headers["etag"]
    assert etag == f'"{first.json()["version"]}"'
    again = await world.client.get(
        BOARD, params={"lab": "A101"}, headers=proctor | {"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    await beat(world)
    changed = await world.client.get(
        BOARD, params={"lab": "A101"}, headers=proctor | {"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    for params in ({}, {"lab": "A101", "session": 1}):
        wrong = await world.client.get(BOARD, params=params, headers=proctor)
        assert wrong.status_code == 422, params
    missing = await world.client.get(BOARD, params={"session": 99}, headers=proctor)
    assert missing.status_code == 404


async def test_session_lifecycle_and_the_kiosks_banner(
    world: World, proctor: dict[str, str]
) -> None:
    await world.add_student(1)
    await world.add_student(2)
    created = await world.client.post(SESSIONS, json=plan(), headers=proctor)
    assert created.status_code == 201, created.text
    info = created.json()
    assert (info["state"], info["roster_size"], info["class_name"]) == ("planned", 2, "计算机221")
    assert (await beat(world))["supervised_session"] is None
    started = await world.client.post(f"{SESSIONS}/{info['id']}/start", headers=proctor)
    assert started.json()["state"] == "running"
    banner = (await beat(world))["supervised_session"]
    assert banner == {"title": "计算机221 校对", "ends_at": "2026-06-01T11:00:00Z"}
    again = await world.client.post(f"{SESSIONS}/{info['id']}/start", headers=proctor)
    assert again.status_code == 409 and again.json()["code"] == "session_state"
    second = (await world.client.post(SESSIONS, json=plan(title="下午"), headers=proctor)).json()
    busy = await world.client.post(f"{SESSIONS}/{second['id']}/start", headers=proctor)
    assert busy.status_code == 409 and busy.json()["code"] == "lab_busy"
    # The lab's board follows its running session.
    assert (await board(world, proctor))["session"]["id"] == info["id"]
    ended = await world.client.post(f"{SESSIONS}/{info['id']}/end", headers=proctor)
    assert ended.json()["state"] == "ended"
    assert (await beat(world))["supervised_session"] is None
    assert (await board(world, proctor))["session"] is None
    listed = (await world.client.get(SESSIONS, params={"state": "planned"}, headers=proctor)).json()
    assert [s["id"] for s in listed] == [second["id"]]


async def test_a_session_needs_a_lab_a_slot_and_a_known_roster(
    world: World, proctor: dict[str, str]
) -> None:
    await world.add_student(1)
    cases = [
        (plan(lab="Z999"), "lab", "unknown_lab"),
        (plan(class_name="没有这个班"), "class_name", "unknown_class"),
        (
            plan(class_name=None, student_nos=["202210010001", "X1"]),
            "student_nos.1",
            "unknown_student",
        ),
        (plan(ends_at="2026-06-01T08:00:00Z"), "body", "value_error"),
        (plan(student_nos=["202210010001"]), "body", "value_error"),
    ]
    for body, where, code in cases:
        response = await world.client.post(SESSIONS, json=body, headers=proctor)
        assert response.status_code == 422, body
        errors = response.json()["errors"]
        assert (errors[0]["field"], errors[0]["code"]) == (where, code), errors


async def test_the_report_of_a_scripted_day(world: World, proctor: dict[str, str]) -> None:
    """Four on the roster: one all correct, one with corrections, one left early, one absent."""
    emails = {n: f"s{n}@stu.example.edu.cn" for n in range(1, 6)}
    for n, email in emails.items():
        await world.add_student(n, email=email, window_hours=48)
    async with world.ctx.db.sessions.begin() as session:
        _lab, elsewhere = await add_terminal(session, "B202", "t01")
    roster = [f"20221001{n:04d}" for n in (1, 2, 3, 4)]
    body = plan(class_name=None, student_nos=[*roster, roster[0].lower()])
    info = (await world.client.post(SESSIONS, json=body, headers=proctor)).json()
    assert info["roster_size"] == 4
    # Before the slot: student 3 logs in at the lab; it does not count.
    assert (await world.login(emails[3])).status_code == 201
    world.clock.advance(hours=1, minutes=5)  # 09:05, in the slot
    proctor = await staff_headers(world, "proctor")  # the first session idled out
    await world.client.post(f"{SESSIONS}/{info['id']}/start", headers=proctor)
    await check_and_submit(world, emails[1])
    await check_and_submit(world, emails[2], "name", "photo", key=world.other_terminal_key)
    progress_url = {"session": info["id"]}
    assert (await board(world, proctor, **progress_url))["progress"] == {
        "total": 4, "not_started": 2, "in_progress": 0, "all_correct": 1,
        "corrections_reported": 1,
    }  # fmt: skip
    assert (await world.login(emails[3])).status_code == 201
    await check_and_submit(world, emails[5])  # not on the roster
    await check_and_submit(world, emails[4], key=elsewhere)  # at another lab: finished, not come
    progress = (await board(world, proctor, **progress_url))["progress"]
    assert progress == {
        "total": 4, "not_started": 0, "in_progress": 1, "all_correct": 2,
        "corrections_reported": 1,
    }  # fmt: skip
    world.clock.advance(hours=2)
    proctor = await staff_headers(world, "proctor")
    await world.client.post(f"{SESSIONS}/{info['id']}/end", headers=proctor)
    world.clock.advance(minutes=5)
    await check_and_submit(world, emails[3])  # after the end: does not count
    report = (await world.client.get(f"{SESSIONS}/{info['id']}/report", headers=proctor)).json()
    rows = {row["student_no"]: row for row in report["rows"]}
    assert list(rows) == roster
    summary = [(r["came"], r["finished"], r["status"], r["corrections"]) for r in rows.values()]
    assert summary == [
        (True, True, "all_correct", []),
        (True, True, "corrections_reported", ["name", "photo"]),
        (True, False, "in_progress", []),
        (False, True, "all_correct", []),
    ]
    assert report["corrections_by_field"] == {"name": 1, "photo": 1}
    assert report["session"]["state"] == "ended"

    csv_response = await world.client.get(
        f"{SESSIONS}/{info['id']}/report", params={"format": "csv"}, headers=proctor
    )
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    assert csv_response.headers["cache-control"] == "no-store"
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    # An official record says what it is: title, lab, date (Beijing time) and proctor.
    starts = dt.datetime.fromisoformat(report["session"]["starts_at"])
    day = f"{starts.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d}"
    assert lines[0] == ["监考场次报告 / Supervised session report", report["session"]["title"]]
    assert lines[1] == ["机房 / Lab", report["session"]["lab"]]
    assert lines[2][0] == "日期 / Date" and lines[2][1].startswith(day)
    assert lines[3] == ["监考 / Proctor", "proctor@test"] and lines[4] == []
    assert f"filename*=UTF-8''{quote('监考报告')}" in csv_response.headers["content-disposition"]
    table = lines[5:]
    assert table[0][0] == "学号 / Student no."
    assert [line[0] for line in table[1:]] == roster
    assert table[2][6] == "姓名 / Name; 照片 / Photo"

    xlsx = await world.client.get(
        f"{SESSIONS}/{info['id']}/report", params={"format": "xlsx"}, headers=proctor
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[0]
    # Excel keeps no empty strings: an empty cell reads back as None.
    assert [[cell.value or "" for cell in row] for row in sheet.iter_rows(max_row=4)] == [
        line + [""] * (len(table[0]) - len(line)) for line in lines[:4]
    ]
    assert [[cell.value or "" for cell in row] for row in sheet.iter_rows(min_row=6)] == table
    assert sheet.freeze_panes == "A7"
    assert [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2)] == [
        ["姓名 / Name", 1],
        ["照片 / Photo", 1],
    ]


# --- editing, extending and cancelling ---------------------------------------------------


async def _planned(world: World, proctor: dict[str, str], **overrides: Any) -> Any:
    created = await world.client.post(SESSIONS, json=plan(**overrides), headers=proctor)
    assert created.status_code == 201, created.text
    return created.json()


async def _audited(world: World, action: str) -> list[AuditEvent]:
    async with world.ctx.db.sessions() as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.scalars())


async def test_a_planned_session_is_edited(world: World, proctor: dict[str, str]) -> None:
    for n in (1, 2, 3):
        await world.add_student(n)
    info = await _planned(world, proctor)
    assert info["roster_size"] == 3
    url = f"{SESSIONS}/{info['id']}"
    numbers = [record(1)["student_no"], record(3)["student_no"]]
    edited = await world.client.patch(
        url,
        json={"title": "补测", "ends_at": "2026-06-01T12:00:00Z", "student_nos": numbers},
        headers=proctor,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["lab"], body["state"]) == ("补测", "A101", "planned")
    assert body["ends_at"].startswith("2026-06-01T12:00") and body["roster_size"] == 2
    assert body["class_name"] is None
    [row] = await _audited(world, "staff.update_session")
    assert row.target == f"supervised_session:{info['id']}"

    # Refused edits change nothing.
    for change, code in (
        ({"ends_at": "2026-06-01T08:00:00Z"}, "end_before_start"),
        ({"lab": "Z999"}, "unknown_lab"),
        ({"class_name": "没有这个班"}, "unknown_class"),
    ):
        refused = await world.client.patch(url, json=change, headers=proctor)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["code"] == code
    listed = (await world.client.get(SESSIONS, headers=proctor)).json()
    assert listed[0]["title"] == "补测" and listed[0]["roster_size"] == 2


async def test_a_planned_session_is_cancelled(world: World, proctor: dict[str, str]) -> None:
    await world.add_student(1)
    info = await _planned(world, proctor)
    url = f"{SESSIONS}/{info['id']}"
    cancelled = await world.client.delete(url, headers=proctor)
    assert cancelled.status_code == 204, cancelled.text
    assert (await world.client.get(SESSIONS, headers=proctor)).json() == []
    async with world.ctx.db.sessions() as session:
        assert (await session.execute(select(RosterEntry))).first() is None
    [row] = await _audited(world, "staff.cancel_session")
    assert row.target == f"supervised_session:{info['id']}"
    assert (await world.client.delete(url, headers=proctor)).status_code == 404


async def test_a_running_session_is_only_extended(world: World, proctor: dict[str, str]) -> None:
    await world.add_student(1)
    info = await _planned(world, proctor)
    url = f"{SESSIONS}/{info['id']}"
    assert (await world.client.post(f"{url}/start", headers=proctor)).status_code == 200
    for change in ({"title": "改名"}, {"ends_at": "2026-06-01T13:00:00Z", "lab": "A101"}):
        refused = await world.client.patch(url, json=change, headers=proctor)
        assert refused.status_code == 409 and refused.json()["code"] == "session_state"
    earlier = await world.client.patch(
        url, json={"ends_at": "2026-06-01T10:00:00Z"}, headers=proctor
    )
    assert earlier.status_code == 422
    assert earlier.json()["errors"][0]["code"] == "end_not_later"
    cancel = await world.client.delete(url, headers=proctor)
    assert cancel.status_code == 409 and cancel.json()["code"] == "session_state"
    later = await world.client.patch(url, json={"ends_at": "2026-06-01T13:00:00Z"}, headers=proctor)
    assert later.status_code == 200, later.text
    assert later.json()["ends_at"].startswith("2026-06-01T13:00")
    assert later.json()["state"] == "running"
    # The kiosks' banner shows the new end.
    beat = await world.client.post(
        "/api/v1/terminals/heartbeat", json={"state": "idle"},
        headers={"Terminal-Key": world.terminal_key},
    )  # fmt: skip
    assert beat.json()["supervised_session"]["ends_at"].startswith("2026-06-01T13:00")

    assert (await world.client.post(f"{url}/end", headers=proctor)).status_code == 200
    ended: dict[str, Any]
    for ended in ({"ends_at": "2026-06-01T14:00:00Z"}, {"title": "x"}):
        refused = await world.client.patch(url, json=ended, headers=proctor)
        assert refused.status_code == 409 and refused.json()["code"] == "session_state"
    assert (await world.client.delete(url, headers=proctor)).status_code == 409


async def test_only_supervisors_edit_sessions(world: World, proctor: dict[str, str]) -> None:
    await world.add_student(1)
    info = await _planned(world, proctor)
    office = await staff_headers(world, "office")
    url = f"{SESSIONS}/{info['id']}"
    assert (await world.client.patch(url, json={"title": "x"}, headers=office)).status_code == 403
    assert (await world.client.delete(url, headers=office)).status_code == 403
