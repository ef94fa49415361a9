"""What every request handler needs: settings, database, password hasher, signers, clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request

from kiosk.config import ServerSettings
from kiosk.protocol.base import DB_INT_MAX
from server.db import Database
from server.models import utcnow
from server.security import PHOTO_SALT, PROOF_SALT, TICKET_SALT, Passwords, Signer


@dataclass
class ServerContext:
    """One server instance's shared parts; tests build their own with another clock."""

    settings: ServerSettings
    db: Database
    passwords: Passwords
    clock: Callable[[], dt.datetime] = utcnow
    photo_links: Signer = field(init=False)
    tickets: Signer = field(init=False)
    proof_links: Signer = field(init=False)

    def __post_init__(self) -> None:
        self.photo_links = Signer(self.settings.secret_key, PHOTO_SALT, short=True)
        self.tickets = Signer(self.settings.secret_key, TICKET_SALT)
        self.proof_links = Signer(self.settings.secret_key, PROOF_SALT, short=True)

    def now(self) -> dt.datetime:
        """The current time by this server's clock (aware, UTC)."""
        return self.clock()

    def public_base_url(self) -> str:
        """Where phones reach this server: configured, else the listening address."""
        return self.settings.public_url()


def get_context(request: Request) -> ServerContext:
    """The context of the app serving ``request``."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, ServerContext)
    return ctx


async def _context(request: Request) -> ServerContext:
    # A coroutine on purpose: FastAPI runs a plain-function dependency in its thread pool,
    # and that hop was the single largest cost of a submission besides the transaction.
    return get_context(request)


Ctx = Annotated[ServerContext, Depends(_context)]


RowId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
"""A row id in a path: one the database cannot hold is refused with 422, not sent to it."""
