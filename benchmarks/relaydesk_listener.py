"""A RelayDesk listener as a benchmark peer process (run by ``peers.Peer.python``).

Run: ``RELAYDESK_BENCH_KEY=… python benchmarks/relaydesk_listener.py NAMESPACE CA_FILE
[--loop auto|uvloop|asyncio] [--profile FILE]``

Listens on ``sb://NAMESPACE/demo`` with the ``RootManageSharedAccessKey``
rule (its key from the environment, never an argument), echoes WebSocket
messages (``auto_echo``) and HTTP bodies, and reads every event as a GUI
would, on the event loop ``relaydesk listen`` would use
(:mod:`relaydesk.cli.event_loop`; ``--loop`` overrides it). Prints
``{"event":"listening","loop":MODULE}`` once online and
``{"event":"done","events":N}`` when its stdin closes, then stops. With ``--profile`` the
whole run is profiled (cProfile) into FILE, for ``python -m pstats``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
from pathlib import Path

from relaydesk.auth.sas_provider import SasTokenProvider
from relaydesk.cli import event_loop
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.events import ConnectionState, StateChanged
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.policies import echo_handler
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret

RULE = "RootManageSharedAccessKey"


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def run(namespace: str, ca_file: Path) -> None:
    address = HybridConnectionAddress.parse(f"sb://{namespace}/demo")
    provider = SasTokenProvider(address, RULE, Secret(os.environ["RELAYDESK_BENCH_KEY"]))
    listener = Listener(
        address,
        provider,
        http_handler=echo_handler(),
        ssl_context=make_ssl_context(ca_file),
        options=ListenerOptions(auto_echo=True),
    )
    loop = asyncio.get_running_loop()
    stdin_closed = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), _on_stdin, stdin_closed)

    async def drain() -> int:
        count = 0
        async for event in listener.events():
            count += 1
            if type(event) is StateChanged and event.state is ConnectionState.ONLINE:
                emit("listening", loop=type(asyncio.get_running_loop()).__module__)
        return count

    async with listener:
        drained = asyncio.create_task(drain())
        await stdin_closed
    emit("done", events=await drained)


def _on_stdin(closed: asyncio.Future[None]) -> None:
    if not os.read(sys.stdin.fileno(), 4096) and not closed.done():
        closed.set_result(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("namespace")
    parser.add_argument("ca_file", type=Path)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the run here")
    parser.add_argument(
        "--loop", choices=event_loop.LOOP_NAMES, help="event loop (default: as the CLI picks)"
    )
    args = parser.parse_args()
    if args.profile is None:
        event_loop.run(run(args.namespace, args.ca_file), loop=args.loop)
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        event_loop.run(run(args.namespace, args.ca_file), loop=args.loop)
    finally:
        profile.disable()
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
