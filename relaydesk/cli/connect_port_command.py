"""``relaydesk connect-port``: a local HTTP port into a hybrid connection (§6, §7.1).

Listens on ``127.0.0.1:PORT``; every request a local tool sends there goes
through the relay with the sender's identity, and WebSocket upgrades become
relayed WebSocket connections (:mod:`relaydesk.relay.local_port`). With
``relaydesk listen --forward`` on the other machine this is a complete
tunnel. Other interfaces only with ``--bind``, and a warning: anyone who
can reach the port then uses the sender's identity.

Prints ``port`` (the URL, once listening), then one ``request`` line per
exchange and ``error`` lines for relay refusals; SIGINT/SIGTERM stop it
with exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from relaydesk.cli.argument_types import seconds, text
from relaydesk.cli.common import (
    add_common_arguments,
    resolve,
    run_command,
    ssl_context_for,
    token_providers,
)
from relaydesk.cli.exit_codes import EXIT_OK
from relaydesk.cli.output import Output, event_record

if TYPE_CHECKING:
    from relaydesk.relay.events import Event
    from relaydesk.relay.local_port import LocalPort

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk connect-port``."""
    add_common_arguments(parser)
    group = parser.add_argument_group("local port")
    group.add_argument(
        "--port", type=int, required=True, metavar="N", help="local TCP port (0 = any free one)"
    )
    group.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="HOST",
        type=text,
        help="interface to listen on (default 127.0.0.1; others expose the sender's identity)",
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=70.0,
        metavar="S",
        help="seconds per relayed request (default 70; the relay gives up at 60)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk connect-port``."""
    return run_command(args, lambda output, stop: _serve(args, output, stop))


async def _serve(args: argparse.Namespace, output: Output, stop: asyncio.Event) -> int:
    from relaydesk.errors import InvalidField, InvalidInput
    from relaydesk.relay.local_port import LocalPort, LocalPortOptions, is_loopback

    try:
        options = LocalPortOptions(port=args.port, bind=args.bind, timeout=args.timeout)
    except InvalidField as exc:
        raise InvalidInput(f"--{exc.field}", exc.reason) from None
    target = resolve(args, output, ("sender",))
    if not is_loopback(options.bind):
        output.warn(
            f"listening on {options.bind}, not loopback: anyone who can reach this port "
            "sends through the relay with this sender's identity"
        )
    async with token_providers(target) as providers:
        port = LocalPort(
            target.address,
            providers["sender"],
            options=options,
            ssl_context=ssl_context_for(target),
            proxy=target.proxy,
        )
        await port.start()
        try:
            output.emit(
                {"event": "port", "url": port.url, "address": str(target.address)},
                human=f"port {port.url} → {target.address}",
            )
            printer = asyncio.create_task(_print_events(port, output))
            await stop.wait()
        finally:
            await port.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(printer, 5.0)
    return EXIT_OK


async def _print_events(port: LocalPort, output: Output) -> None:
    async for event in port.events():
        record = _record(event)
        if record is not None:
            output.emit_at(record, event.at)


def _record(event: Event) -> dict[str, Any] | None:
    from relaydesk.relay.events import HttpResponseReceived

    if isinstance(event, HttpResponseReceived):
        return {
            "event": "request",
            "method": event.method,
            "url": event.url,
            "status": event.status,
            "size": len(event.body) if event.body_size is None else event.body_size,
            "elapsed_ms": round(event.elapsed * 1000, 3),
        }
    return event_record(event, now=event.at)
