"""The one path every verification result takes to the server.

A result gets its ``result_id``, its idempotency key and its exact JSON body once, in
:func:`prepare_result`; every attempt after that sends the same three, so a retry after a
lost answer can only ever produce the same receipt (reference/server.md §2.4).

:func:`save_and_send` is the way a result leaves the kiosk: it commits the result to the
durable outbox first and only then sends it (kiosk/outbox.py), so nothing is lost whatever
happens to the network, the server or the terminal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from kiosk.client import ApiClient, ApiError
from kiosk.outbox import Delivery, Outbox, OutboxSender, full_jitter
from kiosk.protocol import (
    FieldDecision,
    PhotoDecision,
    RecordResponse,
    VerificationReceipt,
    VerificationRequest,
    new_result_id,
)

Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class PendingResult:
    """A result ready to send: the request, and the key and bytes every attempt reuses."""

    result_id: uuid.UUID
    idempotency_key: str
    request: VerificationRequest
    body: bytes


def prepare_result(
    record: RecordResponse,
    fields: Sequence[FieldDecision],
    photo: PhotoDecision,
    started_at: dt.datetime,
    finished_at: dt.datetime,
) -> PendingResult:
    """Turn the student's decisions on ``record`` into a result with its ids fixed for good.

    The times must be timezone-aware: the server and the staff see them from elsewhere.
    Raises ``pydantic.ValidationError`` if the decisions do not make a valid result.
    """
    if started_at.tzinfo is None or finished_at.tzinfo is None:
        raise ValueError("started_at and finished_at must be timezone-aware")
    if record.ticket is None:
        raise ValueError("the window is closed: the record came without a ticket")
    request = VerificationRequest(
        result_id=new_result_id(),
        ticket=record.ticket,
        record_version=record.record_version,
        fields=list(fields),
        photo=photo,
        started_at=started_at,
        finished_at=finished_at,
    )
    return PendingResult(
        result_id=request.result_id,
        idempotency_key=str(uuid.uuid4()),
        request=request,
        body=request.model_dump_json().encode(),
    )


async def save_and_send(
    outbox: Outbox, sender: OutboxSender, pending: PendingResult, wait_s: float
) -> Delivery:
    """Save ``pending`` durably, then send it at once and wait up to ``wait_s`` for the answer.

    When the outbox commit fails (a full disk), the exception propagates and the result is
    *not* saved: the caller must say so. Otherwise the :class:`Delivery` says whether the
    server gave a receipt, refused the result for good (a dead letter, kept for staff), or
    has not answered yet, in which case the sender delivers it later, also after a restart.
    """
    outbox.save(pending)
    return await sender.deliver_now(pending.result_id, wait_s)


async def submit_result(
    client: ApiClient,
    pending: PendingResult,
    *,
    attempts: int = 3,
    base_delay_s: float = 0.5,
    max_delay_s: float = 8.0,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> VerificationReceipt:
    """Send ``pending`` until the server answers, trying at most ``attempts`` times.

    Only :attr:`ApiError.retryable` errors are retried, after a delay drawn uniformly from
    ``[0, min(max_delay_s, base_delay_s * 2**n)]`` (full jitter, so terminals that lost the
    server together do not come back together). Any other error, or the last retryable one,
    is raised as it is.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    draw = rng or random.Random()  # noqa: S311 - jitter, not security
    for attempt in range(attempts - 1):
        try:
            return await _send(client, pending)
        except ApiError as error:
            if not error.retryable:
                raise
        await sleep(full_jitter(draw, attempt, base_delay_s, max_delay_s))
    return await _send(client, pending)


async def _send(client: ApiClient, pending: PendingResult) -> VerificationReceipt:
    receipt, _replayed = await client.submit(
        pending.request, pending.idempotency_key, body=pending.body
    )
    return receipt
