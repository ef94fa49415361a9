"""Text widgets that re-render themselves when the kiosk's language changes (F2).

They hold :class:`~kiosk.i18n.Msg` pairs rather than strings; on F2 the screens call
:meth:`Translatable.relabel` on them, so labels change in place: no widget is recreated, and
nothing a student typed is lost. They do not watch the app's reactive themselves, because a
watcher keeps its widget (and the student's data on it) referenced after logout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast

from rich.cells import cell_len
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Static

from kiosk.i18n import Lang, Msg


class Speaking(Protocol):
    """An app that shows its texts in one language at a time (both apps do)."""

    @property
    def lang(self) -> Lang:
        """The language shown now."""


MsgLines = Msg | Sequence[Msg] | None


def _as_tuple(msgs: MsgLines) -> tuple[Msg, ...]:
    if msgs is None:
        return ()
    if isinstance(msgs, Msg):
        return (msgs,)
    return tuple(msgs)


def set_text(widget: Static, text: str) -> None:
    """Show ``text`` in ``widget``, laying the screen out again only if its size may change.

    Static.update lays out the whole screen by default, which is most of the time from a key
    to the next field (bench/kiosk_bench.py). One line of text replaced by another one line
    in a widget whose width the text does not set takes exactly the same room.
    """
    if text == widget.content:
        return
    old = str(widget.content)
    width = widget.content_region.width
    width_rule = widget.styles.width
    same_room = (
        width > 0
        and (width_rule is None or not width_rule.is_auto)
        and "\n" not in old
        and "\n" not in text
        and 0 < cell_len(old) <= width
        and 0 < cell_len(text) <= width
    )
    widget.update(text, layout=not same_room)


class ShowsLanguage(Protocol):
    """An app that shows its texts in one language at a time: the kiosk and the console."""

    lang: Lang


def current_lang(node: DOMNode) -> Lang:
    """The language the app shows now."""
    return cast(Speaking, node.app).lang


class Translatable(Static):
    """A Static whose text depends on the language."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=self.MARKUP)
        self._lang: Lang = "zh"

    MARKUP = False
    """Whether the text is content markup."""

    def on_mount(self) -> None:
        """Show the text in the current language."""
        self.relabel(current_lang(self))

    def relabel(self, lang: Lang) -> None:
        """Show the text in ``lang``."""
        self._lang = lang
        set_text(self, self.text_in(lang))

    def text_in(self, lang: Lang) -> str:
        """The text in ``lang``."""
        raise NotImplementedError


class Tr(Translatable):
    """A Static showing one or more messages (one per line) in the app's current language.

    Hidden while it has nothing to show, so error and notice areas take no room until needed.
    """

    def __init__(
        self, msgs: MsgLines = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._msgs = _as_tuple(msgs)
        self.display = bool(self._msgs)

    def text_in(self, lang: Lang) -> str:
        """The messages in ``lang``, one per line."""
        return "\n".join(msg.get(lang) for msg in self._msgs)

    def show(self, msgs: MsgLines) -> None:
        """Show other messages (None or an empty list hides the widget)."""
        self._msgs = _as_tuple(msgs)
        self.display = bool(self._msgs)
        self.relabel(self._lang)


class Relabelling:
    """Screens that show their texts in the app's language, switched in place by F2.

    The app relabels the screens of the active stack when the language changes; a screen
    in another mode's stack catches up when it is shown again.
    """

    _shown_lang: Lang | None = None

    def refresh_language(self, lang: Lang) -> None:
        """Put every text of this screen into ``lang``."""
        assert isinstance(self, Screen)
        for widget in self.query(Translatable):
            widget.relabel(lang)
        self.relabel(lang)
        self._shown_lang = lang

    def relabel(self, lang: Lang) -> None:
        """Put texts that :class:`~screens.widgets.i18n.Tr` cannot hold into ``lang``."""

    def on_screen_resume(self) -> None:
        """Catch up with a language change made while this screen was not shown."""
        assert isinstance(self, Screen)
        lang = current_lang(self)
        if self._shown_lang is not None and self._shown_lang != lang:
            self.refresh_language(lang)

    def on_mount(self) -> None:
        """The widgets show the current language from their own mount on."""
        assert isinstance(self, Screen)
        self._shown_lang = current_lang(self)
