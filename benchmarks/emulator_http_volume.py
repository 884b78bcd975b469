"""The emulator's HTTP path at volume: does the cost per request stay flat?

Run: ``python benchmarks/emulator_http_volume.py [--batches 20] [--batch-size 1000]
[--senders 8] [--listeners relaydesk,node]``

For each listener — a RelayDesk listener (``relaydesk_listener.py``) and
Microsoft's ``hyco-https`` listener (Node) — a fresh ``relaydesk emulator``
process gets ``--batches`` batches of ``--batch-size`` HTTP POSTs (1 KiB
bodies, inline, ``--senders`` concurrent keep-alive senders in this
process) back to back, all TLS on 127.0.0.1. Per batch it prints the
requests/s, the emulator's CPU time per request and its resident memory,
and the listener's CPU per request (both read from ``/proc``, Linux only).

The last lines compare the last batch with the first (the goal: within
10 % over 20,000 requests) and the two listeners with each other (median
requests/s over the batches, with min/max of the per-batch ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import ssl
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from echo_harness import PAYLOAD
from peers import Peer, RemoteEmulator, emulator_process, usage

MIB = 1024 * 1024
WARM_UP = 200


@dataclass(frozen=True)
class Batch:
    """One batch of requests."""

    rate: float  # requests/s
    emulator_cpu_ms: float  # emulator CPU per request
    emulator_rss: int  # emulator resident memory after the batch, bytes
    listener_cpu_us: float  # listener CPU per request


@contextlib.asynccontextmanager
async def listener(kind: str, emu: RemoteEmulator) -> AsyncIterator[Peer]:
    """Start the listener of ``kind`` against ``emu`` and wait until it listens."""
    if kind == "node":
        config = {**emu.node_config(), "seconds": 3600}
        peer = await Peer.node("https_echo_listener", config, ca_file=emu.ca_file)
    else:
        os.environ["RELAYDESK_BENCH_KEY"] = emu.key
        peer = await Peer.python("relaydesk_listener", emu.namespace, str(emu.ca_file))
    try:
        await peer.wait_for("listening", 60)
        yield peer
    finally:
        await peer.stop()


async def post_all(session: aiohttp.ClientSession, url: str, token: str, count: int) -> None:
    """POST ``count`` bodies one after another, each answered 200 with the body."""
    headers = {"ServiceBusAuthorization": token}
    for _ in range(count):
        async with session.post(url, data=PAYLOAD, headers=headers) as response:
            body = await response.read()
            if response.status != 200 or body != PAYLOAD:
                raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")


async def run(kind: str, args: argparse.Namespace) -> list[Batch]:
    """All batches against one fresh emulator with one listener of ``kind``."""
    batches: list[Batch] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with emulator_process(Path(tmp)) as emu, listener(kind, emu) as peer:
            context = ssl.create_default_context(cafile=str(emu.ca_file))
            url = f"https://{emu.namespace}/demo/bench"
            token = emu.token()
            connector = aiohttp.TCPConnector(ssl=context, limit=args.senders)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                await post_all(session, url, token, WARM_UP)
                each = args.batch_size // args.senders
                for number in range(1, args.batches + 1):
                    emu_before, peer_before = usage(emu.pid), peer.usage()
                    started = time.perf_counter()
                    await asyncio.gather(
                        *(post_all(session, url, token, each) for _ in range(args.senders))
                    )
                    elapsed = time.perf_counter() - started
                    emu_after, peer_after = usage(emu.pid), peer.usage()
                    sent = each * args.senders
                    batch = Batch(
                        rate=sent / elapsed,
                        emulator_cpu_ms=(emu_after.cpu - emu_before.cpu) / sent * 1e3,
                        emulator_rss=emu_after.rss,
                        listener_cpu_us=(peer_after.cpu - peer_before.cpu) / sent * 1e6,
                    )
                    batches.append(batch)
                    print(
                        f"  {kind:9} batch {number:2}: {batch.rate:6.0f} req/s, emulator "
                        f"{batch.emulator_cpu_ms:.2f} ms CPU/req, "
                        f"{batch.emulator_rss / MIB:5.1f} MiB; listener "
                        f"{batch.listener_cpu_us:5.0f} µs CPU/req",
                        flush=True,
                    )
    return batches


def summary(kind: str, batches: list[Batch], batch_size: int) -> None:
    first, last = batches[0], batches[-1]
    growth = (last.emulator_rss - first.emulator_rss) / MIB / max(1, len(batches) - 1)
    rates = [b.rate for b in batches]
    print(
        f"{kind}: req/s first {first.rate:.0f} → last {last.rate:.0f}, "
        f"last/first {last.rate / first.rate:.2f} (min/median/max over batches "
        f"{min(rates):.0f}/{statistics.median(rates):.0f}/{max(rates):.0f}); "
        f"emulator CPU/req {first.emulator_cpu_ms:.2f} → {last.emulator_cpu_ms:.2f} ms "
        f"(last/first {last.emulator_cpu_ms / first.emulator_cpu_ms:.2f}); "
        f"emulator RSS {first.emulator_rss / MIB:.1f} → {last.emulator_rss / MIB:.1f} MiB "
        f"({growth:+.2f} MiB per {batch_size} requests)"
    )


async def main(args: argparse.Namespace) -> dict[str, list[Batch]]:
    return {kind: await run(kind, args) for kind in args.listeners}


def cli() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=8, help="concurrent HTTP senders")
    parser.add_argument(
        "--listeners",
        type=lambda text: text.split(","),
        default=["relaydesk", "node"],
        help="comma-separated: relaydesk, node (default both)",
    )
    args = parser.parse_args()
    if args.batches < 2 or args.batch_size < args.senders or args.senders < 1:
        parser.error("need at least 2 batches and a batch of at least one request per sender")
    if not set(args.listeners) <= {"relaydesk", "node"}:
        parser.error("--listeners takes relaydesk and/or node")
    results = asyncio.run(main(args))
    print(f"{args.batches} batches × {args.batch_size} requests, 1 KiB bodies, TLS on 127.0.0.1")
    for kind, batches in results.items():
        summary(kind, batches, args.batch_size)
    if len(results) == 2:
        ratios = [
            rd.rate / node.rate
            for rd, node in zip(results["relaydesk"], results["node"], strict=True)
        ]
        print(
            f"ratio RelayDesk/hyco-https listener req/s: median {statistics.median(ratios):.2f} "
            f"(min {min(ratios):.2f}, max {max(ratios):.2f} over batches)"
        )
    worst = max(abs(1 - b[-1].rate / b[0].rate) for b in results.values())
    worst_cpu = max(abs(1 - b[-1].emulator_cpu_ms / b[0].emulator_cpu_ms) for b in results.values())
    print(
        f"largest last-vs-first change (goal ≤ 10 %): emulator CPU per request {worst_cpu:.0%}, "
        f"requests/s {worst:.0%} (wall clock: noisy on a shared machine)"
    )


if __name__ == "__main__":
    cli()
