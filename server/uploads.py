"""Request bodies as they stream in: the body limit for every route, and spooled uploads.

Every body is counted while it arrives and refused with 413 ``body_too_large`` the moment it
passes its limit, so no request is held in memory whole before it is judged. The registrar's
uploads are the exception to the small limit, and only once the route has checked the staff
token and role: the route itself then spools the body to a temporary file
(:func:`spool_upload`), up to ``import_max_bytes``. An anonymous or wrong-role upload is
answered 401/403 before a byte of its body is read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from typing import IO

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.problems import ApiProblem

SPOOL_MEMORY_BYTES = 1_048_576
"""An upload stays in memory up to this size, then moves to a temporary file on disk."""


def too_large(limit: int) -> ApiProblem:
    """413 ``body_too_large`` naming the limit."""
    return ApiProblem(413, "body_too_large", f"Request bodies are limited to {limit} bytes.")


MALFORMED_LENGTH = ApiProblem(
    400, "bad_request", "The Content-Length header is not a number of bytes."
)
"""400 for a declared length that is not one."""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or while they stream.

    The paths in ``uploads``, and those under ``upload_prefixes``, read their own bodies
    (:func:`spool_upload`, or counted as they parse them) after checking who sends them; here
    they are only refused when they declare more than ``upload_limit``.
    """

    def __init__(
        self, app: ASGIApp, limit: int, uploads: Collection[str], upload_limit: int,
        upload_prefixes: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self.app = app
        self.limit = limit
        self.uploads = frozenset(uploads)
        self.upload_limit = upload_limit
        self.upload_prefixes = upload_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        upload = path in self.uploads or path.startswith(self.upload_prefixes)
        limit = self.upload_limit if upload else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            # An HTTP server (uvicorn) refuses this before the app; an ASGI host may not.
            await MALFORMED_LENGTH.response()(scope, receive, send)
            return
        if declared is not None and int(declared) > limit:
            await too_large(limit).response()(scope, receive, send)
            return
        if upload:
            await self.app(scope, receive, send)
            return
        seen = 0
        answered = False

        async def counted() -> Message:
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Answered here: an error raised into the app's body reading would reach
                    # the client as 400. The app then sees the client gone, and whatever it
                    # still sends is dropped.
                    if not answered:
                        answered = True
                        await too_large(limit).response()(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def unless_answered(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counted, unless_answered)


async def spool_upload(request: Request, limit: int) -> IO[bytes]:
    """The request body in a temporary file (memory first, then disk), rewound; 413 over
    ``limit`` bytes, as soon as they have arrived. The caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - returned
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise too_large(limit)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
