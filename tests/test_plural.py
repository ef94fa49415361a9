"""Messages about a count: English singular for 1, plural otherwise; Chinese one form."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from kiosk.errors import field_message, message_for
from kiosk.i18n import Msg, Plural
from kiosk.protocol.base import ProblemDetails


# Every module whose texts people read: the kiosk's, the console's, the server's.
def _text_modules() -> list[str]:
    # Every module that defines a message: a new module is scanned without being listed.
    root = Path(__file__).resolve().parent.parent
    return [
        ".".join(path.relative_to(root).with_suffix("").parts)
        for package in ("kiosk", "screens", "server")
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts and re.search(r"\b(Msg|Plural)\(", path.read_text())
    ]


TEXT_MODULES = _text_modules()
# A count's placeholder followed by a plural noun ("{n} tries"): right for 2, wrong for 1.
COUNT_THEN_PLURAL = re.compile(r"\{(?:n|total|rows|stored|limit|count)\} (?:more )?[a-z]+s\b")


def module_texts() -> list[tuple[str, Msg | Plural]]:
    found: list[tuple[str, Msg | Plural]] = []
    for name in TEXT_MODULES:
        for attr, value in vars(importlib.import_module(name)).items():
            values = value.values() if isinstance(value, dict) else [value]
            found += [(f"{name}.{attr}", v) for v in values if isinstance(v, Msg | Plural)]
    return found


def test_plural_picks_the_english_form_by_the_count() -> None:
    tries = Plural("还可以再试 {n} 次", "1 try left", "{n} tries left")
    assert tries.n(1) == Msg("还可以再试 1 次", "1 try left")
    assert tries.n(2) == Msg("还可以再试 2 次", "2 tries left")
    assert tries.n(0) == Msg("还可以再试 0 次", "0 tries left")


def test_plural_counts_by_a_named_placeholder_and_fills_messages_per_language() -> None:
    rows = Plural("{rows} 行（{where}）", "1 row ({where})", "{rows} rows ({where})", count="rows")
    where = Msg("档案", "records")
    assert rows.fmt(rows=1, where=where) == Msg("1 行（档案）", "1 row (records)")
    assert rows.n(3, where=where) == Msg("3 行（档案）", "3 rows (records)")


def test_a_plural_needs_every_form() -> None:
    with pytest.raises(ValueError, match="missing a form"):
        Plural("{n} 次", " ", "{n} tries")


def test_no_text_puts_a_plural_noun_after_a_count_that_may_be_one() -> None:
    texts = module_texts()
    assert len(texts) > 200  # the scan must have found the catalogues
    offenders = [
        name for name, text in texts if isinstance(text, Msg) and COUNT_THEN_PLURAL.search(text.en)
    ]
    assert offenders == []


def test_every_plural_has_a_singular_that_differs() -> None:
    plurals = [(name, text) for name, text in module_texts() if isinstance(text, Plural)]
    assert len(plurals) >= 15
    for name, plural in plurals:
        assert plural.en_one != plural.en, name
        assert not COUNT_THEN_PLURAL.search(plural.en_one), name


def test_one_try_left_is_said_in_the_singular() -> None:
    assert field_message("code_wrong", 1).en == "The code is wrong; 1 try left."
    assert field_message("code_wrong", 2).en == "The code is wrong; 2 tries left."
    problem = ProblemDetails(title="x", status=401, code="invalid_credentials", attempts_left=1)
    assert "1 attempt left." in message_for("invalid_credentials", problem).en
    assert "tries" not in field_message("code_wrong", 1).en
