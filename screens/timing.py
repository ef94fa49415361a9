"""How often the kiosk's background work runs, and how the outbox sender backs off.

One value per app, given to :func:`screens.app.create_app`; production uses the defaults,
and tests pass short intervals so they can wait for what a timer does instead of sleeping
through a real period.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KioskTiming:
    """The kiosk app's timer periods and the outbox sender's backoff, in seconds."""

    heartbeat_s: float = 10.0
    """How often the live board hears from this terminal."""
    health_s: float = 10.0
    """How often the welcome screen's server status is refreshed."""
    idle_check_s: float = 1.0
    """How often idleness is checked (also the idle warning's countdown step)."""
    step_beat_s: float = 1.0
    """How often a changed step is reported: the board is at most this much behind, and a
    student racing through the fields costs the server at most one heartbeat a second."""
    mailbox_poll_s: float = 2.0
    """How often the demo mailbox is read while the registration codes step is shown."""
    send_base_delay_s: float = 1.0
    """The outbox sender's first backoff after a failed attempt (doubling per attempt)."""
    send_max_delay_s: float = 60.0
    """The outbox sender's longest backoff."""
