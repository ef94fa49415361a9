"""An in-memory stand-in for the kiosk's API client, and helpers for the screen tests.

:class:`FakeClient` has the methods of :class:`kiosk.client.ApiClient` (the
:class:`screens.ports.KioskClient` protocol), answers from a configurable record, raises
scripted :class:`~kiosk.client.ApiError` per method, and records every call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from kiosk.client import ApiError
from kiosk.config import KioskSettings
from kiosk.privacy import mask_email, mask_mobile
from kiosk.protocol.base import Health, ProblemDetails
from kiosk.protocol.proof import ProofLinkResponse
from kiosk.protocol.registration import (
    Channel,
    MailboxMessage,
    RegistrationRequest,
    RegistrationResponse,
    ResendResponse,
    VerifyCodesRequest,
    VerifyCodesResponse,
)
from kiosk.protocol.student import (
    CorrectionRef,
    FieldValue,
    LoginResponse,
    PhotoInfo,
    PhotoLinkResponse,
    RecordResponse,
    StudentSummary,
    VerificationReceipt,
    VerificationRequest,
    VerificationWindow,
)
from kiosk.protocol.terminal import HeartbeatRequest, HeartbeatResponse, SessionBanner
from screens.app import KioskApp, create_app
from screens.timing import KioskTiming
from tests.waiting import settle

NOW = dt.datetime(2025, 5, 20, 2, 0, 0, tzinfo=dt.UTC)
"""The frozen wall clock of the screen tests."""

STUDENT_NAME = "王小明"
ID_NUMBER = "330502200203150010"
TOKEN = "tok-secret-0123456789abcdef"
PHOTO_URL = "http://kiosk.test/p/abc123"
PROOF_URL = "http://kiosk.test/u/1f.6b3c8f00.proofsignature"
RECEIPT_NO = "R2025-000123"
REGISTRATION_ID = "reg-0123456789abcdef"
CODES: dict[Channel, str] = {"email": "246810", "sms": "135791"}
"""The codes FakeClient "sends" for every registration and resend."""
CODE_MAX_ATTEMPTS = 5
RESEND_WAIT_S = 60

RECORD_VALUES: dict[str, str] = {
    "name": STUDENT_NAME,
    "gender": "男",
    "ethnicity": "汉族",
    "birth_date": "2002-03-15",
    "id_number": ID_NUMBER,
    "student_no": "2021010203",
    "institution": "湖州师范学院",
    "college": "信息工程学院",
    "department": "计算机系",
    "major": "计算机科学与技术",
    "class_name": "计科211",
    "level": "本科",
    "duration": "4",
    "education_category": "普通高等教育",
    "study_mode": "普通全日制",
    "enrollment_date": "2021-09-01",
    "status": "在籍（注册学籍）",
}


def make_record(version: int = 1, **changes: Any) -> RecordResponse:
    """A record of the test student; ``changes`` override top-level record attributes."""
    data: dict[str, Any] = {
        "student_no": RECORD_VALUES["student_no"],
        "fields": [FieldValue(key=key, value=value) for key, value in RECORD_VALUES.items()],  # type: ignore[arg-type]
        "record_version": version,
        "photo": PhotoInfo(version=1, width=480, height=640, size_bytes=40_000),
        "window": VerificationWindow(closes_at=NOW + dt.timedelta(hours=20), is_open=True),
        "state": "not_checked",
        "ticket": f"ticket-v{version}",
        "ticket_expires_at": NOW + dt.timedelta(days=7),
    }
    data.update(changes)
    return RecordResponse(**data)


def api_error(code: str, status: int = 0, **extensions: Any) -> ApiError:
    """An :class:`ApiError` as the real client raises it, with problem extensions."""
    problem = None
    if status:
        problem = ProblemDetails(title=code, status=status, code=code, **extensions)
    return ApiError(status, code, problem)


def unreachable() -> ApiError:
    """The error of a server that cannot be reached."""
    return api_error("server_unreachable")


def settings(**changes: Any) -> KioskSettings:
    """Kiosk settings for tests: short idle times, a known school."""
    values: dict[str, Any] = {
        # Each app gets its own outbox, so no test sees another's saved results.
        "outbox_path": Path(tempfile.mkdtemp(prefix="kiosk-test-")) / "outbox.sqlite3",
        "school_name": "湖州师范学院",
        "idle_timeout_s": 60,
        "idle_warning_s": 10,
        "receipt_countdown_s": 30,
    }
    values.update(changes)
    return KioskSettings(**values)


class FakeMonotonic:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += seconds


def _photo_jpeg() -> bytes:
    """48x64, red above and blue below: a photo whose colours a test can look for."""
    from PIL import Image

    image = Image.new("RGB", (48, 64), (220, 30, 30))
    image.paste((30, 60, 220), (0, 32, 48, 64))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


PHOTO_JPEG = _photo_jpeg()


class FakeClient:
    """In-memory :class:`screens.ports.KioskClient`: scripted errors, recorded calls."""

    def __init__(self, record: RecordResponse | None = None) -> None:
        self.record_response = record or make_record()
        self.errors: dict[str, list[ApiError]] = defaultdict(list)
        self.calls: list[str] = []
        self.submissions: list[tuple[VerificationRequest, str, bytes | None]] = []
        self.heartbeats: list[HeartbeatRequest] = []
        self.logins: list[tuple[str, str]] = []
        self.registrations: list[RegistrationRequest] = []
        self.verifications: list[VerifyCodesRequest] = []
        self.resends: list[Channel] = []
        self.mailbox: list[MailboxMessage] = []
        self.confirmed: dict[Channel, bool] = {"email": False, "sms": False}
        self.wrong_tries: dict[Channel, int] = {"email": 0, "sms": 0}
        self.supervised_session: SessionBanner | None = None
        self.submit_gate = asyncio.Event()
        """Submissions not scripted to fail wait for it: a test clears it to hold retries."""
        self.submit_gate.set()
        self._token: str | None = None

    def fail(self, method: str, *errors: ApiError) -> None:
        """Make the next calls of ``method`` raise ``errors``, one per call."""
        self.errors[method].extend(errors)

    def _call(self, method: str) -> None:
        self.calls.append(method)
        if self.errors[method]:
            raise self.errors[method].pop(0)

    @property
    def token(self) -> str | None:
        """The student's token while logged in."""
        return self._token

    async def health(self) -> Health:
        """Always healthy unless scripted otherwise."""
        self._call("health")
        return Health(status="ok", version="test", database="ok")

    async def login(self, username: str, password: str) -> LoginResponse:
        """Any user name and password log the test student in."""
        self.logins.append((username, password))
        self._call("login")
        self._token = TOKEN
        student = StudentSummary(
            student_no=RECORD_VALUES["student_no"], name=STUDENT_NAME, college="信息工程学院"
        )
        return LoginResponse(token=TOKEN, expires_at=NOW + dt.timedelta(hours=1), student=student)

    async def logout(self) -> None:
        """Forget the token (never raises, like the real one)."""
        self.calls.append("logout")
        self._token = None

    def forget_student(self) -> None:
        """Forget the token without a call."""
        self.calls.append("forget_student")
        self._token = None

    async def record(self) -> RecordResponse:
        """The configured record."""
        self._call("record")
        return self.record_response

    async def photo_link(self) -> PhotoLinkResponse:
        """A link valid for five minutes of the frozen clock."""
        self._call("photo_link")
        return PhotoLinkResponse(url=PHOTO_URL, expires_at=NOW + dt.timedelta(minutes=5))

    async def proof_link(self) -> ProofLinkResponse:
        """A link valid for three days of the frozen clock."""
        self._call("proof_link")
        return ProofLinkResponse(url=PROOF_URL, expires_at=NOW + dt.timedelta(days=3), slots_left=8)

    async def photo(self) -> bytes:
        """A tiny real JPEG (the terminal may draw it)."""
        self._call("photo")
        return PHOTO_JPEG

    async def submit(
        self, request: VerificationRequest, idempotency_key: str, body: bytes | None = None
    ) -> tuple[VerificationReceipt, bool]:
        """Record the submission (also failed attempts) and answer with a receipt."""
        self.submissions.append((request, idempotency_key, body))
        self._call("submit")
        await self.submit_gate.wait()
        corrections = [
            CorrectionRef(id=index, field=decision.key, state="reported")
            for index, decision in enumerate(request.incorrect(), start=1)
        ]
        if request.photo.verdict == "incorrect":
            corrections.append(CorrectionRef(id=99, field="photo", state="reported"))
        receipt = VerificationReceipt(
            receipt_no=RECEIPT_NO, submitted_at=NOW, corrections=corrections
        )
        return receipt, False

    async def heartbeat(self, beat: HeartbeatRequest) -> HeartbeatResponse:
        """Record the beat."""
        self.heartbeats.append(beat)
        self._call("heartbeat")
        return HeartbeatResponse(
            server_time=NOW,
            terminal_name="机房A-01",
            lab="A",
            supervised_session=self.supervised_session,
        )

    # --- registration: codes are fixed, the mailbox is in memory ---------------------------

    async def register(self, request: RegistrationRequest) -> RegistrationResponse:
        """Record the request; "send" both codes (to :meth:`demo_mailbox`)."""
        self.registrations.append(request)
        self._call("register")
        self.confirmed = {"email": False, "sms": False}
        self.wrong_tries = {"email": 0, "sms": 0}
        self._deliver("email", request.email)
        self._deliver("sms", request.mobile)
        return RegistrationResponse(
            registration_id=REGISTRATION_ID,
            email_masked=mask_email(request.email),
            mobile_masked=mask_mobile(request.mobile),
            code_expires_at=NOW + dt.timedelta(minutes=10),
            resend_after=NOW + dt.timedelta(seconds=RESEND_WAIT_S),
            expires_at=NOW + dt.timedelta(hours=24),
        )

    async def verify_registration(
        self, registration_id: str, codes: VerifyCodesRequest
    ) -> VerifyCodesResponse:
        """Check the codes as the server does: a right one confirms its channel for good."""
        self.verifications.append(codes)
        self._call("verify_registration")
        given: dict[Channel, str | None] = {"email": codes.email_code, "sms": codes.sms_code}
        errors: list[dict[str, str]] = []
        left: dict[str, int] = {}
        for channel, code in given.items():
            if self.confirmed[channel] or not code:
                continue
            if code == CODES[channel]:
                self.confirmed[channel] = True
            else:
                self.wrong_tries[channel] += 1
                errors.append({"field": f"{channel}_code", "code": "code_wrong", "message": "-"})
                left[channel] = CODE_MAX_ATTEMPTS - self.wrong_tries[channel]
        if errors:
            raise api_error(
                "code_invalid", 422, errors=errors, attempts_left=left, confirmed=self.confirmed
            )
        active = all(self.confirmed.values())
        return VerifyCodesResponse(
            status="active" if active else "pending",
            email_confirmed=self.confirmed["email"],
            sms_confirmed=self.confirmed["sms"],
            username=self.registrations[-1].email if active else None,
            window_closes_at=NOW + dt.timedelta(hours=24) if active else None,
        )

    async def resend_code(self, registration_id: str, channel: Channel) -> ResendResponse:
        """Record the resend; "send" the same code again."""
        self.resends.append(channel)
        self._call("resend_code")
        request = self.registrations[-1]
        self._deliver(channel, request.email if channel == "email" else request.mobile)
        return ResendResponse(
            channel=channel,
            code_expires_at=NOW + dt.timedelta(minutes=10),
            resend_after=NOW + dt.timedelta(seconds=RESEND_WAIT_S),
            sends_left=8,
        )

    async def demo_mailbox(self, to: str) -> list[MailboxMessage]:
        """What was "sent" to ``to``, newest first."""
        self._call("demo_mailbox")
        return [message for message in reversed(self.mailbox) if message.to == to]

    def _deliver(self, channel: Channel, to: str) -> None:
        text = f"注册验证码 {CODES[channel]}，10 分钟内有效。Registration code {CODES[channel]}."
        self.mailbox.append(
            MailboxMessage(channel=channel, to=to, subject=None, text=text, created_at=NOW)
        )

    async def aclose(self) -> None:
        """Nothing to close."""


# --- driving the app ------------------------------------------------------------------------


def build_app(
    client: FakeClient | None = None,
    monotonic: FakeMonotonic | None = None,
    *,
    demo_accounts: Sequence[tuple[str, str, str]] = (),
    timing: KioskTiming | None = None,
    **settings_changes: Any,
) -> KioskApp:
    """The kiosk as the tests run it: fake client, frozen wall clock, hand-moved monotonic,
    and production's timers unless ``timing`` shortens them."""
    app = create_app(
        settings(**settings_changes),
        client or FakeClient(),
        demo_accounts=demo_accounts,
        terminal_name="机房A-01",
        clock=lambda: NOW,
        monotonic=monotonic or FakeMonotonic(),
        timing=timing,
    )
    return app


async def to_login(pilot: Pilot[None]) -> None:
    """From the welcome screen to the login screen."""
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def log_in(pilot: Pilot[None], password: str = "pw") -> None:
    """Type a user name and password on the login screen and press Enter."""
    await pilot.press(*"2021010203", "enter", *password, "enter")
    await settle(pilot)


async def to_record(pilot: Pilot[None]) -> None:
    """Welcome -> login -> record overview."""
    await to_login(pilot)
    await log_in(pilot)


async def to_fields(pilot: Pilot[None]) -> None:
    """... -> the first field."""
    await to_record(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def to_photo(pilot: Pilot[None]) -> None:
    """... -> all 17 fields correct -> the photo."""
    await to_fields(pilot)
    await pilot.press(*["y"] * 17)
    await settle(pilot)


async def to_review(pilot: Pilot[None]) -> None:
    """... -> photo correct -> the review."""
    await to_photo(pilot)
    await pilot.press("y")
    await settle(pilot)


async def submit(pilot: Pilot[None]) -> None:
    """On the review: tick the declaration, submit, confirm."""
    await pilot.press("space", "s")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)


def screen_text(app: App[Any]) -> str:
    """What the terminal shows now, as text (wrapped lines stay wrapped)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def shown_text(app: App[Any]) -> str:
    """The unwrapped text of every displayed Static on the current screen, one per line."""
    texts = [
        str(widget.content)
        for widget in app.screen.query(Static)
        if all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))
    ]
    return "\n".join(texts)


def reachable_strings(root: object, skip: object) -> list[str]:
    """Every string reachable from ``root`` through containers and object attributes."""
    found: list[str] = []
    seen: set[int] = set()
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or item is skip:
            continue
        seen.add(id(item))
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, bytes):
            found.append(item.decode("utf-8", "replace"))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) or hasattr(item, "__dict__"):
            stack.extend(getattr(item, "__dict__", {}).values())
            for name in getattr(type(item), "__slots__", ()):
                stack.append(getattr(item, name, None))
        elif hasattr(type(item), "__slots__"):
            for name in type(item).__slots__:
                stack.append(getattr(item, name, None))
    return found
