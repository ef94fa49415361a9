"""``kiosk outbox list | retry | purge-delivered``: the outbox for staff at the terminal.

Shows ids, states, ages, attempts and error codes only: never a body, a ticket, a name or an
ID number, so it is safe to run with a student standing by.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from kiosk.i18n import Plural
from kiosk.outbox import EntryInfo, Outbox


def _age(seconds: float) -> str:
    """A short human duration: 45s, 12m05s, 3h20m, 2d04h."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def _line(entry: EntryInfo, now: dt.datetime) -> str:
    if entry.state == "waiting":
        due = entry.next_attempt_at or now
        detail = (
            "next try now" if due <= now else f"next try in {_age((due - now).total_seconds())}"
        )
    elif entry.state == "delivered":
        detail = f"receipt {entry.receipt_no}"
    else:
        detail = "kept for staff; `kiosk outbox retry` sends it again"
    return (
        f"{entry.result_id}  {entry.state:<9}  {_age((now - entry.created_at).total_seconds()):>7}"
        f"  {entry.attempts:>8}  {entry.last_error or '-':<24}  {detail}"
    )


def format_listing(outbox: Outbox) -> str:
    """The ``list`` output: counts, then one line per entry, oldest first."""
    entries = outbox.entries()
    counts = outbox.counts()
    delivered = sum(1 for entry in entries if entry.state == "delivered")
    lines = [
        f"{outbox.path}: {counts.waiting} waiting / 待发送, {counts.dead} dead letters / 发送失败, "
        f"{delivered} delivered / 已送达"
    ]
    if entries:
        now = dt.datetime.fromtimestamp(outbox.clock(), dt.UTC)
        lines.append(
            f"{'result_id':<36}  {'state':<9}  {'age':>7}  {'attempts':>8}  "
            f"{'last error':<24}  detail"
        )
        lines.extend(_line(entry, now) for entry in entries)
    return "\n".join(lines)


_RETRIED = Plural(
    "{n} 条失败结果已重新排队。",
    "1 dead letter queued again; the kiosk sends it within a minute.",
    "{n} dead letters queued again; the kiosk sends them within a minute.",
)
_PURGED = Plural(
    "已清除 {n} 条已送达记录。", "1 delivered entry removed.", "{n} delivered entries removed."
)


def run_outbox_command(path: Path, action: str) -> int:
    """Run ``kiosk outbox ACTION`` on the outbox at ``path``; returns the exit code."""
    if not path.exists():
        # Opening would create an empty outbox, which would only mislead the next reader.
        print(f"{path}: no outbox here / 此处没有待发送结果", file=sys.stderr)
        return 0 if action == "list" else 1
    with Outbox.open(path, clock=time.time) as outbox:
        if action == "list":
            print(format_listing(outbox))
        elif action == "retry":
            count = outbox.retry_dead()
            print(_RETRIED.n(count).both())
        elif action == "purge-delivered":
            count = outbox.purge_delivered()
            print(_PURGED.n(count).both())
        else:
            raise AssertionError(action)  # argparse only lets known actions through
    return 0
