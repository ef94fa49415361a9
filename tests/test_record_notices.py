"""The record overview lists the messages a student was sent about their corrections."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from textual.pilot import Pilot

from kiosk.protocol.student import CorrectionNotice, CorrectionSummary
from screens.record import RecordScreen
from screens.widgets.i18n import Tr
from tests.kiosk_fakes import NOW, FakeClient, FakeMonotonic, build_app, make_record, to_record

NOTICES = [
    CorrectionNotice(at=NOW - dt.timedelta(hours=1), correction_id=2, field="department",
                     state="applied"),
    CorrectionNotice(at=NOW - dt.timedelta(days=1), correction_id=1, field="major",
                     state="college_rejected", comment="请附证明"),
]  # fmt: skip
CORRECTIONS = [
    CorrectionSummary(id=1, field="major", proposed="软件工程", state="college_rejected",
                      updated_at=NOW - dt.timedelta(days=1), comment="请附证明"),
    CorrectionSummary(id=2, field="department", proposed="软件系", state="applied",
                      updated_at=NOW - dt.timedelta(hours=1)),
]  # fmt: skip


def _client() -> FakeClient:
    return FakeClient(
        make_record(state="check_again", recheck_fields=["department"], notices=NOTICES,
                    corrections=CORRECTIONS)
    )  # fmt: skip


pytestmark = pytest.mark.usefixtures("stable_display")


async def test_the_overview_lists_the_messages_newest_first() -> None:
    app = build_app(_client(), FakeMonotonic())
    async with app.run_test(size=(80, 24)) as pilot:
        await to_record(pilot)
        assert isinstance(app.screen, RecordScreen)
        shown = app.screen.query_one("#record-notices", Tr).text_in("zh").splitlines()
        assert shown[0] == "审核结果通知："
        assert "“系”" in shown[1] and "再次核对" in shown[1]
        assert "专业名称" in shown[2] and "请附证明" in shown[2]
        english = app.screen.query_one("#record-notices", Tr).text_in("en")
        assert "check it again" in english


async def test_no_messages_no_heading() -> None:
    app = build_app(FakeClient(), FakeMonotonic())
    async with app.run_test(size=(80, 24)) as pilot:
        await to_record(pilot)
        assert not app.screen.query_one("#record-notices", Tr).display


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_record_with_messages_snapshot(snap_compare: Any, lang: str) -> None:
    app = build_app(_client(), FakeMonotonic(), language=lang)
    app.animation_level = "none"

    async def run_before(pilot: Pilot[None]) -> None:
        await to_record(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
