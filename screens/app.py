"""The student kiosk app: lockdown, language, idle logout, heartbeats, and the app factory.

Two modes keep the student's screens apart from the terminal's own: "welcome" holds the
welcome screen for the life of the app; "student" holds login and everything after it, and
is removed and added afresh at every logout, so no screen, input or worker of one student
survives into the next (Textual keeps an installed screen's state).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import events
from textual.app import App
from textual.binding import BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Input

from kiosk.client import ApiError
from kiosk.config import KioskSettings
from kiosk.i18n import Lang, Msg
from kiosk.lockdown import keep_locked
from kiosk.outbox import Outbox, OutboxCounts, OutboxSender
from kiosk.pin_throttle import FILE_NAME as PIN_THROTTLE_FILE
from kiosk.pin_throttle import PinThrottle
from kiosk.privacy import mask_name
from kiosk.protocol.student import LoginResponse, Step
from kiosk.protocol.terminal import HeartbeatRequest, HeartbeatResponse, SessionBanner
from screens import text as T
from screens.base import KioskScreen
from screens.idle_warning import IdleWarningModal
from screens.ports import KioskClient, KioskHost
from screens.render_caches import forget_drawn_lines
from screens.session import StudentSession
from screens.timing import KioskTiming
from screens.welcome import WelcomeScreen

# The student's screens are imported when first needed (see _login_screen), but the optional
# image package behind the photo screen probes the terminal as it is imported, which must
# happen before the app starts (screens/widgets/photo_image.py).
from screens.widgets import photo_image  # noqa: F401
from screens.widgets.i18n import Relabelling
from screens.widgets.keys import LANGUAGE, Key, KeyMap


def _login_screen(notice: Msg | None = None) -> Screen[Any]:
    """The student mode's first screen.

    The student's screens (login, record, fields, photo, review, registration) are imported
    when the first student presses Enter, not before the welcome screen's first frame.
    """
    from screens.login import LoginScreen

    return LoginScreen(notice)


def split_paste(text: str) -> list[tuple[str, Literal["next", "submit", ""]]]:
    """``text`` cut at Tab and Enter (CR, LF, CR LF): each part with what follows it, "next"
    for a Tab or an inner Enter, "submit" for an Enter at the end, "" for the last part.
    Other control characters are dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(ch for ch in lines if ch in "\t\n" or ch.isprintable())
    submit = cleaned.endswith("\n")
    pieces = re.split(r"[\t\n]", cleaned.rstrip("\n") if submit else cleaned)
    parts: list[tuple[str, Literal["next", "submit", ""]]] = [
        (piece, "next") for piece in pieces[:-1]
    ]
    parts.append((pieces[-1], "submit" if submit else ""))
    return parts


HIGH_CONTRAST = Theme(
    name="kiosk-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#00ffff",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#303030",
    success="#00ff00",
    warning="#ffff00",
    error="#ff6060",
    dark=True,
)
"""For students who need it (settings.theme = "high-contrast"): white on black, yellow focus."""
DEFAULT_THEME = "textual-dark"

_ACTIVITY = (
    events.Key,
    events.MouseDown,
    events.MouseScrollDown,
    events.MouseScrollUp,
    events.Paste,
)


class KioskApp(App[None], inherit_bindings=False):
    """The student kiosk. Build it with :func:`create_app`."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "modals.tcss"]
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    # Nothing gets focus by itself: on most screens the keys (Y, N, Enter) belong to the
    # screen, and a focused widget would swallow them. Screens with inputs name their own.
    AUTO_FOCUS = None
    DEFAULT_MODE = "welcome"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {"welcome": WelcomeScreen}
    # inherit_bindings=False drops Textual's ctrl+q quit; priority bindings win over any widget.
    KEYS: ClassVar[KeyMap] = KeyMap(
        every_bar=(LANGUAGE,),
        hidden=(
            Key("", "ctrl+q", "staff_exit", on_app=True, priority=True),
            Key("", "ctrl+c", "noop", on_app=True, priority=True),
            # On forms, as a priority binding: the app routes each key to the box that has the
            # cursor when the key arrives, and a Tab handled later by the box's own queue left
            # the keys after it (a fast typist's, a card reader's) in the box before it.
            Key("", "tab", "form_next", on_app=True, priority=True),
            Key("", "shift+tab", "form_previous", on_app=True, priority=True),
        ),
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings(on_app=True)

    lang: reactive[Lang] = reactive[Lang]("zh")
    """The language every text is shown in; F2 switches it."""
    server_online: reactive[bool | None] = reactive[bool | None](None)
    """The last health check's answer; None until the first one."""
    supervised_session: reactive[SessionBanner | None] = reactive[SessionBanner | None](None)
    """The lab's running supervised session, as the last heartbeat answered."""
    terminal_name: reactive[str] = reactive("")
    """This terminal's name (from the configuration, else from the server)."""
    proctor_message: reactive[str | None] = reactive[str | None](None)
    """A line from the proctor for the welcome screen, as the last heartbeat answered."""

    def __init__(
        self,
        settings: KioskSettings,
        client: KioskClient,
        *,
        demo_accounts: Sequence[tuple[str, str, str]] = (),
        terminal_name: str = "",
        clock: Callable[[], dt.datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
        timing: KioskTiming | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.client = client
        self.demo_accounts = tuple(demo_accounts)
        self.timing = timing or KioskTiming()
        """The timers' periods and the outbox sender's backoff."""
        self.clock: Callable[[], dt.datetime] = clock or partial(dt.datetime.now, dt.UTC)
        """Wall-clock time, timezone-aware: deadlines, link expiry, result timestamps."""
        self.monotonic: Callable[[], float] = monotonic or time.monotonic
        """For idle time and countdowns; tests inject a clock they move by hand."""
        self.session: StudentSession | None = None
        """Everything about the logged-in student; None when nobody is logged in."""
        self.outbox: Outbox | None = None
        """Where every result is saved before it is sent (opened on mount)."""
        self.sender: OutboxSender | None = None
        """Sends the outbox in the background, also what an earlier run left."""
        self._last_activity = self.monotonic()
        self.pin_throttle = PinThrottle(settings.outbox_path.with_name(PIN_THROTTLE_FILE))
        """Wrong staff PINs; read from its file (next to the outbox) on mount."""
        self._idle_warning: IdleWarningModal | None = None
        self._beaten_step: Step | None = None
        self._ending = False
        self.set_reactive(KioskApp.lang, settings.language)
        self.set_reactive(KioskApp.terminal_name, terminal_name)
        self.add_mode("student", _login_screen)

    # --- lockdown -----------------------------------------------------------------------

    def on_mount(self) -> None:
        """Theme, outbox, then the background rhythm: idle checks, heartbeats, health."""
        keep_locked()  # Textual's driver has just made SIGTSTP suspend the app
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name if self.settings.theme == "high-contrast" else DEFAULT_THEME
        # Opened before anything else, so that results a crash left behind go out now; a
        # terminal that cannot keep results must not take any (the error stops the start).
        self.outbox = Outbox.open(self.settings.outbox_path)
        timing = self.timing
        self.sender = OutboxSender(
            self.outbox,
            self.client,
            base_delay_s=timing.send_base_delay_s,
            max_delay_s=timing.send_max_delay_s,
        )
        self.sender.start()
        self.pin_throttle = PinThrottle.open(self.settings.outbox_path.with_name(PIN_THROTTLE_FILE))
        self.set_interval(timing.idle_check_s, self.check_idle_timeout)
        self.set_interval(timing.heartbeat_s, self.send_heartbeat)
        self.set_interval(timing.step_beat_s, self.beat_if_step_changed)
        self.set_interval(timing.health_s, self.check_health)

    def on_ready(self) -> None:
        """The first frame is on the screen: now the first heartbeat and health check.

        Not on mount: their workers would run before the first frame, and the first request
        loads the HTTP stack (httpx, httpcore, anyio, the TLS context), ~250 ms.
        """
        self.send_heartbeat()
        self.check_health()

    async def on_unmount(self) -> None:
        """Stop the sender and close the outbox; what is still waiting goes on the next start."""
        if self.sender is not None:
            await self.sender.stop()
        if self.outbox is not None:
            self.outbox.close()

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Never open a browser on the lab PC; links are for the student's phone (QR)."""

    def action_staff_exit(self) -> None:
        """ctrl+q: only staff may leave, with the PIN."""
        # Imported on demand: it brings argon2, which no student needs.
        from screens.staff_pin import StaffPinModal

        if not isinstance(self.screen, StaffPinModal):
            self.push_screen(StaffPinModal())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab and Shift+Tab are the app's own only on forms; elsewhere they pass on."""
        if action in ("form_next", "form_previous"):
            screen = self.screen
            return isinstance(screen, KioskScreen) and screen.FORM
        return True

    def action_form_next(self) -> None:
        """Tab on a form: the next box, at once."""
        self.screen.focus_next()

    def action_form_previous(self) -> None:
        """Shift+Tab on a form: the previous box, at once."""
        self.screen.focus_previous()

    def action_noop(self) -> None:
        """ctrl+c does nothing (it would copy, or hint at quitting)."""

    def action_toggle_language(self) -> None:
        """F2: Chinese <-> English, in place."""
        self.lang = "en" if self.lang == "zh" else "zh"

    def watch_lang(self, lang: Lang) -> None:
        """Relabel the screens of the active stack (others catch up when shown)."""
        for screen in self.screen_stack:
            if isinstance(screen, Relabelling):
                screen.refresh_language(lang)

    # --- idleness -----------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Note every key, click, scroll and paste as activity, before any widget sees it."""
        if isinstance(event, _ACTIVITY):
            self._last_activity = self.monotonic()
            # The student is back: the warning goes, and this key or click does nothing
            # else. It must not reach the screen below: dismissing pops the dialog at once,
            # so passing it on would let "any key" mark a field or type into a box.
            warning, self._idle_warning = self._idle_warning, None
            if warning is not None:
                warning.dismiss()
                event.stop()
                event.prevent_default()
                return
        if isinstance(event, events.Paste) and await self._paste_as_keys(event.text):
            return
        await super().on_event(event)

    async def _paste_as_keys(self, text: str) -> bool:
        """Split a paste with Tab or Enter in it at them, on a form; True if it was.

        A terminal hands keys that arrive in one burst (a fast typist, a password manager, a
        card reader) to Textual as one paste, and an input keeps only the paste's first line
        and drops a Tab: ``user<Tab>password`` landed in the user-name box. Here each part
        goes into the box that has the cursor, a Tab or Enter between parts moves to the
        next box (as Enter does in these forms), and an Enter at the end submits the box.
        The parts are placed synchronously: replayed as key events they would overtake one
        another between the app's queue and the inputs' queues.
        """
        screen = self.screen
        if not (isinstance(screen, KioskScreen) and screen.FORM):
            return False
        parts = split_paste(text)
        if len(parts) == 1 and not parts[0][1]:
            return False
        for part, separator in parts:
            box = screen.focused
            if isinstance(box, Input) and part:
                box.insert_text_at_cursor(part)
            if separator == "next":
                screen.focus_next()
            elif separator == "submit" and isinstance(box, Input):
                await box.action_submit()
        return True

    def check_idle_timeout(self) -> None:
        """Warn after ``idle_timeout_s`` without input in the student's part; then log out.

        Not named ``check_idle``: that is Textual's own ``MessagePump.check_idle``, which
        wakes the app's message loop for callbacks queued with ``call_next`` (the end of
        ``delay_update`` after every screen-mode switch among them). Overriding it left
        those callbacks waiting for the next message, so after a logout the screen was
        repainted only when a 10 s heartbeat's worker happened to post one.
        """
        if self.current_mode != "student" or self._ending:
            return
        idle = self.monotonic() - self._last_activity
        if idle < self.settings.idle_timeout_s:
            return
        left = self.settings.idle_timeout_s + self.settings.idle_warning_s - idle
        if left <= 0:
            self.logout(T.LOGGED_OUT_IDLE)
        elif self._idle_warning is None:
            self._idle_warning = IdleWarningModal(math.ceil(left))
            self.push_screen(self._idle_warning)
        else:
            self._idle_warning.set_remaining(math.ceil(left))

    # --- the student's visit ------------------------------------------------------------

    def start_student(self) -> None:
        """From the welcome screen to login."""
        self._last_activity = self.monotonic()
        self.switch_mode("student")

    def begin_session(self, login: LoginResponse) -> None:
        """A student logged in."""
        self.session = StudentSession(login=login)
        self.send_heartbeat()

    def open_review(self) -> None:
        """On to the review of all answers."""
        from screens.review import ReviewScreen  # a student screen: see _login_screen

        self.push_screen(ReviewScreen())

    def restart_check(self, notice: Msg) -> None:
        """Back to the record overview (the record changed), saying why."""
        self.run_worker(self._back_to_record(notice), group="navigation")

    async def _back_to_record(self, notice: Msg) -> None:
        from screens.record import RecordScreen  # a student screen: see _login_screen

        while not isinstance(self.screen, RecordScreen) and len(self.screen_stack) > 1:
            await self.pop_screen()
        if isinstance(self.screen, RecordScreen):
            self.screen.show_notice(notice)

    def logout(self, notice: Msg | None = None, *, to_login: bool = False) -> None:
        """End the student's visit and wipe it; ``to_login`` for "log in again" cases."""
        if self._ending:
            return
        self._ending = True
        self.run_worker(self._logout(notice, to_login), group="logout")

    async def _logout(self, notice: Msg | None, to_login: bool) -> None:
        try:
            await self._wipe(notice, to_login)
        finally:
            self._ending = False
        self.send_heartbeat()

    async def _wipe(self, notice: Msg | None, to_login: bool) -> None:
        session, self.session = self.session, None
        self._idle_warning = None
        if session is not None:
            # A submitted result is in the outbox already; nothing of it lives in the session.
            self.run_worker(self.client.logout(), group="revoke")
        else:
            self.client.forget_student()
        self.copy_to_clipboard("")
        # The next student starts in the terminal's language, not the last one's choice.
        self.lang = self.settings.language
        await self.switch_mode("welcome")
        await self.remove_mode("student")
        forget_drawn_lines()
        self.add_mode("student", partial(_login_screen, notice) if to_login else _login_screen)
        if to_login:
            await self.switch_mode("student")
        elif isinstance(self.screen, WelcomeScreen):
            self.screen.show_notice(notice)

    # --- background reports ---------------------------------------------------------------

    def outbox_counts(self) -> OutboxCounts:
        """Results waiting to be sent and dead letters (zero before the outbox is open)."""
        return self.outbox.counts() if self.outbox is not None else OutboxCounts(0, 0)

    def _step(self) -> Step | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, KioskScreen) and screen.STEP is not None:
                return screen.STEP
        return None

    def beat_if_step_changed(self) -> None:
        """Send a heartbeat if the step moved since the last one (called every second)."""
        if self._step() != self._beaten_step:
            self.send_heartbeat()

    def send_heartbeat(self) -> None:
        """Tell the live board what this terminal is doing (in a worker; failures ignored)."""
        session = self.session
        self._beaten_step = step = self._step()
        beat = HeartbeatRequest(
            state="in_use" if session is not None else "idle",
            step=step,
            student_masked=mask_name(session.login.student.name) if session else None,
            results_waiting=self.outbox_counts().waiting,
            dead_letters=self.outbox_counts().dead,
            pin_failures=self.pin_throttle.failures,
        )
        self.run_worker(self._heartbeat(beat), group="heartbeat", exclusive=True)

    async def _heartbeat(self, beat: HeartbeatRequest) -> None:
        try:
            answer = await self.client.heartbeat(beat)
        except ApiError:
            return  # the board shows the terminal offline; the student need not know
        if not self.terminal_name:
            self.terminal_name = answer.terminal_name
        self.supervised_session = answer.supervised_session
        self.apply_remote(answer)

    def apply_remote(self, answer: HeartbeatResponse) -> None:
        """What the live board asked of this terminal, as the heartbeat's answer carries it."""
        from screens.lock import LockScreen  # rarely needed: not before the first frame

        self.proctor_message = answer.message
        if answer.end_session and self.session is not None:
            self.logout(T.ENDED_BY_PROCTOR)
        if self._ending:
            return  # a logout changes the screens now; it beats again, and the lock follows
        shown = [screen for screen in self.screen_stack if isinstance(screen, LockScreen)]
        if answer.locked and not shown:
            self.push_screen(LockScreen())
        elif not answer.locked and shown and self.screen is shown[-1]:
            self.pop_screen()

    def check_health(self) -> None:
        """Refresh the server status (in a worker)."""
        self.run_worker(self._health(), group="health", exclusive=True)

    async def _health(self) -> None:
        try:
            await self.client.health()
        except ApiError:
            self.server_online = False
        else:
            self.server_online = True


if TYPE_CHECKING:
    # mypy holds the app to the port its screens are typed against.
    _HOST: type[KioskHost] = KioskApp


def create_app(
    settings: KioskSettings,
    client: KioskClient,
    *,
    demo_accounts: Sequence[tuple[str, str, str]] = (),
    terminal_name: str = "",
    clock: Callable[[], dt.datetime] | None = None,
    monotonic: Callable[[], float] | None = None,
    timing: KioskTiming | None = None,
) -> KioskApp:
    """The student kiosk app, as ``kiosk run``, ``kiosk demo`` and the tests build it.

    ``demo_accounts`` are (user name, password, note) rows shown on the welcome screen in
    demo mode; ``clock`` (timezone-aware) and ``monotonic`` replace the real clocks in tests,
    and ``timing`` the timers' periods and the sender's backoff (default: production's).
    """
    return KioskApp(
        settings,
        client,
        demo_accounts=demo_accounts,
        terminal_name=terminal_name,
        clock=clock,
        monotonic=monotonic,
        timing=timing,
    )
