"""What every kiosk screen shares: the app through its port (screens.ports.KioskHost), the step, and relabelling on F2."""

from __future__ import annotations

from typing import ClassVar, TypeVar, cast

from textual.screen import ModalScreen, Screen

from kiosk.client import ApiError
from kiosk.i18n import Msg
from kiosk.privacy import mask_name
from kiosk.protocol.student import RecordResponse, Step
from screens import text as T
from screens.ports import KioskHost
from screens.problems import SESSION_DEAD, describe
from screens.session import StudentSession
from screens.widgets.i18n import Relabelling, Tr
from screens.widgets.keys import KeyMap

ResultT = TypeVar("ResultT")


class KioskScreen(Relabelling, Screen[ResultT]):
    """A full screen of the student kiosk."""

    KEYS: ClassVar[KeyMap] = KeyMap()
    """The screen's keys: its bindings and its key bar's hints (screens.widgets.keys)."""
    STEP: ClassVar[Step | None] = None
    """The step the live board shows while this screen is on top."""
    FORM: ClassVar[bool] = False
    """A form of inputs: Tab moves to the next box at once, and a paste with Tab or Enter
    in it is split at them (see KioskApp.action_form_next and KioskApp.on_event)."""

    @property
    def kiosk(self) -> KioskHost:
        """The app, as the port the screens may use."""
        return cast(KioskHost, self.app)

    @property
    def session(self) -> StudentSession:
        """The logged-in student's session; only screens after login use it."""
        session = self.kiosk.session
        if session is None:
            # A student screen outlived its session; logout removes them, so this is a bug.
            raise RuntimeError("no student is logged in")
        return session

    async def fetch_record(self, status: Tr, hint: Msg) -> RecordResponse | None:
        """The student's record from the server, or None with the reason shown in ``status``.

        A dead session logs out to the login screen instead (the one place that rule lives).
        """
        try:
            return await self.kiosk.client.record()
        except ApiError as error:
            if error.code in SESSION_DEAD:
                self.kiosk.logout(T.SESSION_EXPIRED, to_login=True)
            else:
                status.show(describe(error, hint))
                status.set_class(True, "-error")
            return None

    def student_masked(self) -> str:
        """The logged-in student's name as a shared screen may show it, or ''."""
        session = self.kiosk.session
        return mask_name(session.login.student.name) if session is not None else ""


class KioskModal(Relabelling, ModalScreen[ResultT]):
    """A dialog over a kiosk screen."""

    KEYS: ClassVar[KeyMap] = KeyMap()
    """The dialog's keys: its bindings and its key bar's hints (screens.widgets.keys)."""

    @property
    def kiosk(self) -> KioskHost:
        """The app, as the port the screens may use."""
        return cast(KioskHost, self.app)
