"""Proof documents and the 申请表 at the console (Pilot against a real server): the college
office sees the student's photographs listed, opens one, saves it, and saves the form."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from textual.widgets import Input

from screens.staff.app import StaffApp
from screens.staff.correction_detail import CorrectionModal
from screens.staff.corrections import CorrectionsScreen
from screens.staff.proof_viewer import ProofViewerModal
from screens.staff.save_report import SaveReportModal
from screens.widgets.photo_image import can_show_images
from tests.documents.pdftext import needs_poppler, pdf_text
from tests.server.conftest import PASSWORD
from tests.server.test_proofs import phone_jpeg
from tests.staff_console_server import LiveServer, email, log_in, result_for, text, wait_for

SIZE = (100, 30)


async def _report_name_with_proof(server: LiveServer) -> bytes:
    """Student 1 reports the name wrong and photographs the ID card's front with the phone;
    the JPEG the server stored (as the staff download it)."""
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    current = await kiosk.record()
    await kiosk.submit(result_for(current, "name"), str(uuid.uuid4()))
    link = await kiosk.proof_link()
    assert link.slots_left == 8
    page = server.url + "/u/" + link.url.rsplit("/u/", 1)[1]
    async with httpx.AsyncClient(timeout=30) as phone:
        posted = await phone.post(
            page, data={"kind": "id_front"},
            files={"file": ("IMG_0001.jpg", phone_jpeg((800, 600)), "image/jpeg")},
        )  # fmt: skip
    assert posted.status_code == 200, posted.text
    return posted.content


async def _save_to(pilot: object, app: StaffApp, target: Path, starts: str) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, SaveReportModal))  # type: ignore[arg-type]
    field = app.screen.query_one(Input)
    assert Path(field.value).name.startswith(starts), field.value
    field.value = str(target)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: target.exists())  # type: ignore[arg-type]


@needs_poppler
async def test_the_office_views_the_proof_and_saves_the_form(
    server: LiveServer, tmp_path: Path
) -> None:
    await _report_name_with_proof(server)
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionModal))
        await wait_for(pilot, lambda: "居民身份证 正面" in text(app, "#correction-body"))
        body = text(app, "#correction-body")
        assert "学生上传的证明材料照片" in body and "800×600" in body
        keys = app.screen.query_one("#correction-keys").render()
        assert "查看证明" in str(keys) and "申请表PDF" in str(keys)

        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, ProofViewerModal))
        await wait_for(pilot, lambda: "1/1" in text(app, "#proof-title"))
        assert "居民身份证 正面" in text(app, "#proof-title")
        if can_show_images():
            await wait_for(pilot, lambda: bool(app.screen.query("#proof-image > *")))
        photo = tmp_path / "proof.jpg"
        await pilot.press("ctrl+s")
        await _save_to(pilot, app, photo, "证明材料-勘误")
        assert photo.read_bytes()[:3] == b"\xff\xd8\xff" and b"Exif" not in photo.read_bytes()
        await wait_for(pilot, lambda: "已保存" in text(app, "#proof-message"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionModal))

        form = tmp_path / "form.pdf"
        await pilot.press("ctrl+t")
        await _save_to(pilot, app, form, "学籍信息变更申请表-")
        await wait_for(pilot, lambda: "申请表已保存" in text(app, "#correction-message"))
        printed = pdf_text(form.read_bytes())
        assert "学籍信息变更申请表" in printed and "李四" in printed
        assert "居民身份证 正面（照片 1 张）" in printed

        # Ctrl+T in the queue: the 勘误汇总表 as PDF, with its signature lines.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        summary = tmp_path / "summary.pdf"
        await pilot.press("ctrl+t")
        await _save_to(pilot, app, summary, "勘误汇总表-信息工程学院-")
        table = pdf_text(summary.read_bytes())
        assert "勘误汇总表" in table and "202210010001" in table and "学院负责人（盖章）" in table


async def test_a_correction_without_proof_offers_neither_key(server: LiveServer) -> None:
    kiosk = server.kiosk(0)
    await kiosk.login(email(1), PASSWORD)
    current = await kiosk.record()
    await kiosk.submit(result_for(current, "major"), str(uuid.uuid4()))
    app = server.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "office")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, CorrectionsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "李四" in text(app, "#correction-body"))
        keys = str(app.screen.query_one("#correction-keys").render())
        assert "查看证明" not in keys and "申请表PDF" not in keys
        await pilot.press("ctrl+o", "ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, CorrectionModal)
