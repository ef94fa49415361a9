"""Photo zips: entries read through a capped stream, caps on entries and inflated bytes, and
every zipfile/zlib error a problem on its entry, never a 500."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import ServerSettings
from kiosk.protocol.imports import ImportProblem
from server.imports import _checked_batch, zip_photos
from server.record_files import Unreadable
from tests.security.conftest import MIB, Hostile
from tests.security.zips import corrupt_data, patch_headers, zip_of
from tests.server.test_imports import spec_jpeg

PHOTOS = "/api/v1/staff/imports/photos"
SERVER_SETTINGS = {
    "KIOSK_SERVER__IMPORT_MAX_ENTRIES": "50",
    "KIOSK_SERVER__IMPORT_MAX_INFLATED_BYTES": "300000",
}
BOMB_GROWTH_MAX = 24 * MIB
"""Before the rule, a 200 KiB zip whose entry lies about its size cost over 300 MiB."""


def _import(hostile: Hostile, content: bytes) -> dict[str, Any]:
    """Import ``content`` as the registrar; the problems by file, and nothing stored."""
    headers = hostile.staff_headers("registrar")
    before = hostile.counts()
    answer = httpx.post(f"{hostile.url}{PHOTOS}", content=content, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    assert report["stored"] == []
    # Only the import's own audit row is new.
    assert hostile.counts() == before | {"audit_events": before["audit_events"] + 1}
    return report


def _codes(report: dict[str, Any]) -> list[str]:
    return [problem["code"] for problem in report["problems"]]


def _photo_name(hostile: Hostile, index: int = 0) -> str:
    return f"{hostile.accounts['students'][index]['student_no']}.jpg"


def _bomb(name: str, declared: int | None) -> bytes:
    """200 MiB of zeros in about 200 KiB; ``declared`` is the size its headers claim."""
    data = zip_of({name: bytes(200 * MIB)})
    return data if declared is None else patch_headers(data, size=declared)


def test_a_zip_bomb_whose_entry_lies_costs_no_memory(hostile: Hostile) -> None:
    """The issue's example: the entry claims 50,000 bytes; it is refused, cheaply."""
    name = _photo_name(hostile)
    for declared, code in ((50_000, "photo_unreadable"), (None, "photo_file_size")):
        bomb = _bomb(name, declared)
        assert len(bomb) < 250 * 1024
        hostile.reset_peak()
        start = hostile.memory()["VmRSS"]
        assert _codes(_import(hostile, bomb)) == [code]
        assert hostile.memory()["VmHWM"] - start < BOMB_GROWTH_MAX


def test_encrypted_unknown_and_corrupt_entries_are_problems(hostile: Hostile) -> None:
    """Each is reported on its entry, as photo_unreadable (not a 500, not the whole zip)."""
    plain = zip_of({_photo_name(hostile): spec_jpeg()})
    for hostile_zip in (
        patch_headers(plain, flags=0x1),  # encrypted
        patch_headers(plain, method=99),  # no such compression method
        corrupt_data(plain),  # deflate data that does not inflate
    ):
        report = _import(hostile, hostile_zip)
        assert _codes(report) == ["photo_unreadable"]
        assert report["problems"][0]["file"] == _photo_name(hostile)


def test_too_many_entries_refuse_the_zip(hostile: Hostile) -> None:
    """51 entries over a cap of 50: one problem, nothing read."""
    many = zip_of({f"{n}.jpg": b"x" for n in range(51)})
    assert _codes(_import(hostile, many)) == ["too_many_entries"]


def test_the_inflated_total_is_capped(hostile: Hostile) -> None:
    """Photos of 36 KB each stop once 300,000 bytes have been inflated."""
    members = {f"{_photo_name(hostile, n)[:-4]}x.jpg": spec_jpeg() for n in range(10)}
    codes = _codes(_import(hostile, zip_of(members)))
    assert codes[-1] == "archive_too_large"
    assert len(codes) == 300_000 // len(spec_jpeg()) + 1


def test_not_a_zip(hostile: Hostile) -> None:
    """Anything else is one problem."""
    for content in (b"not a zip at all", b"PK\x03\x04" + bytes(100), spec_jpeg()):
        assert _codes(_import(hostile, content)) == ["not_a_zip"]


# --- the reader itself, over random and damaged archives ---------------------------------

_SETTINGS = ServerSettings(import_max_entries=50, import_max_inflated_bytes=300_000)


def _read_all(content: bytes) -> None:
    """Read ``content`` as the import does; only reported problems may come out."""
    try:
        files = zip_photos(_as_file(content), _SETTINGS)
    except Unreadable as unreadable:
        assert unreadable.problem.code in ("not_a_zip", "too_many_entries")
        return
    while batch := _checked_batch(files, _SETTINGS):
        for name, outcome in batch:
            assert isinstance(name, str)
            assert isinstance(outcome, bytes | ImportProblem)


def _as_file(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)


_VALID = zip_of({"20221001.jpg": spec_jpeg(), "b.jpeg": b"\xff\xd8" * 10}, zipfile.ZIP_DEFLATED)


@given(st.binary(max_size=4096))
@settings(max_examples=200, deadline=None)
def test_random_bytes_never_escape_as_errors(content: bytes) -> None:
    """Any bytes at all: a zip, no zip, or problems on its entries."""
    _read_all(b"PK\x03\x04" + content)


@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=12))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damaged_archives_never_escape_as_errors(changes: list[tuple[int, int]]) -> None:
    """A valid zip with bytes changed anywhere (headers, sizes, data, directory)."""
    damaged = bytearray(_VALID)
    for at, value in changes:
        damaged[at] = value
    _read_all(bytes(damaged))
