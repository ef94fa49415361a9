"""Times and durations as the kiosk shows them."""

from __future__ import annotations

import datetime as dt


def remaining(seconds: float) -> str:
    """A countdown: ``H:MM:SS`` from an hour up, else ``MM:SS``; never negative."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def local(moment: dt.datetime) -> str:
    """A moment in the terminal's time zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def local_clock(moment: dt.datetime) -> str:
    """A moment in the terminal's time zone, as a time of day (for things minutes away)."""
    return moment.astimezone().strftime("%H:%M")
