"""Tickets: one ticket authorises exactly one result."""

from __future__ import annotations

import uuid

from tests.e2e.serving import RunningServer
from tests.security.helpers import Student, result_for, rows


def test_a_second_result_on_a_spent_ticket_is_refused(demo_server: RunningServer) -> None:
    student = Student(demo_server)
    record = student.record()
    first = result_for(record)
    key = str(uuid.uuid4())
    assert student.submit(first, key).status_code == 201
    before = (rows(demo_server, "verifications"), rows(demo_server, "corrections"))

    college = next(f["value"] for f in record["fields"] if f["key"] == "college")
    forged = result_for(record, college="文学院" if college != "文学院" else "经济管理学院")
    refused = student.submit(forged)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "ticket_used"
    assert (rows(demo_server, "verifications"), rows(demo_server, "corrections")) == before

    replay = student.submit(first, key)
    assert replay.status_code == 200
    assert replay.json()["receipt_no"]
