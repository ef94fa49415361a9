"""Mail and SMS: one small interface, real adapters, and a database-backed delivery queue.

Requests never talk to an SMTP server or an SMS gateway themselves: they add a row to
``outgoing_messages`` in their own transaction, and :class:`Delivery` — a background task in
the app's lifespan — sends it. The queue survives restarts and is shared by every worker: a
row is claimed with ``UPDATE … WHERE id = :id AND <still claimable>``, which only one
transaction can win on either dialect (PostgreSQL re-checks the condition after waiting for a
competing writer's lock; SQLite has one writer). A claim is a lease: a worker that dies while
sending leaves a row that becomes claimable again when the lease runs out.

Failures are retried with a doubling wait and recorded (status, attempts, a sanitised last
error) so staff can see them (:func:`delivery_failures`). The message body — it holds the
one-time code — is wiped once a message is sent or given up, and is never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Annotated, Any, Literal, Protocol

import aiosmtplib
import httpx
from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.config import ServerSettings
from kiosk.fields import check_email, check_mobile
from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.registration import Channel, MailboxMessage, MailboxResponse
from server.background import Periodic, safe_error
from server.context import Ctx, ServerContext
from server.db import Database
from server.logs import exception_summary
from server.models import MailboxEntry
from server.models import OutgoingMessage as OutgoingRow

log = logging.getLogger(__name__)

# Longer than one SMTP or gateway exchange can take with the configured timeouts.
LEASE = dt.timedelta(minutes=2)
BATCH = 20


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient: an e-mail address or a mobile number."""

    channel: Channel
    to: str
    subject: str | None
    text: str


class Notifier(Protocol):
    """Sends one message now; raises on failure (the queue retries)."""

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver ``message`` or raise."""


class DeliveryError(Exception):
    """A channel refused or could not take a message."""


class SmtpNotifier:
    """Mail through the configured SMTP server (aiosmtplib)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> None:
        """Send one plain-text mail."""
        settings = self.settings
        mail = EmailMessage()
        mail["From"] = settings.mail_from
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail.set_content(message.text)
        await aiosmtplib.send(
            mail,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_tls == "tls",
            # True, not None: with "starttls" a server that does not offer it must fail,
            # or the code would travel in clear text.
            start_tls=settings.smtp_tls == "starttls",
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            timeout=settings.smtp_timeout_s,
        )


def fill_template(template: Any, values: Mapping[str, str]) -> Any:
    """``template`` with every ``{name}`` in its strings replaced (no other brace handling)."""
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, dict):
        return {key: fill_template(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [fill_template(item, values) for item in template]
    return template


class HttpSmsNotifier:
    """SMS through an HTTP gateway: a JSON POST built from the configured template."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> None:
        """Post one SMS; any answer but 2xx is a failure."""
        settings = self.settings
        body = fill_template(
            settings.sms_body_template, {"number": message.to, "text": message.text}
        )
        async with httpx.AsyncClient(timeout=settings.sms_timeout_s) as client:
            response = await client.post(
                settings.sms_gateway_url, json=body, headers=settings.sms_headers
            )
        if not response.is_success:
            # The status only: a gateway may echo the message (and its code) in the body.
            raise DeliveryError(f"SMS gateway answered HTTP {response.status_code}")


class MailboxNotifier:
    """The local mailbox: messages are stored in the database for the demo and for staff."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self.db = db
        self.clock = clock

    async def send(self, message: OutgoingMessage) -> None:
        """Store the message in the ``mailbox`` table."""
        async with self.db.sessions.begin() as session:
            session.add(
                MailboxEntry(
                    channel=message.channel,
                    recipient=message.to,
                    subject=message.subject,
                    body=message.text,
                    created_at=self.clock(),
                )
            )


def build_notifiers(ctx: ServerContext) -> dict[str, Notifier]:
    """The notifier of each channel: the configured SMTP server and SMS gateway, else the mailbox."""
    settings = ctx.settings
    mailbox = MailboxNotifier(ctx.db, ctx.now)
    notifiers: dict[str, Notifier] = {
        "email": SmtpNotifier(settings) if settings.smtp_host else mailbox,
        "sms": HttpSmsNotifier(settings) if settings.sms_gateway_url else mailbox,
    }
    if not settings.demo:
        for channel, notifier in notifiers.items():
            if notifier is mailbox:
                log.warning(
                    "%s is not configured: those messages go to the local mailbox "
                    "(kiosk admin mailbox)",
                    "smtp_host" if channel == "email" else "sms_gateway_url",
                )
    return notifiers


def queue_message(
    session: AsyncSession,
    message: OutgoingMessage,
    *,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
    reference: str | None = None,
) -> None:
    """Add ``message`` to the queue in ``session``'s transaction (sent after the commit).

    ``expires_at``: a message still unsent then is dropped (a late code is useless).
    """
    session.add(
        OutgoingRow(
            channel=message.channel,
            recipient=message.to,
            subject=message.subject,
            body=message.text,
            reference=reference,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            expires_at=expires_at,
            created_at=now,
        )
    )


def _claimable(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutgoingRow.status == "pending", OutgoingRow.next_attempt_at <= now),
        and_(OutgoingRow.status == "sending", OutgoingRow.claimed_until <= now),
    )


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    message: OutgoingMessage


class Delivery:
    """Drains ``outgoing_messages`` in the background through the channels' notifiers."""

    def __init__(self, ctx: ServerContext, notifiers: Mapping[str, Notifier]) -> None:
        self.ctx = ctx
        self.notifiers = notifiers
        self._rounds = Periodic("delivery", self.deliver_due, lambda: ctx.settings.delivery_poll_s)

    def start(self) -> None:
        """Start the background task (in the app's lifespan)."""
        self._rounds.start()

    async def stop(self) -> None:
        """Stop the background task; unsent rows stay queued for the next start."""
        await self._rounds.stop()

    def wake(self) -> None:
        """Deliver now rather than at the next poll (after a request queued a message)."""
        self._rounds.wake()

    async def deliver_due(self) -> int:
        """Send what is due now, once each; returns how many messages were tried."""
        claimed = await self._claim()
        for item in claimed:
            await self._send(item)
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        now = self.ctx.now()
        claimed: list[_Claimed] = []
        async with self.ctx.db.sessions.begin() as session:
            await session.execute(
                update(OutgoingRow)
                .where(_claimable(now), OutgoingRow.expires_at <= now)
                .values(status="failed", body=None, last_error="expired before delivery")
            )
            candidates = (
                await session.execute(
                    select(OutgoingRow.id)
                    .where(_claimable(now))
                    .order_by(OutgoingRow.id)
                    .limit(BATCH)
                )
            ).scalars()
            for row_id in list(candidates):
                row = (
                    await session.execute(
                        update(OutgoingRow)
                        .where(OutgoingRow.id == row_id, _claimable(now))
                        .values(
                            status="sending",
                            claimed_until=now + LEASE,
                            attempts=OutgoingRow.attempts + 1,
                        )
                        .returning(
                            OutgoingRow.attempts,
                            OutgoingRow.channel,
                            OutgoingRow.recipient,
                            OutgoingRow.subject,
                            OutgoingRow.body,
                        )
                    )
                ).first()
                if row is None:  # another worker won it
                    continue
                attempts, stored_channel, recipient, subject, body = row
                # Rows are written only by queue_message, with a Channel.
                channel: Channel = "sms" if stored_channel == "sms" else "email"
                message = OutgoingMessage(channel, recipient, subject, body or "")
                claimed.append(_Claimed(row_id, attempts, message))
        return claimed

    async def _send(self, item: _Claimed) -> None:
        settings = self.ctx.settings
        notifier = self.notifiers.get(item.message.channel)
        error: str | None = None
        logged = ""
        try:
            if notifier is None:
                raise DeliveryError(f"no notifier for channel {item.message.channel!r}")
            await notifier.send(item.message)
        except Exception as exc:
            error = safe_error(exc)
            logged = exception_summary(exc)
        now = self.ctx.now()
        values: dict[str, Any]
        if error is None:
            values = {"status": "sent", "body": None, "sent_at": now, "last_error": None}
        elif item.attempts >= settings.delivery_max_attempts:
            values = {"status": "failed", "body": None, "last_error": error}
            log.error("message %d (%s) failed for good: %s", item.id, item.message.channel, logged)
        else:
            wait = settings.delivery_retry_base_s * 2 ** (item.attempts - 1)
            values = {
                "status": "pending",
                "last_error": error,
                "next_attempt_at": now + dt.timedelta(seconds=wait),
            }
            log.warning(
                "message %d (%s) not delivered, try %d: %s",
                item.id, item.message.channel, item.attempts, logged,
            )  # fmt: skip
        async with self.ctx.db.sessions.begin() as session:
            await session.execute(
                update(OutgoingRow)
                .where(OutgoingRow.id == item.id, OutgoingRow.status == "sending")
                .values(claimed_until=None, **values)
            )


@dataclass(frozen=True)
class DeliveryFailure:
    """A message that could not be delivered (yet), for staff; no body."""

    id: int
    channel: str
    recipient: str
    reference: str | None
    status: Literal["pending", "failed"]
    attempts: int
    last_error: str | None
    created_at: dt.datetime


async def delivery_failures(session: AsyncSession, limit: int = 100) -> list[DeliveryFailure]:
    """Messages given up, or still waiting after at least one failed try; newest first."""
    rows = (
        await session.execute(
            select(OutgoingRow)
            .where(
                or_(
                    OutgoingRow.status == "failed",
                    and_(OutgoingRow.status == "pending", OutgoingRow.attempts > 0),
                )
            )
            .order_by(OutgoingRow.id.desc())
            .limit(limit)
        )
    ).scalars()
    return [
        DeliveryFailure(
            id=row.id,
            channel=row.channel,
            recipient=row.recipient,
            reference=row.reference,
            status="failed" if row.status == "failed" else "pending",
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
        )
        for row in rows
    ]


def normalise_recipient(value: str) -> str:
    """A mobile number or e-mail address as the queue stores it."""
    mobile = check_mobile(value)
    return mobile.value if mobile.ok else check_email(value).value


async def mailbox_messages(
    session: AsyncSession, recipient: str | None = None, limit: int = 20
) -> Sequence[MailboxEntry]:
    """The latest local-mailbox messages, for one recipient or all; newest first."""
    query = select(MailboxEntry).order_by(MailboxEntry.id.desc()).limit(limit)
    if recipient:
        query = query.where(MailboxEntry.recipient == normalise_recipient(recipient))
    return (await session.execute(query)).scalars().all()


demo_router = APIRouter(prefix=API_PREFIX, tags=["demo"])
MailboxAddress = Annotated[
    str, Query(min_length=1, max_length=254, description="An e-mail address or mobile number.")
]


@demo_router.get(
    "/demo/mailbox",
    response_model=MailboxResponse,
    summary="The demo's local mailbox (demo servers only)",
)
async def demo_mailbox(ctx: Ctx, to: MailboxAddress) -> MailboxResponse:
    """The latest messages for one address or number, so the demo can show its codes.

    Only a server started with ``demo = true`` has this route; anywhere else it is 404.
    """
    async with ctx.db.sessions() as session:
        entries = await mailbox_messages(session, to, limit=10)
    return MailboxResponse(
        messages=[
            MailboxMessage(
                channel="sms" if entry.channel == "sms" else "email",
                to=entry.recipient,
                subject=entry.subject,
                text=entry.body,
                created_at=entry.created_at,
            )
            for entry in entries
        ]
    )
