"""The staff console app and its factory, shared by ``kiosk staff`` and the tests.

Proctors, college offices and the registrar use it on their own PCs. What a role may do is
decided by the server; the console shows each role only the keys the server would let it use
(screens/staff/roles.py) and explains any other refusal (a college office outside its
college) in both languages, so the console can never be more permissive than the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.reactive import reactive

from kiosk.config import KioskSettings
from kiosk.i18n import Lang, Msg
from kiosk.protocol.base import StaffRole
from kiosk.protocol.staff import StaffSummary
from kiosk.staff_client import StaffClient
from screens.staff import text as T
from screens.staff.base import NAVIGATION, QUIT, StaffScreen
from screens.staff.batches import BatchesScreen
from screens.staff.board import BoardScreen
from screens.staff.corrections import CorrectionsScreen
from screens.staff.enrolment import EnrolmentScreen
from screens.staff.imports import ImportsScreen
from screens.staff.login import LoginScreen
from screens.staff.ports import StaffHost
from screens.staff.progress import ProgressScreen
from screens.staff.roles import may
from screens.staff.sessions import SessionsScreen
from screens.staff.students import StudentsScreen
from screens.widgets.i18n import Relabelling
from screens.widgets.keys import LANGUAGE, KeyMap

Clock = Callable[[], dt.datetime]

_SCREENS: dict[str, Callable[[], StaffScreen]] = {
    "board": BoardScreen,
    "sessions": SessionsScreen,
    "students": StudentsScreen,
    "corrections": CorrectionsScreen,
    "imports": ImportsScreen,
    "batches": BatchesScreen,
    "terminals": EnrolmentScreen,
    "progress": ProgressScreen,
}


def local_now() -> dt.datetime:
    """The time here, timezone-aware."""
    return dt.datetime.now().astimezone()


class StaffApp(App[None], inherit_bindings=False):
    """The staff console. Build it with :func:`create_staff_app`."""

    CSS_PATH = "staff.tcss"
    ENABLE_COMMAND_PALETTE = False
    KEYS: ClassVar[KeyMap] = KeyMap(every_bar=(LANGUAGE,), navigation=NAVIGATION, quit=(QUIT,))
    """The keys that work over every screen; the screens' key bars name them."""
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings(on_app=True)

    lang: reactive[Lang] = reactive[Lang]("zh")
    """The language every text is shown in; F2 switches."""

    def __init__(self, settings: KioskSettings, client: StaffClient, clock: Clock) -> None:
        super().__init__()
        self.settings = settings
        self.client = client
        self.clock = clock
        self.staff: StaffSummary | None = None
        """Who is logged in, or None."""
        self._expired: StaffSummary | None = None
        """Whose login expired while the screens under the login screen were kept for them."""
        self.set_reactive(StaffApp.lang, settings.language)

    @property
    def role(self) -> StaffRole | None:
        """The logged-in staff member's role."""
        return self.staff.role if self.staff else None

    def signed_in(self) -> Msg | None:
        """Who is logged in, for the title line."""
        if self.staff is None:
            return None
        role = T.ROLES[self.staff.role]
        college = f" · {self.staff.college}" if self.staff.college else ""
        return Msg(
            T.SIGNED_IN.zh.format(user=self.staff.username, role=role.zh) + college,
            T.SIGNED_IN.en.format(user=self.staff.username, role=role.en) + college,
        )

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A server time in the console's time zone."""
        return moment.astimezone(self.clock().tzinfo)

    def on_mount(self) -> None:
        """Start at the login screen."""
        self.push_screen(LoginScreen())

    def action_toggle_language(self) -> None:
        """F2: switch language on every screen, keeping whatever was typed."""
        self.lang = "en" if self.lang == "zh" else "zh"
        for screen in self.screen_stack:
            if isinstance(screen, Relabelling):
                screen.refresh_language(self.lang)

    def logged_in(self, staff: StaffSummary) -> None:
        """After a login: back to the work an expired login left, if the same person logged
        in again; else the role's first screen."""
        expired, self._expired = self._expired, None
        self.staff = staff
        if expired is not None and (expired.username, expired.role) == (staff.username, staff.role):
            self.pop_screen()
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        first = "students" if staff.role == "college_office" else "board"
        self.switch_screen(_SCREENS[first]())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The screens a role may not open are not offered (nor is any before login)."""
        if action == "show":
            return self.staff is not None and may(self.staff.role, action, parameters)
        return True

    def action_show(self, name: str) -> None:
        """F1/F3/F4/F5/F7/F8: another screen (only once logged in, and only the role's)."""
        if self.check_action("show", (name,)) and name in _SCREENS:
            self.switch_screen(_SCREENS[name]())

    async def action_logout(self) -> None:
        """F10: end the session and return to the login screen."""
        if self.staff is None:
            return
        await self.client.logout()
        self.session_ended()

    def session_ended(self) -> None:
        """Back to the login screen, forgetting who was logged in and what was on screen."""
        self.staff = self._expired = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(LoginScreen())

    def login_expired(self, why: Msg) -> None:
        """The server no longer knows this login: ask for it again over the screens as they
        are, so a dialog's typing survives and the same person comes back to it."""
        if self.staff is None:  # already asking
            return
        self._expired, self.staff = self.staff, None
        self.push_screen(LoginScreen(notice=why))

    async def action_quit(self) -> None:
        """ctrl+q: log out and close the console."""
        await self.client.logout()
        self.exit()


if TYPE_CHECKING:
    # mypy holds the app to the port its screens are typed against.
    _HOST: type[StaffHost] = StaffApp


def create_staff_app(
    settings: KioskSettings, client: StaffClient, *, clock: Clock | None = None
) -> StaffApp:
    """The staff console, as ``kiosk staff`` and the tests build it.

    ``clock`` (timezone-aware) replaces the local clock in tests, so shown times are fixed.
    """
    return StaffApp(settings, client, clock or local_now)
