"""The demo data: deterministic, valid by the kiosk's own validators, photos to the spec."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections import Counter

import pytest
from PIL import Image

from kiosk.fields import FIELD_KEYS, validate_field
from server.demo_data import (
    DEMO_PASSWORD,
    DEMO_SEED,
    DemoStudent,
    draw_photo,
    generate_students,
    name_initials,
)

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def students() -> list[DemoStudent]:
    return generate_students(today=TODAY)


@pytest.fixture(scope="module")
def photos(students: list[DemoStudent]) -> list[bytes]:
    return [draw_photo(student) for student in students]


def test_same_seed_same_students_and_photos(
    students: list[DemoStudent], photos: list[bytes]
) -> None:
    again = generate_students(seed=DEMO_SEED, today=TODAY)
    assert again == students
    assert [draw_photo(student) for student in again[:20]] == photos[:20]


def test_another_seed_gives_other_students(students: list[DemoStudent]) -> None:
    other = generate_students(seed=DEMO_SEED + 1, today=TODAY)
    assert [s.values["id_number"] for s in other] != [s.values["id_number"] for s in students]


def test_count_colleges_and_classes(students: list[DemoStudent]) -> None:
    assert len(students) == 200
    colleges = Counter(s.values["college"] for s in students)
    assert set(colleges) == {"信息工程学院", "经济管理学院", "文学院"}
    assert min(colleges.values()) >= 40
    for college in colleges:
        majors = {s.values["major"] for s in students if s.values["college"] == college}
        classes = {s.values["class_name"] for s in students if s.values["college"] == college}
        assert len(majors) >= 2
        assert len(classes) >= 3
    assert {s.values["institution"] for s in students} == {"湖州师范学院"}
    for count in (0, 1, 7):
        few = generate_students(count=count, today=TODAY)
        assert len(few) == count
        assert not few or few[0].account is not None


def test_identifiers_are_unique(students: list[DemoStudent]) -> None:
    for key in ("student_no", "id_number"):
        values = [s.values[key] for s in students]
        assert len(set(values)) == len(values), key
    emails = [s.account.email for s in students if s.account]
    assert len(set(emails)) == len(emails)


def test_every_value_is_valid_without_warnings(students: list[DemoStudent]) -> None:
    for student in students:
        assert tuple(student.values) == FIELD_KEYS
        for key, value in student.values.items():
            check = validate_field(key, value, student.values, TODAY)
            assert check.errors == () and check.warnings == (), (key, value, check)
            # Stored values are already in normal form, so the kiosk shows them unchanged.
            assert check.value == value, (key, value)


def test_default_today_gives_valid_records() -> None:
    for student in generate_students(count=30):
        for key, value in student.values.items():
            check = validate_field(key, value, student.values)
            assert not check.errors and not check.warnings, (key, value, check)


def test_record_consistency(students: list[DemoStudent]) -> None:
    durations = {"本科": "4", "专科": "3", "专科起点本科": "2"}
    levels = Counter(s.values["level"] for s in students)
    assert levels["本科"] > len(students) * 0.7
    assert levels["专科"] > 0 and levels["专科起点本科"] > 0
    for s in students:
        v = s.values
        assert v["duration"] == durations[v["level"]]
        enrollment = dt.date.fromisoformat(v["enrollment_date"])
        assert (enrollment.month, enrollment.day) == (9, 1)
        # Everyone graduates in the summer of 2026.
        assert enrollment.year + int(v["duration"]) == 2026
        assert v["student_no"].startswith(str(enrollment.year))
        assert re.fullmatch(r"\D+\d{3}", v["class_name"])
        assert v["class_name"][-3:-1] == str(enrollment.year)[2:]
        age = (enrollment - dt.date.fromisoformat(v["birth_date"])).days / 365.25
        assert 17 <= age <= 23, v
        assert v["id_number"].startswith("33")  # Zhejiang
        assert v["education_category"] == "普通高等教育"
        assert v["study_mode"] == "普通全日制"
        assert v["status"] == "在籍（注册学籍）"
    ethnicities = Counter(s.values["ethnicity"] for s in students)
    assert ethnicities.most_common(1)[0][0] == "汉族"
    assert len(ethnicities) >= 3
    genders = Counter(s.values["gender"] for s in students)
    assert min(genders.values()) > len(students) * 0.3


def test_accounts(students: list[DemoStudent]) -> None:
    accounts = [s.account for s in students if s.account is not None]
    assert 10 <= len(accounts) <= 14
    assert students[0].account is not None
    for student in students:
        if student.account is None:
            continue
        assert student.account.password == DEMO_PASSWORD == "Demo-2026!"
        local, domain = student.account.email.split("@")
        assert domain == "stu.example.edu.cn"
        assert re.fullmatch(r"[a-z]+\.\d+", local)
        assert local.endswith("." + student.values["student_no"])


def test_initials(students: list[DemoStudent]) -> None:
    assert name_initials("张伟强") == "ZWQ"
    assert name_initials("欧阳佳") == "OYJ"
    assert name_initials("艾力·买买提") == "AM"
    for student in students:
        assert student.initials.isascii() and student.initials.isupper()
        name = student.values["name"]
        expected = len(name.split("·")) if "·" in name else len(name)
        assert len(student.initials) == expected


def test_photos_follow_the_spec(photos: list[bytes]) -> None:
    sizes = sorted(len(photo) for photo in photos)
    print(f"photo sizes: min {sizes[0]}, median {sizes[len(sizes) // 2]}, max {sizes[-1]} bytes")
    assert sizes[0] >= 15_000 and sizes[-1] <= 60_000
    for photo in photos[:25]:
        with Image.open(io.BytesIO(photo)) as image:
            assert image.format == "JPEG"
            assert image.size == (480, 640)
            assert image.mode == "RGB"
            # The corners are the plain light-blue background (JPEG may shift it a little).
            for corner in ((2, 2), (477, 2)):
                pixel = image.getpixel(corner)
                assert isinstance(pixel, tuple)
                assert all(abs(a - b) <= 6 for a, b in zip(pixel, (100, 197, 255), strict=True))
    assert len(set(photos)) == len(photos)


def test_photos_are_fast(students: list[DemoStudent]) -> None:
    draw_photo(students[0])
    start = time.perf_counter()
    for student in students:
        draw_photo(student)
    elapsed = time.perf_counter() - start
    print(f"200 photos in {elapsed:.2f} s")
    assert elapsed < 4.0  # budget 2 s; slack for loaded CI machines
