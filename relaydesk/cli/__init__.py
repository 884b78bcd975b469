"""The ``relaydesk`` command: no subcommand opens the GUI; subcommands run headless.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only to build the parser, so they
must import heavy libraries (msal, keyring, aiohttp, Qt) inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from relaydesk import __version__

__all__ = ["build_parser", "main"]

#: subcommand name → (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("relaydesk.cli.emulator_command", "run the local Azure Relay + Entra emulator"),
    "listen": ("relaydesk.cli.listen_command", "run a listener on a hybrid connection"),
    "send": ("relaydesk.cli.send_command", "send WebSocket messages to a hybrid connection"),
    "request": (
        "relaydesk.cli.request_command",
        "send one HTTP request through a hybrid connection",
    ),
    "check": (
        "relaydesk.cli.check_command",
        "one-shot connectivity check (token, listener, sender, round trips)",
    ),
    "token": ("relaydesk.cli.token_command", "acquire a token and show its claims and expiry"),
    "connect-port": (
        "relaydesk.cli.connect_port_command",
        "open a local HTTP port whose requests go through a hybrid connection",
    ),
    "info": (
        "relaydesk.cli.info_command",
        "show the relay's runtime information: listener count, client authorization",
    ),
}


def _available_subcommands() -> dict[str, tuple[str, str]]:
    """Return the subcommands whose module exists (features land one by one)."""
    found = {}
    for name, (module, help_text) in SUBCOMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            found[name] = (module, help_text)
    return found


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="relaydesk",
        description="Azure Relay Hybrid Connections desktop utility. "
        "Without a subcommand, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"relaydesk {__version__}")
    add_gui_arguments(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in _available_subcommands().items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the desktop app (used when no subcommand is given)."""
    parser.add_argument("--demo", action="store_true", help="start on the embedded emulator")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="drive the real widgets through a demo round trip and exit (0 = pass)",
    )
    parser.add_argument("--screenshot", metavar="PATH", help="with --self-test: save a PNG")
    parser.add_argument(
        "--token-lifetime",
        type=int,
        default=None,
        metavar="SECONDS",
        help="demo mode: lifetime of emulator tokens (default: a few minutes)",
    )
    parser.add_argument("--profile", metavar="NAME", help="open this profile")


#: GUI options that take a value (the word after them is not a subcommand).
_GUI_VALUE_OPTIONS = frozenset({"--screenshot", "--token-lifetime", "--profile"})


def _wants_subcommand(argv: Sequence[str]) -> bool:
    """True unless ``argv`` is a plain GUI start (no subcommand, no help).

    Any bare word that is not an option's value counts as a subcommand, so a
    mistyped one still gets argparse's "invalid choice" message.
    """
    previous = ""
    for arg in argv:
        if arg in ("-h", "--help", "--version"):
            return True
        if not arg.startswith("-") and previous not in _GUI_VALUE_OPTIONS:
            return True
        previous = arg
    return False


def build_gui_parser() -> argparse.ArgumentParser:
    """The parser for a GUI start: the desktop app's options only.

    Building the full parser imports every subcommand module (~60 ms), which a
    double-click start does not need.
    """
    parser = argparse.ArgumentParser(prog="relaydesk")
    add_gui_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``relaydesk`` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser() if _wants_subcommand(arguments) else build_gui_parser()
    args = parser.parse_args(arguments)
    run = getattr(args, "_run", None)
    if run is None:
        from relaydesk.gui.app import run_gui  # Qt is imported only here

        return run_gui(args)
    result: int = run(args)
    return result


if __name__ == "__main__":  # pragma: no cover - exercised through python -m relaydesk
    sys.exit(main())
