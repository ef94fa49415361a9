"""The server's logging: exceptions by type and location only (issue 12).

An exception's message and arguments can carry whatever caused it: a file name such as
``2023001234.jpg``, an ID number in a row, an e-mail address, a token in a URL. The logs are
read by more people than the database, so they get the type and where it was raised, never
the text. :data:`LOG_CONFIG` applies this to uvicorn's own loggers too (its "Exception in
ASGI application" traceback included); ``kiosk serve`` hands it to uvicorn.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import PurePath
from types import TracebackType
from typing import Any

_OptExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)


_OURS = ("server", "kiosk", "screens")


def _place(frame: traceback.FrameSummary) -> str:
    parts = PurePath(frame.filename).parts
    # The project's or the library's own path, not the machine's (…/site-packages/…).
    for anchor in ("site-packages", *_OURS):
        if anchor in parts:
            index = len(parts) - 1 - parts[::-1].index(anchor)
            start = index + 1 if anchor == "site-packages" else index
            return f"{'/'.join(parts[start:])}:{frame.lineno} in {frame.name}"
    return f"{parts[-1] if parts else '?'}:{frame.lineno} in {frame.name}"


def exception_summary(exc: BaseException) -> str:
    """``KeyError at zipfile.py:1601 in open, from server/imports.py:295 in read``.

    The type, the innermost frame, and the innermost frame of the project's own code.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    text = f"{type(exc).__name__} at {_place(frames[-1])}"
    ours = [f for f in frames if any(part in _OURS for part in PurePath(f.filename).parts)]
    if ours and ours[-1] is not frames[-1]:
        text += f", from {_place(ours[-1])}"
    return text


class SafeFormatter(logging.Formatter):
    """A formatter whose tracebacks are one line: type and location, never the message."""

    def formatException(self, ei: _OptExcInfo) -> str:
        """Type and location of the exception (and of its cause), no message."""
        _type, exc, _tb = ei
        if exc is None:
            return ""
        lines = [exception_summary(exc)]
        cause = exc.__cause__ or exc.__context__
        if cause is not None:
            lines.append(f"  caused by {exception_summary(cause)}")
        return "\n".join(lines)

    def formatStack(self, stack_info: str) -> str:
        """Stacks name no user data, but they are noise in a server log: left out."""
        return ""


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "safe": {
            "()": SafeFormatter,
            "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "safe",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        # uvicorn's own error logger: start-up lines and "Exception in ASGI application".
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        # Off in serve (access_log=False): paths hold photo-link tokens.
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
"""``logging.config.dictConfig`` for ``kiosk serve`` and its workers."""
