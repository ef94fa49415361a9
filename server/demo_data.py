"""Deterministic demo data: about 200 graduating students of 湖州师范学院 and their photos.

Nothing here touches a database; the server inserts what :func:`generate_students` returns.
Every value passes :func:`kiosk.fields.validate_field` without errors *or* warnings: ID
numbers carry real Zhejiang region codes (valid in the birth year under python-stdnum's
birth-year-aware table), the birth date and gender that the record states, and a correct
check digit. Only ``random.Random(seed)`` is used, so one seed always gives the same
students and the same photo bytes.

Demo accounts: about a dozen students are registered, each with the e-mail address
``<pinyin>.<student_no>@stu.example.edu.cn`` and the password :data:`DEMO_PASSWORD`. The
first student of the list is always registered.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFont
from stdnum.cn import ric

from kiosk.fields import FIELD_KEYS

DEMO_SEED = 20260601
DEMO_PASSWORD = "Demo-2026!"  # noqa: S105 - the documented password of every demo account
EMAIL_DOMAIN = "stu.example.edu.cn"
INSTITUTION = "湖州师范学院"
STATUS = "在籍（注册学籍）"
EDUCATION_CATEGORY = "普通高等教育"
STUDY_MODE = "普通全日制"
PHOTO_SIZE = (480, 640)
PHOTO_BACKGROUND = (100, 197, 255)  # 浅蓝 of the 学历证书电子注册图像 spec
PHOTO_QUALITY = 75
GRAIN_AMPLITUDE = 10  # ± grey levels of grain on the figure; tunes the JPEG size
ACCOUNT_SHARE = 0.06  # about 12 of 200 students are registered


@dataclass(frozen=True)
class DemoAccount:
    """A registered student's login: e-mail address and password."""

    email: str
    password: str


@dataclass(frozen=True)
class DemoStudent:
    """One student: the 17 field values by key, an account if registered, ASCII initials."""

    values: dict[str, str]
    account: DemoAccount | None
    initials: str


@dataclass(frozen=True)
class _Level:
    name: str
    years: int
    age_at_enrollment: int  # 专升本 students enrol after three years of 专科


_BENKE = _Level("本科", 4, 18)
_ZHUANKE = _Level("专科", 3, 18)
_ZHUANSHENGBEN = _Level("专科起点本科", 2, 21)


@dataclass(frozen=True)
class _Class:
    college: str
    college_code: str
    department: str
    department_digit: str
    major: str
    prefix: str  # class names are prefix + two-digit year + class number, e.g. 计算机222
    number: int
    level: _Level


def _catalogue() -> tuple[_Class, ...]:
    it, em, lit = ("信息工程学院", "01"), ("经济管理学院", "02"), ("文学院", "03")
    rows: list[tuple[tuple[str, str], str, str, str, str, int, _Level]] = [
        (it, "计算机科学与技术系", "1", "计算机科学与技术", "计算机", 1, _BENKE),
        (it, "计算机科学与技术系", "1", "计算机科学与技术", "计算机", 2, _BENKE),
        (it, "计算机科学与技术系", "1", "计算机科学与技术", "计算机升", 1, _ZHUANSHENGBEN),
        (it, "电子信息工程系", "2", "电子信息工程", "电信", 1, _BENKE),
        (it, "电子信息工程系", "2", "电子信息工程技术", "电信专", 1, _ZHUANKE),
        (em, "会计系", "1", "会计学", "会计", 1, _BENKE),
        (em, "会计系", "1", "会计学", "会计", 2, _BENKE),
        (em, "会计系", "1", "会计学", "会计升", 1, _ZHUANSHENGBEN),
        (em, "工商管理系", "2", "工商管理", "工商", 1, _BENKE),
        (em, "工商管理系", "2", "工商管理", "工商", 2, _BENKE),
        (lit, "中国语言文学系", "1", "汉语言文学", "汉语言", 1, _BENKE),
        (lit, "中国语言文学系", "1", "汉语言文学", "汉语言", 2, _BENKE),
        (lit, "中国语言文学系", "1", "汉语言文学", "汉语言", 3, _BENKE),
        (lit, "新闻传播系", "2", "网络与新媒体", "新媒体", 1, _BENKE),
        (lit, "新闻传播系", "2", "网络与新媒体", "新媒体", 2, _BENKE),
    ]
    return tuple(
        _Class(college, code, dept, digit, major, prefix, number, level)
        for (college, code), dept, digit, major, prefix, number, level in rows
    )


CLASSES = _catalogue()

# Zhejiang county codes that python-stdnum 2.2 accepts for every birth year 1998-2008, Huzhou's
# own counties first and listed twice so that most students come from near the school.
# (吴兴区 330502 and 南浔区 330503 are only in the table from 2003, so they are left out.)
REGION_CODES: tuple[str, ...] = (
    "330521", "330522", "330523", "330521", "330522", "330523",
    "330102", "330105", "330106", "330108", "330182", "330183", "330185", "330281", "330282",
    "330302", "330303", "330381", "330382", "330411", "330421", "330481", "330483", "330602",
    "330681", "330702", "330782", "330783", "330802", "330881", "330902", "331002", "331081",
)  # fmt: skip

# Pinyin (toneless) of every character the generator can put into a name.
PINYIN: dict[str, str] = {
    # surnames
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang",
    "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun",
    "马": "ma", "朱": "zhu", "胡": "hu", "郭": "guo", "何": "he", "林": "lin", "高": "gao",
    "罗": "luo", "郑": "zheng", "梁": "liang", "沈": "shen", "钱": "qian", "蒋": "jiang",
    "潘": "pan", "姚": "yao", "陆": "lu", "叶": "ye", "金": "jin", "方": "fang", "邵": "shao",
    "汪": "wang", "许": "xu", "章": "zhang", "俞": "yu", "欧": "ou", "阳": "yang",
    "司": "si", "诸": "zhu", "葛": "ge", "雷": "lei", "蓝": "lan", "钟": "zhong",
    # given names
    "伟": "wei", "强": "qiang", "磊": "lei", "军": "jun", "勇": "yong", "杰": "jie",
    "涛": "tao", "明": "ming", "超": "chao", "刚": "gang", "浩": "hao", "宇": "yu",
    "轩": "xuan", "博": "bo", "睿": "rui", "俊": "jun", "凯": "kai", "鑫": "xin",
    "昊": "hao", "天": "tian", "泽": "ze", "辰": "chen", "航": "hang", "鹏": "peng",
    "翔": "xiang", "哲": "zhe", "煜": "yu", "铭": "ming", "文": "wen", "志": "zhi",
    "芳": "fang", "娜": "na", "敏": "min", "静": "jing", "丽": "li", "艳": "yan",
    "秀": "xiu", "霞": "xia", "娟": "juan", "梅": "mei", "琳": "lin", "婷": "ting",
    "雪": "xue", "欣": "xin", "怡": "yi", "涵": "han", "琪": "qi", "诗": "shi", "悦": "yue",
    "瑶": "yao", "彤": "tong", "颖": "ying", "璐": "lu", "倩": "qian", "楠": "nan",
    "晴": "qing", "萱": "xuan", "佳": "jia", "思": "si", "雨": "yu", "晨": "chen",
    "子": "zi", "一": "yi", "可": "ke", "心": "xin", "安": "an", "宁": "ning", "逸": "yi",
    "嘉": "jia", "梓": "zi", "晓": "xiao", "帆": "fan", "越": "yue", "然": "ran", "清": "qing",
    # transliterated Uyghur names
    "艾": "ai", "力": "li", "买": "mai", "提": "ti", "阿": "a", "里": "li", "木": "mu",
    "吐": "tu", "尔": "er", "逊": "xun", "古": "gu", "山": "shan", "热": "re", "依": "yi",
    "拉": "la", "不": "bu",
}  # fmt: skip

SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "林", "高", "罗", "郑", "梁", "沈", "钱", "蒋", "潘", "姚", "陆", "叶", "金",
    "方", "邵", "汪", "许", "章", "俞",
)  # fmt: skip
COMPOUND_SURNAMES: tuple[str, ...] = ("欧阳", "司马", "诸葛")
SHE_SURNAMES: tuple[str, ...] = ("雷", "蓝", "钟")  # the common surnames of Zhejiang's 畲族
MALE_GIVEN = "伟强磊军勇杰涛明超刚浩宇轩博睿俊凯鑫昊天泽辰航鹏翔哲煜铭文志"
FEMALE_GIVEN = "芳娜敏静丽艳秀霞娟梅琳婷雪欣怡涵琪诗悦瑶彤颖璐倩楠晴萱"
NEUTRAL_GIVEN = "佳思雨晨子一可心安宁逸嘉梓晓帆越然清"
UYGHUR_NAMES: dict[str, tuple[str, ...]] = {
    "男": ("艾力·买买提", "阿里木·吐尔逊"),
    "女": ("古丽·艾山", "热依拉·阿不力"),
}
# Mostly 汉族; the others are minorities that live in Zhejiang or are common among its students.
ETHNICITY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("汉族", 180), ("畲族", 5), ("回族", 3), ("满族", 3), ("土家族", 3), ("苗族", 2),
    ("壮族", 2), ("蒙古族", 1), ("维吾尔族", 1),
)  # fmt: skip


def graduation_year(today: dt.date) -> int:
    """The year the current graduating class leaves: this year until August, else next year."""
    return today.year if today.month < 9 else today.year + 1


def name_pinyin(name: str) -> list[str]:
    """The toneless pinyin of each part of a name (a part is a character; ``·`` splits words)."""
    return [PINYIN[ch] for ch in name if ch != "·"]


def name_initials(name: str) -> str:
    """ASCII initials: one letter per character (``张伟强`` → ``ZWQ``), per word for ``·`` names."""
    if "·" in name:
        return "".join(PINYIN[word[0]][0] for word in name.split("·")).upper()
    return "".join(syllable[0] for syllable in name_pinyin(name)).upper()


def _name(rng: random.Random, gender: str, ethnicity: str) -> str:
    if ethnicity == "维吾尔族":
        return rng.choice(UYGHUR_NAMES[gender])
    if ethnicity == "畲族":
        surname = rng.choice(SHE_SURNAMES)
    elif rng.random() < 0.02:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:
        surname = rng.choice(SURNAMES)
    pool = (MALE_GIVEN if gender == "男" else FEMALE_GIVEN) + NEUTRAL_GIVEN
    given_length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(pool) for _ in range(given_length))


def _region_for(rng: random.Random, birth: dt.date) -> str:
    # The list is chosen to be valid for every year we generate; the loop is the safety net
    # should a later python-stdnum table disagree, so that no demo record ever gets a warning.
    start = rng.randrange(len(REGION_CODES))
    for step in range(len(REGION_CODES)):
        code = REGION_CODES[(start + step) % len(REGION_CODES)]
        probe = f"{code}{birth:%Y%m%d}0000"
        try:
            ric.get_birth_place(probe)
        except Exception:  # noqa: S112 - stdnum raises KeyError or InvalidComponent here
            continue
        return code
    raise RuntimeError(f"no region code valid for {birth.year}")


def _id_number(rng: random.Random, birth: dt.date, gender: str, taken: set[str]) -> str:
    region = _region_for(rng, birth)
    while True:
        # Digit 17 is odd for men and even for women (GB 11643).
        sequence = rng.randrange(500) * 2 + (1 if gender == "男" else 0)
        body = f"{region}{birth:%Y%m%d}{sequence:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in taken:
            taken.add(number)
            return number


def _birth_date(rng: random.Random, enrollment: dt.date, age: int) -> dt.date:
    # Born between (age + 1) years and age years before enrollment, i.e. ``age`` on entry.
    latest = enrollment.replace(year=enrollment.year - age) - dt.timedelta(days=1)
    return latest - dt.timedelta(days=rng.randrange(365))


def _ethnicity(rng: random.Random) -> str:
    names = [name for name, _ in ETHNICITY_WEIGHTS]
    weights = [weight for _, weight in ETHNICITY_WEIGHTS]
    return rng.choices(names, weights)[0]


def generate_students(
    count: int = 200, seed: int = DEMO_SEED, today: dt.date | None = None
) -> list[DemoStudent]:
    """``count`` students spread over :data:`CLASSES`, the same for the same seed and year.

    ``today`` (default: the real date) decides the graduating year, so that the demo's
    students always graduate this year and no date lies in the future. Names, genders and
    ethnicities depend on the seed only; dates, 学号 and e-mail addresses move with the
    graduating year (the first student is ``zhangyi.2022011101@…`` for 2026 graduates and
    ``zhangyi.2023011101@…`` from September 2026 on).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    year = graduation_year(today or dt.date.today())
    taken_ids: set[str] = set()
    serials: dict[_Class, int] = {}
    students: list[DemoStudent] = []
    for index in range(count):
        klass = CLASSES[index % len(CLASSES)]
        serials[klass] = serial = serials.get(klass, 0) + 1
        enroll_year = year - klass.level.years
        enrollment = dt.date(enroll_year, 9, 1)
        gender = rng.choice(("男", "女"))
        ethnicity = _ethnicity(rng)
        name = _name(rng, gender, ethnicity)
        birth = _birth_date(rng, enrollment, klass.level.age_at_enrollment)
        student_no = (
            f"{enroll_year}{klass.college_code}{klass.department_digit}{klass.number}{serial:02d}"
        )
        values = {
            "name": name,
            "gender": gender,
            "ethnicity": ethnicity,
            "birth_date": birth.isoformat(),
            "id_number": _id_number(rng, birth, gender, taken_ids),
            "student_no": student_no,
            "institution": INSTITUTION,
            "college": klass.college,
            "department": klass.department,
            "major": klass.major,
            "class_name": f"{klass.prefix}{enroll_year % 100:02d}{klass.number}",
            "level": klass.level.name,
            "duration": str(klass.level.years),
            "education_category": EDUCATION_CATEGORY,
            "study_mode": STUDY_MODE,
            "enrollment_date": enrollment.isoformat(),
            "status": STATUS,
        }
        students.append(DemoStudent({key: values[key] for key in FIELD_KEYS}, None, ""))

    others = max(0, min(count - 1, round(count * ACCOUNT_SHARE) - 1))
    registered = {0, *rng.sample(range(1, count), others)} if count else set()
    return [
        DemoStudent(
            student.values,
            _account(student.values) if index in registered else None,
            name_initials(student.values["name"]),
        )
        for index, student in enumerate(students)
    ]


def _account(values: dict[str, str]) -> DemoAccount:
    local = "".join(name_pinyin(values["name"]))
    return DemoAccount(f"{local}.{values['student_no']}@{EMAIL_DOMAIN}", DEMO_PASSWORD)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow >= 10.1 ships a scalable default font, so no font file is needed.
    return ImageFont.load_default(size=size)


_GRAIN_MARGIN = 64


@lru_cache(maxsize=1)
def _grain() -> Image.Image:
    # One seeded grain field shared by all photos (each takes its own crop): drawing fresh
    # noise for every photo would cost more than the rest of the drawing and the JPEG together.
    width, height = PHOTO_SIZE[0] + _GRAIN_MARGIN, PHOTO_SIZE[1] + _GRAIN_MARGIN
    noise = random.Random(DEMO_SEED).randbytes(width * height)  # noqa: S311
    scale = 2 * GRAIN_AMPLITUDE / 255
    grey = Image.frombytes("L", (width, height), noise).point(lambda v: round(v * scale))
    return grey.convert("RGB")


def _shade(rng: random.Random, base: tuple[int, int, int], spread: int) -> tuple[int, int, int]:
    r, g, b = (max(0, min(255, c + rng.randint(-spread, spread))) for c in base)
    return (r, g, b)


_CLOTHES = ((40, 44, 52), (60, 60, 70), (90, 30, 40), (30, 60, 45), (230, 230, 225), (120, 90, 60))
_HAIR = ((20, 18, 16), (35, 28, 22), (50, 38, 30))
_SKIN = ((236, 200, 170), (222, 184, 150), (200, 160, 125))


def draw_photo(student: DemoStudent) -> bytes:
    """A 480×640 24-bit JPEG head-and-shoulders drawing with the student's initials.

    It follows the geometry of the graduation photo spec (学历证书电子注册图像: 480×640, light blue): light-blue
    background, hair line 50-110 px and eyes 200-300 px from the top, face 180-300 px wide.
    A fine grain over the figure gives the file a photo's size (20-40 KB) rather than a
    drawing's few KB. The bytes depend only on the student, so they are reproducible.
    """
    seed = f"{DEMO_SEED}:{student.values['id_number']}:{student.initials}"
    rng = random.Random(seed)  # noqa: S311 - the same student must give the same bytes
    width, height = PHOTO_SIZE
    cx = width // 2
    face_w = rng.randint(200, 236)
    face_top, face_bottom = rng.randint(118, 134), rng.randint(392, 410)
    hair_top = rng.randint(70, 96)
    shoulder_y = rng.randint(445, 462)
    skin, hair = _shade(rng, rng.choice(_SKIN), 8), _shade(rng, rng.choice(_HAIR), 6)
    clothes = _shade(rng, rng.choice(_CLOTHES), 12)

    image = Image.new("RGB", PHOTO_SIZE, PHOTO_BACKGROUND)
    figure = Image.new(
        "L", PHOTO_SIZE, 0
    )  # where the grain goes: the spec wants a plain background
    for draw, fills in (
        (ImageDraw.Draw(image), (clothes, skin, hair)),
        (ImageDraw.Draw(figure), (255, 255, 255)),
    ):
        fill_clothes, fill_skin, fill_hair = fills
        draw.polygon(
            [
                (0, height),
                (0, shoulder_y + 70),
                (cx - 150, shoulder_y),
                (cx + 150, shoulder_y),
                (width, shoulder_y + 70),
                (width, height),
            ],
            fill=fill_clothes,
        )
        draw.rectangle((cx - 48, face_bottom - 40, cx + 48, shoulder_y + 10), fill=fill_skin)
        draw.polygon(
            [(cx - 48, shoulder_y), (cx, shoulder_y + 60), (cx + 48, shoulder_y)], fill=fill_skin
        )
        draw.ellipse((cx - face_w // 2 - 12, hair_top, cx + face_w // 2 + 12, 330), fill=fill_hair)
        draw.ellipse((cx - face_w // 2 - 14, 250, cx - face_w // 2 + 10, 310), fill=fill_skin)
        draw.ellipse((cx + face_w // 2 - 10, 250, cx + face_w // 2 + 14, 310), fill=fill_skin)
        draw.ellipse((cx - face_w // 2, face_top, cx + face_w // 2, face_bottom), fill=fill_skin)

    draw = ImageDraw.Draw(image)
    draw.chord((cx - face_w // 2, hair_top + 10, cx + face_w // 2, 230), 180, 360, fill=hair)
    eye_y, eye_dx = rng.randint(250, 266), rng.randint(44, 52)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        draw.line((ex - 22, eye_y - 26, ex + 22, eye_y - 28), fill=hair, width=6)  # eyebrow
        draw.ellipse((ex - 16, eye_y - 8, ex + 16, eye_y + 8), fill=(250, 250, 250))
        draw.ellipse((ex - 7, eye_y - 7, ex + 7, eye_y + 7), fill=(40, 30, 25))
    nose_y = eye_y + 62
    shadow = tuple(max(0, c - 40) for c in skin)
    draw.line((cx, eye_y + 10, cx - 8, nose_y, cx + 6, nose_y), fill=shadow, width=3)
    mouth_y = nose_y + 38
    draw.arc((cx - 30, mouth_y - 14, cx + 30, mouth_y + 10), 20, 160, fill=(170, 80, 80), width=4)

    left, top = rng.randrange(_GRAIN_MARGIN), rng.randrange(_GRAIN_MARGIN)
    grain = _grain().crop((left, top, left + width, top + height))
    image.paste(ImageChops.add(image, grain, 1.0, -GRAIN_AMPLITUDE), mask=figure)

    text_colour = (250, 250, 250) if sum(clothes) < 450 else (30, 30, 30)
    ImageDraw.Draw(image).text(
        (cx, shoulder_y + 115), student.initials, fill=text_colour, font=_font(48), anchor="mm"
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=PHOTO_QUALITY, dpi=(300, 300))
    return out.getvalue()
