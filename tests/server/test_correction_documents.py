"""The documents staff print from the API: a correction's 申请表 and the 勘误汇总表 as PDF."""

from __future__ import annotations

from urllib.parse import quote

from tests.documents.pdftext import needs_poppler, pdf_text
from tests.server.conftest import World
from tests.server.staff_world import COLLEGE, OTHER_COLLEGE, add_staff, staff_headers
from tests.server.test_proofs import BASE, page_path, phone_jpeg, reported, upload

pytestmark = needs_poppler


async def test_the_application_form_lists_the_changes_the_reason_and_the_proof(
    world: World,
) -> None:
    await add_staff(world)
    proposed = {"name": "李四", "gender": "女", "major": "软件工程"}
    ids = await reported(world, 1, "name", "gender", "major", proposed=proposed)
    path = await page_path(world)
    for kind in ("hukou_self", "hukou_self", "id_front"):
        assert (await upload(world, path, phone_jpeg((300, 200)), kind)).status_code == 200
    office = await staff_headers(world, "office")
    answer = await world.client.get(f"{BASE}/{ids['name']}/application-form.pdf", headers=office)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    name = f"学籍信息变更申请表-202210010001-{ids['name']}.pdf"
    assert f"filename*=UTF-8''{quote(name)}" in answer.headers["content-disposition"]
    text = pdf_text(answer.content)
    for expected in (
        "学籍信息变更申请表", "202210010001", COLLEGE, f"勘误 #{ids['name']}",
        # Both identity fields of the submission, each from its value to the new one.
        "姓名", "性别", "李四", "女", "户口簿 本人页（含曾用名）（照片 2 张）",
        "居民身份证 正面（照片 1 张）", "学生签名", "学院意见", "教务处意见",
    ):  # fmt: skip
        assert expected in text, expected
    # The 专业 change needs no proof: it is not on the identity form of the 姓名 correction.
    assert "专业名称" not in text


async def test_the_corrections_summary_comes_as_pdf_with_signature_lines(world: World) -> None:
    await add_staff(world)
    await reported(world, 1, "name")
    await reported(world, 2, "major", college=OTHER_COLLEGE)
    office = await staff_headers(world, "office")
    answer = await world.client.get(f"{BASE}/export", params={"format": "pdf"}, headers=office)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    # Named like the CSV and Excel files: the college and the day in Beijing time.
    name = f"勘误汇总表-{COLLEGE}-2026-06-01.pdf"
    assert f"filename*=UTF-8''{quote(name)}" in answer.headers["content-disposition"]
    text = pdf_text(answer.content)
    assert "勘误汇总表" in text and f"学院：{COLLEGE}" in text and "共 1 条" in text
    assert "202210010001" in text and "202210010002" not in text
    assert "制表人" in text and "学院负责人（盖章）" in text
    registrar = await staff_headers(world, "registrar")
    school = await world.client.get(f"{BASE}/export", params={"format": "pdf"}, headers=registrar)
    assert "共 2 条" in pdf_text(school.content) and "学院：全校" in pdf_text(school.content)
