"""``relaydesk send --pipeline`` versus Microsoft's hyco-ws sender, through one emulator.

Run: ``python benchmarks/cli_sender.py [--rounds 5] [--count 5000] [--window 100]
[--size 1024] [--listener node|relaydesk]``

One ``relaydesk emulator`` process and one echoing listener (by default
Microsoft's ``hyco-ws`` listener, ``node/ws_echo_listener.js``, so that
neither sender meets its own SDK on the other end; ``--listener relaydesk``
uses ``relaydesk_listener.py``). Each round runs two senders one after the
other, the order alternating from round to round:

* **RelayDesk**: the CLI as a user runs it, ``relaydesk send --size SIZE
  --count COUNT --pipeline WINDOW --expect-echo --quiet --json`` (SAS key
  from an environment variable), in its own process;
* **hyco-ws**: ``node/ws_pipelined_sender.js``, the same count, size and
  window of messages in flight, in its own process.

Both time themselves the same way, from the open connection to the last
echo, and report messages echoed per second; process start-up and the
connect are left out (start-up is ``gui_startup.py``'s and README's
separate figure). Each round gives one RelayDesk/hyco-ws ratio; the result
is the min/median/max of those ratios (above 1.0: RelayDesk is faster).
One warm-up round of each is not counted. The wall time of each sender
process, start-up included, is printed for reference. Text messages of
``--size`` bytes; everything on 127.0.0.1; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from peers import RULE, Peer, RemoteEmulator, emulator_process

ROOT = Path(__file__).resolve().parent.parent
KEY_VARIABLE = "RELAYDESK_BENCH_KEY"
#: Seconds one sender may take before the round counts as failed.
SENDER_DEADLINE = 300.0


@dataclass(frozen=True)
class Run:
    """One sender's result: echoes per second (self-timed) and its process's wall time."""

    rate: float
    wall: float


@dataclass(frozen=True)
class Settings:
    count: int
    window: int
    size: int


async def relaydesk_sender(emu: RemoteEmulator, settings: Settings) -> Run:
    """``relaydesk send --pipeline`` in its own process; its summary line gives the rate."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{KEY_VARIABLE: emu.key})
    command = [sys.executable, "-m", "relaydesk", "send", f"sb://{emu.namespace}/demo"]
    command += ["--size", str(settings.size), "--count", str(settings.count)]
    command += ["--pipeline", str(settings.window), "--expect-echo", "--quiet", "--json"]
    command += ["--sas-key-name", RULE, "--sas-key-env", KEY_VARIABLE]
    command += ["--ca-file", str(emu.ca_file)]
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    async with asyncio.timeout(SENDER_DEADLINE):
        out, err = await process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"relaydesk send exited {process.returncode}: {err.decode()}")
    summary = json.loads(out.decode().splitlines()[-1])
    if summary["received"] != settings.count or summary["close_code"] != 1000:
        raise RuntimeError(f"relaydesk send: {summary}")
    return Run(float(summary["messages_per_s"]), wall)


async def node_sender(emu: RemoteEmulator, settings: Settings) -> Run:
    """The pipelined hyco-ws sender; its summary event gives the rate."""
    config = {
        **emu.node_config(),
        "count": settings.count,
        "size": settings.size,
        "window": settings.window,
        "seconds": SENDER_DEADLINE,
    }
    started = time.perf_counter()
    peer = await Peer.node("ws_pipelined_sender", config, ca_file=emu.ca_file)
    try:
        summary = await peer.wait_for("summary", SENDER_DEADLINE)
        async with asyncio.timeout(30):
            await peer.process.wait()
    finally:
        await peer.stop()
    wall = time.perf_counter() - started
    if summary["received"] != settings.count:
        raise RuntimeError(f"hyco-ws sender: {summary}")
    return Run(float(summary["messages_per_s"]), wall)


async def start_listener(kind: str, emu: RemoteEmulator) -> Peer:
    if kind == "node":
        peer = await Peer.node("ws_echo_listener", emu.node_config(), ca_file=emu.ca_file)
    else:
        os.environ[KEY_VARIABLE] = emu.key
        peer = await Peer.python("relaydesk_listener", emu.namespace, str(emu.ca_file))
    await peer.wait_for("listening", 60)
    return peer


Sender = Callable[[RemoteEmulator, Settings], Awaitable[Run]]


async def measure(args: argparse.Namespace) -> None:
    settings = Settings(args.count, args.window, args.size)
    senders: dict[str, Sender] = {"relaydesk": relaydesk_sender, "hyco-ws": node_sender}
    results: dict[str, list[Run]] = {name: [] for name in senders}
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncExitStack() as stack:
            emu = await stack.enter_async_context(emulator_process(Path(tmp) / "emu"))
            listener = await start_listener(args.listener, emu)
            stack.push_async_callback(listener.stop)
            for sender in senders.values():  # warm-up: caches, JIT, the listener
                await sender(emu, settings)
            for number in range(args.rounds):
                names = list(senders) if number % 2 == 0 else list(reversed(senders))
                for name in names:
                    results[name].append(await senders[name](emu, settings))
                print(
                    f"round {number + 1}: "
                    + ", ".join(f"{n} {results[n][-1].rate:,.0f} msg/s" for n in names),
                    flush=True,
                )
    report(results, settings, args.listener)


def report(results: dict[str, list[Run]], settings: Settings, listener: str) -> None:
    ratios = [
        ours.rate / theirs.rate
        for ours, theirs in zip(results["relaydesk"], results["hyco-ws"], strict=True)
    ]
    print(
        f"\n{settings.count} x {settings.size} B text messages, window {settings.window}, "
        f"{listener} echo listener, {len(ratios)} rounds"
    )
    for name, runs in results.items():
        rates = [r.rate for r in runs]
        walls = [r.wall for r in runs]
        print(
            f"  {name:<10} median {statistics.median(rates):>9,.0f} msg/s "
            f"(min {min(rates):,.0f}, max {max(rates):,.0f}); "
            f"process wall time median {statistics.median(walls):.2f} s"
        )
    print(
        f"  RelayDesk/hyco-ws msg/s ratio: min {min(ratios):.2f}  "
        f"median {statistics.median(ratios):.2f}  max {max(ratios):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--listener", choices=("node", "relaydesk"), default="node")
    args = parser.parse_args()
    if args.rounds < 1 or args.count < 1 or args.window < 1 or args.size < 1:
        parser.error("--rounds, --count, --window and --size must be at least 1")
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
