"""Logs: every error path we can provoke leaves no student number, ID number, token or code.

The server's stdout and stderr (uvicorn's own loggers included) are captured while the
requests below fail in every way they can, then searched for the demo's identities.
"""

from __future__ import annotations

import io
import logging
import logging.config
import zipfile
from pathlib import Path
from typing import Any

import httpx

from server.demo_data import DEMO_SEED, generate_students
from server.logs import LOG_CONFIG, SafeFormatter
from tests.e2e.serving import RunningServer, serving
from tests.security.helpers import Student, rows

STUDENTS = generate_students(seed=DEMO_SEED)
STUDENT_NOS = [s.values["student_no"] for s in STUDENTS]
ID_NUMBERS = [s.values["id_number"] for s in STUDENTS]


def encrypted_zip(member: str) -> bytes:
    """A zip whose one member claims to be encrypted (zipfile raises, naming the member)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, b"\xff\xd8" + b"x" * 20000)
    data = bytearray(buffer.getvalue())
    data[6] |= 1  # the local header's flags
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1  # the central directory's
    return bytes(data)


class Tolerant(httpx.Client):
    """A client for which a dropped connection is one more outcome (the log is the point)."""

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        try:
            return super().request(*args, **kwargs)
        except httpx.TransportError:
            return httpx.Response(599)


def provoke_everything(server: RunningServer, student_no: str, id_number: str) -> None:
    accounts = server.demo_accounts()
    url = server.url
    with Tolerant(base_url=url, timeout=30) as http:
        # Bad terminal keys and tokens that are themselves personal data.
        http.get("/api/v1/me/record", headers={"Terminal-Key": f"1.{id_number}",
                                                "Authorization": f"Bearer {student_no}"})  # fmt: skip
        terminal = {"Terminal-Key": accounts["terminal_key"]}
        http.get("/api/v1/me/record", headers=terminal | {"Authorization": f"Bearer {id_number}"})
        http.get(f"/p/{id_number}.{student_no}")
        http.get(f"/p/{id_number}/photo.jpg")
        # Wrong passwords and unknown names that are 学号 and ID numbers.
        for name in (student_no, id_number):
            http.post("/api/v1/sessions", headers=terminal,
                      json={"username": name, "password": id_number})  # fmt: skip
        http.post("/api/v1/staff/sessions", json={"username": id_number, "password": student_no})
        # Bodies that are not JSON, or not the right JSON, full of identities.
        http.post("/api/v1/verifications", headers=terminal | {"Idempotency-Key": id_number},
                  content=f'{{"ticket": "{id_number}", "x": "{student_no}"'.encode())  # fmt: skip
        http.post("/api/v1/registrations", headers=terminal,
                  json={"name": student_no, "id_number": id_number, "email": "x"})  # fmt: skip
        # Imports named after students, which fail.
        staff = next(s for s in accounts["staff"] if s["role"] == "registrar")
        login = http.post("/api/v1/staff/sessions",
                          json={"username": staff["username"], "password": staff["password"]})  # fmt: skip
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        http.post("/api/v1/staff/imports/records", headers=auth,
                  content=f"学号,身份证号\n{student_no},{id_number}\n\x00\x01".encode("gbk"))  # fmt: skip
        http.post("/api/v1/staff/imports/photos", headers=auth,
                  content=encrypted_zip(f"{student_no}.jpg"))  # fmt: skip
        http.post("/api/v1/staff/imports/photos", headers=auth,
                  content=encrypted_zip(f"{id_number}.jpg"))  # fmt: skip
    # A real student's session too: the record, a refused result.
    student = Student(server)
    student.submit({"ticket": id_number, "result_id": student_no})


def test_no_identity_reaches_the_server_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with serving(f"sqlite+aiosqlite:///{tmp_path}/demo.db", "--demo", log=log) as server:
        before = rows(server, "verifications")
        for student_no, id_number in list(zip(STUDENT_NOS, ID_NUMBERS, strict=True))[:3]:
            provoke_everything(server, student_no, id_number)
        assert rows(server, "verifications") == before
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Uvicorn running" in text or "Application startup complete" in text  # captured
    leaked = [x for x in [*STUDENT_NOS, *ID_NUMBERS] if x in text]
    assert leaked == []
    assert "Traceback" not in text


def test_the_formatter_gives_type_and_place_never_the_message(tmp_path: Path) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.security.leaky")
    logger.addHandler(handler)
    try:
        try:
            try:
                raise KeyError(ID_NUMBERS[0])
            except KeyError:
                raise RuntimeError(f"File {STUDENT_NOS[0]}.jpg is encrypted") from None
        except RuntimeError:
            logger.exception("Exception in ASGI application")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "RuntimeError at tests/security/test_logs.py:" not in text  # no project anchor here
    assert "RuntimeError at " in text and "in test_the_formatter" in text
    assert STUDENT_NOS[0] not in text and ID_NUMBERS[0] not in text
    assert LOG_CONFIG["formatters"]["safe"]["()"] is SafeFormatter
