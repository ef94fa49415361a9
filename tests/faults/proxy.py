"""A fault-injecting TCP proxy on loopback, for the outbox's fault tests.

It listens on ``127.0.0.1`` (a free port), forwards each connection to the server's port and,
per connection, misbehaves as told:

``pass``                  forward both ways.
``drop``                  accept, then close at once: nothing reaches the server.
``delay``                 forward the request at once, hold the response ``delay_s`` seconds.
``cut_after_request``     forward the request, wait until the server starts answering (so it
                          has committed), then close both sides: the client gets no response.
``cut_after_first_byte``  as above, but pass the response's first byte before closing.

A mode applies to a whole connection, chosen when it is accepted: :meth:`FaultProxy.plan`
queues modes for the next connections, :attr:`FaultProxy.mode` is used after that. The
server behind it can move (a restart on another port) by setting :attr:`target_port`; while
nothing listens there, connections are closed at once, as if the server were down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable
from typing import Literal

Mode = Literal["pass", "drop", "delay", "cut_after_request", "cut_after_first_byte"]
CHUNK = 65536


class FaultProxy:
    """One listening socket; ``connections`` records the mode each connection got."""

    def __init__(self, target_port: int, *, delay_s: float = 0.0) -> None:
        self.target_port = target_port
        self.mode: Mode = "pass"
        self.delay_s = delay_s
        """How long ``delay`` mode holds back each chunk of the response."""
        self.connections: list[Mode] = []
        self.answers: list[str] = []
        """The server's status line on each connection it answered, e.g. ``HTTP/1.1 201 Created``."""
        self._planned: collections.deque[Mode] = collections.deque()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The port clients connect to."""
        assert self._server is not None, "the proxy is not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """The base URL clients use."""
        return f"http://127.0.0.1:{self.port}"

    def plan(self, *modes: Mode) -> None:
        """Use ``modes`` for the next connections, one each, then :attr:`mode` again."""
        self._planned.extend(modes)

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def stop(self) -> None:
        """Stop listening and cut every open connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def _note(self, answer: bytes) -> None:
        if answer:
            self.answers.append(answer.split(b"\r\n", 1)[0].decode("latin-1"))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        mode = self._planned.popleft() if self._planned else self.mode
        self.connections.append(mode)
        try:
            await self._serve(mode, reader, writer)
        except ConnectionError:
            pass  # either side hanging up is what a proxy sees every day
        except asyncio.CancelledError:
            # Only stop() cancels a connection. Python 3.11's stream server reports a
            # cancelled handler as an error in the log, so the handler ends normally.
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _serve(
        self, mode: Mode, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if mode == "drop":
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            return  # the server is down: the client sees the connection close
        requests = asyncio.create_task(_pump(reader, up_writer))
        try:
            if mode in ("pass", "delay"):
                delay = self.delay_s if mode == "delay" else 0.0
                responses = asyncio.create_task(_pump(up_reader, writer, delay, self._note))
                # Whichever side hangs up first ends the connection for both.
                await asyncio.wait({requests, responses}, return_when=asyncio.FIRST_COMPLETED)
                responses.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await responses
            else:
                # The first bytes of the answer mean the server has finished the request.
                first = await up_reader.read(CHUNK)
                self._note(first)
                if mode == "cut_after_first_byte" and first:
                    writer.write(first[:1])
                    await writer.drain()
        finally:
            requests.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await requests
            up_writer.close()


async def _pump(
    source: asyncio.StreamReader,
    sink: asyncio.StreamWriter,
    delay_s: float = 0.0,
    first: Callable[[bytes], None] | None = None,
) -> None:
    """Copy bytes until ``source`` ends, each chunk held back ``delay_s`` seconds.

    ``first`` is shown the first chunk.
    """
    while data := await source.read(CHUNK):
        if first is not None:
            first(data)
            first = None
        if delay_s:
            await asyncio.sleep(delay_s)
        sink.write(data)
        await sink.drain()
