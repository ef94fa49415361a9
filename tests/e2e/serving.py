"""Real server processes on loopback for end-to-end tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


PUBLIC_TEST_URL = "http://kiosk.test"
"""The public URL of servers the tests start without --demo (never opened: no phones here)."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kiosk_command(*args: str) -> list[str]:
    """The ``kiosk`` CLI as a subprocess command line."""
    return [sys.executable, "-m", "kiosk.cli", "--config", str(ROOT / "config.toml"), *args]


def run_kiosk(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a ``kiosk`` command to completion."""
    return subprocess.run(
        kiosk_command(*args), capture_output=True, text=True, timeout=120, input=stdin,
        env=env, cwd=ROOT, check=False,
    )  # fmt: skip


@dataclass
class RunningServer:
    """A ``kiosk serve`` process and how to reach it."""

    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def demo_accounts(self) -> dict[str, Any]:
        """What ``kiosk admin demo-accounts --json`` prints for this server."""
        done = run_kiosk(
            "admin", "--database-url", self.database_url, "demo-accounts", "--json", env=self.env
        )
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert isinstance(data, dict)
        return data


@contextmanager
def serving(
    database_url: str,
    *extra: str,
    timeout_s: float = 90,
    settings: Mapping[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Start ``kiosk serve`` on a free port, wait for ``/health``, stop it afterwards.

    ``settings`` are more ``KIOSK_…`` environment variables for the server.
    """
    port = free_port()
    env = dict(os.environ, KIOSK_SERVER__SECRET_KEY="e2e-secret", **(settings or {}))
    if "--demo" not in extra:
        # Outside the demo the server refuses a public URL phones cannot reach (loopback).
        env.setdefault("KIOSK_SERVER__PUBLIC_BASE_URL", PUBLIC_TEST_URL)
    process = subprocess.Popen(
        kiosk_command("serve", "--port", str(port), "--database-url", database_url, *extra),
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout_s)
        yield RunningServer(url, database_url, process, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the server did not become healthy")
