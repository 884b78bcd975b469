"""``relaydesk token``: get a token and show its claims and expiry.

Shows who the token is for, when it expires, whether it came from MSAL's
cache, and its decoded claims (aud, iss, tid, appid/azp, oid, roles, iat,
nbf, exp for Entra, protocol §10.4; sr, skn, se for SAS, §9.2). The raw token
is printed only with ``--show-token``, on purpose: it grants access until it
expires.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from relaydesk.cli.common import add_common_arguments, resolve, run_command, token_providers
from relaydesk.cli.exit_codes import EXIT_OK
from relaydesk.cli.output import Output, iso_time

if TYPE_CHECKING:
    from relaydesk.auth.tokens import AccessToken

__all__ = ["add_arguments", "run", "token_record"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk token``."""
    add_common_arguments(parser)
    group = parser.add_argument_group("token")
    group.add_argument(
        "--role",
        choices=("listener", "sender", "both"),
        default="listener",
        help="whose token: the main/listener identity (default), the sender's, or both",
    )
    group.add_argument(
        "--show-token",
        action="store_true",
        help="also print the raw token (it grants access until it expires: handle with care)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk token``."""
    return run_command(args, lambda output, stop: _token(args, output))


async def _token(args: argparse.Namespace, output: Output) -> int:
    roles: tuple[Any, ...] = ("listener", "sender") if args.role == "both" else (args.role,)
    target = resolve(args, output, roles)
    async with token_providers(target) as providers:
        for role in roles:
            token = await providers[role].get_token()
            record = token_record(role, token, now=time.time(), show=args.show_token)
            output.emit(record, human=_human(record))
    return EXIT_OK


def _plain(value: object) -> object:
    """Claims as JSON-ready values (tuples → lists, mappings → dicts)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def token_record(role: str, token: AccessToken, *, now: float, show: bool) -> dict[str, Any]:
    """The ``token`` event: display fields and claims; the value only if ``show``."""
    info = token.info()
    record: dict[str, Any] = {
        "event": "token",
        "role": role,
        "kind": info.kind,
        "identity": info.identity,
        "expires_at": iso_time(info.expires_at),
        "expires_in": None if info.expires_at is None else round(info.expires_at - now),
        "from_cache": info.from_cache,
        "claims": _plain(info.claims),
    }
    if show:
        record["token"] = token.value.reveal()
    return record


def _human(record: dict[str, Any]) -> str:
    lines = [
        f"{record['role']} token: {record['kind']} for {record['identity']}",
        f"  expires: {record['expires_at'] or 'never'}"
        + (f" (in {record['expires_in']} s)" if record["expires_in"] is not None else ""),
        f"  source: {'cache' if record['from_cache'] else 'fresh'}",
    ]
    claims = record["claims"]
    if claims:
        lines.append("  claims:")
        lines += [f"    {name}: {value}" for name, value in claims.items()]
    if "token" in record:
        lines.append(f"  token: {record['token']}")
    return "\n".join(lines)
