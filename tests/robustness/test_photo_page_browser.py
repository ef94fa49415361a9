"""The photo preview page in a real browser: headless Chromium against a real demo server.

A valid link shows the photo (the screenshot contains the photo's light-blue background,
RGB(100, 197, 255)); a tampered link and a link whose expiry has passed show the explanation
page instead (no light blue; the page says 无效 / 过期). The expired link is signed with the
server's own secret and salt, so only its time differs from a real one.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from server.security import PHOTO_SALT, Signer
from tests.browser import CHROMIUM, HEADLESS, needs_chromium
from tests.e2e.serving import RunningServer, serving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240), needs_chromium]

PHOTO_BLUE = (100, 197, 255)
BROWSER_TIMEOUT_S = 60


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run: no network beyond the URL, a throw-away profile."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [
            CHROMIUM, *HEADLESS, f"--user-data-dir={profile}", "--window-size=480,900", *args,
            url,
        ],
        capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False,
    )  # fmt: skip


def screenshot(tmp_path: Path, url: str, name: str) -> Image.Image:
    """A PNG of the page as Chromium renders it."""
    target = tmp_path / f"{name}.png"
    done = chromium(tmp_path, url, f"--screenshot={target}")
    assert target.exists(), done.stderr[-2000:]
    return Image.open(target).convert("RGB")


def page_text(tmp_path: Path, url: str) -> str:
    """The page's DOM after rendering."""
    done = chromium(tmp_path, url, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def light_blue_share(image: Image.Image) -> float:
    """The share of pixels close to the photo's background (JPEG and scaling blur it a bit)."""
    raw = image.tobytes()  # RGB, three bytes a pixel
    red, green, blue = PHOTO_BLUE
    close = sum(
        1
        for i in range(0, len(raw), 3)
        if abs(raw[i] - red) <= 14
        and abs(raw[i + 1] - green) <= 14
        and abs(raw[i + 2] - blue) <= 14
    )
    return close / (len(raw) // 3)


@pytest.fixture(scope="module")
def link(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str]]:
    """A demo server and a fresh photo link of a logged-in demo student."""
    path = tmp_path_factory.mktemp("browser")
    with serving(f"sqlite+aiosqlite:///{path}/demo.db", "--demo") as server:
        accounts: dict[str, Any] = server.demo_accounts()
        student = accounts["students"][0]
        headers = {"Terminal-Key": accounts["terminal_key"]}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            login = client.post(
                "/api/v1/sessions",
                json={"username": student["username"], "password": student["password"]},
            )
            assert login.status_code == 201, login.text
            auth = {"Authorization": f"Bearer {login.json()['token']}"}
            answer = client.post("/api/v1/me/photo-link", headers=auth)
            assert answer.status_code == 200, answer.text
        # The link names the configured public address; the browser goes to this server.
        token = answer.json()["url"].rsplit("/p/", 1)[1]
        yield server, token


def test_a_valid_link_shows_the_photo(link: tuple[RunningServer, str], tmp_path: Path) -> None:
    server, token = link
    image = screenshot(tmp_path, f"{server.url}/p/{token}", "valid")
    assert light_blue_share(image) > 0.05, "the photo is not on the page"


def test_the_page_says_when_the_link_expires(
    link: tuple[RunningServer, str], tmp_path: Path
) -> None:
    server, token = link
    expires = dt.datetime.fromtimestamp(int(token.split(".")[2], 16), dt.UTC)
    beijing = expires.astimezone(dt.timezone(dt.timedelta(hours=8)))
    text = page_text(tmp_path, f"{server.url}/p/{token}")
    # Rendered under the page's Content-Security-Policy, which allows its inline style.
    assert f"此链接有效至北京时间 {beijing:%Y-%m-%d %H:%M:%S}" in text
    assert f"until {beijing:%Y-%m-%d %H:%M:%S} Beijing time" in text


def test_a_tampered_link_shows_the_explanation(
    link: tuple[RunningServer, str], tmp_path: Path
) -> None:
    server, token = link
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    url = f"{server.url}/p/{tampered}"
    assert httpx.get(url).status_code == 403
    assert light_blue_share(screenshot(tmp_path, url, "tampered")) < 0.001
    assert "无效" in page_text(tmp_path, url)


def test_an_expired_link_shows_the_explanation(
    link: tuple[RunningServer, str], tmp_path: Path
) -> None:
    server, token = link
    # The same session and photo version, signed like the server signs, a minute in the past.
    values = tuple(int(part, 16) for part in token.split(".")[:2])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    secret = server.env["KIOSK_SERVER__SECRET_KEY"]
    expired = Signer(secret, PHOTO_SALT, short=True).sign(values, past)
    url = f"{server.url}/p/{expired}"
    assert httpx.get(url).status_code == 410
    assert light_blue_share(screenshot(tmp_path, url, "expired")) < 0.001
    assert "过期" in page_text(tmp_path, url)
