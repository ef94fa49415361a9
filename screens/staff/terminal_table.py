"""The board's terminals as one dense table: a row each, filtered and sorted by state.

A lab has 60 to 120 terminals; a row each keeps every one of them reachable by the cursor
and the scroll bar at 80×24, where cards showed eight.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from textual.widgets import DataTable

from kiosk.i18n import Lang, Msg
from kiosk.protocol.staff import BoardTerminal
from screens.staff import text as T

Filter = Callable[[BoardTerminal], bool]
FILTERS: dict[str, Filter] = {
    "all": lambda item: True,
    "in_use": lambda item: item.state == "in_use",
    "idle": lambda item: item.state == "idle",
    "offline": lambda item: item.state == "offline",
    "waiting": lambda item: item.results_waiting > 0 or item.dead_letters > 0,
    "pin": lambda item: item.pin_failures > 0,
}
"""What F6 steps through; a new state to watch is one entry here and its label in text.py."""

_STATE_RANK = {"offline": 0, "in_use": 1, "idle": 2}


def _natural(name: str) -> list[int | str]:
    """``t2`` before ``t10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _attention(item: BoardTerminal) -> tuple[int, int, int, list[int | str]]:
    return (
        -item.pin_failures,
        -(item.results_waiting + item.dead_letters),
        _STATE_RANK[item.state],
        _natural(item.name),
    )


ORDERS: dict[str, Callable[[BoardTerminal], object]] = {
    "name": lambda item: _natural(item.name),
    "attention": _attention,
}
"""What F9 steps through."""


def summary(terminals: Sequence[BoardTerminal]) -> Msg:
    """How many terminals are in each state, for the line above the table."""
    return T.BOARD_SUMMARY.fmt(
        total=len(terminals),
        **{name: sum(map(FILTERS[name], terminals)) for name in ("in_use", "idle", "offline")},
        waiting=sum(map(FILTERS["waiting"], terminals)),
        pin=sum(map(FILTERS["pin"], terminals)),
    )


def _count(n: int) -> str:
    return str(n) if n else ""


class TerminalTable(DataTable[str]):
    """One row per terminal; the cursor stays on its terminal when the board changes."""

    def __init__(self, local: Callable[[dt.datetime], dt.datetime], *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._local = local
        self._terminals: list[BoardTerminal] = []
        self.filter = "all"
        self.order = "name"

    @property
    def shown(self) -> list[BoardTerminal]:
        """The terminals that pass the filter, in the chosen order."""
        chosen = [item for item in self._terminals if FILTERS[self.filter](item)]
        return sorted(chosen, key=ORDERS[self.order])  # type: ignore[arg-type]

    def show_terminals(self, terminals: Sequence[BoardTerminal], lang: Lang) -> None:
        """Show the board's latest terminals."""
        self._terminals = list(terminals)
        self.redraw(lang)

    def next_filter(self, lang: Lang) -> None:
        """Only the next state (after the last: every terminal)."""
        names = list(FILTERS)
        self.filter = names[(names.index(self.filter) + 1) % len(names)]
        self.redraw(lang)

    def next_order(self, lang: Lang) -> None:
        """The other order."""
        names = list(ORDERS)
        self.order = names[(names.index(self.order) + 1) % len(names)]
        self.redraw(lang)

    def redraw(self, lang: Lang) -> None:
        """Rebuild the rows in ``lang``, keeping the highlighted terminal highlighted."""
        keep = self._highlighted()
        self.clear(columns=True)
        self.add_columns(*(column.get(lang) for column in T.TERMINAL_COLUMNS))
        rows = self.shown
        for item in rows:
            step = T.STEPS.get(item.step or "")
            seen = f"{self._local(item.last_seen_at):%H:%M:%S}" if item.last_seen_at else ""
            self.add_row(
                item.name,
                T.TERMINAL_STATES[item.state].get(lang),
                step.get(lang) if step else "",
                item.student_masked or "",
                _count(item.results_waiting),
                _count(item.dead_letters),
                _count(item.pin_failures),
                seen,
                key=str(item.id),
            )
        ids = [item.id for item in rows]
        if keep in ids:
            self.move_cursor(row=ids.index(keep), animate=False)

    def _highlighted(self) -> int | None:
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key is not None else None
