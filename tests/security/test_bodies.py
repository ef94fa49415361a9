"""Bodies are judged while they stream in; only the registrar's two uploads may be large, and
only once the token and role are checked; an upload is spooled to disk, not held in memory."""

from __future__ import annotations

import io
import json
import zipfile

from tests.security.conftest import MIB, Hostile, chunked

RECORDS = "/api/v1/staff/imports/records"
PHOTOS = "/api/v1/staff/imports/photos"
GROWTH_MAX = 24 * MIB
"""What a refused or spooled upload may add to the server's peak memory (allocator slack;
before the rule, three anonymous 50 MiB uploads added about 80 MiB)."""


def _head(path: str, headers: dict[str, str], *, length: int | None = None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: test"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(raw: bytes) -> tuple[int, dict[str, object]]:
    """Status and problem document of a raw HTTP/1.1 answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}


def test_anonymous_uploads_are_refused_before_their_bodies_are_read(hostile: Hostile) -> None:
    """401 comes back while the client has not sent a byte of the body."""
    before = hostile.counts()
    for path in (RECORDS, PHOTOS):
        status, problem = _answer(hostile.raw(_head(path, {})))
        assert status == 401 and problem["code"] == "unauthenticated"
    assert hostile.counts() == before


def test_a_wrong_role_upload_is_refused_before_its_body_is_read(hostile: Hostile) -> None:
    """A proctor's upload declaring 40 MiB gets 403 without sending it."""
    headers = hostile.staff_headers("proctor")
    before = hostile.counts()
    status, problem = _answer(hostile.raw(_head(PHOTOS, headers, length=40 * MIB)))
    assert status == 403 and problem["code"] == "forbidden"
    after = hostile.counts()
    # The refusal itself is audited (one denied row); nothing else is written.
    assert after == before | {"audit_events": before["audit_events"] + 1}


def test_three_anonymous_50_mib_uploads_cost_no_memory(hostile: Hostile) -> None:
    """The issue's measurement: about 80 MiB of growth before; now within allocator slack."""
    hostile.reset_peak()
    start = hostile.memory()["VmRSS"]
    for _ in range(3):
        status, problem = _answer(hostile.raw(_head(RECORDS, {}), chunked(50 * MIB)))
        assert status == 401 and problem["code"] == "unauthenticated"
    assert hostile.memory()["VmHWM"] - start < GROWTH_MAX


def test_a_streamed_json_body_is_refused_at_the_limit(hostile: Hostile) -> None:
    """Chunked and never finished: 413 arrives once the limit (64 KiB) has passed."""
    head = _head("/api/v1/staff/sessions", {"Content-Type": "application/json"})
    one_chunk = b"%x\r\n" % (70 * 1024) + b"{" * (70 * 1024) + b"\r\n"
    status, problem = _answer(hostile.raw(head, iter([one_chunk])))
    assert status == 413 and problem["code"] == "body_too_large"


def test_a_declared_body_over_the_limit_is_refused_unread(hostile: Hostile) -> None:
    """Content-Length over the limit: 413 without the body (on an upload route too)."""
    for path, length in (("/api/v1/staff/sessions", 65537), (RECORDS, 50 * MIB + 1)):
        status, problem = _answer(hostile.raw(_head(path, {}, length=length)))
        assert status == 413 and problem["code"] == "body_too_large"


def test_the_registrars_upload_stops_at_its_limit_without_memory(hostile: Hostile) -> None:
    """A registrar's chunked 60 MiB upload is 413 at 50 MiB, spooled on disk meanwhile."""
    headers = hostile.staff_headers("registrar")
    before = hostile.counts()
    hostile.reset_peak()
    start = hostile.memory()["VmRSS"]
    status, problem = _answer(hostile.raw(_head(RECORDS, headers), chunked(60 * MIB)))
    assert status == 413 and problem["code"] == "body_too_large"
    assert hostile.memory()["VmHWM"] - start < GROWTH_MAX
    assert hostile.counts() == before


def test_a_large_accepted_upload_is_spooled_not_held(hostile: Hostile) -> None:
    """A 40 MiB zip of no photos is read from its temporary file: no memory for the body."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for n in range(40):
            archive.writestr(f"notes-{n}.txt", bytes(MIB))
    content = buffer.getvalue()
    headers = hostile.staff_headers("registrar")
    before = hostile.counts()
    hostile.reset_peak()
    start = hostile.memory()["VmRSS"]
    head = _head(PHOTOS, headers, length=len(content))
    status, report = _answer(
        hostile.raw(head, (content[i : i + MIB] for i in range(0, len(content), MIB)))
    )
    assert status == 200 and report == {"stored": [], "problems": [], "corrections_applied": 0}
    assert hostile.memory()["VmHWM"] - start < GROWTH_MAX
    assert hostile.counts() == before | {"audit_events": before["audit_events"] + 1}
