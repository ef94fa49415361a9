"""The server's bilingual texts are Msg pairs, joined by Msg.both(), never typed inline."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CJK = r"[\u4e00-\u9fff]"
# "English / 中文" or "中文 / English" in one literal (an f-string's parts included).
INLINE_PAIR = re.compile(rf"[A-Za-z.)]\s/\s.*{CJK}|{CJK}.*\s/\s[A-Za-z(]")


def docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def inline_pairs(source: str) -> list[int]:
    tree = ast.parse(source)
    skip = docstrings(tree)
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and INLINE_PAIR.search(node.value)
    ]


def test_the_server_types_no_bilingual_pair_inline() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sorted((REPO / "server").rglob("*.py"))
        for line in inline_pairs(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_scan_sees_a_pair_in_an_f_string_but_not_in_a_docstring() -> None:
    source = '"""Corrections / 勘误."""\nx = f"Cannot read {p}. / 无法读取。"\ny = "学号 / name"\n'
    assert sorted(inline_pairs(source)) == [2, 3]
