"""``relaydesk send``: a WebSocket sender (protocol §6).

Connects through the relay to a listener, sends ``--message`` ``--count``
times (one at a time: with ``--expect-echo`` each send waits for its echo,
which gives a round-trip time), then prints a summary:
``{"event":"summary","sent":…,"received":…,"median_rtt_ms":…}``. With
``--expect-echo`` the exit code is 0 only if every echo arrived and matched
within ``--timeout``; otherwise 6 ("incomplete").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

from relaydesk.cli.common import (
    add_common_arguments,
    resolve,
    run_command,
    ssl_context_for,
    token_providers,
)
from relaydesk.cli.exit_codes import EXIT_INCOMPLETE, EXIT_OK
from relaydesk.cli.output import Output, data_fields

if TYPE_CHECKING:
    from relaydesk.relay.sender import SenderConnection

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk send``."""
    add_common_arguments(parser)
    group = parser.add_argument_group("what to send")
    group.add_argument("--message", required=True, metavar="TEXT", help="the text to send")
    group.add_argument(
        "--count", type=int, default=1, metavar="N", help="send it N times (default 1)"
    )
    group.add_argument(
        "--expect-echo",
        action="store_true",
        help="wait for each message to come back; exit 0 only if all did",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds to wait for each echo (default 10)",
    )
    group.add_argument(
        "--path", metavar="SUFFIX", default="", help="path appended to the address (§6)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk send``."""
    return run_command(args, lambda output, stop: _send(args, output, stop))


class _Tally:
    """Counts and round-trip times for the summary."""

    def __init__(self) -> None:
        self.sent = 0
        self.received = 0
        self.rtts_ms: list[float] = []

    def summary(self) -> dict[str, Any]:
        median = round(statistics.median(self.rtts_ms), 3) if self.rtts_ms else None
        return {
            "event": "summary",
            "sent": self.sent,
            "received": self.received,
            "median_rtt_ms": median,
        }


def _check_args(args: argparse.Namespace) -> None:
    from relaydesk.errors import InvalidInput

    if args.count < 1:
        raise InvalidInput("--count", "must be at least 1")
    if not args.timeout > 0:
        raise InvalidInput("--timeout", "must be a positive number of seconds")


async def _send(args: argparse.Namespace, output: Output, stop: asyncio.Event) -> int:
    from relaydesk.relay.sender import connect

    _check_args(args)
    target = resolve(args, output, ("sender",))
    tally = _Tally()
    async with token_providers(target) as providers:
        connection = await connect(
            target.address,
            providers["sender"],
            path_suffix=args.path,
            ssl_context=ssl_context_for(target),
        )
        async with connection:
            output.emit({"event": "connected", "url": connection.url})
            await _exchange(connection, args, output, tally, stop)
    output.emit(tally.summary())
    complete = not args.expect_echo or tally.received == args.count
    return EXIT_OK if complete else EXIT_INCOMPLETE


async def _exchange(
    connection: SenderConnection,
    args: argparse.Namespace,
    output: Output,
    tally: _Tally,
    stop: asyncio.Event,
) -> None:
    """Send ``--count`` messages; with ``--expect-echo`` wait for each echo."""
    for sequence in range(1, args.count + 1):
        if stop.is_set():
            return
        started = time.monotonic()
        await connection.send(args.message)
        tally.sent += 1
        output.emit({"event": "sent", "seq": sequence, **data_fields(args.message)})
        if not args.expect_echo:
            continue
        try:
            reply = await asyncio.wait_for(connection.receive(), args.timeout)
        except TimeoutError:
            output.report(_no_echo(sequence, args.timeout))
            return
        rtt_ms = (time.monotonic() - started) * 1000
        record = {"event": "message", "seq": sequence, **data_fields(reply)}
        record["rtt_ms"] = round(rtt_ms, 3)
        output.emit(record)
        if reply == args.message:
            tally.received += 1
            tally.rtts_ms.append(rtt_ms)


def _no_echo(sequence: int, timeout: float) -> dict[str, Any]:
    return {
        "kind": "EchoTimeout",
        "message": f"no echo for message {sequence} within {timeout:g} s",
        "remedy": "Check that the listener echoes messages (relaydesk listen --echo) "
        "or raise --timeout.",
        "exit_code": EXIT_INCOMPLETE,
    }
