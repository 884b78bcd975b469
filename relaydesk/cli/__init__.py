"""The ``relaydesk`` command: no subcommand opens the GUI; subcommands run headless.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``. Only the module of the subcommand being run is imported
(``relaydesk --help`` imports none: it lists names and one-line helps), and
those modules import heavy libraries (msal, keyring, aiohttp, Qt) only in the
code paths that need them, so start-up costs what the command uses.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from relaydesk import __version__

__all__ = ["asks_for_help", "build_gui_parser", "build_parser", "main", "wants_subcommand"]

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
    "sign-out": (
        "relaydesk.cli.sign_out_command",
        "forget a signed-in person (--sign-in): the next run asks again",
    ),
    "connect-port": (
        "relaydesk.cli.connect_port_command",
        "open a local HTTP port whose requests go through a hybrid connection",
    ),
    "info": (
        "relaydesk.cli.info_command",
        "show the relay's runtime information: listener count, client authorization",
    ),
    "diagnose": (
        "relaydesk.cli.diagnose_command",
        "walk the path to the relay step by step (DNS, proxy, TLS, token, listeners)",
    ),
}


class _Parser(argparse.ArgumentParser):
    """argparse whose errors reach :func:`main` as :class:`argparse.ArgumentError`.

    With ``exit_on_error=False`` a bad value (an argument type's refusal, an
    invalid choice) is raised with the option's name; ``error`` raises the
    rest (missing or unknown arguments) the same way. :func:`main` prints
    either as one line naming the option, like every other usage error, and
    exits with 2. Subparsers are built from this class too.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(exit_on_error=False, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        raise argparse.ArgumentError(None, message)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser; only ``command``'s module is imported.

    Every subcommand is listed (name and one-line help), but only the one
    named ``command`` gets its options and its ``run``: importing a
    subcommand module pulls in asyncio, the protocol core and more, which
    the other commands and ``relaydesk --help`` do not need. When ``command``
    is a subcommand, the others are left out altogether: they show only in
    ``relaydesk --help`` and in the "invalid choice" error for a name that is
    none of them, and building their parsers is ~1 ms of a one-shot command.
    """
    parser = _Parser(
        prog="relaydesk",
        description="Azure Relay Hybrid Connections desktop utility. "
        "Without a subcommand, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"relaydesk {__version__}")
    add_gui_arguments(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if command in SUBCOMMANDS and name != command:
            continue
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
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
    parser.add_argument("--profile", metavar="NAME", type=_text, help="open this profile")


def _text(value: str) -> str:
    """:func:`relaydesk.cli.argument_types.text`, imported only when used (GUI start)."""
    from relaydesk.cli.argument_types import text

    return text(value)


#: GUI options that take a value (the word after them is not a subcommand).
_GUI_VALUE_OPTIONS = frozenset({"--screenshot", "--token-lifetime", "--profile"})


def wants_subcommand(argv: Sequence[str]) -> bool:
    """True unless ``argv`` is a plain GUI start (no subcommand, no help).

    Any bare word that is not an option's value counts as a subcommand, so a
    mistyped one still gets argparse's "invalid choice" message.
    """
    return asks_for_help(argv) or _subcommand_word(argv) is not None


def asks_for_help(argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks for help or the version (argparse answers and exits)."""
    return any(arg in ("-h", "--help", "--version") for arg in argv)


def _subcommand_word(argv: Sequence[str]) -> str | None:
    """The first bare word of ``argv`` that is not a GUI option's value."""
    previous = ""
    for arg in argv:
        if not arg.startswith("-") and previous not in _GUI_VALUE_OPTIONS:
            return arg
        previous = arg
    return None


def build_gui_parser() -> argparse.ArgumentParser:
    """The parser for a GUI start: the desktop app's options only.

    A double-click start needs no subcommand parser at all.
    """
    parser = _Parser(prog="relaydesk")
    add_gui_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None, *, parsed: Callable[[], None] | None = None) -> int:
    """Entry point of the ``relaydesk`` console script.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        parsed: called once the arguments are parsed (the command's module
            imported), before the command runs; :mod:`relaydesk.__main__`
            ends its start-up there.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if wants_subcommand(arguments):
        parser = build_parser(_subcommand_word(arguments))
    else:
        parser = build_gui_parser()
    try:
        args = parser.parse_args(arguments)
    except argparse.ArgumentError as exc:
        return _usage_error(exc, arguments)
    if parsed is not None:
        parsed()
    run = getattr(args, "_run", None)
    if run is None:
        from relaydesk.gui.app import run_gui  # Qt is imported only here

        return run_gui(args)
    result: int = run(args)
    return result


def _usage_error(exc: argparse.ArgumentError, arguments: Sequence[str]) -> int:
    """Report a command-line error in one line (JSON with ``--json``); return 2."""
    from relaydesk.cli.output import Output
    from relaydesk.errors import InvalidInput

    word = _subcommand_word(arguments)
    command = word if word in SUBCOMMANDS else ""
    output = Output(json_mode="--json" in arguments, debug=False, command=command)
    return output.error(InvalidInput(exc.argument_name or "usage", exc.message))


if __name__ == "__main__":  # pragma: no cover - exercised through python -m relaydesk
    sys.exit(main())
