"""The photo links' public URL: `kiosk serve` refuses one phones cannot reach, outside the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import cli
from kiosk.config import ServerSettings, unreachable_from_phones
from screens.launch import lan_address

EXAMPLE = Path(__file__).resolve().parent.parent / "config.toml"


@pytest.mark.parametrize(
    ("url", "unreachable"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.8.9.1", True),
        ("http://localhost:8000", True),
        ("http://kiosk.localhost", True),
        ("http://[::1]:8000", True),
        ("http://0.0.0.0:8000", True),
        ("http://[::]:8000", True),
        ("http://192.168.1.10:8000", False),
        ("https://kiosk.example.edu.cn", False),
        ("http://[2001:db8::5]:8000", False),
    ],
)
def test_loopback_and_unspecified_addresses_are_unreachable(url: str, unreachable: bool) -> None:
    assert unreachable_from_phones(url) is unreachable


def test_the_public_url_falls_back_to_the_listening_address() -> None:
    assert ServerSettings(host="10.0.0.5", port=9000).public_url() == "http://10.0.0.5:9000"
    configured = ServerSettings(public_base_url="https://k.example/")
    assert configured.public_url() == "https://k.example"


@pytest.mark.parametrize(
    "environment",
    [
        {},  # the example's 127.0.0.1, no public_base_url
        {"KIOSK_SERVER__PUBLIC_BASE_URL": "http://localhost:8000"},
        {"KIOSK_SERVER__HOST": "0.0.0.0"},
    ],
)
def test_serve_stops_with_exit_2_naming_the_key(
    environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    database = tmp_path / "server.db"
    code = cli.main(
        ["--config", str(EXAMPLE), "serve", "--database-url", f"sqlite+aiosqlite:///{database}"]
    )
    assert code == 2
    assert "server.public_base_url" in capsys.readouterr().err
    assert not database.exists()  # refused before anything was touched


def test_the_lan_address_is_never_loopback() -> None:
    address = lan_address()
    assert address is None or not unreachable_from_phones(f"http://{address}")
