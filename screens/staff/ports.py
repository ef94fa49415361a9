"""The staff console app as its screens see it: they depend on this port, never on the app's
class, so no screen imports the module that imports the screens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from kiosk.i18n import Lang, Msg
from kiosk.protocol.base import StaffRole
from kiosk.protocol.staff import StaffSummary
from kiosk.staff_client import StaffClient


class StaffHost(Protocol):
    """The staff console app as its screens use it (screens.staff.app.StaffApp implements it)."""

    @property
    def client(self) -> StaffClient:
        """The console's connection to the server."""

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """The local time, timezone-aware."""

    @property
    def lang(self) -> Lang:
        """The language every text is shown in."""

    @property
    def staff(self) -> StaffSummary | None:
        """Who is logged in, or None."""

    @property
    def role(self) -> StaffRole | None:
        """The logged-in staff member's role."""

    def signed_in(self) -> Msg | None:
        """Who is logged in, for the title line."""

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A server time in the console's time zone."""

    def logged_in(self, staff: StaffSummary) -> None:
        """After a login: back to the work an expired login left, or the role's first screen."""

    def login_expired(self, why: Msg) -> None:
        """The server no longer knows this login: ask for it again over the screens as they are."""
