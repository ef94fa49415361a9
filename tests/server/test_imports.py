"""Record and photo imports: validation reports, nothing partly applied, GBK, Excel, 2,000 rows."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from kiosk.cli import main
from kiosk.fields import FIELDS
from server.models import Student
from tests.server.conftest import World, id_number, record
from tests.server.staff_world import add_staff, check_and_submit, staff_headers
from tests.server.test_mailbox_cli import CONFIG

RECORDS = "/api/v1/staff/imports/records"
PHOTOS = "/api/v1/staff/imports/photos"

_SPEC_JPEG: list[bytes] = []


def spec_jpeg() -> bytes:
    """A JPEG that meets the photo spec: 480×640, RGB, about 36 KB (noise does not compress)."""
    if not _SPEC_JPEG:
        buffer = io.BytesIO()
        Image.effect_noise((480, 640), 20).convert("RGB").save(buffer, "JPEG", quality=30)
        _SPEC_JPEG.append(buffer.getvalue())
    return _SPEC_JPEG[0]


def csv_file(
    rows: list[dict[str, str]], *, labels: str = "zh", encoding: str = "utf-8-sig"
) -> bytes:
    """A record file with headings by Chinese label, English label or key."""
    keys = [spec.key for spec in FIELDS]
    heading = {
        "zh": [spec.label.zh for spec in FIELDS],
        "en": [spec.label.en for spec in FIELDS],
        "key": keys,
    }[labels]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(heading)
    writer.writerows([row.get(key, "") for key in keys] for row in rows)
    return buffer.getvalue().encode(encoding)


async def _import(world: World, content: bytes, **params: str) -> Any:
    headers = await staff_headers(world, "registrar")
    answer = await world.client.post(RECORDS, content=content, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _students(world: World) -> dict[str, Student]:
    async with world.ctx.db.sessions() as session:
        return {s.student_no: s for s in (await session.execute(select(Student))).scalars()}


async def test_a_valid_file_creates_then_updates_only_what_changed(world: World) -> None:
    await add_staff(world)
    rows = [record(n) for n in range(1, 4)]
    first = await _import(world, csv_file(rows))
    assert first["applied"] and (first["created"], first["updated"]) == (3, 0)
    rows[1]["major"] = "软件工程"
    again = await _import(world, csv_file(rows, labels="en"))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 2)
    students = await _students(world)
    assert students[rows[1]["student_no"]].record_version == 2
    assert students[rows[1]["student_no"]].major == "软件工程"
    assert students[rows[0]["student_no"]].record_version == 1


async def test_a_change_asks_a_student_who_submitted_to_check_again(world: World) -> None:
    await add_staff(world)
    await world.add_student(1, email="s1@test")
    await check_and_submit(world, "s1@test")
    await _import(world, csv_file([record(1, department="软件系")], labels="key"))
    token = await world.token_for("s1@test")
    mine = (await world.client.get("/api/v1/me/record", headers=world.headers(token))).json()
    assert mine["state"] == "check_again" and mine["recheck_fields"] == ["department"]


async def test_gbk_and_excel_files(world: World) -> None:
    await add_staff(world)
    gbk = await _import(world, csv_file([record(1)], encoding="gbk"))
    assert gbk["applied"], gbk
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([spec.label.zh for spec in FIELDS] + ["备注"])
    values = record(2)
    sheet.append([values[spec.key] for spec in FIELDS] + ["x"])
    buffer = io.BytesIO()
    book.save(buffer)
    excel = await _import(world, buffer.getvalue())
    assert excel["applied"] and excel["created"] == 1 and excel["ignored_columns"] == ["备注"]
    assert set(await _students(world)) == {record(1)["student_no"], record(2)["student_no"]}


async def test_every_problem_is_reported_and_nothing_applied(world: World) -> None:
    await add_staff(world)
    rows = [
        record(1),
        record(2, birth_date="2003-02-30"),
        record(3, id_number=record(3)["id_number"][:-1] + "0"),
        record(4, ethnicity="火星族", level="大专"),
        record(5, student_no=record(1)["student_no"]),
        record(6, enrollment_date="2022/09/01"),
    ]
    report = await _import(world, csv_file(rows))
    assert not report["applied"]
    found = {(p["line"], p["column"], p["code"]) for p in report["problems"]}
    assert {
        (3, "出生日期", "date_invalid"),
        (4, "身份证号", "id_checksum"),
        (5, "民族", "not_in_list"),
        (5, "层次", "not_in_list"),
        (6, "学号", "duplicate_student_no"),
        (7, "入学日期", "date_format"),
    } <= found
    assert all(p["message"] for p in report["problems"])
    assert await _students(world) == {}


async def test_missing_columns_and_unreadable_files(world: World) -> None:
    await add_staff(world)
    content = csv_file([record(1)]).decode("utf-8-sig").replace("民族", "民族名称").encode()
    report = await _import(world, content)
    assert [(p["line"], p["column"], p["code"]) for p in report["problems"]] == [
        (1, "民族", "missing_column")
    ]
    assert report["ignored_columns"] == ["民族名称"]
    junk = await _import(world, b"\xff\xfe\x00\x81" * 10)
    assert junk["problems"][0]["code"] in ("encoding", "missing_column")
    empty = await _import(world, b"")
    assert empty["problems"][0]["code"] == "empty_file"


async def test_an_id_number_of_another_student_is_refused(world: World) -> None:
    await add_staff(world)
    await world.add_student(1)
    clash = record(2, id_number=record(1)["id_number"], gender=record(1)["gender"])
    report = await _import(world, csv_file([clash]))
    assert [p["code"] for p in report["problems"]] == ["id_number_taken"]


async def test_dry_run_changes_nothing(world: World) -> None:
    await add_staff(world)
    report = await _import(world, csv_file([record(1)]), dry_run="true")
    assert report["rows"] == 1 and not report["applied"] and report["problems"] == []
    assert report["created"] == 1 and report["changes"][0]["new"]
    assert await _students(world) == {}


async def test_the_dry_run_previews_what_the_import_does(world: World) -> None:
    await add_staff(world)
    await _import(world, csv_file([record(n) for n in (1, 2, 3)]))
    rows = [record(1), record(2, major="软件工程", department="软件系"), record(3), record(4)]
    content = csv_file(rows)
    preview = await _import(world, content, dry_run="true")
    assert not preview["applied"]
    assert (preview["created"], preview["updated"], preview["unchanged"]) == (1, 1, 2)
    assert preview["changes"] == [
        {"line": 3, "student_no": record(2)["student_no"], "name": record(2)["name"], "new": False,
         "fields": [
             {"key": "department", "old": "计算机系", "new": "软件系"},
             {"key": "major", "old": "计算机科学与技术", "new": "软件工程"},
         ]},
        {"line": 5, "student_no": record(4)["student_no"], "name": record(4)["name"], "new": True,
         "fields": []},
    ]  # fmt: skip
    assert (await _students(world))[record(2)["student_no"]].major == "计算机科学与技术"
    done = await _import(world, content)
    assert done["applied"]
    assert {key: done[key] for key in ("created", "updated", "unchanged", "changes")} == {
        key: preview[key] for key in ("created", "updated", "unchanged", "changes")
    }
    assert (await _students(world))[record(2)["student_no"]].major == "软件工程"


async def test_an_excel_formula_is_refused_by_name(world: World) -> None:
    await add_staff(world)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([spec.label.zh for spec in FIELDS])
    values = record(1)
    sheet.append([values[spec.key] for spec in FIELDS])
    # A formula whose result would be a valid value is still refused: the file must hold values.
    sheet.cell(2, 1 + [spec.key for spec in FIELDS].index("major"), '="计算机"&"科学与技术"')
    buffer = io.BytesIO()
    book.save(buffer)
    report = await _import(world, buffer.getvalue(), dry_run="true")
    assert [(p["line"], p["column"], p["code"]) for p in report["problems"]] == [
        (2, "专业名称", "formula")
    ]
    assert "公式" in report["problems"][0]["message"]
    assert "formula" in report["problems"][0]["message"]


async def test_two_thousand_rows(world: World) -> None:
    await add_staff(world)
    rows = [
        record(n, student_no=f"2022{n:06d}", id_number=id_number("330502", "2003-05-17", n % 1000)
               if n < 1000 else id_number("330502", "2003-05-18", n % 1000),
               birth_date="2003-05-17" if n < 1000 else "2003-05-18",
               gender="男" if (n % 1000) % 2 else "女")
        for n in range(2000)
    ]  # fmt: skip
    report = await _import(world, csv_file(rows))
    assert report["applied"], report["problems"][:3]
    assert report["created"] == 2000
    # The changes of four batches, stitched into one list in the file's order.
    assert [change["line"] for change in report["changes"]] == list(range(2, 2002))
    assert all(change["new"] for change in report["changes"])
    async with world.ctx.db.sessions() as session:
        assert (await session.execute(select(func.count(Student.id)))).scalar_one() == 2000
    rows[10]["major"] = rows[1990]["major"] = "软件工程"
    again = await _import(world, csv_file(rows))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 2, 1998)
    assert [(c["line"], [f["key"] for f in c["fields"]]) for c in again["changes"]] == [
        (12, ["major"]),
        (1992, ["major"]),
    ]
    stored = await _students(world)
    assert stored[rows[1990]["student_no"]].major == "软件工程"


async def test_only_the_registrar_imports(world: World) -> None:
    await add_staff(world)
    office = await staff_headers(world, "office")
    answer = await world.client.post(RECORDS, content=csv_file([record(1)]), headers=office)
    assert answer.status_code == 403


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _image(size: tuple[int, int], mode: str, fmt: str, quality: int = 30) -> bytes:
    buffer = io.BytesIO()
    image = Image.effect_noise(size, 20).convert(mode)
    image.save(buffer, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


async def test_photos_are_checked_one_by_one(world: World) -> None:
    await add_staff(world)
    one = await world.add_student(1)
    two = await world.add_student(2)
    files = {
        f"photos/{one.student_no}.jpg": spec_jpeg(),
        f"{two.id_number}.JPG": spec_jpeg(),
        "20990000.jpg": spec_jpeg(),
        f"{one.student_no}.jpeg": spec_jpeg(),
        "wrong-size.jpg": _image((400, 600), "RGB", "JPEG"),
        "grey.jpg": _image((480, 640), "L", "JPEG", 60),
        "png.jpg": _image((480, 640), "RGB", "PNG")[:90_000],
        "tiny.jpg": b"\xff\xd8tiny",
        "notes.txt": b"ignored",
    }
    headers = await staff_headers(world, "registrar")
    answer = await world.client.post(PHOTOS, content=_zip(files), headers=headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert {(p["file"], p["version"]) for p in report["stored"]} == {
        (f"{one.student_no}.jpg", 2), (f"{two.id_number}.JPG", 2),
    }  # fmt: skip
    problems = {p["file"]: p["code"] for p in report["problems"]}
    assert problems == {
        "20990000.jpg": "photo_unknown_student",
        f"{one.student_no}.jpeg": "photo_duplicate",
        "wrong-size.jpg": "photo_dimensions",
        "grey.jpg": "photo_colour",
        "png.jpg": "photo_not_jpeg",
        "tiny.jpg": "photo_file_size",
    }
    students = await _students(world)
    assert students[one.student_no].photo_version == 2
    not_zip = await world.client.post(PHOTOS, content=b"nope", headers=headers)
    assert not_zip.json()["problems"][0]["code"] == "not_a_zip"


def test_the_admin_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/server.db"
    base = ["--config", str(CONFIG), "admin", "--database-url", url]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([record(1, birth_date="2003-13-01")]))
    assert main([*base, "import-records", str(bad)]) == 1
    assert "line 2 出生日期: date_invalid" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file([record(1), record(2)], encoding="gbk"))
    assert main([*base, "import-records", str(good), "--dry-run"]) == 0
    preview = capsys.readouterr().out
    assert "valid (dry run): 2 new" in preview
    assert f"line 2 {record(1)['student_no']}: 新增 / new" in preview
    assert main([*base, "import-records", str(good)]) == 0
    assert "2 new" in capsys.readouterr().out
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / f"{record(1)['student_no']}.jpg").write_bytes(spec_jpeg())
    (tmp_path / "photos" / "nobody.jpg").write_bytes(spec_jpeg())
    assert main([*base, "import-photos", str(tmp_path / "photos")]) == 1
    out = capsys.readouterr()
    assert "1 photo stored, 1 refused" in out.out and "photo_unknown_student" in out.err
    archive = tmp_path / "photos.zip"
    archive.write_bytes(_zip({f"{record(2)['id_number']}.jpg": spec_jpeg()}))
    assert main([*base, "import-photos", str(archive)]) == 0


def test_a_lab_of_terminals_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/server.db"
    base = ["--config", str(CONFIG), "admin", "--database-url", url, "add-terminal", "lab3"]
    assert main([*base, "--count", "60", "--pattern", "lab3-{n:02d}"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    names = [line.split("\t")[0] for line in lines]
    assert names == [f"lab3-{n:02d}" for n in range(1, 61)]
    keys = [line.split("\t")[1] for line in lines]
    assert len(set(keys)) == 60

    async def check() -> None:
        from server.auth import authenticate_terminal
        from server.db import Database

        db = Database(url)
        async with db.sessions() as session:
            for name, key in zip(names, keys, strict=True):
                assert (await authenticate_terminal(session, key)).name == name
        await db.dispose()

    asyncio.run(check())
    # One name taken: none of the batch is added. A pattern that numbers nothing: refused.
    assert main([*base, "--count", "3", "--start", "60", "--pattern", "lab3-{n:02d}"]) == 1
    assert "none was added" in capsys.readouterr().err
    assert main([*base, "--count", "3", "--pattern", "lab3"]) == 2
    assert main([*base, "--count", "3", "--pattern", "{x}"]) == 2
    assert main([*base, "one", "--count", "2"]) == 2
    assert main([*base]) == 2
    assert main([*base, "lab3-99"]) == 0
    single = capsys.readouterr().out.splitlines()[1]  # one terminal: the key alone, as before
    assert re.fullmatch(r"[0-9]+\.[A-Za-z0-9_-]+", single)


async def test_imported_values_pass_the_text_rule(world: World) -> None:
    await add_staff(world)
    rows = [record(1, college=record(1)["college"] + "\u200b"), record(2, name="张\u202e三")]
    report = await _import(world, csv_file(rows))
    assert not report["applied"]
    found = {(p["line"], p["column"], p["code"]) for p in report["problems"]}
    assert {(2, "分院", "control_characters"), (3, "姓名", "control_characters")} <= found
    assert await _students(world) == {}
