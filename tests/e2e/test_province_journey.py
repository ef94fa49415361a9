"""The last mile end to end (issue 14): a 身份证号 that changes the birth date, reported at the
kiosk (Pilot) against a real ``kiosk serve --demo`` process; the receipt's proof code read
from the screen as a phone's camera would, and the ID card photographed and uploaded from a
headless Chromium at phone size; then the college office (who sees the photograph), the
registrar, the 学籍信息变更申请表 (PDF, read back with pdftotext), a batch to the province
(its DBF and .xlsx read back), the province's approval and a second registrar's apply, until
the student's record shows the new values."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbfread import DBF
from openpyxl import load_workbook
from PIL import Image
from stdnum.cn import ric

from kiosk.client import ApiClient, ApiError
from kiosk.protocol.corrections import (
    BulkCorrections,
    CollegeDecision,
    CorrectionStep,
    RegistrarDecision,
)
from kiosk.protocol.province import ProvinceAnswer, ProvinceBatchCreate
from kiosk.staff_client import StaffClient
from screens.app import create_app
from screens.receipt import ReceiptScreen
from screens.widgets.qr import QRCodeView
from server.province.platform_files import LAYOUT
from tests.browser import needs_chromium, phone_browser
from tests.e2e.serving import RunningServer, serving
from tests.e2e.test_kiosk_journey import log_in_to_fields, record_after
from tests.kiosk_fakes import screen_text, settings, settle, submit
from tests.scanning import scan
from tests.server.test_proofs import phone_jpeg
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240), needs_chromium]
PROOF = "身份证、户口簿、出生医学证明"


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, dict[str, Any]]]:
    path: Path = tmp_path_factory.mktemp("province")
    with serving(f"sqlite+aiosqlite:///{path}/demo.db", "--demo") as server:
        yield server, server.demo_accounts()


def _new_identity(values: dict[str, str]) -> tuple[str, str]:
    """A real new birth date and the ID number that encodes it (same region and sequence, so
    the same gender): what a student whose ID card was wrongly issued would report."""
    birth = dt.date.fromisoformat(values["birth_date"]) + dt.timedelta(days=40)
    old = values["id_number"]
    body = f"{old[:6]}{birth:%Y%m%d}{old[14:17]}"
    return birth.isoformat(), body + ric.calc_check_digit(body + "0")


async def _staff(server: RunningServer, accounts: dict[str, Any], who: str) -> StaffClient:
    [row] = [row for row in accounts["staff"] if row["username"] == who]
    client = StaffClient(server.url, timeout_s=30)
    await client.login(row["username"], row["password"])
    return client


async def test_an_id_number_goes_through_the_province(
    demo: tuple[RunningServer, dict[str, Any]], tmp_path: Path
) -> None:
    server, accounts = demo
    row = next(s for s in accounts["students"] if s["college"] == "信息工程学院")
    username, password = row["username"], row["password"]
    before = {f["key"]: f["value"] for f in record_after(demo, username, password)["fields"]}
    new_birth, new_id = _new_identity(before)

    # 1. The kiosk: 出生日期 and 身份证号 reported wrong, the birth certificate named as proof.
    client = ApiClient(server.url, accounts["terminal_key"], timeout_s=30)
    app = create_app(settings(), client)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in_to_fields(pilot, username, password)
        await pilot.press("y", "y", "y")  # name, gender, ethnicity
        await pilot.press("n", *new_birth, "enter")
        await settle(pilot)
        await pilot.press("n", *new_id, "tab", *PROOF, "enter")
        await settle(pilot)
        await pilot.press(*["y"] * 12, "y")  # the other twelve fields, then the photo
        await settle(pilot)
        await submit(pilot)
        assert isinstance(app.screen, ReceiptScreen), screen_text(app)
        shown = screen_text(app)
        assert "关键信息" in shown and "省教育厅" in shown
        # The receipt asks for a proof link and shows its code; the phone scans the screen.
        code = app.screen.query_one("#receipt-qr", QRCodeView)
        await wait_for(pilot, lambda: "/u/" in scan(code), limit_s=15)
        link = scan(code)
    await client.aclose()

    # 2. The phone: the ID card's front photographed and sent through the page's own form.
    # (The link names the configured public address; the phone here reaches this server.)
    url = server.url + "/u/" + link.rsplit("/u/", 1)[1]
    photo = tmp_path / "id-card.jpg"
    photo.write_bytes(phone_jpeg((1600, 1000)))
    with phone_browser(tmp_path / "phone") as phone:
        phone.open(url)
        uploaded = phone.upload_proof("id_front", photo)
    assert "已保存：居民身份证 正面" in uploaded
    reported = record_after(demo, username, password)
    ids = {c["field"]: c["id"] for c in reported["corrections"]}
    assert set(ids) == {"birth_date", "id_number"}

    office = await _staff(server, accounts, "office.it@demo")
    registrar = await _staff(server, accounts, "registrar@demo")
    registrar2 = await _staff(server, accounts, "registrar2@demo")
    try:
        # 3. The college office sees the photograph (stripped of the phone's metadata),
        # accepts with the proof it saw; 4. the registrar confirms.
        [seen] = (await office.proof_files(ids["id_number"])).files
        assert (seen.kind, seen.width, seen.height) == ("id_front", 1600, 1000)
        image = await office.proof_file(ids["id_number"], seen.id)
        with Image.open(io.BytesIO(image)) as opened:
            assert opened.format == "JPEG" and not opened.getexif()
        for cid in ids.values():
            accept = CollegeDecision(decision="accept", comment="原件已核", proof=PROOF)
            await office.decide(cid, accept, "college")
            confirm = RegistrarDecision(decision="confirm", comment="同意报省")
            await registrar.decide(cid, confirm, "registrar")
        waiting = {row.id for row in (await registrar.province_candidates()).corrections}
        assert set(ids.values()) <= waiting

        # 5. The application form to sign and stamp, read back.
        form = await registrar.application_form(ids["id_number"])
        (tmp_path / "form.pdf").write_bytes(form.content)
        text = subprocess.run(
            ["pdftotext", "-layout", str(tmp_path / "form.pdf"), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert "学籍信息变更申请表" in text and new_id in text and before["id_number"] in text

        # 6. The batch, and its files in the platform's layout, read back.
        made = await registrar.create_province_batch(ProvinceBatchCreate(ids=list(ids.values())))
        assert {c.correction.state for c in made.corrections} == {"submitted_to_province"}
        dbf = await registrar.province_file(made.batch.id, "dbf")
        assert dbf.filename == f"学籍变更上报-{made.batch.number}.dbf"
        (tmp_path / dbf.filename).write_bytes(dbf.content)
        [line] = list(DBF(str(tmp_path / dbf.filename), encoding="gbk"))
        assert (line["SFZH"], line["CSRQ"]) == (new_id, new_birth.replace("-", ""))
        assert (line["XH"], line["XM"]) == (before["student_no"], before["name"])
        xlsx = await registrar.province_file(made.batch.id, "xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]  # type: ignore[union-attr]
        assert rows[0] == [column.code for column in LAYOUT]
        assert rows[1][[c.code for c in LAYOUT].index("SFZH")] == new_id

        # 7. The province approves the whole batch.
        answer = ProvinceAnswer(decision="approve", reference="浙教学函〔2026〕21号")
        approved = await registrar.province_answer(made.batch.id, answer)
        assert {c.correction.state for c in approved.corrections} == {"province_approved"}

        # 8. Four eyes: who confirmed does not apply; the second registrar applies both.
        with pytest.raises(ApiError) as refused:
            await registrar.decide(ids["id_number"], CorrectionStep(), "apply")
        assert refused.value.code == "four_eyes"
        done = await registrar2.bulk(
            BulkCorrections(action="apply", ids=list(ids.values()), comment="省厅已批")
        )
        assert {row.state for row in done.corrections} == {"applied"}
    finally:
        for staff in (office, registrar, registrar2):
            await staff.logout()
            await staff.aclose()

    # 9. The student's record shows the new values, and asks for them to be checked again.
    after = record_after(demo, username, password)
    values = {f["key"]: f["value"] for f in after["fields"]}
    assert (values["id_number"], values["birth_date"]) == (new_id, new_birth)
    assert after["state"] == "check_again"
    assert sorted(after["recheck_fields"]) == ["birth_date", "id_number"]
