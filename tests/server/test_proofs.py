"""Proof documents through the API: the receipt's link, the upload page, and staff access.

Every refused upload is checked for its page's code and for nothing stored.
"""

from __future__ import annotations

import asyncio
import io
import re
import struct
import zlib
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from kiosk.protocol.proof import PROOF_MAX_FILES
from server.models import ProofFile
from server.records import PAGE_HEADERS
from tests.server.conftest import World, record
from tests.server.staff_world import OTHER_COLLEGE, add_staff, check_and_submit, staff_headers

BASE = "/api/v1/staff/corrections"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_jpeg(size: tuple[int, int] = (1200, 900), orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: EXIF with a camera model, a GPS position, an orientation."""
    image = Image.new("RGB", size, (230, 220, 200))
    image.paste((20, 20, 120), (100, 100, 500, 300))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # Model
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (30.0, 52.0, 7.0), 3: "E", 4: (120.0, 5.0, 3.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width``×``height`` (a decompression bomb's header)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )  # fmt: skip


async def reported(
    world: World, n: int = 1, *wrong: str, proposed: dict[str, str] | None = None,
    college: str | None = None,
) -> dict[str, int]:  # fmt: skip
    """A student who reported ``wrong`` (default the name); correction ids by field."""
    email = f"s{n}@test"
    if college is None:
        await world.add_student(n, email=email)
    else:
        await world.add_student(n, email=email, college=college)
    await check_and_submit(world, email, *(wrong or ("name",)), proposed=proposed)
    headers = await staff_headers(world, "registrar")
    found = (
        await world.client.get(BASE, params={"q": record(n)["student_no"]}, headers=headers)
    ).json()
    return {row["field"]: row["id"] for row in found["corrections"]}


async def link_of(world: World, n: int = 1) -> Any:
    token = await world.token_for(f"s{n}@test")
    return await world.client.post("/api/v1/me/proof-link", headers=world.headers(token))


async def page_path(world: World, n: int = 1) -> str:
    answer = await link_of(world, n)
    assert answer.status_code == 200, answer.text
    return "/u/" + str(answer.json()["url"]).rsplit("/u/", 1)[1]


async def upload(
    world: World, path: str, content: bytes, kind: str = "id_front", name: str = "p.jpg",
    media: str = "image/jpeg",
) -> Any:  # fmt: skip
    return await world.client.post(
        path, data={"kind": kind}, files={"file": (name, content, media)}
    )


def code_of(page: Any) -> str:
    found = re.search(r'data-code="([a-z_]+)"', page.text)
    return found.group(1) if found else ""


async def stored(world: World) -> list[ProofFile]:
    async with world.ctx.db.sessions() as session:
        return list((await session.execute(select(ProofFile).order_by(ProofFile.id))).scalars())


async def test_a_phone_photo_is_stored_clean_and_the_office_sees_it(world: World) -> None:
    await add_staff(world)
    ids = await reported(world, 1, "name")
    answer = await link_of(world)
    assert answer.status_code == 200, answer.text
    link = answer.json()
    assert link["slots_left"] == PROOF_MAX_FILES
    assert link["url"].startswith(world.ctx.public_base_url() + "/u/")
    path = await page_path(world)
    page = await world.client.get(path)
    assert page.status_code == 200
    for header, value in PAGE_HEADERS.items():
        assert page.headers[header] == value
    assert 'accept="image/jpeg,image/png,image/*" capture' in page.text
    assert "户口簿 本人页（含曾用名）" in page.text and "ID card, back" in page.text

    # Taken sideways (EXIF orientation 6): stored upright, with no EXIF at all.
    done = await upload(world, path, phone_jpeg((1200, 900), orientation=6), "hukou_self")
    assert done.status_code == 200, done.text
    assert "已保存" in done.text and 'data-files="1"' in done.text
    [file] = await stored(world)
    assert (file.kind, file.width, file.height) == ("hukou_self", 900, 1200)
    with Image.open(io.BytesIO(file.jpeg)) as image:
        assert image.format == "JPEG" and image.size == (900, 1200)
        assert not image.getexif() and "exif" not in image.info
        assert image.getexif().get_ifd(GPS_IFD) == {}
    assert b"Phone X" not in file.jpeg and b"Exif" not in file.jpeg
    with Image.open(io.BytesIO(file.thumbnail)) as thumb:
        assert max(thumb.size) <= 240

    cid = ids["name"]
    office = await staff_headers(world, "office")
    listed = await world.client.get(f"{BASE}/{cid}/proofs", headers=office)
    assert listed.status_code == 200, listed.text
    [info] = listed.json()["files"]
    assert info["kind"] == "hukou_self" and info["size_bytes"] == len(file.jpeg)
    full = await world.client.get(f"{BASE}/{cid}/proofs/{info['id']}", headers=office)
    assert full.headers["content-type"] == "image/jpeg" and full.content == file.jpeg
    assert full.headers["cache-control"] == "no-store"
    thumb = await world.client.get(
        f"{BASE}/{cid}/proofs/{info['id']}/thumbnail",
        headers=await staff_headers(world, "registrar"),
    )
    assert thumb.content == file.thumbnail


async def test_no_link_without_a_correction_that_needs_proof(world: World) -> None:
    await add_staff(world)
    await reported(world, 1, "major")
    answer = await link_of(world)
    assert answer.status_code == 404 and answer.json()["code"] == "no_proof_needed"


async def test_too_big_wrong_type_damaged_and_bombs_are_refused_and_nothing_stored(
    world: World,
) -> None:
    await add_staff(world)
    await reported(world, 1, "name")
    path = await page_path(world)
    good = phone_jpeg()
    limit = world.ctx.settings.proof_max_bytes
    # Valid JPEG start, padded past 10 MB: refused on its size, before any decoding.
    big = await upload(world, path, good + b"\x00" * (limit + 1 - len(good)))
    assert (big.status_code, code_of(big)) == (413, "proof_too_large")
    gif = await upload(world, path, b"GIF89a" + b"\x00" * 100, name="x.jpg")
    assert (gif.status_code, code_of(gif)) == (415, "proof_not_image")
    page = await upload(world, path, b"<html>hello</html>", media="image/png", name="x.png")
    assert (page.status_code, code_of(page)) == (415, "proof_not_image")
    cut = await upload(world, path, good[: len(good) // 2])
    assert (cut.status_code, code_of(cut)) == (422, "proof_damaged")
    scan = good.find(b"\xff\xda")
    zeroed = good[: scan + 20] + bytes(len(good) - scan - 22) + good[-2:]
    assert (await upload(world, path, zeroed)).status_code == 422
    for width, height in ((30000, 30000), (8000, 8000)):
        bomb = await upload(world, path, png_claiming(width, height), media="image/png")
        assert (bomb.status_code, code_of(bomb)) == (422, "proof_too_many_pixels"), (width, height)
    no_kind = await upload(world, path, good, kind="passport")
    assert (no_kind.status_code, code_of(no_kind)) == (422, "proof_kind")
    assert await stored(world) == []
    # A PNG screenshot is fine (stored as JPEG, transparency on white).
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 500), (0, 0, 0, 0)).save(buffer, "PNG")
    ok = await upload(world, path, buffer.getvalue(), "other", "s.png", "image/png")
    assert ok.status_code == 200, ok.text
    [file] = await stored(world)
    with Image.open(io.BytesIO(file.jpeg)) as image:
        assert image.format == "JPEG" and image.getpixel((10, 10)) == (255, 255, 255)


async def test_a_post_that_is_no_photo_form_is_refused_on_the_page(world: World) -> None:
    await add_staff(world)
    await reported(world, 1, "name")
    path = await page_path(world)
    kind_only = b'--abc\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n--abc--\r\n'
    for content_type, body in (
        (None, b""), ("application/json", b"{}"), ("multipart/form-data", b"xx"),
        ("multipart/form-data; boundary=abc", kind_only),
        ("application/x-www-form-urlencoded", b"kind=other&file=abc"),
    ):  # fmt: skip
        headers = {"content-type": content_type} if content_type else {}
        answer = await world.client.post(path, content=body, headers=headers)
        assert (answer.status_code, code_of(answer)) == (422, "proof_kind"), content_type
    assert await stored(world) == []


async def test_the_eighth_file_closes_the_link(world: World) -> None:
    await add_staff(world)
    await reported(world, 1, "name")
    path = await page_path(world)
    photo = phone_jpeg((400, 300))
    for n in range(1, PROOF_MAX_FILES + 1):
        answer = await upload(world, path, photo)
        assert answer.status_code == 200, (n, answer.text)
    assert code_of(answer) == "proof_slots_full" and "已保存" in answer.text
    ninth = await upload(world, path, photo)
    assert (ninth.status_code, code_of(ninth)) == (410, "proof_slots_full")
    assert (await world.client.get(path)).status_code == 410
    assert len(await stored(world)) == PROOF_MAX_FILES
    again = await link_of(world)
    assert again.json()["code"] == "no_proof_needed"


async def test_two_phones_racing_for_the_last_slot_store_one(world: World) -> None:
    await add_staff(world)
    await reported(world, 1, "name")
    path = await page_path(world)
    photo = phone_jpeg((400, 300))
    for _ in range(PROOF_MAX_FILES - 1):
        assert (await upload(world, path, photo)).status_code == 200
    answers = await asyncio.gather(*(upload(world, path, photo) for _ in range(3)))
    assert sorted(answer.status_code for answer in answers) == [200, 410, 410]
    assert len(await stored(world)) == PROOF_MAX_FILES


async def test_expiry_tampering_and_a_decision_close_the_link(world: World) -> None:
    await add_staff(world)
    ids = await reported(world, 1, "name")
    path = await page_path(world)
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert code_of(await world.client.get(tampered)) == "link_invalid"
    assert (await upload(world, tampered, phone_jpeg())).status_code == 403

    world.clock.advance(hours=world.ctx.settings.proof_link_hours, seconds=1)
    late = await upload(world, path, phone_jpeg())
    assert (late.status_code, code_of(late)) == (410, "link_expired")
    world.clock.advance(hours=-world.ctx.settings.proof_link_hours)
    assert (await world.client.get(path)).status_code == 200

    decided = await world.client.post(
        f"{BASE}/{ids['name']}/college",
        json={"decision": "reject", "comment": "不属实"},
        headers=await staff_headers(world, "office"),
    )
    assert decided.status_code == 200, decided.text
    closed = await upload(world, path, phone_jpeg())
    assert (closed.status_code, code_of(closed)) == (410, "proof_link_closed")
    assert code_of(await world.client.get(path)) == "proof_link_closed"
    assert await stored(world) == []


async def test_proof_files_are_for_the_college_and_the_registrar_only(world: World) -> None:
    await add_staff(world)
    ids = await reported(world, 1, "name")
    path = await page_path(world)
    assert (await upload(world, path, phone_jpeg())).status_code == 200
    [file] = await stored(world)
    cid = ids["name"]
    urls = [
        f"{BASE}/{cid}/proofs", f"{BASE}/{cid}/proofs/{file.id}",
        f"{BASE}/{cid}/proofs/{file.id}/thumbnail", f"{BASE}/{cid}/application-form.pdf",
    ]  # fmt: skip
    other = await staff_headers(world, "other_office")
    proctor = await staff_headers(world, "proctor")
    for url in urls:
        anonymous = await world.client.get(url)
        assert anonymous.status_code == 401, url
        denied = await world.client.get(url, headers=other)
        assert (denied.status_code, denied.json()["code"]) == (403, "other_college"), url
        assert (await world.client.get(url, headers=proctor)).status_code == 403, url
    # Another student's file is not reachable through this correction.
    theirs = await reported(world, 2, "name", college=OTHER_COLLEGE)
    registrar = await staff_headers(world, "registrar")
    wrong = await world.client.get(f"{BASE}/{theirs['name']}/proofs/{file.id}", headers=registrar)
    assert wrong.status_code == 404
    async with world.ctx.db.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(ProofFile))).scalar_one()
    assert count == 1
