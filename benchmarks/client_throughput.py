"""RelayDesk's client versus plain websockets clients, through the same emulator.

Run: ``python benchmarks/client_throughput.py [--rounds N] [--emulator-process]``

Three set-ups in one run, all TLS on 127.0.0.1, with 1 KiB binary messages:

1. **RelayDesk**: :class:`relaydesk.relay.Listener` (auto-echo) and a
   :func:`relaydesk.relay.connect` sender through the emulator, with default
   settings and both event streams drained as a GUI would (every message
   event is read).
2. **plain**: a minimal ``websockets`` listener (control channel + echoing
   rendezvous) and a ``websockets`` sender through the same emulator.
3. **direct**: a ``websockets`` client to a ``websockets`` echo server with
   the emulator's certificate (no relay hop), for scale.

For each: pipelined throughput (messages echoed per second) and the median
round-trip time of one-at-a-time messages. The two relayed set-ups run in
``--rounds`` adjacent pairs, each pair with a fresh listener and sender per
set-up, the order alternating from pair to pair (plain first, then RelayDesk
first) so that drift and order effects hit both alike. Each pair gives one
RelayDesk/plain throughput ratio; the result is the **median of the per-pair
ratios**, printed with their minimum and maximum (no best-of on either side).
The msg/s and RTT figures printed are medians over the rounds, as is this
process's CPU time per pipelined message; the per-pair plain/RelayDesk ratio
of that CPU time is printed too, as a less noisy view of the client's own
cost on a shared machine. The RelayDesk run checks that every message event
was read by the drains or reported dropped by the bounded queues.

By default the emulator runs in this process, so its CPU dilutes the
client's share. With ``--emulator-process`` it runs as ``relaydesk
emulator`` in its own process, as deployed: then the process measured holds
only the two clients, and the ratio shows the client's own cost most
faithfully. Counts are bounded; a default run takes well under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import ssl
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from echo_harness import PAYLOAD, RULE, Receive, Send, direct_server, pipelined, plain_listener
from echo_harness import round_trips as median_round_trip
from peers import emulator_process
from websockets.asyncio.client import connect

from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.sas import build_sas_token
from relaydesk.relay.events import EventsDropped, MessageReceived, MessageSent
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.sender import connect as relay_connect
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret

#: Pipelined messages sent before each measurement.
WARM_UP = 500


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of one set-up."""

    rate: float  # pipelined messages echoed per second
    rtt: float  # median round trip of one-at-a-time messages, ms
    cpu: float  # CPU time of this process per pipelined message, µs
    events_read: int = 0  # RelayDesk: message events its consumers read …
    events_dropped: int = 0  # … and those the bounded queues dropped (reported as such)


async def measure(send: Send, receive: Receive, messages: int, trips: int) -> Run:
    """Warm up, then pipelined throughput (with this process's CPU) and RTT."""
    await pipelined(send, receive, WARM_UP)
    cpu_started = time.process_time()
    rate = await pipelined(send, receive, messages)
    cpu = (time.process_time() - cpu_started) / messages * 1e6
    return Run(rate, await median_round_trip(send, receive, trips), cpu)


async def run_plain(emu: Emulator, args: argparse.Namespace) -> Run:
    context = ssl.create_default_context(cafile=str(emu.ca_file))
    key = emu.world.sas_rules[RULE].primary_key
    token = build_sas_token(
        f"http://{emu.namespace}/demo", RULE, key, expires_at=int(time.time()) + 3600
    )
    ready = asyncio.Event()
    listener = asyncio.create_task(plain_listener(emu.namespace, context, token, ready=ready))
    try:
        async with asyncio.timeout(30):
            await ready.wait()
        async with connect(
            f"wss://{emu.namespace}/$hc/demo?sb-hc-action=connect",
            ssl=context,
            additional_headers={"ServiceBusAuthorization": token},
            max_size=None,
            compression=None,
        ) as ws:
            return await measure(ws.send, ws.recv, args.messages, args.round_trips)
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener


# --- RelayDesk ---------------------------------------------------------------------


async def drain_events(events: AsyncIterator[Any]) -> tuple[int, int]:
    """Read every event as a GUI would; (message events read, message events dropped)."""
    read = dropped = 0
    async for event in events:
        kind = type(event)  # identity tests: the consumer's own cost stays minimal
        if kind is MessageReceived or kind is MessageSent:
            read += 1
        elif kind is EventsDropped:
            dropped += event.count
    return read, dropped


async def run_relaydesk(emu: Emulator, args: argparse.Namespace) -> Run:
    context = make_ssl_context(emu.ca_file)
    address = HybridConnectionAddress.parse(f"sb://{emu.namespace}/demo")
    provider = SasTokenProvider(address, RULE, Secret(emu.world.sas_rules[RULE].primary_key))
    listener = Listener(
        address, provider, ssl_context=context, options=ListenerOptions(auto_echo=True)
    )
    async with listener:
        listener_events = asyncio.create_task(drain_events(listener.events()))
        sender = await relay_connect(address, provider, ssl_context=context)
        sender_events = asyncio.create_task(drain_events(sender.events()))
        async with sender:
            result = await measure(sender.send, sender.receive, args.messages, args.round_trips)
    # Each side saw every message twice (in and out): all of it must be accounted for.
    expected = 2 * (WARM_UP + args.messages + args.round_trips)
    read = dropped = 0
    for side, task in (("listener", listener_events), ("sender", sender_events)):
        side_read, side_dropped = await task
        if side_read + side_dropped != expected:
            raise AssertionError(f"{side}: {side_read} + {side_dropped} events, not {expected}")
        read, dropped = read + side_read, dropped + side_dropped
    return dataclasses.replace(result, events_read=read, events_dropped=dropped)


# --- direct --------------------------------------------------------------------------


async def run_direct(emu: Emulator, data_dir: Path, args: argparse.Namespace) -> Run:
    context = ssl.create_default_context(cafile=str(emu.ca_file))
    async with (
        direct_server(data_dir) as port,
        connect(f"wss://localhost:{port}/", ssl=context, max_size=None, compression=None) as ws,
    ):
        return await measure(ws.send, ws.recv, args.messages, args.round_trips)


@dataclasses.dataclass(frozen=True)
class _Rule:
    primary_key: str


@dataclasses.dataclass(frozen=True)
class _World:
    sas_rules: dict[str, _Rule]


@dataclasses.dataclass(frozen=True)
class RemoteEmulator:
    """What the set-ups need of an emulator running as ``relaydesk emulator``."""

    namespace: str
    ca_file: Path
    world: _World


@contextlib.asynccontextmanager
async def emulator_for(args: argparse.Namespace, data_dir: Path) -> AsyncIterator[Any]:
    if args.emulator_process:
        async with emulator_process(data_dir) as remote:
            rules = {RULE: _Rule(remote.key)}
            yield RemoteEmulator(remote.namespace, remote.ca_file, _World(rules))
    else:
        async with Emulator(EmulatorOptions(data_dir=data_dir)) as emu:
            yield emu


async def main(args: argparse.Namespace) -> dict[str, list[Run]]:
    """Run the paired rounds and the direct set-up; every run of each set-up."""
    results: dict[str, list[Run]] = {"plain": [], "relaydesk": [], "direct": []}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        async with emulator_for(args, data_dir) as emu:
            for pair in range(args.rounds):
                order = ("plain", "relaydesk") if pair % 2 == 0 else ("relaydesk", "plain")
                for label in order:
                    run = run_plain if label == "plain" else run_relaydesk
                    results[label].append(await run(emu, args))
                if args.verbose:
                    rd, plain = results["relaydesk"][-1], results["plain"][-1]
                    print(
                        f"  pair {pair + 1}: ratio {rd.rate / plain.rate:.3f}"
                        f" ({rd.rate:.0f} / {plain.rate:.0f} msg/s;"
                        f" CPU {rd.cpu:.1f} / {plain.cpu:.1f} µs/msg)",
                        flush=True,
                    )
            for _ in range(args.direct_runs):
                results["direct"].append(await run_direct(emu, data_dir, args))
    return results


def ratios(results: dict[str, list[Run]]) -> list[float]:
    """RelayDesk/plain throughput of each pair, in run order."""
    pairs = zip(results["relaydesk"], results["plain"], strict=True)
    return [rd.rate / plain.rate for rd, plain in pairs]


def cli() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=10000, help="pipelined messages per run")
    parser.add_argument("--round-trips", type=int, default=500, help="sequential round trips")
    parser.add_argument("--rounds", type=int, default=15, help="plain/RelayDesk pairs")
    parser.add_argument("--direct-runs", type=int, default=3, help="runs of the direct set-up")
    parser.add_argument("--verbose", action="store_true", help="print each pair as it ends")
    parser.add_argument(
        "--emulator-process",
        action="store_true",
        help="run the emulator as its own process (as deployed) instead of in this one",
    )
    args = parser.parse_args()
    if min(args.messages, args.round_trips, args.rounds, args.direct_runs) < 1:
        parser.error("counts must be at least 1")
    started = time.perf_counter()
    r = asyncio.run(main(args))
    where = "emulator in its own process" if args.emulator_process else "one process"
    print(f"message size: {len(PAYLOAD)} bytes; all TLS on 127.0.0.1, {where}")
    print(f"medians of {args.rounds} paired rounds ({args.direct_runs} runs for direct):")
    names = {
        "relaydesk": "RelayDesk via emulator",
        "plain": "plain ws via emulator ",
        "direct": "direct ws echo        ",
    }
    cpu_of = "clients'" if args.emulator_process else "clients' + emulator's"
    for key, name in names.items():
        rate = statistics.median(run.rate for run in r[key])
        rtt = statistics.median(run.rtt for run in r[key])
        cpu = statistics.median(run.cpu for run in r[key])
        print(
            f"{name}: {rate:9.0f} msg/s echoed, median RTT {rtt:.3f} ms"
            f" ({cpu_of} CPU {cpu:.1f} µs/msg)"
        )
    read = sum(run.events_read for run in r["relaydesk"])
    dropped = sum(run.events_dropped for run in r["relaydesk"])
    print(
        f"RelayDesk message events: {read} read by the drains, {dropped} dropped by the"
        " bounded queues and reported (a send burst can outrun its consumer)"
    )
    each = ratios(r)
    print("per-pair ratios: " + " ".join(f"{x:.2f}" for x in each))
    pairs = zip(r["relaydesk"], r["plain"], strict=True)
    cpu_each = [plain.cpu / rd.cpu for rd, plain in pairs]
    print(
        f"CPU per message, plain/RelayDesk ({cpu_of}): median {statistics.median(cpu_each):.2f}"
        f" (min {min(cpu_each):.2f}, max {max(cpu_each):.2f})"
    )
    print(
        f"ratio RelayDesk/plain-through-emulator: median {statistics.median(each):.2f}"
        f" (min {min(each):.2f}, max {max(each):.2f}; target >= 0.90)"
        f" [{time.perf_counter() - started:.0f} s]"
    )


if __name__ == "__main__":
    cli()
