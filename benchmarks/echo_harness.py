"""What the relay benchmarks share: the payload, the two measurements, and the
plain-``websockets`` peers they compare against.

Used by ``emulator_throughput.py`` and ``client_throughput.py`` so that both
measure the same way (same loops, same socket options). Everything is bounded
and stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve

from relaydesk.emulator.certs import CertificateFiles, server_ssl_context

PAYLOAD = bytes(range(256)) * 4  # 1 KiB
RULE = "RootManageSharedAccessKey"

Send = Callable[[bytes], Awaitable[None]]
Receive = Callable[[], Awaitable[Any]]


async def pipelined(send: Send, receive: Receive, count: int) -> float:
    """Send ``count`` messages while receiving their echoes; return messages/s."""

    async def drain() -> None:
        for _ in range(count):
            await receive()

    started = time.perf_counter()
    receiver = asyncio.create_task(drain())
    for _ in range(count):
        await send(PAYLOAD)
    await receiver
    return count / (time.perf_counter() - started)


async def round_trips(send: Send, receive: Receive, count: int) -> float:
    """Median round-trip time in milliseconds of one-at-a-time messages."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await send(PAYLOAD)
        await receive()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def measure(send: Send, receive: Receive, messages: int, trips: int) -> tuple[float, float]:
    """Warm up, then return (pipelined messages/s, median round trip in ms)."""
    await pipelined(send, receive, 500)
    rate = await pipelined(send, receive, messages)
    rtt = await round_trips(send, receive, trips)
    return rate, rtt


async def echo(ws: ClientConnection | ServerConnection) -> None:
    """Echo every message until the peer closes."""
    with contextlib.suppress(Exception):
        async for message in ws:
            await ws.send(message)


async def plain_listener(
    namespace: str,
    context: ssl.SSLContext,
    token: str,
    *,
    answer_http: bool = False,
    ready: asyncio.Event | None = None,
) -> None:
    """A plain listener written from the protocol reference (§4.1, §5.2, §7.3).

    Accepts every sender and echoes; with ``answer_http``, answers inline HTTP
    requests with 200 and the request body. ``ready`` is set once the control
    channel is open (the emulator registers a listener before it answers the
    upgrade, so senders may connect from then on).
    """
    url = f"wss://{namespace}/$hc/demo?sb-hc-action=listen&sb-hc-id={uuid.uuid4()}"
    headers = {"ServiceBusAuthorization": token}
    tasks: set[asyncio.Task[None]] = set()
    async with connect(
        url, ssl=context, additional_headers=headers, max_size=None, compression=None
    ) as control:
        if ready is not None:
            ready.set()
        async for raw in control:
            command = json.loads(raw)
            if "accept" in command:
                task = asyncio.create_task(_accept(command["accept"]["address"], context))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif "request" in command and answer_http:
                await _answer(control, command["request"])


async def _accept(address: str, context: ssl.SSLContext) -> None:
    async with connect(address, ssl=context, max_size=None, compression=None) as ws:
        await echo(ws)


async def _answer(control: ClientConnection, request: dict[str, Any]) -> None:
    body = await control.recv() if request.get("body") else b""
    response = {"requestId": request["id"], "statusCode": 200, "body": bool(body)}
    await control.send(json.dumps({"response": response}))
    if body:
        await control.send(body)


@contextlib.asynccontextmanager
async def direct_server(data_dir: Path) -> AsyncIterator[int]:
    """A plain websockets echo server with the emulator's TLS certificate."""
    context = server_ssl_context(CertificateFiles.in_dir(data_dir))
    async with serve(echo, "127.0.0.1", 0, ssl=context, compression=None, max_size=None) as srv:
        yield next(iter(srv.sockets)).getsockname()[1]
