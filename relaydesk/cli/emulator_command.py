"""``relaydesk emulator``: run the local Azure Relay + Entra emulator.

Once listening it prints exactly one JSON line (the ready info, secrets
included, for the process that started it) on stdout and flushes; after
that it logs only to stderr. SIGINT/SIGTERM close every WebSocket with 1001
and exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relaydesk.emulator import EmulatorOptions

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to its subcommand parser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 = any free port")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="certificates, keys and secrets (default: user data dir)",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="world configuration file")
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=3600,
        metavar="SECONDS",
        help="lifetime of issued Entra tokens, >= 1 (default 3600)",
    )
    parser.add_argument(
        "--token-expiry-grace",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds a listener outlives its token before the 1008 close",
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding an address other than loopback",
    )


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; return the exit code."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from relaydesk.emulator import EmulatorOptions
    from relaydesk.errors import EmulatorError

    options = EmulatorOptions(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        config_file=args.config,
        token_lifetime=args.token_lifetime,
        token_expiry_grace=args.token_expiry_grace,
        allow_non_loopback=args.allow_non_loopback,
    )
    try:
        # Ranges (port, positive finite seconds, loopback) are checked once,
        # here, by EmulatorOptions; argparse only parses the numbers.
        options.validate()
    except EmulatorError as exc:
        print(f"relaydesk emulator: error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(options))
    except EmulatorError as exc:
        print(f"relaydesk emulator: error: {exc}", file=sys.stderr)
        return 1


async def _serve(options: EmulatorOptions) -> int:
    """Start, print the ready line, wait for a signal, stop."""
    from relaydesk.emulator import Emulator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Emulator(options) as emulator:
        sys.stdout.write(json.dumps(emulator.ready_info()) + "\n")
        sys.stdout.flush()
        await stop.wait()
    return 0
