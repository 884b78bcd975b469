"""``relaydesk sign-out``: forget the people signed in with ``--sign-in``.

Each identity keeps its own sign-in (MSAL's token cache, in the OS keyring):
the command line's main identity under ``"command line/listener"``, its
``--sender-sign-in`` under ``"command line/sender"``, a profile's under its
name and role. Signing out removes the accounts and every token of them
from that cache, without contacting Entra ID; the next run signs in again.
"""

from __future__ import annotations

import argparse
from typing import Any

from relaydesk.cli.common import run_command
from relaydesk.cli.exit_codes import EXIT_OK
from relaydesk.cli.output import Output

__all__ = ["add_arguments", "run"]

_COMMAND_LINE = "command line"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``relaydesk sign-out``."""
    parser.add_argument(
        "--profile",
        dest="cli_profile",
        metavar="NAME",
        help="the profile whose signed-in people to forget (default: those of --sign-in "
        "on the command line)",
    )
    parser.add_argument(
        "--role",
        choices=("listener", "sender", "both"),
        default="both",
        help="which identity: the main/listener one, the sender's, or both (default)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per line, each with 'event'"
    )
    parser.add_argument(
        "--debug", action="store_true", help="print tracebacks of unexpected errors"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``relaydesk sign-out``."""
    return run_command(args, lambda output, stop: _sign_out(args, output))


async def _sign_out(args: argparse.Namespace, output: Output) -> int:
    import asyncio

    from relaydesk.auth.user_cache import open_user_cache, sign_out
    from relaydesk.profiles.store import default_config_dir
    from relaydesk.secrets import secret_key

    name = args.cli_profile or _COMMAND_LINE
    roles = ("listener", "sender") if args.role == "both" else (args.role,)
    for role in roles:
        cache = open_user_cache(default_config_dir(), secret_key(name, role))
        removed = await asyncio.to_thread(sign_out, cache)
        record: dict[str, Any] = {
            "event": "signed_out",
            "identity": f"{name}/{role}",
            "accounts": removed,
        }
        who = ", ".join(removed) if removed else "nobody was signed in"
        output.emit(record, human=f"{name}/{role}: signed out ({who})")
    return EXIT_OK
