"""The load generator's HTTP client (bench/load.py) against a plain asyncio server on loopback."""

from __future__ import annotations

import asyncio

import pytest

from bench.load import H11Connection, Request

CHUNKED = (
    b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: "7"\r\n\r\n'
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
)
CLOSING = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def test_chunked_answers_and_a_closed_connection_are_framed() -> None:
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        # The first connection gets a chunked answer, then an answer that closes it.
        for answer in (CHUNKED, CLOSING):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = H11Connection("127.0.0.1", port)
    try:
        first = await client.exchange(Request("GET", "/board", {}))
        assert (first.status, first.body, first.headers["etag"]) == (200, b"hello world", '"7"')
        second = await client.exchange(Request("GET", "/", {}))
        assert (second.status, second.body) == (201, b"ok")
        # The server closed the connection: the next request goes out on a new one.
        third = await client.exchange(Request("GET", "/board", {}))
        assert third.body == b"hello world"
        assert connections == 2
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("pause_s", [0.05, 0.0])
async def test_a_connection_the_server_closed_is_opened_again(pause_s: float) -> None:
    """After a pause the close is seen before sending; without one, the request is resent."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()  # as uvicorn does after its keep-alive timeout, without saying so

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = H11Connection("127.0.0.1", port)
    try:
        for _ in range(3):
            assert await client.send(Request("POST", "/heartbeat", {}, b"{}")) == 200
            await asyncio.sleep(pause_s)
        assert connections == 3
    finally:
        await client.close()
        server.close()
        await server.wait_closed()
