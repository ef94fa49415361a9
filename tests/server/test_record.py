"""The student's record, the ticket, the photo link and its page."""

from __future__ import annotations

from sqlalchemy import inspect

from kiosk.fields import FIELD_KEYS
from tests.server.conftest import World, tiny_jpeg

EMAIL = "li.na@stu.example.edu.cn"


async def test_record_has_all_fields_ticket_and_window(world: World) -> None:
    student = await world.add_student(2, email=EMAIL)
    token = await world.token_for(EMAIL)
    response = await world.client.get("/api/v1/me/record", headers=world.headers(token))
    assert response.status_code == 200
    body = response.json()
    assert [f["key"] for f in body["fields"]] == list(FIELD_KEYS)
    assert {f["key"]: f["value"] for f in body["fields"]}["id_number"] == student.id_number
    assert body["record_version"] == 1
    assert body["state"] == "not_checked"
    assert body["window"]["is_open"] is True
    assert body["photo"] == {
        "version": 1,
        "width": 480,
        "height": 640,
        "size_bytes": len(tiny_jpeg()),
    }
    assert body["ticket"] and body["ticket_expires_at"] > body["window"]["closes_at"]


async def test_record_needs_a_student_token(world: World) -> None:
    response = await world.client.get("/api/v1/me/record", headers=world.headers())
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


async def test_photo_link_page_and_image(world: World) -> None:
    await world.add_student(2, email=EMAIL)
    token = await world.token_for(EMAIL)
    link = await world.client.post("/api/v1/me/photo-link", headers=world.headers(token))
    assert link.status_code == 200
    url = link.json()["url"]
    assert url.startswith("http://kiosk.test/p/")
    page = await world.client.get(url)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "photo.jpg" in page.text
    image = await world.client.get(url + "/photo.jpg")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content == tiny_jpeg()
    assert image.headers["cache-control"] == "no-store"


async def test_photo_link_expires(world: World) -> None:
    await world.add_student(2, email=EMAIL)
    token = await world.token_for(EMAIL)
    url = (await world.client.post("/api/v1/me/photo-link", headers=world.headers(token))).json()[
        "url"
    ]
    world.clock.advance(seconds=world.ctx.settings.photo_link_ttl_s - 1)
    assert (await world.client.get(url)).status_code == 200
    world.clock.advance(seconds=2)
    page = await world.client.get(url)
    assert page.status_code == 410
    assert "过期" in page.text and "expired" in page.text
    assert (await world.client.get(url + "/photo.jpg")).status_code == 410


async def test_photo_link_tampered(world: World) -> None:
    await world.add_student(2, email=EMAIL)
    token = await world.token_for(EMAIL)
    url = (await world.client.post("/api/v1/me/photo-link", headers=world.headers(token))).json()[
        "url"
    ]
    signature_start = url.rindex(".") + 1
    flipped = "A" if url[signature_start] != "A" else "B"
    tampered = url[:signature_start] + flipped + url[signature_start + 1 :]
    page = await world.client.get(tampered)
    assert page.status_code == 403
    assert "无效" in page.text
    assert (await world.client.get("/p/not-a-token")).status_code == 403


async def test_photo_link_dies_with_the_session(world: World) -> None:
    await world.add_student(2, email=EMAIL)
    token = await world.token_for(EMAIL)
    url = (await world.client.post("/api/v1/me/photo-link", headers=world.headers(token))).json()[
        "url"
    ]
    await world.client.delete("/api/v1/sessions/current", headers=world.headers(token))
    assert (await world.client.get(url)).status_code == 410


async def test_migration_creates_every_table(world: World) -> None:
    async with world.ctx.db.engine.connect() as connection:
        tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    assert {
        "students",
        "photos",
        "accounts",
        "sessions",
        "terminals",
        "verifications",
        "verification_fields",
        "corrections",
        "idempotency_keys",
        "audit_events",
        "login_throttle",
        "alembic_version",
    } <= tables


async def test_health_and_openapi(world: World) -> None:
    health = await world.client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["database"] == "ok"
    schema = (await world.client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/sessions",
        "/api/v1/me/record",
        "/api/v1/verifications",
        "/api/v1/me/photo-link",
        "/api/v1/terminals/heartbeat",
        "/p/{token}",
    ):
        assert path in paths, path


async def test_heartbeat_updates_the_terminal(world: World) -> None:
    from server.models import Terminal

    response = await world.client.post(
        "/api/v1/terminals/heartbeat",
        json={"state": "in_use", "step": "fields", "student_masked": "张*", "results_waiting": 2},
        headers=world.headers(),
    )
    assert response.status_code == 200
    assert response.json()["lab"] == "A101"
    async with world.ctx.db.sessions() as session:
        terminal = await session.get(Terminal, int(world.terminal_key.split(".")[0]))
    assert terminal is not None
    assert (terminal.state, terminal.step, terminal.results_waiting) == ("in_use", "fields", 2)
    bad = await world.client.post(
        "/api/v1/terminals/heartbeat", json={"state": "dancing"}, headers=world.headers()
    )
    assert bad.status_code == 422


async def test_unknown_route_and_oversized_body(world: World) -> None:
    missing = await world.client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    huge = await world.client.post(
        "/api/v1/sessions",
        content=b'{"username": "' + b"a" * 100_000 + b'", "password": "x"}',
        headers=world.headers() | {"Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["code"] == "body_too_large"


async def test_any_operation_judges_a_declared_length_before_it_runs(world: World) -> None:
    """The body limit reads every request's Content-Length, a GET's too: past the limit is
    413, not a number is 400 (as uvicorn would answer; an in-process host does not), and
    the record is not read either way."""
    student = await world.add_student(2, email=EMAIL)
    headers = world.headers(await world.token_for(EMAIL))
    for declared, status, code in (("9" * 12, 413, "body_too_large"), ("abc", 400, "bad_request")):
        answer = await world.client.get(
            "/api/v1/me/record", headers=headers | {"Content-Length": declared}
        )
        assert (answer.status_code, answer.json()["code"]) == (status, code), declared
        assert answer.headers["content-type"] == "application/problem+json"
        assert student.id_number not in answer.text
    # The same request without the lying header is answered with the record.
    assert (await world.client.get("/api/v1/me/record", headers=headers)).status_code == 200
