"""A real local web app for the forwarding tests, on 127.0.0.1 (aiohttp).

Routes (below an optional mount point):

* ``GET /api/echo-request`` — JSON with the method, path, query and the
  request headers exactly as received (raw names and values);
* ``POST /api/echo`` — the body back, same ``Content-Type``;
* ``GET /download?size=N`` — N deterministic bytes, streamed in 64 KiB
  chunks, ``X-Sha256`` of the whole;
* ``POST /upload`` — JSON ``{"size", "sha256"}`` of the body received;
* ``GET /trickle?parts=N&pause=S`` — a head at once, then N parts, S s apart
  (a slow response, streamed);
* ``GET /hang`` — never answers (until the app stops): the timeout case;
* ``GET /broken`` — announces 1 MiB, sends 200 KiB, then drops the connection;
* ``GET /ws/echo`` — WebSocket echo, text as text, binary as binary; the
  text ``close:CODE`` makes the server close with CODE and reason ``bye``;
* ``GET /set-cookies`` — two ``Set-Cookie`` headers and a custom one.

:func:`garbage_server` is a TCP server that answers every connection with
bytes that are not HTTP; :func:`closed_port` a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import socket
import ssl
from collections.abc import AsyncIterator

from aiohttp import WSMsgType, web

__all__ = ["closed_port", "download_bytes", "garbage_server", "local_app"]

_CHUNK = 64 * 1024


def download_bytes(size: int) -> bytes:
    """The deterministic content of ``/download?size=size``."""
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


async def _echo_request(request: web.Request) -> web.Response:
    headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.raw_headers]
    payload = {
        "method": request.method,
        "path": request.raw_path.split("?", 1)[0],
        "query": request.raw_path.partition("?")[2],
        "headers": headers,
    }
    return web.json_response(payload, headers={"X-Local": "yes"})


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.Response(body=body, content_type=request.content_type)


async def _download(request: web.Request) -> web.StreamResponse:
    data = download_bytes(int(request.query.get("size", "1048576")))
    response = web.StreamResponse(
        headers={"X-Sha256": hashlib.sha256(data).hexdigest(), "Content-Type": "application/x-data"}
    )
    response.content_length = len(data)
    await response.prepare(request)
    for start in range(0, len(data), _CHUNK):
        await response.write(data[start : start + _CHUNK])
    await response.write_eof()
    return response


async def _upload(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"size": len(body), "sha256": hashlib.sha256(body).hexdigest()})


async def _trickle(request: web.Request) -> web.StreamResponse:
    parts = int(request.query.get("parts", "3"))
    pause = float(request.query.get("pause", "1"))
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    for index in range(parts):
        await asyncio.sleep(pause)  # the local service is slow on purpose
        await response.write(f"part {index}\n".encode())
    await response.write_eof()
    return response


async def _hang(request: web.Request) -> web.Response:
    await asyncio.Event().wait()  # cancelled when the app stops
    raise AssertionError("unreachable")


async def _broken(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = 1024 * 1024
    await response.prepare(request)
    await response.write(download_bytes(200 * 1024))
    transport = request.transport
    assert transport is not None
    transport.abort()  # the local service dies half-way through its body
    return response


async def _set_cookies(request: web.Request) -> web.Response:
    response = web.Response(text="cookies")
    response.headers.add("Set-Cookie", "a=1; Path=/")
    response.headers.add("Set-Cookie", "b=2; Path=/")
    response.headers["X-Custom-Case"] = "Value With Spaces"
    return response


async def _ws_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("chat.v2", "chat.v1"))
    await ws.prepare(request)
    async for message in ws:
        if message.type is WSMsgType.TEXT and message.data.startswith("close:"):
            await ws.close(code=int(message.data[6:]), message=b"bye")
            break
        if message.type is WSMsgType.TEXT:
            await ws.send_str(message.data)
        elif message.type is WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    return ws


def _app(mount: str) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    routes = [
        web.get(f"{mount}/api/echo-request", _echo_request),
        web.route("*", f"{mount}/api/echo-request/{{tail:.*}}", _echo_request),
        web.post(f"{mount}/api/echo", _echo),
        web.get(f"{mount}/download", _download),
        web.post(f"{mount}/upload", _upload),
        web.get(f"{mount}/trickle", _trickle),
        web.get(f"{mount}/hang", _hang),
        web.get(f"{mount}/broken", _broken),
        web.get(f"{mount}/set-cookies", _set_cookies),
        web.get(f"{mount}/ws/echo", _ws_echo),
    ]
    app.add_routes(routes)
    return app


@contextlib.asynccontextmanager
async def local_app(mount: str = "", port: int = 0) -> AsyncIterator[str]:
    """Run the app on 127.0.0.1 (``port``, or a free one); yield its base URL."""
    runner = web.AppRunner(_app(mount), handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = runner.addresses[0][1]
    server = runner.server
    try:
        yield f"http://127.0.0.1:{port}{mount}"
    finally:
        await runner.cleanup()
        # A connection accepted as the site stopped (asyncio 3.11) or still
        # held by a client's pool is not closed by aiohttp: drop it.
        for handler in server.connections if server is not None else []:
            if handler.transport is not None:
                handler.transport.abort()


@contextlib.asynccontextmanager
async def garbage_server() -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that answers with non-HTTP bytes; yields its URL."""
    async with raw_answer_server(b"THIS IS NOT HTTP\r\n\r\n") as url:
        yield url


@contextlib.asynccontextmanager
async def raw_answer_server(
    answer_bytes: bytes, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[str]:
    """A server on 127.0.0.1 answering every request with ``answer_bytes``; yields its URL.

    For answers no web framework would send (bytes that are not UTF-8 in a
    reason phrase or header).
    """

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer_bytes)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=ssl_context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port that was just free (nothing listens on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def json_body(data: bytes) -> object:
    """Decode a JSON response body."""
    return json.loads(data.decode())
