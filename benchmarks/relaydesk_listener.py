"""A RelayDesk listener as a benchmark peer process (run by ``peers.Peer.python``).

Run: ``RELAYDESK_BENCH_KEY=… python benchmarks/relaydesk_listener.py NAMESPACE CA_FILE
[--profile FILE]``

Listens on ``sb://NAMESPACE/demo`` with the ``RootManageSharedAccessKey``
rule (its key from the environment, never an argument), echoes WebSocket
messages (``auto_echo``) and HTTP bodies, and reads every event as a GUI
would. Prints ``{"event":"listening"}`` once online and ``{"event":"done",
"events": N}`` when its stdin closes, then stops. With ``--profile`` the
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
                emit("listening")
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
    args = parser.parse_args()
    if args.profile is None:
        asyncio.run(run(args.namespace, args.ca_file))
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        asyncio.run(run(args.namespace, args.ca_file))
    finally:
        profile.disable()
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
