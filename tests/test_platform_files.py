"""server.province.platform_files: the platform's layout, widths in GBK bytes, nothing ever cut."""

from __future__ import annotations

from pathlib import Path

from dbfread import DBF

from server.province.platform_files import LAYOUT, LAYOUT_SOURCE, PlatformRow, dbf_bytes, problems
from tests.server.conftest import record


def _row(**changes: str) -> PlatformRow:
    return PlatformRow((7,), record(1, **changes), school_code="10347", remark="更正姓名")


def test_the_layout_is_the_published_one() -> None:
    assert [(c.code, c.width) for c in LAYOUT] == [
        ("YXMC", 18), ("YXDM", 5), ("KSH", 18), ("XH", 15), ("XM", 24), ("XB", 2), ("CSRQ", 8),
        ("SFZH", 18), ("MZ", 10), ("ZYMC", 30), ("FY", 24), ("XSH", 24), ("BH", 24), ("CC", 20),
        ("XXXS", 10), ("XZ", 3), ("RXRQ", 8), ("BZ", 40),
    ]  # fmt: skip
    assert "特殊类别 注册 DBF" in LAYOUT_SOURCE


def test_widths_count_gbk_bytes_to_the_last_one() -> None:
    assert problems([_row(name="欧阳" + "娜" * 10)]) == []  # 12 characters: 24 bytes
    [too_wide] = problems([_row(name="欧阳" + "娜" * 11)])
    assert (too_wide.column, too_wide.code, too_wide.correction_ids) == ("XM", "too_wide", (7,))
    assert "26 bytes" in too_wide.message and "24" in too_wide.message
    [unencodable] = problems([_row(name="张\U00020000")])
    assert (unencodable.column, unencodable.code) == ("XM", "not_encodable")


def test_the_dbf_holds_every_value_in_full(tmp_path: Path) -> None:
    row = _row(name="欧阳" + "娜" * 10, major="计算机科学与技术（师范）")
    path = tmp_path / "batch.dbf"
    path.write_bytes(dbf_bytes([row]))
    [read] = list(DBF(str(path), encoding="gbk"))
    assert read["XM"] == "欧阳" + "娜" * 10 and read["ZYMC"] == "计算机科学与技术（师范）"
    assert (read["YXDM"], read["CSRQ"], read["RXRQ"]) == ("10347", "20030517", "20220901")
    assert read["BZ"] == "更正姓名" and read["KSH"] == ""
