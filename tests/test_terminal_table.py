"""The board's filters, orders and counts, on terminals the server could report (PIN attempts
included, which the heartbeat may carry)."""

from __future__ import annotations

from kiosk.protocol.staff import BoardTerminal
from screens.staff.terminal_table import FILTERS, ORDERS, summary


def terminal(n: int, state: str = "idle", **counts: int) -> BoardTerminal:
    return BoardTerminal.model_validate({"id": n, "name": f"t{n}", "state": state, **counts})


LAB = [
    terminal(10, "offline"),
    terminal(2, "in_use", results_waiting=1),
    terminal(1, pin_failures=3),
    terminal(3, "in_use"),
    terminal(11, "offline", dead_letters=2),
]


def test_each_filter_keeps_its_state() -> None:
    def names(name: str) -> list[str]:
        return [item.name for item in LAB if FILTERS[name](item)]

    assert names("all") == ["t10", "t2", "t1", "t3", "t11"]
    assert names("in_use") == ["t2", "t3"]
    assert names("idle") == ["t1"]
    assert names("offline") == ["t10", "t11"]
    assert names("waiting") == ["t2", "t11"]
    assert names("pin") == ["t1"]


def test_orders_by_name_naturally_or_attention_first() -> None:
    assert [item.name for item in sorted(LAB, key=ORDERS["name"])] == [  # type: ignore[arg-type]
        "t1", "t2", "t3", "t10", "t11",
    ]  # fmt: skip
    attention = sorted(LAB, key=ORDERS["attention"])  # type: ignore[arg-type]
    assert [item.name for item in attention] == ["t1", "t11", "t2", "t10", "t3"]


def test_the_summary_counts_every_state() -> None:
    assert summary(LAB).en == ("5 terminals: 2 in use · 1 idle · 2 offline · 2 waiting · 1 PIN")
