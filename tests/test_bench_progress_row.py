"""The growth bench's progress-view row: PASS within the budget at every size, else MISS."""

from __future__ import annotations

from typing import Any

from bench.__main__ import growth_rows


def _growth(small_ms: float, large_ms: float) -> dict[str, Any]:
    def size(students: int, progress_ms: float) -> dict[str, Any]:
        timing = {"median_ms": 10.0, "rows": 500, "total": students // 10}
        return {
            "students": students,
            "queue_first_page": timing,
            "one_class": timing,
            "progress_school": {"median_ms": progress_ms, "rows": 15, "total": students},
        }

    ratio = {"time_ratio": 1.0, "rows_ratio": 1.0, "total_ratio": 10.0}
    return {
        "sizes": [size(5_000, small_ms), size(50_000, large_ms)],
        "ratios": {
            "queue_first_page": ratio,
            "one_class": ratio,
            "progress_school": ratio | {"time_ratio": round(large_ms / small_ms, 2)},
        },
        "progress_budget_ms": 200.0,
    }


def test_the_progress_view_row_holds_the_budget_at_every_size() -> None:
    (row,) = [r for r in growth_rows(_growth(15.0, 89.0)) if r[0].startswith("progress view")]
    assert row[2] == "PASS"
    assert "89.0 ms at 50,000" in row[1] and "×5.93" in row[1]
    (row,) = [r for r in growth_rows(_growth(15.0, 201.0)) if r[0].startswith("progress view")]
    assert row[2] == "MISS"
