"""Step 4: the photo, seen on the student's phone through a QR code of a signed link."""

from __future__ import annotations

from typing import ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widgets import Input, RadioButton, RadioSet, Static

from kiosk.client import ApiError
from kiosk.fields import text_rule
from kiosk.i18n import Lang, Msg
from kiosk.protocol import PhotoDecision, PhotoLinkResponse, PhotoReason
from screens import text as T
from screens.base import KioskScreen
from screens.problems import SESSION_DEAD, describe
from screens.timefmt import remaining
from screens.widgets.i18n import KeyBar, KeyHint, Tr
from screens.widgets.photo_image import can_show_images, photo_widget
from screens.widgets.qr import QRCodeView
from screens.widgets.topbar import TopBar

_VERDICT_KEYS: list[KeyHint] = [
    ("Y", T.KEY_CORRECT, "screen.correct"),
    ("N", T.KEY_WRONG, "screen.wrong"),
    ("R", T.KEY_NEW_LINK, "screen.new_link"),
    ("Esc", T.KEY_BACK, "screen.back"),
]
_EDITING_KEYS: list[KeyHint] = [
    ("Enter", T.KEY_SAVE, "screen.save"),
    ("Tab", T.KEY_NEXT_BOX, "app.focus_next"),
    ("Esc", T.KEY_CANCEL, "screen.back"),
]


class PhotoScreen(KioskScreen[None]):
    """QR code and link (with its expiry) to the photo; Y correct, N wrong with a reason."""

    CSS_PATH = "check.tcss"
    STEP = "photo"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,Y,enter", "correct", show=False),
        Binding("n,N", "wrong", show=False),
        Binding("r,R", "new_link", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self, *, return_to_review: bool = False) -> None:
        super().__init__()
        self.return_to_review = return_to_review
        self.editing = False

    def compose(self) -> ComposeResult:
        """The code on the left; link, expiry, question and the (hidden) reason editor."""
        yield TopBar(T.STEP_PHOTO, self.student_masked())
        with Horizontal(id="photo-body"):
            with Vertical(id="photo-code"):
                yield Tr(T.LOADING, id="photo-loading")
            with VerticalScroll(id="photo-side"):
                yield Tr(T.PHOTO_SCAN, id="photo-scan")
                yield Static(id="photo-url")
                yield Tr(id="photo-expiry")
                yield Tr(id="photo-message")
                yield Tr(T.PHOTO_QUESTION, id="photo-question")
                yield Tr(id="photo-mark")
                with Vertical(id="photo-editor"):
                    yield Tr(T.PHOTO_REASON, classes="label")
                    with RadioSet(id="photo-reason"):
                        for reason, msg in T.PHOTO_REASONS.items():
                            yield RadioButton(msg.zh, id=f"reason-{reason}")
                    yield Tr(T.NOTE_LABEL, classes="label")
                    yield Input(id="photo-note", max_length=500, compact=True)
                    yield Tr(id="photo-error", classes="-error")
        yield KeyBar(_VERDICT_KEYS, id="photo-keys")

    def on_mount(self) -> None:
        """Show the link we have while it lasts, else fetch one; tick the expiry."""
        self.query_one("#photo-editor").display = False
        self.relabel(self.kiosk.lang)
        self.set_interval(1, self._tick)
        session = self.session
        if session.record is not None and session.record.photo is None:
            self.query_one("#photo-loading", Tr).show(None)
            self.query_one("#photo-message", Tr).show(T.PHOTO_NO_PHOTO)
        elif session.photo_link is not None and self._seconds_left(session.photo_link) > 0:
            self._show_link(session.photo_link)
        else:
            self._fetch_link()

    def relabel(self, lang: Lang) -> None:
        """The reason buttons in ``lang``, and the current verdict."""
        for reason, msg in T.PHOTO_REASONS.items():
            self.query_one(f"#reason-{reason}", RadioButton).label = msg.get(lang)
        self._show_mark()

    def _show_mark(self) -> None:
        decision = self.session.photo
        mark: Msg | None = None
        if decision is not None and decision.verdict == "correct":
            mark = T.PHOTO_MARKED_CORRECT
        elif decision is not None and decision.reason is not None:
            mark = T.fill(T.PHOTO_MARKED_WRONG, reason=T.PHOTO_REASONS[decision.reason])
        self.query_one("#photo-mark", Tr).show(mark)

    # --- the link -----------------------------------------------------------------------

    def _seconds_left(self, link: PhotoLinkResponse) -> float:
        return (link.expires_at - self.kiosk.clock()).total_seconds()

    @work(exclusive=True, group="photo-link")
    async def _fetch_link(self) -> None:
        message = self.query_one("#photo-message", Tr)
        message.show(None)
        try:
            link = await self.kiosk.client.photo_link()
        except ApiError as error:
            if error.code in SESSION_DEAD:
                self.kiosk.logout(T.SESSION_EXPIRED, to_login=True)
                return
            self.query_one("#photo-loading", Tr).show(None)
            message.show(describe(error, T.RELOAD_HINT))
            message.set_class(True, "-error")
            return
        self.session.photo_link = link
        self._show_link(link)
        if can_show_images():
            self._fetch_photo(link.url)

    def _show_link(self, link: PhotoLinkResponse) -> None:
        self.query_one("#photo-loading", Tr).show(None)
        codes = self.query(QRCodeView)
        if codes:
            codes.first().set_data(link.url)
        else:
            self.query_one("#photo-code").mount(QRCodeView(link.url, id="photo-qr"))
        # A terminal hyperlink (OSC 8); a click opens it where the terminal allows. Built as
        # styled content rather than markup so that no character of the URL is read as a tag.
        url = Content(link.url).stylize(Style(link=link.url))
        self.query_one("#photo-url", Static).update(url)
        self._tick()

    @work(exclusive=True, group="photo-image")
    async def _fetch_photo(self, url: str) -> None:
        """Only where images can be shown: the photo itself, beside the code."""
        try:
            jpeg = await self.kiosk.client.photo_bytes(url)
        except ApiError:
            return  # the QR code still shows the photo; nothing to tell the student
        widget = photo_widget(jpeg)
        if widget is not None:
            await self.query_one("#photo-code").mount(widget)

    def _tick(self) -> None:
        link = self.kiosk.session.photo_link if self.kiosk.session is not None else None
        expiry = self.query_one("#photo-expiry", Tr)
        if link is None:
            expiry.show(None)
            return
        left = self._seconds_left(link)
        expiry.show(T.PHOTO_EXPIRES.fmt(left=remaining(left)) if left > 0 else T.PHOTO_EXPIRED)
        expiry.set_class(left <= 0, "-error")

    def action_new_link(self) -> None:
        """A fresh link (the old one expired, or the phone could not open it)."""
        self._fetch_link()

    # --- deciding -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the reason is being given, letters are text, not verdicts."""
        if action in ("correct", "wrong", "new_link"):
            return not self.editing
        if action == "save":
            return self.editing
        return True

    def action_correct(self) -> None:
        """The photo is right."""
        self.session.decide_photo(PhotoDecision(verdict="correct"))
        self._next()

    def action_wrong(self) -> None:
        """The photo is wrong: ask why."""
        self.editing = True
        self.query_one("#photo-editor").display = True
        self.query_one("#photo-keys", KeyBar).set_keys(_EDITING_KEYS)
        decision = self.session.photo
        if decision is not None and decision.reason is not None:
            self.query_one(f"#reason-{decision.reason}", RadioButton).value = True
            self.query_one("#photo-note", Input).value = decision.note or ""
        self.query_one(RadioSet).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """A reason was chosen: on to the note."""
        self.query_one("#photo-error", Tr).show(None)
        self.query_one("#photo-note", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the note saves."""
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        """Keep the verdict "wrong" with its reason and note."""
        pressed = self.query_one(RadioSet).pressed_button
        error = self.query_one("#photo-error", Tr)
        if pressed is None or pressed.id is None:
            error.show(T.CHOOSE_REASON)
            self.query_one(RadioSet).focus()
            return
        reason = cast(PhotoReason, pressed.id.removeprefix("reason-"))
        note = self.query_one("#photo-note", Input).value.strip() or None
        if note is not None:
            checked = text_rule(note)
            if not checked.ok:
                error.show([problem.msg for problem in checked.errors])
                self.query_one("#photo-note", Input).focus()
                return
            note = checked.value
        if reason == "other" and note is None:
            error.show(T.NOTE_NEEDED)
            return
        self.session.decide_photo(PhotoDecision(verdict="incorrect", reason=reason, note=note))
        self._stop_editing()
        self._next()

    def _stop_editing(self) -> None:
        self.editing = False
        self.query_one("#photo-editor").display = False
        self.query_one("#photo-error", Tr).show(None)
        self.query_one("#photo-keys", KeyBar).set_keys(_VERDICT_KEYS)
        self.set_focus(None)

    def _next(self) -> None:
        self._show_mark()
        if self.return_to_review:
            self.dismiss()
        else:
            self.kiosk.open_review()

    def action_back(self) -> None:
        """Cancel the reason being given, or go back to the fields."""
        if self.editing:
            self._stop_editing()
            return
        self.dismiss()
