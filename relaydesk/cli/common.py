"""Options every relay subcommand shares, and the run wrapper around them.

Credential options follow one rule (product principle 6): a secret never
comes from a plain argument, since arguments show in the process list and
the shell history. Secrets come from an environment variable
(``--client-secret-env VAR``), standard input (``--client-secret-stdin``,
``--connection-string -``) or the OS keyring (``--profile``). The one
exception is ``--connection-string CS``, accepted because that is how the
portal hands connection strings out, but with a warning on stderr when the
string holds a key (see :mod:`relaydesk.cli.credentials`).

The listener and the sender may use different identities (least privilege):
``--sender-*`` options give the sender its own; without them the sender
uses the main identity. ``listen`` uses the main identity; ``send`` and
``request`` use the sender identity; ``check`` uses both; ``token`` uses
the one ``--role`` names (or both).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

from relaydesk.cli import event_loop
from relaydesk.cli.argument_types import text
from relaydesk.cli.credentials import (
    MAX_TOKEN_LIFETIME,
    MIN_TOKEN_LIFETIME,
    Credential,
    Role,
    Target,
    make_provider,
    resolve_target,
)
from relaydesk.cli.output import Output
from relaydesk.cli.proxy_options import add_proxy_arguments

if TYPE_CHECKING:
    import ssl
    from types import FrameType

    from relaydesk.auth.provider import TokenProvider
    from relaydesk.auth.user_provider import DeviceCodePrompt

__all__ = [
    "DEFAULT_AUTHORITY_HOST",
    "add_common_arguments",
    "output_for",
    "resolve",
    "run_command",
    "ssl_context_for",
    "token_providers",
]

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"


EXIT_CODES_EPILOG = (
    "exit codes: 0 success, 1 unexpected error (run with --debug), 2 usage or invalid "
    "input, 3 authentication/authorization, 4 refused by the relay (404, 413, 502, 504, "
    "listener quota, listener rejected, channel closed), 5 relay or authority unreachable, "
    "6 incomplete (missing echo, non-2xx answer, failed check step). Secrets come from "
    "environment variables (--…-env VAR), standard input (--…-stdin, --connection-string -) "
    "or the OS keyring (--profile), never from plain arguments."
)


def add_common_arguments(parser: argparse.ArgumentParser, *, sender: bool = True) -> None:
    """Add ADDRESS, the credential options, ``--ca-file``, ``--json``, ``--debug``.

    Args:
        parser: the subcommand's parser.
        sender: also add the ``--sender-*`` identity options.
    """
    parser.epilog = EXIT_CODES_EPILOG
    parser.add_argument(
        "address",
        metavar="ADDRESS",
        nargs="?",
        type=text,
        help="hybrid connection: sb://ns/hc, https://ns/hc, ns/hc, or "
        "sb://127.0.0.1:PORT/demo for the emulator (default: from the profile or "
        "the connection string's EntityPath)",
    )
    _add_source_arguments(parser)
    _add_identity_arguments(parser.add_argument_group("identity"), prefix="")
    if sender:
        _add_identity_arguments(
            parser.add_argument_group("sender identity (default: the identity above)"),
            prefix="sender-",
        )
    general = parser.add_argument_group("connection and output")
    general.add_argument(
        "--authority-host",
        metavar="URL",
        type=text,
        help=f"Entra authority host (default {DEFAULT_AUTHORITY_HOST}; the emulator's "
        "'authority' from its ready line)",
    )
    general.add_argument(
        "--ca-file", metavar="PATH", help="trust this CA certificate (PEM), e.g. the emulator's"
    )
    general.add_argument(
        "--token-lifetime",
        metavar="S",
        help=f"lifetime of the SAS tokens signed here, seconds ({MIN_TOKEN_LIFETIME:g} to "
        f"{MAX_TOKEN_LIFETIME:.0f}; default 3600); short ones exercise renewal",
    )
    general.add_argument(
        "--json", action="store_true", help="print one JSON object per line, each with 'event'"
    )
    add_proxy_arguments(parser)
    general.add_argument(
        "--debug", action="store_true", help="print tracebacks of unexpected errors"
    )


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("profile or connection string")
    group.add_argument(
        "--profile",
        dest="cli_profile",
        metavar="NAME",
        type=text,
        help="use a saved profile (address, identities; secrets from the OS keyring)",
    )
    group.add_argument(
        "--connection-string",
        metavar="CS",
        type=text,
        help="a Relay connection string; '-' reads it from standard input. A key given "
        "here shows in the process list: prefer '-' or --connection-string-env",
    )
    group.add_argument(
        "--connection-string-env",
        metavar="VAR",
        help="read the connection string from this environment variable",
    )


def _add_identity_arguments(group: argparse._ArgumentGroup, *, prefix: str) -> None:
    """Entra, SAS and anonymous options, once plain and once ``--sender-*``."""
    dest = prefix.replace("-", "_")
    if not prefix:
        group.add_argument(
            "--tenant-id",
            metavar="T",
            type=text,
            help="Entra tenant id (GUID), a verified domain, or 'organizations' with --sign-in",
        )
    group.add_argument(
        f"--{prefix}sign-in",
        choices=("browser", "device-code"),
        help="sign in as yourself (Entra ID user): in the system browser, or with a code "
        "entered on any device; once signed in, later runs renew silently "
        "(sign out with 'relaydesk sign-out')",
    )
    group.add_argument(
        f"--{prefix}client-id",
        metavar="C",
        type=text,
        help="Entra application (client) id; with --sign-in optional (default: the "
        "well-known Azure CLI public client)",
    )
    group.add_argument(
        f"--{prefix}client-secret-env",
        metavar="VAR",
        help="read the client secret from this environment variable",
    )
    group.add_argument(
        f"--{prefix}client-secret-stdin",
        action="store_true",
        help="read the client secret from standard input (one line)",
    )
    group.add_argument(
        f"--{prefix}sas-key-name", metavar="N", type=text, help="SAS rule (key) name"
    )
    group.add_argument(
        f"--{prefix}sas-key-env", metavar="VAR", help="read the SAS key from this variable"
    )
    group.add_argument(
        f"--{prefix}sas-key-stdin",
        action="store_true",
        help="read the SAS key from standard input (one line)",
    )
    if prefix:
        group.add_argument(
            "--sender-anonymous",
            action="store_true",
            dest=f"{dest}anonymous",
            help="send without a token (hybrid connections that do not require "
            "client authorization)",
        )


def output_for(args: argparse.Namespace) -> Output:
    """The :class:`Output` the options ask for."""
    command = getattr(args, "command", None) or ""
    return Output(json_mode=bool(args.json), debug=bool(args.debug), command=str(command))


class _StopSignals:
    """SIGINT/SIGTERM set the running command's ``stop`` event (POSIX, main thread).

    The handlers are :func:`signal.signal` ones that hand ``stop.set`` to the
    loop with ``call_soon_threadsafe``, as :class:`asyncio.Runner` handles
    SIGINT itself, not ``loop.add_signal_handler``: that one first asks
    :mod:`inspect` whether the callback is a coroutine function, and running
    inspect (with ast and dis) is ~4 ms of a one-message send's start-up
    (:mod:`relaydesk.deferred_imports` leaves it unrun until used). They are
    installed before the loop starts, so the Runner leaves SIGINT alone:
    replacing its handler later would format the handler returned, a
    ``partial`` holding the main task, whose repr runs inspect too.

    While no command body runs (the loop starting or closing) a signal goes
    to the handler that was there before: SIGINT raises
    :class:`KeyboardInterrupt`, SIGTERM ends the process. On Windows nothing
    is installed: SIGINT arrives as KeyboardInterrupt, as before.
    """

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._target: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None

    def install(self) -> None:
        if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    @contextlib.contextmanager
    def stopping(self, stop: asyncio.Event) -> Iterator[None]:
        """While inside, a signal sets ``stop`` (in the running loop's thread)."""
        self._target = (asyncio.get_running_loop(), stop)
        try:
            yield
        finally:
            self._target = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        target = self._target
        if target is not None:
            loop, stop = target
            loop.call_soon_threadsafe(stop.set)
            return
        previous = self._previous.get(signum)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)


async def _main_with_stop(
    signals: _StopSignals,
    body: Callable[[asyncio.Event], Coroutine[Any, Any, int]],
) -> int:
    stop = asyncio.Event()
    with signals.stopping(stop):
        return await body(stop)


def run_command(
    args: argparse.Namespace,
    body: Callable[[Output, asyncio.Event], Coroutine[Any, Any, int]],
    *,
    messages: int | None = None,
) -> int:
    """Run ``body(output, stop)`` on a fresh event loop; map failures to exit codes.

    The loop is uvloop's where installed, unless ``messages`` (how many the
    command will handle, when it knows) is too few to repay its import
    (:mod:`relaydesk.cli.event_loop`).

    ``stop`` is set on SIGINT/SIGTERM so long-running commands (``listen``)
    can shut down cleanly and return 0. Expected errors (every
    :class:`~relaydesk.errors.RelayDeskError`) print one line and their
    exit code; anything else prints a one-line summary and exits 1 (the
    traceback only with ``--debug``).
    """
    output = output_for(args)
    signals = _StopSignals()
    signals.install()
    try:
        coroutine = _main_with_stop(signals, lambda stop: body(output, stop))
        return event_loop.run(coroutine, messages=messages)
    except KeyboardInterrupt:
        return 0  # an interrupt is how a user stops a command: not a failure
    except BrokenPipeError:
        # The reader went away (``relaydesk listen --json | head -1``): that
        # ends the command like an interrupt. Point stdout at devnull so the
        # interpreter's final flush does not complain.
        _silence_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        return output.error(exc)
    finally:
        signals.restore()


def _silence_stdout() -> None:
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


@contextlib.asynccontextmanager
async def token_providers(target: Target) -> AsyncIterator[dict[Role, TokenProvider]]:
    """Build one provider per needed role; one shared when both use one identity.

    Sharing means the sender reuses the listener's cached token (MSAL cache,
    protocol §12 item 8). Providers holding HTTP sessions are closed at exit.
    """
    built: dict[int, TokenProvider] = {}
    providers: dict[Role, TokenProvider] = {}
    pairs: tuple[tuple[Role, Credential | None], ...] = (
        ("listener", target.listener),
        ("sender", target.sender),
    )
    for role, credential in pairs:
        if credential is None:
            continue
        key = id(credential)
        if key not in built:
            built[key] = make_provider(target, role)
        providers[role] = built[key]
    try:
        yield providers
    finally:
        for provider in built.values():
            close = getattr(provider, "close", None)
            if callable(close):
                close()


def ssl_context_for(target: Target) -> ssl.SSLContext:
    """The TLS context for the relay: system CAs plus ``--ca-file``."""
    from relaydesk.relay.tls import make_ssl_context

    return make_ssl_context(target.ca_file, host=target.address.host)


def resolve(args: argparse.Namespace, output: Output, roles: tuple[Role, ...]) -> Target:
    """:func:`~relaydesk.cli.credentials.resolve_target` with warnings on stderr.

    A person signing in sees the device code (or the browser's URL when no
    browser opens) through ``output``.
    """
    target = resolve_target(args, roles=roles, warn=output.warn)
    return dataclasses.replace(
        target,
        on_device_code=lambda prompt: show_device_code(output, prompt),
        open_browser=lambda url: _open_browser(output, url),
        warn=output.warn,
    )


def show_device_code(output: Output, prompt: DeviceCodePrompt) -> None:
    """One line for a person (stderr), or one ``device_code`` JSON event (stdout)."""
    if output.json_mode:
        output.emit(
            {
                "event": "device_code",
                "verification_uri": prompt.verification_uri,
                "user_code": prompt.user_code,
                "expires_in": prompt.expires_in,
            }
        )
        return
    minutes = max(1, round(prompt.expires_in / 60))
    print(
        f"relaydesk: to sign in, open {prompt.verification_uri} and enter the code "
        f"{prompt.user_code} (valid {minutes} min); waiting…",
        file=output.err,
        flush=True,
    )


def _open_browser(output: Output, url: str) -> None:
    import webbrowser

    if output.json_mode:
        output.emit({"event": "sign_in", "flow": "browser"})
    else:
        print(
            "relaydesk: signing in: finish in your browser; waiting…", file=output.err, flush=True
        )
    if not webbrowser.open(url):
        print(f"relaydesk: open this page to sign in: {url}", file=output.err, flush=True)
