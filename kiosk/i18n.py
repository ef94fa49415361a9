"""Bilingual text: every message the product shows exists in Chinese and English.

The core keeps messages as :class:`Msg` pairs so that the kiosk can switch language at any
moment (F2) without asking anything again, and so that a test can check that no text is
missing in either language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Msg:
    """One message in both languages; ``str.format`` fields are shared by both."""

    zh: str
    en: str

    def __post_init__(self) -> None:
        if not self.zh.strip() or not self.en.strip():
            raise ValueError(f"message missing a language: {self!r}")

    def get(self, lang: Lang, **values: object) -> str:
        """The message in ``lang`` with ``values`` filled in."""
        text = self.zh if lang == "zh" else self.en
        return text.format(**values) if values else text

    def fmt(self, **values: object) -> Msg:
        """The same message with ``values`` filled into both languages."""
        return Msg(self.zh.format(**values), self.en.format(**values))

    def both(self, **values: object) -> str:
        """Chinese and English together, for places that show both at once (CLI, server)."""
        return f"{self.get('zh', **values)} / {self.get('en', **values)}"


@dataclass(frozen=True, slots=True)
class Plural:
    """A message about a count: English says "1 try" but "2 tries"; Chinese has one form.

    ``en_one`` is the English for exactly 1, ``en`` for every other count (0 included).
    ``count`` names the placeholder that holds the count (``{n}`` unless told otherwise).
    """

    zh: str
    en_one: str
    en: str
    count: str = "n"

    def __post_init__(self) -> None:
        if not (self.zh.strip() and self.en_one.strip() and self.en.strip()):
            raise ValueError(f"plural missing a form: {self!r}")

    def n(self, count: int, **values: object) -> Msg:
        """The message for ``count``, with the other ``values`` filled in."""
        return self.fmt(**{self.count: count}, **values)

    def fmt(self, **values: object) -> Msg:
        """The message with ``values`` filled in, its English form chosen by the count among
        them; a value that is a :class:`Msg` is taken in each language."""
        english = self.en_one if values[self.count] == 1 else self.en
        return Msg(
            *(
                text.format(**{
                    key: value.get(lang) if isinstance(value, Msg) else value
                    for key, value in values.items()
                })
                for lang, text in zip(LANGS, (self.zh, english), strict=True)
            )
        )  # fmt: skip
