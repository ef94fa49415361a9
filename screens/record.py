"""Step 2: the record overview (学籍档案): the 17 fields, the deadline, the state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable

from kiosk.catalogue import PHOTO_LABEL, notice_text
from kiosk.fields import BY_KEY, FIELDS
from kiosk.i18n import Lang, Msg
from kiosk.privacy import mask_id_number
from kiosk.protocol.student import CorrectionNotice, CorrectionSummary, RecordResponse
from screens import text as T
from screens.base import KioskScreen
from screens.field_check import FieldCheckScreen
from screens.photo import PhotoScreen
from screens.timefmt import local, remaining
from screens.topbar import TopBar
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap


def correction_lines(corrections: Sequence[CorrectionSummary]) -> list[Msg]:
    """The student's reported corrections: field, proposed value, state, reviewer's comment."""
    if not corrections:
        return []
    lines = [T.YOUR_CORRECTIONS]
    for item in corrections:
        spec = BY_KEY.get(item.field)
        field = spec.label if spec is not None else PHOTO_LABEL
        proposed = Msg(item.proposed or "-", item.proposed or "-")
        if spec is None and item.proposed in T.PHOTO_REASONS:
            proposed = T.PHOTO_REASONS[item.proposed]
        state = T.CORRECTION_STATES.get(item.state, Msg(item.state, item.state))
        lines.append(T.fill(T.CORRECTION_ITEM, field=field, proposed=proposed, state=state))
        if item.comment:
            lines.append(T.CORRECTION_COMMENT.fmt(comment=item.comment))
    return lines


def notice_lines(notices: Sequence[CorrectionNotice]) -> list[Msg]:
    """The messages the student was sent about decisions on their corrections, newest first."""
    if not notices:
        return []
    lines = [T.YOUR_NOTICES]
    for notice in notices:
        text = notice_text(notice)
        when = local(notice.at)
        lines.append(Msg(f"{when} {text.zh}", f"{when} {text.en}"))
    return lines


class RecordScreen(KioskScreen[None]):
    """The record as a table (ID number masked), the window's countdown and "开始校对"."""

    CSS_PATH = "check.tcss"
    STEP = "record"
    _RELOAD = Key("R", "r", "reload", T.KEY_RETRY)
    _LOGOUT = Key("Esc", "escape", "logout", T.KEY_LOGOUT)
    KEYS: ClassVar[KeyMap] = KeyMap(
        # "Enter 开始校对" only while there is something to check.
        can_start=(Key("Enter", "enter", "start", T.START_CHECK), _RELOAD, _LOGOUT),
        nothing_to_check=(_RELOAD, _LOGOUT),
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()

    def compose(self) -> ComposeResult:
        """Table on the left, state and actions on the right."""
        yield TopBar(T.STEP_RECORD, self.student_masked())
        with Horizontal(id="record-body"):
            yield DataTable(id="record-table", show_cursor=False, zebra_stripes=True)
            with VerticalScroll(id="record-side"):
                yield Tr(T.LOADING, id="record-state")
                yield Tr(id="record-deadline")
                yield Tr(id="record-countdown")
                yield Button(T.START_CHECK.zh, id="start", variant="primary")
                yield Tr(id="record-message")
                yield Tr(id="record-corrections")
                yield Tr(id="record-notices")
        yield KeyBar(self.KEYS["can_start"], id="record-keys")

    def on_mount(self) -> None:
        """Load the record unless the login already did; tick the countdown every second."""
        self.query_one(DataTable).can_focus = False
        self.query_one("#start", Button).can_focus = False
        self.set_interval(1, self._tick)
        self.relabel(self.kiosk.lang)
        if self.session.record is None:
            self._load()

    def on_screen_resume(self) -> None:
        """The record may have been reloaded by the review screen (record_changed)."""
        if self.is_mounted:
            self.relabel(self.kiosk.lang)

    def relabel(self, lang: Lang) -> None:
        """Table headings and values, the button, the state: all in ``lang``."""
        self.query_one("#start", Button).label = T.START_CHECK.get(lang)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column(T.COLUMN_FIELD.get(lang), key="field")
        table.add_column(T.COLUMN_VALUE.get(lang), key="value")
        record = self.session.record
        if record is None:
            return
        values = record.values()
        for spec in FIELDS:
            value = values.get(spec.key, "")
            shown = mask_id_number(value) if spec.key == "id_number" else value
            table.add_row(spec.label.get(lang), shown, key=spec.key)
        self._show_state(record)
        self._tick()

    def _show_state(self, record: RecordResponse) -> None:
        state: Msg
        if record.state == "submitted":
            state = T.STATE_SUBMITTED.fmt(receipt=record.last_receipt_no or "-")
        elif record.state == "corrections_pending":
            state = T.STATE_PENDING.fmt(n=len(record.corrections))
        elif record.state == "check_again":
            state = T.STATE_CHECK_AGAIN
        else:
            state = T.STATE_NOT_CHECKED
        self.query_one("#record-state", Tr).show(state)
        closes = record.window.closes_at
        deadline = self.query_one("#record-deadline", Tr)
        if not record.window.is_open:
            deadline.show(T.WINDOW_IS_CLOSED)
        elif closes is None:
            deadline.show(T.DEADLINE_NONE)
        else:
            deadline.show(T.DEADLINE.fmt(when=local(closes)))
        can_start = self._can_start(record)
        self.query_one("#start", Button).display = can_start
        self.query_one("#record-keys", KeyBar).set_keys(
            self.KEYS["can_start" if can_start else "nothing_to_check"]
        )
        self.query_one("#record-corrections", Tr).show(correction_lines(record.corrections))
        self.query_one("#record-notices", Tr).show(notice_lines(record.notices))

    def _tick(self) -> None:
        record = self.kiosk.session.record if self.kiosk.session is not None else None
        countdown = self.query_one("#record-countdown", Tr)
        if record is None or record.window.closes_at is None or not record.window.is_open:
            countdown.show(None)
            return
        left = (record.window.closes_at - self.kiosk.clock()).total_seconds()
        countdown.show(T.DEADLINE_LEFT.fmt(left=remaining(left)))

    @staticmethod
    def _can_start(record: RecordResponse) -> bool:
        return record.window.is_open and record.state in ("not_checked", "check_again")

    @work(exclusive=True, group="record")
    async def _load(self) -> None:
        message = self.query_one("#record-message", Tr)
        message.show(T.LOADING)
        record = await self.fetch_record(message, T.RELOAD_HINT)
        if record is None:
            return
        message.show(None)
        self.session.record = record
        self.relabel(self.kiosk.lang)

    def show_notice(self, notice: Msg) -> None:
        """A message from a later step, e.g. that the record changed and must be checked again."""
        message = self.query_one("#record-message", Tr)
        message.show(notice)
        message.set_class(False, "-error")

    def action_reload(self) -> None:
        """Fetch the record again (after a failure)."""
        self._load()

    def action_start(self) -> None:
        """Start the field-by-field check (or continue it)."""
        session = self.session
        record = session.record
        if record is None:
            return
        if not self._can_start(record):
            self.show_notice(T.WINDOW_IS_CLOSED if not record.window.is_open else T.ALREADY_DONE)
            return
        if session.started_at is None:
            session.start_check(record, self.kiosk.clock())
        # Checking again only the photo: no field is open, so straight to the photo.
        self.app.push_screen(PhotoScreen() if session.fields_complete() else FieldCheckScreen())

    def action_logout(self) -> None:
        """The student is done: log out."""
        self.kiosk.logout()
