"""Start-up of the ``relaydesk`` command against its baselines, in one run.

Run: ``python benchmarks/cli_startup.py [--rounds 15]``

Each round times, process start to exit (wall clock, fresh processes):

* ``python -c pass``: the interpreter's own start (the floor);
* ``python -m relaydesk --help``;
* ``python -m relaydesk send sb://NS/demo --message hello --count 1
  --expect-echo`` (SAS key from the environment) through a ``relaydesk
  emulator`` process to a ``hyco-ws`` listener that echoes;
* the same one-message send with Microsoft's ``hyco-ws`` SDK in Node
  (``node/ws_send_once.js``: connect, send, await the echo, close).

Bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, even when
``PYTHONDONTWRITEBYTECODE`` is set), as it is for an installed package, and
one unmeasured run of each warms the caches. The commands run on this
interpreter: in a development venv (``pip install -e``) its ``site`` also
runs the editable install's finder, which adds ~9 ms to ``python -c pass``
and ~3 ms to ``--help``; the send imports those modules anyway, and a
normal install measured the same (docs/performance.md). The order of the four rotates
from round to round. It prints
min/median/max of each and the ratios of the medians (goals: ``--help``
under 80 ms, the send at most 1.3× hyco-ws). ``-X importtime`` shows where
the time goes: ``python -X importtime -m relaydesk --help 2>&1 | sort -t'|' -k2 -n``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peers import BENCHMARKS, RULE, Peer, RemoteEmulator, emulator_process, interop_dir

_TIMEOUT = 60.0


def timed(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``command`` to its exit; it must exit 0."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, timeout=_TIMEOUT, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} exited {done.returncode}: {done.stderr[-500:]!r}")
    return elapsed


def commands(emu: RemoteEmulator, pycache: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The four commands of a round, and the environment they run in."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(pycache),
        RELAYDESK_BENCH_KEY=emu.key,
        RELAYDESK_INTEROP_DIR=str(interop_dir()),
        NODE_EXTRA_CA_CERTS=str(emu.ca_file),
        NO_PROXY="127.0.0.1,localhost,::1",
    )
    python = sys.executable
    send = [
        *(python, "-m", "relaydesk", "send", f"sb://{emu.namespace}/demo"),
        *("--message", "hello", "--count", "1", "--expect-echo"),
        *("--ca-file", str(emu.ca_file), "--sas-key-name", RULE),
        *("--sas-key-env", "RELAYDESK_BENCH_KEY"),
    ]
    config = {**emu.node_config(), "seconds": 30}
    node = ["node", str(BENCHMARKS / "node" / "ws_send_once.js"), json.dumps(config)]
    return {
        "python -c pass": [python, "-c", "pass"],
        "relaydesk --help": [python, "-m", "relaydesk", "--help"],
        "relaydesk send": send,
        "hyco-ws send": node,
    }, env


async def measure(rounds: int) -> dict[str, list[float]]:
    """Run the rounds against one emulator and one echoing hyco-ws listener."""
    with tempfile.TemporaryDirectory() as tmp:
        async with emulator_process(Path(tmp)) as emu:
            config = {**emu.node_config(), "seconds": 3600}
            listener = await Peer.node("ws_echo_listener", config, ca_file=emu.ca_file)
            try:
                await listener.wait_for("listening")
                return await asyncio.to_thread(_rounds, emu, rounds, Path(tmp) / "pycache")
            finally:
                await listener.stop()


def _rounds(emu: RemoteEmulator, rounds: int, pycache: Path) -> dict[str, list[float]]:
    named, env = commands(emu, pycache)
    names = list(named)
    for name in names:  # warm the OS caches once, unmeasured
        timed(named[name], env)
    results: dict[str, list[float]] = {name: [] for name in names}
    for number in range(rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(timed(named[name], env) * 1000)
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    results = asyncio.run(measure(args.rounds))
    medians = {name: statistics.median(times) for name, times in results.items()}
    print(f"{args.rounds} rounds, process start to exit, ms (min/median/max):")
    for name, times in results.items():
        print(f"  {name:17}: {min(times):6.0f} {medians[name]:6.0f} {max(times):6.0f}")
    floor = medians["python -c pass"]
    print(
        f"relaydesk --help: {medians['relaydesk --help']:.0f} ms "
        f"({medians['relaydesk --help'] - floor:+.0f} ms over bare Python; goal < 80 ms)"
    )
    ratio = medians["relaydesk send"] / medians["hyco-ws send"]
    print(f"ratio relaydesk send / hyco-ws send (one message, medians): {ratio:.2f} (goal ≤ 1.3)")


if __name__ == "__main__":
    cli()
