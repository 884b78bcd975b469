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
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from echo_harness import PAYLOAD, RULE, direct_server, measure, plain_listener
from websockets.asyncio.client import connect

from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.protocol.sas import build_sas_token


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
            listener = asyncio.create_task(
                plain_listener(emu.namespace, context, token, answer_http=True)
            )
            await asyncio.sleep(0.5)
            sender_url = f"wss://{emu.namespace}/$hc/demo?sb-hc-action=connect"
            async with connect(
                sender_url,
                ssl=context,
                additional_headers={"ServiceBusAuthorization": token},
                max_size=None,
                compression=None,
            ) as ws:
                relay_rate, relay_rtt = await measure(
                    ws.send, ws.recv, args.messages, args.round_trips
                )
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
                direct_rate, direct_rtt = await measure(
                    ws.send, ws.recv, args.messages, args.round_trips
                )
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
