"""Text rule: a proposed value with an invisible character is refused, and nothing is written."""

from __future__ import annotations

from tests.e2e.serving import RunningServer
from tests.security.helpers import Student, result_for, rows


def test_a_zero_width_space_in_a_proposed_college_is_refused(demo_server: RunningServer) -> None:
    student = Student(demo_server)
    record = student.record()
    college = next(f["value"] for f in record["fields"] if f["key"] == "college")
    other = "信息工程学院" if college != "信息工程学院" else "文学院"
    before = [rows(demo_server, t) for t in ("verifications", "corrections", "idempotency_keys")]

    answer = student.submit(result_for(record, college=other + "\u200b"))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "validation_failed"
    assert [e["code"] for e in problem["errors"]] == ["control_characters"]
    assert problem["errors"][0]["field"].startswith("fields.")
    assert [rows(demo_server, t) for t in ("verifications", "corrections",
                                            "idempotency_keys")] == before  # fmt: skip

    # The same value without the invisible character is a correction like any other.
    accepted = student.submit(result_for(record, college=other))
    assert accepted.status_code == 201, accepted.text
