"""Forwarding through the relay versus calling the local service directly.

Run: ``python benchmarks/forwarding.py [--requests N] [--concurrency C] [--rounds R]``

One process, one event loop, everything on 127.0.0.1. A small aiohttp app
(``GET /json`` → a 1 KiB JSON document) is called two ways, alternately in
each round so that both see the same machine load:

* **direct**: an aiohttp client with keep-alive → the app;
* **forwarded**: RelayDesk's HTTP sender (one pooled session, as
  ``connect-port`` uses it) → emulator over TLS → a RelayDesk listener with
  ``Forwarder`` → the same app;
* **relayed** (for reference): the same sender and relay path to a listener
  that answers the same document itself, so the difference between
  *relayed* and *forwarded* is the forwarding's own cost.

Per round and way: requests/s with ``C`` concurrent callers (``N`` requests)
and the median latency of one-at-a-time requests. Printed: each round, the
medians over rounds, the throughput ratio forwarded/direct and the latency
added by forwarding. Counts are bounded; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.forwarding import Forwarder, ForwardOptions
from relaydesk.relay.http_sender import http_request
from relaydesk.relay.listener import Listener
from relaydesk.relay.policies import fixed_response
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret

DOCUMENT = {"items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(20)]}

Call = Callable[[], Awaitable[None]]


async def _json(_request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


async def _throughput(call: Call, requests: int, concurrency: int) -> float:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


async def _latency(call: Call, count: int) -> float:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def main(args: argparse.Namespace) -> None:
    app_runner = web.AppRunner(web.Application(), access_log=None)
    app_runner.app.router.add_get("/json", _json)
    await app_runner.setup()
    await web.TCPSite(app_runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{app_runner.addresses[0][1]}"

    with tempfile.TemporaryDirectory() as data_dir:
        options = EmulatorOptions(data_dir=Path(data_dir))
        async with Emulator(options) as emulator:
            address = HybridConnectionAddress.parse(f"sb://{emulator.namespace}/demo")
            rule = emulator.world.sas_rules["RootManageSharedAccessKey"]
            provider = SasTokenProvider(address, rule.name, Secret(rule.primary_key))
            tls = make_ssl_context(emulator.ca_file)
            forwarder = Forwarder(ForwardOptions(http_url=base), entity_path="demo")
            listener = Listener(address, provider, http_handler=forwarder, ssl_context=tls)
            reference = HybridConnectionAddress.parse(f"sb://{emulator.namespace}/open")
            answering = Listener(
                reference,
                SasTokenProvider(reference, rule.name, Secret(rule.primary_key)),
                http_handler=fixed_response(
                    headers={"Content-Type": "application/json"}, body=json.dumps(DOCUMENT).encode()
                ),
                ssl_context=tls,
            )
            async with (
                listener,
                answering,
                aiohttp.ClientSession() as direct_session,
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(ssl=tls), auto_decompress=False
                ) as relay_session,
            ):
                drains = [asyncio.create_task(_drain(x)) for x in (listener, answering)]

                async def direct() -> None:
                    async with direct_session.get(f"{base}/json") as response:
                        await response.read()
                        assert response.status == 200

                async def forwarded() -> None:
                    response = await http_request(
                        address, provider, path_suffix="/json", session=relay_session
                    )
                    assert response.status == 200

                async def relayed() -> None:
                    response = await http_request(
                        reference, provider, path_suffix="/json", session=relay_session
                    )
                    assert response.status == 200

                await _rounds(args, direct, forwarded, relayed)
                for drain in drains:
                    drain.cancel()
            await forwarder.close()
    await app_runner.cleanup()


async def _drain(listener: Listener) -> None:
    """Consume the listener's events, as any real consumer would."""
    async for _event in listener.events():
        pass


async def _rounds(args: argparse.Namespace, direct: Call, forwarded: Call, relayed: Call) -> None:
    for call in (direct, forwarded, relayed):  # warm up connections, TLS and tokens
        await _throughput(call, 20, 4)
    ratios, added, results = [], [], []
    for index in range(args.rounds):
        d_rps = await _throughput(direct, args.requests, args.concurrency)
        f_rps = await _throughput(forwarded, args.requests, args.concurrency)
        r_rps = await _throughput(relayed, args.requests, args.concurrency)
        d_lat = await _latency(direct, args.latency_samples)
        f_lat = await _latency(forwarded, args.latency_samples)
        r_lat = await _latency(relayed, args.latency_samples)
        ratios.append(f_rps / d_rps)
        added.append(f_lat - d_lat)
        results.append((d_rps, f_rps, r_rps, d_lat, f_lat, r_lat))
        print(
            f"round {index + 1}: direct {d_rps:6.0f} req/s {d_lat * 1000:5.2f} ms | "
            f"forwarded {f_rps:5.0f} req/s {f_lat * 1000:5.2f} ms | "
            f"relayed {r_rps:5.0f} req/s {r_lat * 1000:5.2f} ms | ratio {f_rps / d_rps:.3f}"
        )
    medians = [statistics.median(col) for col in zip(*results, strict=True)]
    d_rps, f_rps, r_rps, d_lat, f_lat, r_lat = medians
    print(
        f"median: direct {d_rps:.0f} req/s, {d_lat * 1000:.2f} ms; "
        f"forwarded {f_rps:.0f} req/s, {f_lat * 1000:.2f} ms; "
        f"relayed (listener answers itself) {r_rps:.0f} req/s, {r_lat * 1000:.2f} ms "
        f"({args.concurrency} concurrent, 1 KiB JSON, TLS to the emulator, one process)"
    )
    print(f"forwarded/relayed requests/s: {f_rps / r_rps:.3f}")
    print(f"added latency (median of rounds): {statistics.median(added) * 1000:.2f} ms")
    print(
        f"ratio forwarded/direct requests/s: {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-samples", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
