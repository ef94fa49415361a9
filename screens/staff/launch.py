"""``kiosk staff``: the console against the configured server."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.staff_client import StaffClient
from screens.staff.app import create_staff_app


def launch(settings: Settings, *, server_url: str | None = None) -> int:
    """Run the staff console until it is closed; returns the exit code."""
    kiosk = settings.kiosk
    client = StaffClient(server_url or kiosk.server_url, timeout_s=kiosk.request_timeout_s)
    create_staff_app(kiosk, client).run()
    return 0
