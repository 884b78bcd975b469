"""Throughput and latency of the emulator's relay path versus a direct socket.

Run: ``python benchmarks/emulator_throughput.py [--messages N] [--round-trips N]``

Measures, on this machine, in one process and one event loop (so both ends
share the CPU, as they would in a desktop demo):

1. WebSocket, 1 KiB binary messages: plain ``websockets`` sender → emulator
   → plain ``websockets`` listener that echoes → back to the sender.
   * pipelined throughput (messages echoed per second), and
   * median round-trip latency of one-at-a-time messages.
2. The same two figures for the same client talking **directly** to a plain
   ``websockets`` echo server — over TLS too, with the emulator's own
   certificate, so the only difference is the relay hop.
3. HTTP requests/s through the emulator: 1 KiB POST bodies, inline
   request/response on the control channel, 8 concurrent keep-alive senders.

Counts and durations are bounded; everything stays on 127.0.0.1. The last
line printed is the relay/direct throughput ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import ssl
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve

from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.emulator.certs import CertificateFiles, server_ssl_context
from relaydesk.protocol.sas import build_sas_token

PAYLOAD = bytes(range(256)) * 4  # 1 KiB
RULE = "RootManageSharedAccessKey"


async def pipelined(ws: ClientConnection, count: int) -> float:
    """Send ``count`` messages while receiving their echoes; return messages/s."""

    async def receive() -> None:
        for _ in range(count):
            await ws.recv()

    started = time.perf_counter()
    receiver = asyncio.create_task(receive())
    for _ in range(count):
        await ws.send(PAYLOAD)
    await receiver
    return count / (time.perf_counter() - started)


async def round_trips(ws: ClientConnection, count: int) -> float:
    """Median round-trip time in milliseconds of one-at-a-time messages."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await ws.send(PAYLOAD)
        await ws.recv()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def echo(ws: ClientConnection | ServerConnection) -> None:
    """Echo every message until the peer closes."""
    with contextlib.suppress(Exception):
        async for message in ws:
            await ws.send(message)


async def relay_listener(emu: Emulator, context: ssl.SSLContext, token: str) -> None:
    """A plain listener: accept every sender and echo; answer HTTP inline."""
    url = f"wss://{emu.namespace}/$hc/demo?sb-hc-action=listen&sb-hc-id={uuid.uuid4()}"
    headers = {"ServiceBusAuthorization": token}
    tasks: set[asyncio.Task[None]] = set()
    async with connect(url, ssl=context, additional_headers=headers, max_size=None) as control:
        async for raw in control:
            command = json.loads(raw)
            if "accept" in command:
                task = asyncio.create_task(accept(command["accept"]["address"], context))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                continue
            request = command["request"]
            body = await control.recv() if request.get("body") else b""
            response = {"requestId": request["id"], "statusCode": 200, "body": bool(body)}
            await control.send(json.dumps({"response": response}))
            if body:
                await control.send(body)


async def accept(address: str, context: ssl.SSLContext) -> None:
    async with connect(address, ssl=context, max_size=None, compression=None) as ws:
        await echo(ws)


@contextlib.asynccontextmanager
async def direct_server(data_dir: Path) -> AsyncIterator[int]:
    """A plain websockets echo server with the emulator's TLS certificate."""
    context = server_ssl_context(CertificateFiles.in_dir(data_dir))
    async with serve(echo, "127.0.0.1", 0, ssl=context, compression=None, max_size=None) as srv:
        yield next(iter(srv.sockets)).getsockname()[1]


async def http_rate(emu: Emulator, context: ssl.SSLContext, token: str, count: int) -> float:
    """HTTP requests/s through the emulator with 8 concurrent senders."""
    url = f"https://{emu.namespace}/demo/bench"
    headers = {"ServiceBusAuthorization": token}
    connector = aiohttp.TCPConnector(ssl=context, limit=8)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(n: int) -> None:
            for _ in range(n):
                async with session.post(url, data=PAYLOAD, headers=headers) as response:
                    assert response.status == 200
                    await response.read()

        await worker(10)  # warm up connections
        started = time.perf_counter()
        await asyncio.gather(*(worker(count // 8) for _ in range(8)))
        return (count // 8 * 8) / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        options = EmulatorOptions(data_dir=data_dir)
        async with Emulator(options) as emu:
            context = ssl.create_default_context(cafile=str(emu.ca_file))
            key = emu.world.sas_rules[RULE].primary_key
            token = build_sas_token(
                f"http://{emu.namespace}/demo", RULE, key, expires_at=int(time.time()) + 3600
            )
            listener = asyncio.create_task(relay_listener(emu, context, token))
            await asyncio.sleep(0.5)
            sender_url = f"wss://{emu.namespace}/$hc/demo?sb-hc-action=connect"
            async with connect(
                sender_url,
                ssl=context,
                additional_headers={"ServiceBusAuthorization": token},
                max_size=None,
                compression=None,
            ) as ws:
                await pipelined(ws, 500)  # warm-up
                relay_rate = await pipelined(ws, args.messages)
                relay_rtt = await round_trips(ws, args.round_trips)
            http = await http_rate(emu, context, token, args.requests)
            listener.cancel()
            with contextlib.suppress(BaseException):
                await listener
            async with (
                direct_server(data_dir) as port,
                connect(
                    f"wss://localhost:{port}/", ssl=context, max_size=None, compression=None
                ) as ws,
            ):
                await pipelined(ws, 500)
                direct_rate = await pipelined(ws, args.messages)
                direct_rtt = await round_trips(ws, args.round_trips)
    return {
        "relay_msgs_per_s": relay_rate,
        "relay_median_rtt_ms": relay_rtt,
        "direct_msgs_per_s": direct_rate,
        "direct_median_rtt_ms": direct_rtt,
        "http_requests_per_s": http,
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000, help="pipelined messages")
    parser.add_argument("--round-trips", type=int, default=2000, help="sequential round trips")
    parser.add_argument("--requests", type=int, default=2000, help="HTTP requests")
    args = parser.parse_args()
    r = asyncio.run(main(args))
    print(f"message size: {len(PAYLOAD)} bytes; all TLS on 127.0.0.1, one process")
    print(
        f"relay  WebSocket: {r['relay_msgs_per_s']:9.0f} msg/s echoed, "
        f"median RTT {r['relay_median_rtt_ms']:.3f} ms"
    )
    print(
        f"direct WebSocket: {r['direct_msgs_per_s']:9.0f} msg/s echoed, "
        f"median RTT {r['direct_median_rtt_ms']:.3f} ms"
    )
    print(
        f"relay  HTTP     : {r['http_requests_per_s']:9.0f} requests/s (1 KiB, inline, 8 senders)"
    )
    print(f"ratio relay/direct: {r['relay_msgs_per_s'] / r['direct_msgs_per_s']:.2f}")


if __name__ == "__main__":
    cli()
