"""Keys declared once: each :class:`Key` gives both the Textual binding and the key bar's hint.

A screen lists its keys in a :class:`KeyMap` of named groups (what its key bar shows in each
of its states, plus ``hidden`` for keys it binds but never names); its ``BINDINGS`` are made
from that map, and its :class:`KeyBar` shows the keys of one group, or part of one. So a hint
can no longer name a key nothing binds, nor a binding miss the hint that was meant for it
(tests/test_keys.py holds every screen to this).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.markup import escape
from textual.binding import Binding, BindingType
from textual.widget import Widget

from kiosk.catalogue import KEY_LANGUAGE
from kiosk.i18n import Lang, Msg
from screens.widgets.i18n import Translatable


@dataclass(frozen=True)
class Key:
    """One key: how the bar names it, the Textual keys, the action, and what it does."""

    shown: str
    """The key as the bar names it ("Esc", "← →"); unused when the key is never shown."""
    keys: str
    """Textual key names, comma-separated ("y,Y")."""
    action: str
    """The action, in the namespace of the node that binds it ("correct", "show('board')");
    an explicit namespace ("app.show('terminals')") is kept as it is."""
    label: Msg | None = None
    """What the key bar says the key does; None for a key that is bound but never shown."""
    on_app: bool = False
    """Bound by the app (it works over every screen) rather than by the screen."""
    priority: bool = False
    """Checked before the focused widget's own keys (an Input takes ctrl+a for itself)."""
    by: type[Widget] | None = None
    """A widget of this class binds the key (an Input's Enter submits it): nothing is bound
    here, and the bar only names the key; a click on the hint runs ``action``."""

    def binding(self) -> Binding:
        """The Textual binding (never in Textual's own footer: the key bar shows keys)."""
        return Binding(self.keys, self.action, show=False, priority=self.priority)

    @property
    def click(self) -> str:
        """The action a click on the hint runs, with its namespace."""
        name = self.action.partition("(")[0]
        if "." in name:
            return self.action
        return f"{'app' if self.on_app else 'screen'}.{self.action}"

    def showing(self, shown: str) -> Key:
        """This key named otherwise on the bar (the confirm dialog's "Enter" for "Y")."""
        return replace(self, shown=shown)


class KeyMap(Mapping[str, tuple[Key, ...]]):
    """A screen's (or app's) keys in named groups: what its key bar shows in each state, and
    ``hidden`` for keys it binds without naming them."""

    def __init__(self, **groups: Sequence[Key]) -> None:
        self._groups = {name: tuple(keys) for name, keys in groups.items()}

    def __getitem__(self, name: str) -> tuple[Key, ...]:
        return self._groups[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def all(self) -> list[Key]:
        """Every key once, in the order first declared."""
        return list(dict.fromkeys(key for keys in self._groups.values() for key in keys))

    def bindings(self, *, on_app: bool = False) -> list[BindingType]:
        """The bindings the screen (or, with ``on_app``, the app) makes from these keys."""
        return bindings(self.all(), on_app=on_app)


def bindings(keys: Iterable[Key], *, on_app: bool = False) -> list[BindingType]:
    """The bindings of ``keys`` that the screen (or, with ``on_app``, the app) makes itself,
    each once: two hints of one key in different states are one binding."""
    made = (key.binding() for key in keys if key.by is None and key.on_app == on_app)
    return list(dict.fromkeys(made))


LANGUAGE = Key("F2", "f2", "toggle_language", KEY_LANGUAGE, on_app=True, priority=True)
"""F2, on every key bar of both apps."""


class KeyBar(Translatable):
    """The bottom line: the keys that work on this screen, each clickable with the mouse.

    When the keys do not fit on one line they go on more, but a hint ("F7 勘误") is never
    split: the bar breaks lines itself, between hints, for its width.
    """

    MARKUP = True

    def __init__(self, keys: Sequence[Key], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys = tuple(keys)

    @property
    def keys(self) -> tuple[Key, ...]:
        """The keys shown, without F2."""
        return self._keys

    def text_in(self, lang: Lang) -> str:
        """Each key in reverse video, then what it does in ``lang``; lines break between keys."""
        width = self.content_size.width
        lines: list[list[str]] = [[]]
        used = 0
        for key in (*self._keys, LANGUAGE):
            label = key.label.get(lang) if key.label is not None else ""
            cells = cell_len(f" {key.shown}  {label}")
            if lines[-1] and width and used + GAP + cells > width:
                lines.append([])
                used = 0
            used += (GAP if lines[-1] else 0) + cells
            lines[-1].append(
                f"[@click={key.click}][b reverse] {escape(key.shown)} [/b reverse] "
                f"{escape(label)}[/]"
            )
        return "\n".join((" " * GAP).join(line) for line in lines)

    def on_resize(self) -> None:
        """Break the lines again for the new width."""
        self.relabel(self._lang)

    def set_keys(self, keys: Sequence[Key]) -> None:
        """Show another set of keys (e.g. while a correction is being typed)."""
        self._keys = tuple(keys)
        self.relabel(self._lang)


GAP = 2
"""Spaces between two hints."""
