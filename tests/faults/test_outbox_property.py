"""Property: whatever fails and however often the kiosk restarts, each result arrives once.

An in-memory "server" with the real idempotency rules sits behind a real :class:`ApiClient`
(``httpx.MockTransport``). Hypothesis draws a sequence of saves, failures (no connection, a
5xx, a timeout before or after the server committed, an answer lost after the commit, a
request still in progress) and kiosk restarts (a new Outbox and sender on the same file).
At the end the server must hold every saved result exactly once, each sent under one key
with one body, and the outbox must be empty.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.client import ApiClient
from kiosk.outbox import Outbox, OutboxCounts, OutboxSender
from kiosk.submission import save_and_send
from tests.test_submission import pending

FAULTS = (
    "unreachable",
    "server_error",
    "timeout_before_commit",
    "timeout_after_commit",
    "lost_after_commit",
    "in_progress",
)


def _problem(status: int, code: str) -> httpx.Response:
    return httpx.Response(status, json={"title": code, "status": status, "code": code})


@dataclass
class FakeServer:
    """Idempotent like the real one: a key replays its first answer; a result_id is unique."""

    faults: list[str] = field(default_factory=list)
    answers: dict[str, tuple[bytes, dict[str, object]]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sent: dict[str, set[tuple[str, bytes]]] = field(default_factory=lambda: defaultdict(set))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        fault = self.faults.pop(0) if self.faults else None
        if fault == "unreachable":
            raise httpx.ConnectError("refused", request=request)
        if fault == "timeout_before_commit":
            raise httpx.WriteTimeout("timed out", request=request)
        if fault == "server_error":
            return _problem(503, "internal_error")
        if fault == "in_progress":
            return _problem(409, "request_in_progress")
        key, body = request.headers["Idempotency-Key"], request.content
        result_id = json.loads(body)["result_id"]
        self.sent[result_id].add((key, body))
        if key in self.answers:
            first_body, receipt = self.answers[key]
            if first_body != body:
                return _problem(422, "idempotency_key_reused")
            answer = httpx.Response(200, json=receipt, headers={"Idempotent-Replayed": "true"})
        elif result_id in self.rows:
            return _problem(409, "result_conflict")
        else:
            self.rows[result_id] += 1
            receipt = {
                "receipt_no": f"R{len(self.rows)}",
                "submitted_at": "2026-06-01T08:00:00Z",
                "corrections": [],
            }
            self.answers[key] = (body, receipt)
            answer = httpx.Response(201, json=receipt)
        if fault == "timeout_after_commit":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "lost_after_commit":
            raise httpx.RemoteProtocolError("connection closed", request=request)
        return answer


Step = tuple[str, str]
steps = st.lists(
    st.one_of(
        st.just(("save", "")),
        st.tuples(st.just("fault"), st.sampled_from(FAULTS)),
        st.just(("restart", "")),
        st.just(("tick", "")),
    ),
    max_size=30,
)


async def _scenario(path: Path, plan: list[Step]) -> None:
    server = FakeServer()
    client = ApiClient("http://server.test", "1.k", transport=httpx.MockTransport(server))

    def open_kiosk() -> tuple[Outbox, OutboxSender]:
        outbox = Outbox.open(path)
        sender = OutboxSender(outbox, client, base_delay_s=0.001, max_delay_s=0.004)
        sender.start()
        return outbox, sender

    outbox, sender = open_kiosk()
    saved: list[str] = []
    try:
        for action, fault in [("save", ""), *plan]:
            if action == "save":
                result = pending()
                saved.append(str(result.result_id))
                await save_and_send(outbox, sender, result, wait_s=0.002)
            elif action == "fault":
                server.faults.append(fault)
            elif action == "restart":
                await sender.stop()
                outbox.close()
                outbox, sender = open_kiosk()
            else:
                await asyncio.sleep(0.003)
        async with asyncio.timeout(3):
            while outbox.counts() != OutboxCounts(0, 0):
                await asyncio.sleep(0.002)
        receipts = {str(e.result_id): e.receipt_no for e in outbox.entries()}
    finally:
        await sender.stop()
        outbox.close()
        await client.aclose()
    assert dict(server.rows) == dict.fromkeys(saved, 1)
    # Never re-keyed, never re-serialised: one (key, body) per result, on every attempt.
    assert all(len(server.sent[result_id]) == 1 for result_id in saved)
    # The receipt the kiosk kept is the one the server made, replays included.
    assert receipts == {
        result_id: server.answers[key][1]["receipt_no"]
        for result_id in saved
        for key, _body in server.sent[result_id]
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps)
def test_every_saved_result_is_delivered_exactly_once(plan: list[Step]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(_scenario(Path(directory) / "outbox.sqlite3", plan))
