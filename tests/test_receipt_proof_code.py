"""The receipt's second QR code: the link for the phone to upload proof documents."""

from __future__ import annotations

import pytest
from textual.geometry import Size
from textual.widgets import Select

from kiosk.qr import half_block_rows, qr_matrix
from screens import text as T
from screens.receipt import ReceiptScreen
from screens.widgets.qr import QUIET_ZONE, QRCodeView
from tests.kiosk_fakes import (
    PROOF_URL,
    RECEIPT_NO,
    FakeClient,
    api_error,
    build_app,
    settle,
    shown_text,
    to_fields,
)

SIZE = (80, 24)


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


def code_width(text: str) -> int:
    """How many cells wide the QR code of ``text`` is drawn."""
    return len(half_block_rows(qr_matrix(text, border=QUIET_ZONE))[0])


def drawn_width(app: object) -> int:
    screen = app.screen  # type: ignore[attr-defined]
    view = screen.query_one("#receipt-qr", QRCodeView)
    return int(view.get_content_width(Size(80, 24), Size(80, 24)))


async def reach_receipt(app: object, pilot: object) -> None:
    """Report the ethnicity wrong, everything else right, declare and submit."""
    await to_fields(pilot)  # type: ignore[arg-type]
    await pilot.press("y", "y", "n")  # type: ignore[attr-defined]
    app.screen.query_one("#proposed-choice", Select).value = "回族"  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("tab", "enter", *["y"] * 14, "y")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("space", "s", "y")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, ReceiptScreen)  # type: ignore[attr-defined]


async def test_a_reported_field_brings_the_proof_code_and_tab_switches_codes(
    client: FakeClient,
) -> None:
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await reach_receipt(app, pilot)
        await settle(pilot)
        assert "proof_link" in client.calls
        shown = shown_text(app)
        assert "手机扫码，拍摄证明材料上传" in shown and "最多 8 张" in shown
        assert T.KEY_SWITCH_CODE.zh in shown
        assert drawn_width(app) == code_width(PROOF_URL)
        await pilot.press("tab")
        await settle(pilot)
        assert drawn_width(app) == code_width(RECEIPT_NO)
        assert T.RECEIPT_CODE.zh in shown_text(app)
        await pilot.press("tab")
        await settle(pilot)
        assert drawn_width(app) == code_width(PROOF_URL)
        await pilot.press("f2")
        await settle(pilot)
        assert "Scan with your phone to photograph your proof" in shown_text(app)


async def test_without_proof_to_upload_the_receipt_keeps_its_one_code(
    client: FakeClient,
) -> None:
    client.fail("proof_link", api_error("no_proof_needed", 404))
    app = build_app(client)
    async with app.run_test(size=SIZE) as pilot:
        await reach_receipt(app, pilot)
        await settle(pilot)
        assert "proof_link" in client.calls
        assert drawn_width(app) == code_width(RECEIPT_NO)
        shown = shown_text(app)
        assert "手机扫码" not in shown and T.KEY_SWITCH_CODE.zh not in shown
        await pilot.press("tab")
        await settle(pilot)
        assert drawn_width(app) == code_width(RECEIPT_NO)
