"""Forgetting the lines Textual drew for screens that are gone (a workaround, in one place).

Textual 8 caches ``StylesCache.get_inner_outer`` with ``functools.lru_cache`` on the instance
method, so the cache's keys hold up to 1,024 ``StylesCache`` objects of widgets long removed,
each with the lines it last drew (Textual issue #6665, open as of Textual 8.2.8). At a lab
terminal those lines are the last students' records: the name in clear, as the screen showed
it, and about 2 MiB a student until the cache is full. The kiosk clears it when a student's
visit ends. This reaches into a private module (``textual._styles_cache``); if a Textual
release drops the cache, :func:`forget_drawn_lines` does nothing.
``tests/test_screens.py`` shows what it buys: the count of style caches stays flat from one
student to the next, where it grew with each.
"""

from __future__ import annotations

from textual import _styles_cache


def forget_drawn_lines() -> None:
    """Let the lines drawn for removed widgets go (call after their screens are removed)."""
    cached = getattr(_styles_cache.StylesCache, "get_inner_outer", None)
    clear = getattr(cached, "cache_clear", None)
    if clear is not None:
        clear()
