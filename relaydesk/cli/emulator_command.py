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
import os
import signal
import sys
import threading
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
        "--http-response-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds a listener has to answer an HTTP request before the sender gets 504"
        " (default 60, like the service)",
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when standard input reaches end-of-file (the parent process ended)",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="info",
        help="what the emulator logs on stderr (default info: one line per connection and"
        " request; the desktop app's demo child uses warning, so its log stays small)",
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
        level=getattr(logging, str(getattr(args, "log_level", "info")).upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from relaydesk.cli import event_loop
    from relaydesk.emulator import EmulatorOptions
    from relaydesk.errors import EmulatorError, InvalidField

    options = EmulatorOptions(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        config_file=args.config,
        token_lifetime=args.token_lifetime,
        token_expiry_grace=args.token_expiry_grace,
        http_response_timeout=args.http_response_timeout,
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
        return event_loop.run(_serve(options, stop_on_stdin_eof=args.stop_on_stdin_eof))
    except (EmulatorError, InvalidField) as exc:
        print(f"relaydesk emulator: error: {exc}", file=sys.stderr)
        return 1


async def _serve(options: EmulatorOptions, *, stop_on_stdin_eof: bool = False) -> int:
    """Start, print the ready line, wait for a signal (or stdin's end), stop."""
    from relaydesk.emulator import Emulator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Emulator(options) as emulator:
        sys.stdout.write(json.dumps(emulator.ready_info()) + "\n")
        sys.stdout.flush()
        if stop_on_stdin_eof:
            _watch_stdin(loop, stop)
        await stop.wait()
    return 0


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Set ``stop`` once stdin ends: the parent closed the pipe, or died and the OS did.

    A daemon thread blocks on the read, so this works wherever pipes do
    (unlike Linux's PR_SET_PDEATHSIG); what arrives on stdin is discarded.
    """

    def drain() -> None:
        # os.read on the descriptor, not sys.stdin: a buffered reader's lock
        # held by a blocked daemon thread aborts the interpreter at exit.
        try:
            while os.read(fd, 4096):
                pass
        except OSError:
            pass
        loop.call_soon_threadsafe(stop.set)

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # no stdin at all: nothing to watch
        return

    threading.Thread(target=drain, name="stdin-eof", daemon=True).start()
