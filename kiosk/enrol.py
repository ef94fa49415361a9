"""``kiosk enrol CODE --name lab3-07``: a new lab PC trades an enrolment code for its key.

The key goes into this PC's own configuration file (:func:`kiosk.config.terminal_file`),
readable by its owner only; ``kiosk run`` reads it on top of the lab's ``config.toml``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from kiosk.client import ApiError, BaseClient
from kiosk.protocol.base import API_PREFIX
from kiosk.protocol.terminal import EnrolRequest, EnrolResponse

FILE_MODE = 0o600


class EnrolClient(BaseClient):
    """The one request of an unenrolled PC: it has no key yet, and no token."""

    async def enrol(self, request: EnrolRequest) -> EnrolResponse:
        """``POST /api/v1/terminals/enrol``."""
        response = await self._request(
            "POST",
            f"{API_PREFIX}/terminals/enrol",
            what="enrol",
            content=request.model_dump_json().encode(),
        )
        return self._parse(response, EnrolResponse, "enrol")


def _toml_string(value: str) -> str:
    # A TOML basic string is a JSON string for everything a URL or a key can hold.
    return json.dumps(value, ensure_ascii=False)


def write_terminal_file(path: Path, server_url: str, terminal_key: str) -> None:
    """Write the file with mode 0600 from its first byte, replacing any earlier one whole."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = (
        "# This PC's own settings, written by `kiosk enrol`; kiosk run reads them on top of\n"
        "# config.toml. The key is a secret: keep this file readable by the kiosk user only.\n"
        "[kiosk]\n"
        f"server_url = {_toml_string(server_url)}\n"
        f"terminal_key = {_toml_string(terminal_key)}\n"
    )
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        if hasattr(os, "fchmod"):  # POSIX: tighten a leftover file the umask let through
            os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, path)


def run_enrol(
    *, code: str, name: str, server_url: str, target: Path, force: bool, timeout_s: float
) -> int:
    """Enrol this PC; returns the exit code (messages in both languages on stderr)."""
    if target.exists() and not force:
        print(
            f"This PC is enrolled already ({target}); add --force to enrol it again. "
            f"/ 本机已注册（{target}），如需重新注册请加 --force。",
            file=sys.stderr,
        )
        return 2
    try:
        request = EnrolRequest(code=code, name=name)
    except ValidationError:
        print(
            "The name may hold letters, digits, '.', '_' and '-' (e.g. lab3-07). "
            "/ 终端名称只能包含字母、数字和 . _ -（例如 lab3-07）。",
            file=sys.stderr,
        )
        return 2

    async def call() -> EnrolResponse:
        client = EnrolClient(server_url, timeout_s=timeout_s)
        try:
            return await client.enrol(request)
        finally:
            await client.aclose()

    try:
        answer = asyncio.run(call())
    except ApiError as exc:
        print(f"{exc.message.zh}\n{exc.message.en}", file=sys.stderr)
        return 1
    write_terminal_file(target, server_url, answer.terminal_key)
    print(
        f"Enrolled as {answer.name} in {answer.lab} (terminal {answer.terminal_id}); "
        f"key written to {target}. / 已注册为 {answer.lab} 的 {answer.name}，密钥已写入 {target}。"
    )
    return 0
