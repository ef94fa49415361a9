"""The one path every verification result takes to the server.

A result gets its ``result_id``, its idempotency key and its exact JSON body once, in
:func:`prepare_result`; every attempt after that sends the same three, so a retry after a
lost answer can only ever produce the same receipt (the key is made once, before the first attempt).

:func:`save_and_send` is the way a result leaves the kiosk: it commits the result to the
durable outbox first and only then sends it (kiosk/outbox.py), so nothing is lost whatever
happens to the network, the server or the terminal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from kiosk.outbox import Delivery, Outbox, OutboxSender, PendingResult
from kiosk.protocol.student import (
    FieldDecision,
    PhotoDecision,
    RecordResponse,
    VerificationRequest,
    new_result_id,
)


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
