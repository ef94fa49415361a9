"""Forgetting what Textual keeps of screens that are gone (a workaround, in one place).

Two Textual methods are cached with ``functools.lru_cache`` on the instance method, so the
cache's keys keep their instances alive after the widgets are removed:

- ``StylesCache.get_inner_outer`` (up to 1,024 keys; Textual issue #6665, open as of Textual
  8.2.8): each style cache with the lines its widget last drew;
- ``DataTable._get_styles_to_render_cell`` (32 keys): the table itself, its rows and, through
  its parent, the whole screen it was on.

At a lab terminal that is the last students' records: the record table with every field, the
lines that showed them, and about 2 MiB a student until the caches are full. The kiosk clears
both when a student's visit ends. This reaches into Textual's private names; if a release
drops a cache, :func:`forget_drawn_lines` skips it. ``tests/test_screens.py`` shows what it
buys: the count of style caches stays flat from one student to the next, where it grew with
each. (Not covered here: asyncio drops a cancelled timer lazily, and a timer set while a
screen was active keeps that screen in its context until the timer's original time.)
"""

from __future__ import annotations

from textual import _styles_cache
from textual.widgets import DataTable

_INSTANCE_CACHES: tuple[tuple[type, str], ...] = (
    (_styles_cache.StylesCache, "get_inner_outer"),
    (DataTable, "_get_styles_to_render_cell"),
)


def forget_drawn_lines() -> None:
    """Let what Textual cached for removed widgets go (call after their screens are removed)."""
    for owner, name in _INSTANCE_CACHES:
        clear = getattr(getattr(owner, name, None), "cache_clear", None)
        if clear is not None:
            clear()
