"""``relaydesk info``: the relay's runtime information — is anyone listening? (§11)

Prints ``listener_count``, ``requires_client_authorization``, ``created_at``,
``updated_at`` and ``user_metadata`` of one hybrid connection, as the relay
reports them. Uses the main identity (any right on the entity will do: Listen,
Send or Manage); the relay answers nobody without a token.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from relaydesk.cli.common import (
    add_common_arguments,
    resolve,
    run_command,
    ssl_context_for,
    token_providers,
)
from relaydesk.cli.exit_codes import EXIT_OK
from relaydesk.cli.output import Output

if TYPE_CHECKING:
    from relaydesk.protocol.runtime_info import RuntimeInfo

__all__ = ["add_arguments", "info_record", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk info``."""
    add_common_arguments(parser, sender=False)


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk info``."""
    return run_command(args, lambda output, stop: _info(args, output))


async def _info(args: argparse.Namespace, output: Output) -> int:
    from relaydesk.relay.runtime_info import get_runtime_info

    target = resolve(args, output, ("listener",))
    async with token_providers(target) as providers:
        info = await get_runtime_info(
            target.address,
            providers["listener"],
            ssl_context=ssl_context_for(target),
            proxy=target.proxy,
        )
    record = info_record(str(target.address), info)
    output.emit(record, human=_human(record))
    return EXIT_OK


def info_record(address: str, info: RuntimeInfo) -> dict[str, Any]:
    """The ``info`` event: the runtime information as JSON-ready fields."""

    def stamp(value: Any) -> str | None:
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    return {
        "event": "info",
        "address": address,
        "listener_count": info.listener_count,
        "requires_client_authorization": info.requires_client_authorization,
        "created_at": stamp(info.created_at),
        "updated_at": stamp(info.updated_at),
        "user_metadata": info.user_metadata,
    }


def _human(record: dict[str, Any]) -> str:
    count = record["listener_count"]
    lines = [
        f"{record['address']}: {count} listener{'s' if count != 1 else ''} online",
        "  senders need a token: "
        + ("yes" if record["requires_client_authorization"] else "no (anonymous senders allowed)"),
        f"  created: {record['created_at'] or 'unknown'}",
        f"  updated: {record['updated_at'] or 'unknown'}",
    ]
    if record["user_metadata"] is not None:
        lines.append(f"  user metadata: {record['user_metadata']}")
    return "\n".join(lines)
