"""Terminals of a lab (T on the live board): enrolment codes for new PCs, with their QR code, retiring, and
remote control of the highlighted terminal (end its session, lock, unlock, a message).

A code is shown once, as the server answers it; the console keeps nothing of it after the
screen closes. Retiring asks for the key twice, since the PC then needs a new code. Remote
control reaches the terminal with its next heartbeat (within 10 s).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import DataTable, Input

from kiosk.client import ApiError
from kiosk.i18n import Lang, Msg
from kiosk.protocol.staff import BoardTerminal
from kiosk.protocol.terminal import (
    ControlAction,
    EnrolmentCodeCreate,
    EnrolmentCodeInfo,
    TerminalControl,
)
from screens.staff import text as T
from screens.staff.base import NAVIGATION, StaffModal, StaffScreen
from screens.widgets.i18n import Tr
from screens.widgets.keys import Key, KeyBar, KeyMap
from screens.widgets.qr import QRCodeView

TITLE = Msg("机房终端：注册与停用", "Lab terminals: enrolment and retiring")
LAB = Msg("机房：{lab}", "Lab: {lab}")
NO_LABS = Msg(
    "还没有机房：输入机房名称生成第一个注册码（N）。", "No labs yet: press N and name one."
)
KEY_NEW_CODE = Msg("注册码", "Enrolment code")
KEY_RETIRE = Msg("停用终端", "Retire")
CODE = Msg("注册码：{code}", "Enrolment code: {code}")
CODE_DETAIL = Msg(
    "{uses} 台电脑可用，{expires} 前有效。在每台新电脑上运行：",
    "For {uses} PCs, valid until {expires}. On each new PC run:",
)
COMMAND = Msg("kiosk enrol {code} --name 终端名称", "kiosk enrol {code} --name NAME")
RETIRE_AGAIN = Msg(
    "再按一次 R 停用 {name}：它的密钥立即失效，需用新注册码重新注册。",
    "Press R again to retire {name}: its key stops working at once; it needs a new code.",
)
RETIRED = Msg("{name} 已停用。", "{name} is retired.")
COLUMNS = (Msg("终端", "Terminal"), Msg("状态", "State"), Msg("最后联系", "Last seen"))
KEY_END = Msg("结束登录", "End session")
KEY_LOCK = Msg("锁定", "Lock")
KEY_UNLOCK = Msg("解锁", "Unlock")
KEY_MESSAGE = Msg("留言", "Message")
CONTROL_SENT = Msg(
    "已发送给 {name}，它下次联系服务器时（10 秒内）执行。",
    "Sent to {name}; it acts on it at its next heartbeat (within 10 s).",
)
MESSAGE_TITLE = Msg("欢迎界面上的留言（留空则清除）", "A line on its welcome screen (empty clears)")
DIALOG_TITLE = Msg("生成注册码（有效 1 小时）", "New enrolment code (valid 1 hour)")
DIALOG_LAB = Msg("机房", "Lab")
DIALOG_USES = Msg("电脑台数", "Number of PCs")
DIALOG_INVALID = Msg(
    "请填写机房名称，台数为 1–500。", "Give the lab's name, and a number of PCs from 1 to 500."
)
_CANCEL = Key("Esc", "escape", "cancel", T.KEY_CANCEL)


class EnrolmentCodeModal(StaffModal[EnrolmentCodeCreate | None]):
    """Lab and number of PCs; Enter moves on and, on the last field, asks for the code."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        enrol=(Key("Enter", "enter", "make", T.KEY_CONFIRM, by=Input), _CANCEL)
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#enrol-uses"

    def __init__(self, lab: str) -> None:
        super().__init__()
        self._lab = lab

    def compose(self) -> ComposeResult:
        """Two labelled inputs, a message line, the keys."""
        with Vertical(id="enrol-dialog", classes="dialog"):
            yield Tr(DIALOG_TITLE, classes="dialog-title")
            with Grid(id="enrol-grid"):
                yield Tr(DIALOG_LAB, classes="label")
                yield Input(self._lab, id="enrol-lab")
                yield Tr(DIALOG_USES, classes="label")
                yield Input("1", id="enrol-uses", type="integer")
            yield Tr(id="enrol-message", classes="-error")
            yield KeyBar(self.KEYS["enrol"])

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "enrol-uses":
            self.action_make()
        else:
            self.focus_next()

    def action_make(self) -> None:
        """Check the form and hand it back."""
        lab = self.query_one("#enrol-lab", Input).value
        uses = self.query_one("#enrol-uses", Input).value.strip()
        try:
            self.dismiss(EnrolmentCodeCreate(lab=lab, uses=int(uses or "0")))
        except (ValidationError, ValueError):
            self.query_one("#enrol-message", Tr).show(DIALOG_INVALID)

    def action_cancel(self) -> None:
        """Escape: no code."""
        self.dismiss(None)


class MessageModal(StaffModal[str | None]):
    """One line of text; Enter sends it (empty clears the message), Escape cancels."""

    KEYS: ClassVar[KeyMap] = KeyMap(
        message=(Key("Enter", "enter", "send", T.KEY_CONFIRM, by=Input), _CANCEL)
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#message-text"

    def compose(self) -> ComposeResult:
        """The input and the keys."""
        with Vertical(id="message-dialog", classes="dialog"):
            yield Tr(MESSAGE_TITLE, classes="dialog-title")
            yield Input(id="message-text", max_length=200)
            yield KeyBar(self.KEYS["message"])

    @on(Input.Submitted)
    def action_send(self) -> None:
        """Hand the line back."""
        self.dismiss(self.query_one("#message-text", Input).value.strip())

    def action_cancel(self) -> None:
        """Escape: nothing sent."""
        self.dismiss(None)


class EnrolmentScreen(StaffScreen):
    """The terminals of one lab, a new code on N, retiring the highlighted one on R."""

    DEFAULT_CSS = """
    EnrolmentScreen #enrol-code-area { height: auto; }
    EnrolmentScreen #enrol-code-text { width: 1fr; padding: 1 2; }
    EnrolmentScreen #enrol-code { text-style: bold; }
    EnrolmentScreen #enrol-terminals { height: 1fr; }
    EnrolmentCodeModal #enrol-dialog { width: 60; height: auto; }
    EnrolmentCodeModal #enrol-grid { grid-size: 2; grid-columns: 16 1fr; height: auto; }
    MessageModal #message-dialog { width: 64; height: auto; }
    """
    KEYS: ClassVar[KeyMap] = KeyMap(
        screen=(
            Key("N", "n", "new_code", KEY_NEW_CODE),
            Key("R", "r", "retire", KEY_RETIRE),
            Key("E", "e", "control('end_session')", KEY_END),
            Key("K", "k", "control('lock')", KEY_LOCK),
            Key("U", "u", "control('unlock')", KEY_UNLOCK),
            Key("M", "m", "message", KEY_MESSAGE),
            Key("L", "l", "next_lab", T.KEY_NEXT_LAB),
            *NAVIGATION,
        )
    )
    BINDINGS: ClassVar[list[BindingType]] = KEYS.bindings()
    AUTO_FOCUS = "#enrol-terminals"

    def __init__(self) -> None:
        super().__init__()
        self._labs: list[str] = []
        self._lab = ""
        self._terminals: list[BoardTerminal] = []
        self._retiring: int | None = None

    def compose_body(self) -> ComposeResult:
        """The lab, the latest code and its QR code, the lab's terminals."""
        yield Tr(TITLE, id="screen-title")
        yield Tr(T.LOADING, id="enrol-lab-line")
        with Horizontal(id="enrol-code-area"), Vertical(id="enrol-code-text"):
            yield Tr(id="enrol-code")
            yield Tr(id="enrol-detail")
            yield Tr(id="enrol-command")
        yield DataTable(id="enrol-terminals", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Load the labs and the first lab's terminals."""
        self.relabel(self.console.lang)
        self.load()

    def relabel(self, lang: Lang) -> None:
        """The table's headings and rows."""
        table = self.query_one("#enrol-terminals", DataTable)
        table.clear(columns=True)
        table.add_columns(*(column.get(lang) for column in COLUMNS))
        for item in self._terminals:
            seen = item.last_seen_at
            table.add_row(
                item.name,
                T.TERMINAL_STATES[item.state].get(lang),
                f"{self.console.local(seen):%m-%d %H:%M}" if seen else "-",
            )

    @work(exclusive=True, group="enrolment")
    async def load(self) -> None:
        """The labs, then the current lab's terminals."""
        try:
            if not self._labs:
                self._labs = [item.lab for item in await self.client.labs()]
                self._lab = self._lab or (self._labs[0] if self._labs else "")
            self._terminals = (
                list((await self.client.board(lab=self._lab)).terminals) if self._lab else []
            )
        except ApiError as error:
            self.fail(error)
            return
        line = self.query_one("#enrol-lab-line", Tr)
        line.show(LAB.fmt(lab=self._lab) if self._lab else NO_LABS)
        self.relabel(self.console.lang)

    def action_next_lab(self) -> None:
        """L: the next lab's terminals."""
        if len(self._labs) > 1:
            self._lab = self._labs[(self._labs.index(self._lab) + 1) % len(self._labs)]
            self._retiring = None
            self.load()

    def action_new_code(self) -> None:
        """N: ask for the lab and the number of PCs, then make the code."""
        self.app.push_screen(EnrolmentCodeModal(self._lab), self._make_code)

    def _make_code(self, plan: EnrolmentCodeCreate | None) -> None:
        if plan is not None:
            self.make_code(plan)

    @work(exclusive=True, group="enrolment")
    async def make_code(self, plan: EnrolmentCodeCreate) -> None:
        """Ask the server for the code and show it with its QR code."""
        try:
            made = await self.client.create_enrolment_code(plan.lab, plan.uses)
        except ApiError as error:
            self.fail(error)
            return
        self.say(None)
        await self._show_code(made)
        if made.lab not in self._labs:
            self._labs.append(made.lab)
        self._lab = made.lab
        self.load()

    async def _show_code(self, made: EnrolmentCodeInfo) -> None:
        expires = f"{self.console.local(made.expires_at):%H:%M}"
        self.query_one("#enrol-code", Tr).show(CODE.fmt(code=made.code))
        self.query_one("#enrol-detail", Tr).show(CODE_DETAIL.fmt(uses=made.uses, expires=expires))
        self.query_one("#enrol-command", Tr).show(COMMAND.fmt(code=made.code))
        area = self.query_one("#enrol-code-area", Horizontal)
        for old in area.query(QRCodeView):
            await old.remove()
        await area.mount(QRCodeView(made.code, id="enrol-qr"))

    def _highlighted(self) -> BoardTerminal | None:
        table = self.query_one("#enrol-terminals", DataTable)
        if not self._terminals or table.cursor_row >= len(self._terminals):
            return None
        return self._terminals[table.cursor_row]

    def action_control(self, action: ControlAction) -> None:
        """E, K, U on the highlighted terminal: end its session, lock, unlock."""
        target = self._highlighted()
        if target is not None:
            self.control(target, TerminalControl(action=action))

    def action_message(self) -> None:
        """M: a line for the highlighted terminal's welcome screen."""
        target = self._highlighted()
        if target is not None:
            self.app.push_screen(
                MessageModal(),
                lambda text: self._send_message(target, text),
            )

    def _send_message(self, target: BoardTerminal, text: str | None) -> None:
        if text is not None:
            self.control(target, TerminalControl(action="message", text=text))

    @work(exclusive=True, group="enrolment")
    async def control(self, target: BoardTerminal, control: TerminalControl) -> None:
        """Ask the server; the terminal hears of it with its next heartbeat."""
        try:
            await self.client.control_terminal(target.id, control)
        except ApiError as error:
            self.fail(error)
            return
        self.say(CONTROL_SENT.fmt(name=target.name))

    def action_retire(self) -> None:
        """R on the highlighted terminal, twice: retire it."""
        target = self._highlighted()
        if target is None:
            return
        if self._retiring != target.id:
            self._retiring = target.id
            self.say(RETIRE_AGAIN.fmt(name=target.name))
            return
        self._retiring = None
        self.retire(target)

    @work(exclusive=True, group="enrolment")
    async def retire(self, target: BoardTerminal) -> None:
        """Tell the server; the terminal's key stops working at once."""
        try:
            await self.client.retire_terminal(target.id)
        except ApiError as error:
            self.fail(error)
            return
        self.say(RETIRED.fmt(name=target.name))
        self.load()
