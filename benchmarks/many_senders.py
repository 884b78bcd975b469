"""One listener, many senders: a RelayDesk listener against Microsoft's hyco-ws.

Run: ``python benchmarks/many_senders.py [--rounds 3] [--senders 1,10,50]
[--messages 200] [--compare-loop] [--profile DIR]``

Two ``relaydesk emulator`` processes, one listener each, both echoing: a
RelayDesk listener (``relaydesk_listener.py``: the library's ``Listener``
with ``auto_echo``, every event read as a GUI would, on the event loop
``relaydesk listen`` would use: uvloop where installed) and a ``hyco-ws``
listener (Node). For each count of senders and each mode, Microsoft's
``hyco-ws`` senders (all in one Node process, ``node/ws_senders.js``)
connect and send ``--messages`` × 1 KiB binary messages each, one at a
time (``sequential``) or all at once (``pipelined``). Per run: echoed
messages/s (first send to last echo, as the senders see it), the
listener's CPU per echoed message (its process, from ``/proc``, connects
and closes included), and the p50/p99 round trip.

Runs alternate between the two listeners (order flipped each round);
printed are medians over ``--rounds`` and, per row, the RelayDesk/hyco-ws
ratios with their min/max over rounds. ``--compare-loop`` adds a third
listener, RelayDesk on asyncio's own loop, to every round (the figures
uvloop is measured against). With ``--profile DIR`` the RelayDesk
listener runs under cProfile and writes ``DIR/relaydesk_listener.prof``
(readable only with ``RELAYDESK_EVENT_LOOP=asyncio``: cProfile does not see
uvloop's C code and charges its waiting to the coroutine it resumes).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import pstats
import statistics
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from peers import Peer, RemoteEmulator, emulator_process

MODES = ("sequential", "pipelined")
NODE = "hyco-ws"


@dataclass(frozen=True)
class Run:
    """One run: one listener, one count of senders, one mode."""

    rate: float  # echoed messages/s
    cpu_us: float  # listener CPU per echoed message
    p50: float  # ms
    p99: float  # ms


@dataclass(frozen=True)
class Side:
    """A listener process and the emulator it listens on."""

    emulator: RemoteEmulator
    listener: Peer


@contextlib.asynccontextmanager
async def side(kind: str, data_dir: Path, profile: Path | None) -> AsyncIterator[Side]:
    """An emulator process with one echoing listener of ``kind``."""
    async with emulator_process(data_dir) as emu:
        if kind == NODE:
            config = {**emu.node_config(), "seconds": 7200}
            peer = await Peer.node("ws_echo_listener", config, ca_file=emu.ca_file)
        else:
            os.environ["RELAYDESK_BENCH_KEY"] = emu.key
            extra = ["--profile", str(profile / "relaydesk_listener.prof")] if profile else []
            if kind == "relaydesk-asyncio":
                extra += ["--loop", "asyncio"]
            peer = await Peer.python("relaydesk_listener", emu.namespace, str(emu.ca_file), *extra)
        try:
            listening = await peer.wait_for("listening")
            if "loop" in listening:
                print(f"  {kind} listener's event loop: {listening['loop']}", flush=True)
            yield Side(emu, peer)
        finally:
            await peer.stop()


async def run_once(target: Side, senders: int, messages: int, mode: str) -> Run:
    """Let ``senders`` hyco-ws senders echo through ``target``'s listener."""
    config = {
        **target.emulator.node_config(),
        "senders": senders,
        "messages": messages,
        "size": 1024,
        "mode": mode,
        "seconds": 300,
    }
    before = target.listener.usage()
    peer = await Peer.node("ws_senders", config, ca_file=target.emulator.ca_file)
    try:
        result = await peer.wait_for("result", 300)
        async with asyncio.timeout(60):
            code = await peer.process.wait()
        if code != 0:
            raise RuntimeError(f"ws_senders exited {code}")
    finally:
        await peer.stop()
    after = target.listener.usage()
    count = result["messages"]
    if count != senders * messages:
        raise RuntimeError(f"{count} echoes, not {senders * messages}")
    return Run(
        rate=count / (result["elapsedMs"] / 1000),
        cpu_us=(after.cpu - before.cpu) / count * 1e6,
        p50=result["p50"],
        p99=result["p99"],
    )


async def main(args: argparse.Namespace) -> dict[tuple[str, int, str], list[Run]]:
    results: dict[tuple[str, int, str], list[Run]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            sides = {
                kind: await stack.enter_async_context(
                    side(kind, Path(tmp) / kind, args.profile if kind == "relaydesk" else None)
                )
                for kind in kinds(args)
            }
            for number in range(args.rounds):
                order = kinds(args) if number % 2 == 0 else kinds(args)[::-1]
                for senders in args.senders:
                    for mode in MODES:
                        for kind in order:
                            run = await run_once(sides[kind], senders, args.messages, mode)
                            results.setdefault((kind, senders, mode), []).append(run)
                print(f"  round {number + 1} of {args.rounds} done", flush=True)
    return results


def kinds(args: argparse.Namespace) -> tuple[str, ...]:
    """The listeners measured: RelayDesk, RelayDesk on asyncio's loop if asked, hyco-ws."""
    if args.compare_loop:
        return ("relaydesk", "relaydesk-asyncio", NODE)
    return ("relaydesk", NODE)


def report(results: dict[tuple[str, int, str], list[Run]], args: argparse.Namespace) -> None:
    print(
        f"{args.messages} × 1 KiB per sender, hyco-ws senders; medians of {args.rounds} rounds;"
        " ratio = RelayDesk/hyco-ws (min–max over rounds)"
    )
    for kind in kinds(args)[:-1]:
        print(f"{kind} listener vs {NODE}:")
        print(
            f"{'senders':>7} {'mode':10} | {'msg/s RD':>8} {'hyco':>8} {'ratio':>16} |"
            f" {'CPU µs/msg RD':>13} {'hyco':>5} {'ratio':>16} | p50 ms RD/hyco | p99 ms RD/hyco"
        )
        for senders in args.senders:
            for mode in MODES:
                runs = results[(kind, senders, mode)], results[(NODE, senders, mode)]
                print(f"{senders:>7} {mode:10}" + row(*runs))


def row(rd: list[Run], node: list[Run]) -> str:
    """One table row: medians, and ratios with their spread over rounds."""
    rates = [a.rate / b.rate for a, b in zip(rd, node, strict=True)]
    cpus = [a.cpu_us / b.cpu_us for a, b in zip(rd, node, strict=True)]

    def med(runs: list[Run], name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in runs))

    return (
        f" | {med(rd, 'rate'):8.0f} {med(node, 'rate'):8.0f}"
        f" {statistics.median(rates):5.2f} ({min(rates):.2f}–{max(rates):.2f}) |"
        f" {med(rd, 'cpu_us'):13.0f} {med(node, 'cpu_us'):5.0f}"
        f" {statistics.median(cpus):5.2f} ({min(cpus):.2f}–{max(cpus):.2f}) |"
        f" {med(rd, 'p50'):6.2f}/{med(node, 'p50'):<6.2f}  |"
        f" {med(rd, 'p99'):6.2f}/{med(node, 'p99'):<6.2f}"
    )


#: Where a listener's CPU goes, by the file (or C function) it is spent in.
CATEGORIES = (
    ("epoll", "waiting for the network (idle, excluded)"),
    ("socket.socket' objects>", "syscalls: socket send/recv"),
    ("_ssl.", "OpenSSL: TLS records, handshakes"),
    ("urandom", "syscalls: urandom (client frame masks, RFC 6455 §5.3)"),
    ("relaydesk_listener.py", "the consumer reading every event (as a GUI would)"),
    ("/relaydesk/", "RelayDesk: relay/connection, event_queue, accepting, …"),
    ("websockets", "websockets: frames, assembler, send/recv"),
    ("sslproto", "asyncio's TLS transport (pure Python)"),
    ("asyncio", "asyncio: event loop, tasks, futures"),
)


def profile_summary(path: Path, messages: int) -> None:
    """Print the profile's time per echoed message by category."""
    by: collections.Counter[str] = collections.Counter()
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in stats.items():
        where = f"{filename}:{name}"
        label = next((text for key, text in CATEGORIES if key in where), "other Python/C")
        by[label] += own
    busy = sum(v for k, v in by.items() if not k.startswith("waiting"))
    print(f"RelayDesk listener profile (cProfile inflates every figure), {messages} echoes:")
    for label, seconds in by.most_common():
        share = "" if label.startswith("waiting") else f" {100 * seconds / busy:4.1f} %"
        print(f"  {seconds / messages * 1e6:6.1f} µs/msg{share:8} {label}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--senders", type=lambda t: [int(x) for x in t.split(",")], default=[1, 10, 50]
    )
    parser.add_argument("--messages", type=int, default=200, help="messages per sender")
    parser.add_argument(
        "--compare-loop",
        action="store_true",
        help="also measure a RelayDesk listener on asyncio's own event loop",
    )
    parser.add_argument("--profile", type=Path, help="profile the RelayDesk listener into DIR")
    args = parser.parse_args()
    if args.rounds < 1 or args.messages < 1 or min(args.senders) < 1:
        parser.error("rounds, messages and senders must be at least 1")
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(main(args))
    report(results, args)
    if args.profile is not None:
        echoed = args.rounds * args.messages * sum(args.senders) * len(MODES)
        profile_summary(args.profile / "relaydesk_listener.prof", echoed)


if __name__ == "__main__":
    cli()
