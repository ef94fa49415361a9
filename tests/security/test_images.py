"""Photos are decoded fully and strictly: a header claiming a huge image, and a right-sized
header over damaged scan data, are problems on that file; a good photo beside them is stored."""

from __future__ import annotations

import struct

import httpx

from tests.security.conftest import MIB, Hostile
from tests.security.zips import zip_of
from tests.server.test_imports import spec_jpeg

PHOTOS = "/api/v1/staff/imports/photos"


def huge_header() -> bytes:
    """The spec JPEG with a frame header that claims 65500×65500 pixels."""
    jpeg = bytearray(spec_jpeg())
    frame = jpeg.find(b"\xff\xc0")
    jpeg[frame + 5 : frame + 9] = struct.pack(">HH", 65500, 65500)
    return bytes(jpeg)


def zeroed_scan() -> bytes:
    """A valid 480×640 header, and scan data all zero up to the end-of-image marker."""
    jpeg = spec_jpeg()
    scan = jpeg.find(b"\xff\xda")
    start = scan + 2 + int.from_bytes(jpeg[scan + 2 : scan + 4], "big")
    end = jpeg.rfind(b"\xff\xd9")
    return jpeg[:start] + bytes(end - start) + jpeg[end:]


def test_huge_and_damaged_jpegs_are_refused_a_good_one_is_stored(hostile: Hostile) -> None:
    """Three students: two bad photos refused, one stored; one photo row written."""
    names = [f"{student['student_no']}.jpg" for student in hostile.accounts["students"][:3]]
    content = zip_of(dict(zip(names, (huge_header(), zeroed_scan(), spec_jpeg()), strict=True)))
    headers = hostile.staff_headers("registrar")
    before = hostile.counts()
    hostile.reset_peak()
    start = hostile.memory()["VmRSS"]
    answer = httpx.post(f"{hostile.url}{PHOTOS}", content=content, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert {p["file"]: p["code"] for p in report["problems"]} == {
        names[0]: "photo_not_jpeg",
        names[1]: "photo_corrupt",
    }
    assert [stored["file"] for stored in report["stored"]] == [names[2]]
    after = hostile.counts()
    assert after["photos"] == before["photos"] + 1
    assert after["students"] == before["students"]
    # The 65500×65500 header was refused from its header: no gigabytes of pixels.
    assert hostile.memory()["VmHWM"] - start < 24 * MIB
