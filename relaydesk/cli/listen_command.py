"""``relaydesk listen``: run a listener until interrupted (protocol §4, §5, §7).

Prints one line (or one JSON object) per event: ``online``, ``accepted``,
``message``, ``request``, ``token_renewed``, ``reconnecting``, ``error`` …
SIGINT/SIGTERM stop it cleanly (control channel closed with 1000) and the
command exits 0. With ``--forward URL`` every relayed HTTP request goes to
a local service and every WebSocket sender is bridged to it
(:mod:`relaydesk.relay.forwarding`). If the first connect fails, the error is printed once with
its remedy and the exit code of its family; later drops are retried by the
listener (§11) and only reported. A listener that gives up (404, the hybrid
connection was deleted) ends the command with exit code 4.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from relaydesk.cli.argument_types import text
from relaydesk.cli.common import (
    add_common_arguments,
    resolve,
    run_command,
    ssl_context_for,
    token_providers,
)
from relaydesk.cli.exit_codes import EXIT_OK, exit_code_for_kind
from relaydesk.cli.output import Output, event_record

if TYPE_CHECKING:
    from relaydesk.relay.capture import Capture
    from relaydesk.relay.events import Event
    from relaydesk.relay.forwarding import Forwarder, ForwardOptions
    from relaydesk.relay.listener import Listener
    from relaydesk.relay.policies import HttpHandler, HttpRequest

__all__ = ["add_arguments", "run"]

#: Seconds to wait for the last events after the listener stopped.
_DRAIN_TIMEOUT = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk listen``."""
    add_common_arguments(parser, sender=False)
    group = parser.add_argument_group("listener behaviour")
    group.add_argument(
        "--echo",
        action="store_true",
        help="echo WebSocket messages and HTTP request bodies back",
    )
    group.add_argument(
        "--http-status", type=int, metavar="N", help="status of HTTP responses (default 200)"
    )
    group.add_argument("--http-body", metavar="TEXT", type=text, help="body of HTTP responses")
    group.add_argument(
        "--reject",
        type=int,
        metavar="STATUS",
        help="reject every WebSocket sender with this status (e.g. 403)",
    )
    _add_forward_arguments(parser)


def _add_forward_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "forwarding", "put a local web app behind the hybrid connection"
    )
    group.add_argument(
        "--forward",
        metavar="URL",
        type=text,
        help="forward every HTTP request to this local base URL (e.g. http://127.0.0.1:8080)",
    )
    group.add_argument(
        "--forward-ws",
        metavar="URL",
        type=text,
        help="bridge WebSocket senders to this local URL (default: the --forward URL as ws://)",
    )
    group.add_argument(
        "--forward-host",
        metavar="HOST",
        type=text,
        help="Host header for the local service (default: its own)",
    )
    group.add_argument("--forward-ca", metavar="FILE", help="extra CA trusted for an https service")
    group.add_argument(
        "--forward-insecure",
        action="store_true",
        help="accept any certificate of the local https service",
    )
    group.add_argument(
        "--forward-timeout",
        type=float,
        default=50.0,
        metavar="SECONDS",
        help="wait this long for the local service (default 50; the relay gives up at 60)",
    )
    group.add_argument(
        "--har",
        metavar="FILE",
        help="on exit, write every HTTP request answered (redacted) to FILE as HAR 1.2",
    )
    group.add_argument(
        "--max-in-flight", type=int, default=32, metavar="N", help="requests forwarded at once"
    )
    group.add_argument(
        "--max-request-body",
        type=int,
        default=64 * 1024 * 1024,
        metavar="BYTES",
        help="largest request body forwarded (default 64 MiB; larger gets 413)",
    )
    group.add_argument(
        "--max-response-body",
        type=int,
        default=1024 * 1024 * 1024,
        metavar="BYTES",
        help="largest response body passed back (default 1 GiB; larger gets 502)",
    )


def http_handler(args: argparse.Namespace) -> HttpHandler:
    """Answer with ``--http-status``/``--http-body``, or echo with ``--echo``."""
    from relaydesk.relay.policies import HttpReply

    status = args.http_status if args.http_status is not None else 200
    fixed = args.http_body.encode() if args.http_body is not None else None

    async def handler(request: HttpRequest) -> HttpReply:
        if fixed is None and args.echo:
            content_type = next(
                (v for k, v in request.headers.items() if k.lower() == "content-type"), None
            )
            headers = {"Content-Type": content_type} if content_type else {}
            return HttpReply(status=status, headers=headers, body=request.body)
        headers = {"Content-Type": "text/plain; charset=utf-8"} if fixed else {}
        return HttpReply(status=status, headers=headers, body=fixed or b"")

    return handler


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk listen``."""
    return run_command(args, lambda output, stop: _listen(args, output, stop))


async def _listen(args: argparse.Namespace, output: Output, stop: asyncio.Event) -> int:
    from relaydesk.relay.listener import Listener
    from relaydesk.relay.options import ListenerOptions
    from relaydesk.relay.policies import accept_all, reject_all

    _check_statuses(args)
    forward = _forward_options(args)  # checked before any credential is looked at
    if forward is not None and not forward.verify_tls:
        output.warn(
            "--forward-insecure: the local service's certificate is not checked; "
            "anyone on the way to it could answer in its place"
        )
    capture = _capture(args)
    target = resolve(args, output, ("listener",))
    forwarder = None
    if forward is not None:
        from relaydesk.relay.forwarding import Forwarder

        forwarder = Forwarder(forward, entity_path=target.address.entity_path)
    async with token_providers(target) as providers:
        if forwarder is not None:
            listener = Listener(
                target.address,
                providers["listener"],
                policy=forwarder.accept_policy,
                http_handler=forwarder,
                connection_handler=forwarder.connection_handler,
                ssl_context=ssl_context_for(target),
                options=ListenerOptions(
                    http_timeout=min(59.0, args.forward_timeout + 4), proxy=target.proxy
                ),
            )
        else:
            listener = Listener(
                target.address,
                providers["listener"],
                policy=reject_all(args.reject) if args.reject is not None else accept_all(),
                http_handler=http_handler(args),
                ssl_context=ssl_context_for(target),
                options=ListenerOptions(auto_echo=bool(args.echo), proxy=target.proxy),
            )
        try:
            await listener.start()  # the first failure is raised: one error line, its exit code
            return await _serve(listener, output, stop, forwarder, capture)
        finally:
            if capture is not None:
                _write_har(args.har, capture, target.address.namespace, output)
            if forwarder is not None:
                await forwarder.close()


def _forward_options(args: argparse.Namespace) -> ForwardOptions | None:
    """The ``--forward`` options, checked; errors name the option."""
    from relaydesk.errors import InvalidField, InvalidInput

    if args.forward is None:
        if args.forward_ws is not None:
            raise InvalidInput("--forward-ws", "needs --forward URL as well")
        return None
    for option, used in (
        ("--echo", args.echo),
        ("--http-status", args.http_status is not None),
        ("--http-body", args.http_body is not None),
        ("--reject", args.reject is not None),
    ):
        if used:
            raise InvalidInput(
                option, "cannot be combined with --forward (the local service answers)"
            )
    from relaydesk.relay.forwarding import ForwardOptions

    try:
        options = ForwardOptions(
            http_url=args.forward,
            ws_url=args.forward_ws,
            host_header=args.forward_host,
            ca_file=args.forward_ca,
            verify_tls=not args.forward_insecure,
            max_in_flight=args.max_in_flight,
            max_request_body=args.max_request_body,
            max_response_body=args.max_response_body,
            timeout=args.forward_timeout,
        )
    except InvalidField as exc:
        raise InvalidInput(_option_name(exc.field), exc.reason) from None
    return options


def _capture(args: argparse.Namespace) -> Capture | None:
    """A capture for ``--har``, once the file's folder is known to exist."""
    if args.har is None:
        return None
    from pathlib import Path

    from relaydesk.errors import InvalidInput
    from relaydesk.relay.capture import Capture

    folder = Path(args.har).expanduser().resolve().parent
    if not folder.is_dir():
        raise InvalidInput("--har", f"the folder {folder} does not exist")
    return Capture()


def _write_har(path: str, capture: Capture, namespace: str, output: Output) -> None:
    from pathlib import Path

    from relaydesk.atomic_files import write_atomically
    from relaydesk.relay.har import har_text

    text = har_text(capture, base_url=f"https://{namespace}")
    try:
        write_atomically(Path(path).expanduser(), text.encode())
    except OSError as exc:
        output.warn(f"could not write the HAR file {path}: {exc.strerror}")
        return
    print(f"relaydesk: wrote {len(capture)} requests to {path} (HAR 1.2)", file=output.err)


def _option_name(field: str) -> str:
    names = {"forward": "--forward", "forward_ws": "--forward-ws", "timeout": "--forward-timeout"}
    return names.get(field, "--" + field.replace("_", "-"))


def _check_statuses(args: argparse.Namespace) -> None:
    from relaydesk.errors import InvalidInput

    for option, value in (("--http-status", args.http_status), ("--reject", args.reject)):
        if value is not None and not 100 <= value <= 999:
            raise InvalidInput(option, "a status must be from 100 to 999")


async def _serve(
    listener: Listener,
    output: Output,
    stop: asyncio.Event,
    forwarder: Forwarder | None = None,
    capture: Capture | None = None,
) -> int:
    """Print events until ``stop`` is set or the listener goes offline for good."""
    gave_up: list[int] = []
    forward = str(forwarder.options.http_target) if forwarder is not None else None
    printer = asyncio.create_task(_print_events(listener, output, gave_up, forward, capture))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({printer, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        await listener.stop()
        with contextlib.suppress(TimeoutError):
            # Re-raises a failure of the printer itself (a bug): exit 1, not 0.
            await asyncio.wait_for(printer, _DRAIN_TIMEOUT)
    return gave_up[0] if gave_up and not stop.is_set() else EXIT_OK


async def _print_events(
    listener: Listener,
    output: Output,
    gave_up: list[int],
    forward: str | None,
    capture: Capture | None,
) -> None:
    """Print every event; note the exit code if the listener gave up by itself."""
    async for event in listener.events():
        if capture is not None:
            capture.add(event)
        record = event_record(event, now=event.at)
        if record is None:
            continue
        _annotate(record, event, listener)
        if forward is not None and record["event"] == "online":
            record["forward"] = forward
        output.emit_at(record, event.at)
        if record["event"] == "offline":
            error = record.get("error")
            gave_up.append(exit_code_for_kind(error["kind"]) if error else EXIT_OK)
            return


def _annotate(record: dict[str, Any], event: Event, listener: Listener) -> None:
    """Add the address and listener id to ``online`` (what a script waits for)."""
    if record["event"] == "online":
        record["address"] = str(listener.address)
        record["listener_id"] = listener.listener_id
