"""Step 4: the photo, seen on the student's phone through a QR code of a signed link, and on
the terminal itself where it can draw images: beside the code when the screen is wide enough,
else on P instead of the code."""

from __future__ import annotations

from typing import ClassVar, cast

from textual import events, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Input, RadioButton, RadioSet, Static

from kiosk.client import ApiError
from kiosk.fields import text_rule
from kiosk.i18n import Lang, Msg
from kiosk.protocol.student import PhotoDecision, PhotoLinkResponse, PhotoReason
from screens import text as T
from screens.base import KioskScreen
from screens.problems import SESSION_DEAD, describe
from screens.timefmt import remaining
from screens.topbar import TopBar
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap
from screens.widgets.photo_image import can_show_images, photo_widget
from screens.widgets.qr import QRCodeView

WIDE_ENOUGH = 100
"""Columns from which the photo fits beside the QR code (80×24 keeps the room for the code)."""
_NEXT_BOX = Key("Tab", "tab", "app.focus_next", T.KEY_NEXT_BOX, by=Screen)
_CANCEL = Key("Esc", "escape", "back", T.KEY_CANCEL)
_VERDICT = (
    Key("Y", "y,Y", "correct", T.KEY_CORRECT),
    Key("N", "n,N", "wrong", T.KEY_WRONG),
    Key("R", "r,R", "new_link", T.KEY_NEW_LINK),
    Key("Esc", "escape", "back", T.KEY_BACK),
)


class PhotoScreen(KioskScreen[None]):
    """QR code and link (with its expiry) to the photo; Y correct, N wrong with a reason."""

    CSS_PATH = "check.tcss"
    STEP = "photo"
    # Not Enter: pressed to go on, it marked the photo correct unseen.
    KEYS: ClassVar[KeyMap] = KeyMap(
        verdict=_VERDICT,
        # Where the screen is narrow, P shows the photo instead of the code, and back.
        showing_code=(Key("P", "p,P", "toggle_photo", T.KEY_SHOW_PHOTO), *_VERDICT),
        showing_photo=(Key("P", "p,P", "toggle_photo", T.KEY_SHOW_CODE), *_VERDICT),
        editing=(Key("Enter", "enter", "save", T.KEY_SAVE, by=Input), _NEXT_BOX, _CANCEL),
        choosing=(Key("Enter", "enter", "app.noop", T.KEY_CHOOSE, by=RadioSet), _NEXT_BOX, _CANCEL),
    )
    """The key bar while deciding, while giving the reason, and in the list of reasons."""
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def __init__(self, *, return_to_review: bool = False) -> None:
        super().__init__()
        self.return_to_review = return_to_review
        self.editing = False
        self._photo: Widget | None = None
        """The photo drawn here, when the terminal can draw it (in memory only)."""

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
        yield KeyBar(self.KEYS["verdict"], id="photo-keys")

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
            self._fetch_photo()
        else:
            self._fetch_link()
            self._fetch_photo()

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

    def _show_link(self, link: PhotoLinkResponse) -> None:
        loading = self.query_one("#photo-loading", Tr)
        loading.show(None)
        loading.set_class(False, "-error")
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
    async def _fetch_photo(self) -> None:
        """Only where images can be shown: the photo itself, with the student's token."""
        if not can_show_images() or self._photo is not None:
            return
        try:
            jpeg = await self.kiosk.client.photo()
        except ApiError:
            return  # the QR code still shows the photo; nothing to tell the student
        widget = photo_widget(jpeg)
        if widget is None:
            return
        self._photo = widget
        widget.display = self.app.size.width >= WIDE_ENOUGH
        await self.query_one("#photo-body").mount(widget, after="#photo-code")
        if not self.editing:
            self.query_one("#photo-keys", KeyBar).set_keys(self._verdict_keys())

    def _verdict_keys(self) -> tuple[Key, ...]:
        if self._photo is None or self.app.size.width >= WIDE_ENOUGH:
            return self.KEYS["verdict"]
        return self.KEYS["showing_photo" if self._photo.display else "showing_code"]

    def action_toggle_photo(self) -> None:
        """P where the screen is narrow: the photo instead of the QR code, and back."""
        if self._photo is None or self.app.size.width >= WIDE_ENOUGH:
            return
        self._photo.display = not self._photo.display
        self.query_one("#photo-code").display = not self._photo.display
        self.query_one("#photo-keys", KeyBar).set_keys(self._verdict_keys())

    def _tick(self) -> None:
        link = self.kiosk.session.photo_link if self.kiosk.session is not None else None
        expiry = self.query_one("#photo-expiry", Tr)
        if link is None:
            expiry.show(None)
            return
        left = self._seconds_left(link)
        if left > 0:
            expiry.show(T.PHOTO_EXPIRES.fmt(left=remaining(left)))
        else:
            expiry.show(None)
            self._withdraw_link()

    def _withdraw_link(self) -> None:
        """An expired link leaves the screen: its code would still scan, to a 410 page.

        The message takes its place until R fetches a new one (``_show_link`` mounts it).
        """
        for code in self.query(QRCodeView):
            code.remove()
        self.query_one("#photo-url", Static).update("")
        notice = self.query_one("#photo-loading", Tr)
        notice.show(T.PHOTO_EXPIRED)
        notice.set_class(True, "-error")

    def action_new_link(self) -> None:
        """A fresh link (the old one expired, or the phone could not open it)."""
        self._fetch_link()

    # --- deciding -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the reason is being given, letters are text, not verdicts."""
        if action in ("correct", "wrong", "new_link", "toggle_photo"):
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
        self.query_one("#photo-keys", KeyBar).set_keys(self.KEYS["editing"])
        decision = self.session.photo
        if decision is not None and decision.reason is not None:
            self.query_one(f"#reason-{decision.reason}", RadioButton).value = True
            self.query_one("#photo-note", Input).value = decision.note or ""
        self.query_one(RadioSet).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """A reason was chosen. Tab goes on to the note, as the key bar says (a cursor
        that jumped there by itself made that Tab leave the note)."""
        self.query_one("#photo-error", Tr).show(None)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The key bar tells what Enter does in the box that has the cursor."""
        if self.editing:
            choosing = isinstance(event.widget, RadioSet)
            self.query_one("#photo-keys", KeyBar).set_keys(
                self.KEYS["choosing" if choosing else "editing"]
            )

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
        self.query_one("#photo-keys", KeyBar).set_keys(self._verdict_keys())
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
