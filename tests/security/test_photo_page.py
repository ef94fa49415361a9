"""Photo page: a strict Content-Security-Policy, no framing, no sniffing, and its expiry."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.e2e.serving import RunningServer
from tests.security.helpers import Student, rows

CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def test_the_photo_page_forbids_framing_scripts_and_sniffing(demo_server: RunningServer) -> None:
    student = Student(demo_server)
    link = student.http.post("/api/v1/me/photo-link")
    assert link.status_code == 200, link.text
    token = link.json()["url"].rsplit("/p/", 1)[1]
    audit_rows = rows(demo_server, "audit_events")

    page = httpx.get(f"{demo_server.url}/p/{token}")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in page.text
    expires = dt.datetime.fromisoformat(link.json()["expires_at"])
    beijing = expires.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f"{beijing:%Y-%m-%d %H:%M:%S}" in page.text and "北京时间" in page.text

    image = httpx.get(f"{demo_server.url}/p/{token}/photo.jpg")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.headers["x-content-type-options"] == "nosniff"

    # The refusal pages carry the same policy; looking changes nothing.
    tampered = httpx.get(f"{demo_server.url}/p/{token[:-2]}xx")
    assert tampered.status_code == 403
    assert tampered.headers["content-security-policy"] == CSP
    assert tampered.headers["x-frame-options"] == "DENY"
    assert rows(demo_server, "audit_events") == audit_rows
