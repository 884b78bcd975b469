"""``relaydesk request``: one HTTP request through the relay (protocol §7.1).

Prints the listener's status line, headers and body (``--json``: one
``{"event":"response",…}`` object). Exit 0 for a 2xx answer from the
listener, 6 for any other status the listener chose; refusals by the relay
itself (401/403/404, 502 no listener, 504 timeout) are errors with a remedy
and the exit code of their family.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relaydesk.cli.argument_types import seconds, text
from relaydesk.cli.common import (
    add_common_arguments,
    resolve,
    run_command,
    ssl_context_for,
    token_providers,
)
from relaydesk.cli.exit_codes import EXIT_INCOMPLETE, EXIT_OK
from relaydesk.cli.output import Output, data_fields
from relaydesk.errors import InvalidInput
from relaydesk.protocol.redaction import redact_headers

if TYPE_CHECKING:
    from relaydesk.relay.http_sender import HttpResponse

__all__ = ["add_arguments", "parse_header", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk request``."""
    add_common_arguments(parser)
    group = parser.add_argument_group("the request")
    group.add_argument(
        "--method", metavar="M", type=text, help="HTTP method (default GET, or POST with a body)"
    )
    group.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="K:V",
        type=text,
        help="a request header; repeat for more",
    )
    body = group.add_mutually_exclusive_group()
    body.add_argument("--data", metavar="TEXT", type=text, help="the request body")
    body.add_argument("--data-file", metavar="F", help="read the body from this file")
    group.add_argument(
        "--path",
        metavar="SUFFIX",
        default="",
        type=text,
        help="path appended to the address (§7.1)",
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=70.0,
        metavar="S",
        help="seconds for the whole exchange (default 70; the relay gives up at 60)",
    )


def parse_header(text: str) -> tuple[str, str]:
    """Split ``"Name: value"``; raises :class:`InvalidInput` without a colon or name."""
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise InvalidInput("--header", f"expected NAME:VALUE, got {text!r}")
    return name.strip(), value.strip()


def _body(args: argparse.Namespace) -> bytes | None:
    if args.data is not None:
        return str(args.data).encode()
    if args.data_file is not None:
        try:
            return Path(args.data_file).read_bytes()
        except OSError as exc:
            raise InvalidInput("--data-file", f"cannot read {args.data_file}: {exc}") from None
    return None


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk request``."""
    return run_command(args, lambda output, stop: _request(args, output))


async def _request(args: argparse.Namespace, output: Output) -> int:
    from relaydesk.relay.http_sender import http_request

    headers = dict(parse_header(h) for h in args.header)
    body = _body(args)
    if args.data is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "text/plain; charset=utf-8"
    method = args.method or ("POST" if body is not None else "GET")
    target = resolve(args, output, ("sender",))
    async with token_providers(target) as providers:
        response = await http_request(
            target.address,
            providers["sender"],
            method,
            path_suffix=args.path,
            headers=headers,
            body=body,
            ssl_context=ssl_context_for(target),
            proxy=target.proxy,
            timeout=args.timeout,
        )
    _print(response, output)
    return EXIT_OK if 200 <= response.status < 300 else EXIT_INCOMPLETE


def response_record(response: HttpResponse) -> dict[str, Any]:
    """The ``response`` event of ``--json``."""
    return {
        "event": "response",
        "method": response.method,
        "url": response.url,
        "status": response.status,
        "reason": response.reason,
        "headers": redact_headers(response.headers),
        **data_fields(response.body, utf8_as_text=True),
        "elapsed_ms": round(response.elapsed * 1000, 3),
    }


def _print(response: HttpResponse, output: Output) -> None:
    """JSON: one object. Human: status line, headers, blank line, body."""
    record = response_record(response)
    if output.json_mode:
        output.emit(record)
        return
    lines = [f"HTTP {response.status} {response.reason}".rstrip()]
    lines += [f"{name}: {value}" for name, value in record["headers"].items()]
    lines.append("")
    if "text" in record:
        lines.append(record["text"])
    else:
        lines.append(f"<{len(response.body)} bytes of binary data; use --json for base64>")
    print("\n".join(lines), file=output.out, flush=True)
