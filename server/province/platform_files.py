"""The national platform's submission file (学信网 学籍学历信息管理平台): DBF and .xlsx.

One row per student of a batch: the record as it will be once the batch's corrections are
applied, in the platform's layout (:data:`LAYOUT`). Character fields are GBK and fixed width
in bytes; a value that does not fit, or that GBK cannot encode, is reported
(:class:`FileProblem`) and the file is not made: nothing is ever cut.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from server.exports import Cell, table_xlsx

ENCODING = "gbk"
CODEPAGE = "cp936"
"""The DBF's code page as the ``dbf`` package names GBK (language driver 0x4D)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One DBF column: its code, its width in bytes, and where its value comes from."""

    code: str
    width: int
    source: str
    """A record field key, ``date:<key>`` (YYYYMMDD), or ``row:<name>`` (the row's own)."""
    label: str


LAYOUT_SOURCE = (
    "特殊类别 注册 DBF, as published (湖南师大继续教育 学籍 DBF spec, "
    "hollyten.com/jxjyxy/info/1100/2118.htm; provincial spec fsou.net.cn 17022300_4)"
)
LAYOUT: tuple[Column, ...] = (
    Column("YXMC", 18, "institution", "院校名称"),
    Column("YXDM", 5, "row:school_code", "院校代码"),
    Column("KSH", 18, "row:exam_no", "考生号"),
    Column("XH", 15, "student_no", "学号"),
    Column("XM", 24, "name", "姓名"),
    Column("XB", 2, "gender", "性别"),
    Column("CSRQ", 8, "date:birth_date", "出生日期"),
    Column("SFZH", 18, "id_number", "身份证号"),
    Column("MZ", 10, "ethnicity", "民族"),
    Column("ZYMC", 30, "major", "专业名称"),
    Column("FY", 24, "college", "分院"),
    Column("XSH", 24, "department", "系所函授站"),
    Column("BH", 24, "class_name", "班号"),
    Column("CC", 20, "level", "层次"),
    Column("XXXS", 10, "study_mode", "学习形式"),
    Column("XZ", 3, "duration", "学制"),
    Column("RXRQ", 8, "date:enrollment_date", "入学日期"),
    Column("BZ", 40, "row:remark", "备注"),
)
"""The platform's columns in order (source: :data:`LAYOUT_SOURCE`). A province's variant is
an edit here: widths are bytes of GBK, so a Chinese character takes two."""


@dataclass(frozen=True, slots=True)
class PlatformRow:
    """One student's line: the record after the batch's changes, and the row's own values."""

    correction_ids: tuple[int, ...]
    values: Mapping[str, str]
    school_code: str = ""
    exam_no: str = ""
    remark: str = ""


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A value that cannot go into the file as it is: where, and why."""

    correction_ids: tuple[int, ...]
    column: str
    code: str
    """``too_wide`` or ``not_encodable``."""
    message: str


def _value(column: Column, row: PlatformRow) -> str:
    kind, _, name = column.source.rpartition(":")
    if kind == "row":
        return str(getattr(row, name))
    value = row.values.get(name, "")
    return value.replace("-", "") if kind == "date" else value


def cells(row: PlatformRow) -> list[str]:
    """The row's values in :data:`LAYOUT` order, as the file holds them."""
    return [_value(column, row) for column in LAYOUT]


def problems(rows: Sequence[PlatformRow]) -> list[FileProblem]:
    """Every value of ``rows`` that GBK cannot encode or that is wider than its column."""
    found: list[FileProblem] = []
    for row in rows:
        for column, value in zip(LAYOUT, cells(row), strict=True):
            try:
                width = len(value.encode(ENCODING))
            except UnicodeEncodeError:
                found.append(
                    FileProblem(
                        row.correction_ids, column.code, "not_encodable",
                        f"{column.label} ({column.code}): '{value}' has a character GBK cannot "
                        "hold; the platform needs it written another way",
                    )
                )  # fmt: skip
                continue
            if width > column.width:
                found.append(
                    FileProblem(
                        row.correction_ids, column.code, "too_wide",
                        f"{column.label} ({column.code}): '{value}' takes {width} bytes, the "
                        f"platform's column holds {column.width}",
                    )
                )  # fmt: skip
    return found


def dbf_bytes(rows: Sequence[PlatformRow]) -> bytes:
    """The rows as a dBase III file in :data:`LAYOUT`, GBK; call :func:`problems` first."""
    import dbf  # only here: the kiosk and most requests never build one

    specs = "; ".join(f"{column.code} C({column.width})" for column in LAYOUT)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.dbf"
        table = dbf.Table(str(path), specs, codepage=CODEPAGE, dbf_type="db3")
        table.open(dbf.READ_WRITE)
        try:
            for row in rows:
                table.append(tuple(cells(row)))
        finally:
            table.close()
        return path.read_bytes()


def xlsx_bytes(rows: Sequence[PlatformRow], sheet: str) -> bytes:
    """The same rows as .xlsx: the column codes, then one line per student."""
    table: list[list[Cell]] = [[column.code for column in LAYOUT]]
    table += [list(cells(row)) for row in rows]
    return table_xlsx([(sheet, table)])
