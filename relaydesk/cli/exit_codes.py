"""Exit codes and the one-line description of every error the CLI reports.

This is the CLI's mapping table (architecture-and-style §4.9: "the core
raises; the edges explain"): each :mod:`relaydesk.errors` family gets one
documented exit code, and every failure becomes a display-safe record with
the cause, the remedy and the ids a support ticket needs (TrackingId, the
AADSTS code, Entra's trace and correlation ids). Nothing here ever contains a
secret: texts from elsewhere go through :func:`relaydesk.protocol.redaction.redact_text`.

Exit codes (documented in the README):

====  ==================================================================
0     success
1     unexpected error (a bug; run with ``--debug`` for the traceback)
2     usage or invalid input (bad address, missing secret, unknown profile)
3     authentication or authorization (token refused by Entra, 401/403
      from the relay, keyring unavailable)
4     the relay refused (404 no such hybrid connection, 413 body over the
      listener's limit, 403 listener quota reached, 502 no listener,
      504 listener timeout, listener rejected, channel closed)
5     unreachable (relay or authority: DNS, TCP, TLS, timeout)
6     incomplete (``send``: an expected echo did not arrive; ``request``:
      the listener answered with a non-2xx status; ``check``: a step failed
      without an error of the families above, e.g. a wrong echo)
====  ==================================================================
"""

from __future__ import annotations

from typing import Any

from relaydesk.errors import (
    AuthError,
    AuthNetworkError,
    ConnectionClosed,
    EntraError,
    Forbidden,
    HandshakeFailed,
    InvalidInput,
    ProfileError,
    RelayDeskError,
    RelayError,
    RelayUnreachable,
    SecretStoreError,
    TokenRejected,
    Unauthorized,
)

__all__ = [
    "EXIT_AUTH",
    "EXIT_INCOMPLETE",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNEXPECTED",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "describe_error",
    "exit_code_for",
    "exit_code_for_kind",
    "exit_code_for_type",
]

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_REFUSED = 4
EXIT_UNREACHABLE = 5
EXIT_INCOMPLETE = 6

#: Error kinds that mean "the exchange did not complete as expected".
_INCOMPLETE_KINDS = frozenset({"CheckStepFailed", "EchoTimeout"})

#: The core's field names as the command line spells them, for error messages
#: (``ca_file: cannot load …`` reads ``--ca-file: cannot load …``).
_CLI_FIELDS = {
    "address": "ADDRESS",
    "authority_host": "--authority-host",
    "ca_file": "--ca-file",
    "tenant_id": "--tenant-id",
    "client_id": "--client-id",
    "sas_key_name": "--sas-key-name",
    "headers": "--header",
    "method": "--method",
    "status": "--http-status/--reject",
    "proxy": "--proxy",
}


def exit_code_for(exc: BaseException) -> int:
    """Return the documented exit code for ``exc`` (see the module docstring)."""
    return exit_code_for_type(type(exc))


def exit_code_for_type(cls: type[BaseException]) -> int:
    """Return the exit code for errors of class ``cls``."""
    if issubclass(cls, InvalidInput | ProfileError):
        return EXIT_USAGE
    if issubclass(cls, AuthNetworkError | RelayUnreachable):
        return EXIT_UNREACHABLE
    if issubclass(cls, AuthError | SecretStoreError | TokenRejected | Unauthorized | Forbidden):
        return EXIT_AUTH
    if issubclass(cls, RelayError):
        return EXIT_REFUSED
    return EXIT_UNEXPECTED


def exit_code_for_kind(kind: str) -> int:
    """Return the exit code for an :class:`~relaydesk.relay.events.ErrorInfo` ``kind``.

    ``kind`` is an error class name: one of :mod:`relaydesk.errors`, or
    ``CheckStepFailed`` (a wrong result: "incomplete"); anything else is
    unexpected.
    """
    from relaydesk import errors

    if kind in _INCOMPLETE_KINDS:
        return EXIT_INCOMPLETE
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, RelayDeskError):
        return exit_code_for_type(cls)
    return EXIT_UNEXPECTED


def _ids(exc: BaseException) -> dict[str, Any]:
    """The ids and codes a support ticket needs, when the error has them."""
    ids: dict[str, Any] = {}
    if isinstance(exc, HandshakeFailed):
        ids["status"] = exc.status
        if exc.tracking_id:
            ids["tracking_id"] = exc.tracking_id
    elif isinstance(exc, ConnectionClosed):
        ids["code"] = exc.code
    elif isinstance(exc, TokenRejected):
        ids["status"] = exc.status
        ids["code"] = exc.code
    if isinstance(exc, EntraError):
        for name in ("aadsts_code", "trace_id", "correlation_id", "http_status"):
            value = getattr(exc, name)
            if value:
                ids[name] = value
        if exc.error:
            ids["oauth_error"] = exc.error
    return ids


def describe_error(exc: BaseException, command: str = "") -> dict[str, Any]:
    """Describe ``exc`` as a display-safe record: kind, message, remedy, ids.

    ``command`` (e.g. ``"send"``) names the subcommand whose ``--help`` a
    remedy may point to.

    Unexpected exceptions (not a :class:`RelayDeskError`) are described by
    their class name only, since a foreign message could quote anything.
    """
    from relaydesk.protocol.redaction import redact_text
    from relaydesk.remedies import remedy_for

    if isinstance(exc, InvalidInput) and exc.field in _CLI_FIELDS:
        message = redact_text(f"{_CLI_FIELDS[exc.field]}: {exc.reason}")
    elif isinstance(exc, RelayDeskError):
        message = redact_text(str(exc))
    else:
        message = f"unexpected error ({type(exc).__name__})"
    record: dict[str, Any] = {
        "kind": type(exc).__name__,
        "message": message,
        "remedy": redact_text(remedy_for(exc, edge="cli", command=command)),
    }
    record.update(_ids(exc))
    record["exit_code"] = exit_code_for(exc)
    return record
