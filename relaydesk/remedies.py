"""The one table of remedies: what a user can do about each failure.

The core raises typed errors (:mod:`relaydesk.errors`) that state the *cause*;
this table decides the *remedy*, tailored by what the event already carries:

* ``side``: ``"listener"`` or ``"sender"``: a 403 names the one role missing
  (Azure Relay Listener or Sender, §10.5), a dropped channel says whether
  RelayDesk reconnects (a listener does, a sender does not);
* ``identity``: the token kind in use (``"entra"``, ``"sas"``, ``"anonymous"``):
  a 401 means a wrong key to a SAS user, a wrong audience or app to an Entra
  user, and "this hybrid connection needs a token" to an anonymous sender (§6);
* ``edge``: ``"cli"`` or ``"gui"``, only for the few remedies whose action is a
  control of that edge (a command-line option, a field of a form).

An error that knows better carries its own ``remedy`` (an AADSTS code's advice
from :mod:`relaydesk.auth.entra_errors`, a check step's finding); that wins. The
CLI and the GUI only present what :func:`remedy_for` returns. Qt-free, and it
imports nothing but the error tree, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from relaydesk.errors import (
    AuthError,
    ConnectionClosed,
    ConsentRequired,
    DeviceCodeExpired,
    EntityNotFound,
    Forbidden,
    ForwardingFailed,
    HandshakeFailed,
    InvalidInput,
    ListenerQuotaExceeded,
    ListenerRejected,
    ListenerTimeout,
    NoListener,
    PayloadTooLarge,
    ProfileError,
    RelayDeskError,
    RelayUnreachable,
    RemoteProtocolViolation,
    SecretStoreError,
    SecretStoreUnavailable,
    SignInCancelled,
    SignInRequired,
    TokenRejected,
    Unauthorized,
    UserNotInTenant,
)

__all__ = ["Context", "forbidden_remedy", "remedy_for"]

_ROLE_DELAY = "role assignments can take up to 5 minutes to apply."

#: 401 by the token kind that was sent (§4.2, §6, §9.4, §10.4).
_UNAUTHORIZED = {
    "sas": (
        "Check the SAS key and rule name: the key must be the current primary or secondary "
        "key of that rule (regenerating a key invalidates the old one), and the rule must "
        "exist on this namespace or hybrid connection."
    ),
    "entra": (
        "Check the Entra app: the token must be for https://relay.azure.net from the tenant "
        "that holds the namespace; a new client secret takes effect at once, an expired one "
        "does not."
    ),
    "anonymous": (
        "This hybrid connection requires client authorization: give the sender an Entra "
        "app or a SAS rule with Send rights instead of sending anonymously."
    ),
    "": (
        "Check the token: it may be expired, signed with the wrong key, or issued for another "
        "namespace or audience (Entra tokens must be for https://relay.azure.net)."
    ),
}

#: 403 by the side it happened on (§10.5).
_FORBIDDEN = {
    "listener": (
        "Assign the Azure Relay Listener role (or use a SAS rule with Listen) to this identity "
        "on this hybrid connection or its namespace; " + _ROLE_DELAY
    ),
    "sender": (
        "Assign the Azure Relay Sender role (or use a SAS rule with Send) to this identity on "
        "this hybrid connection or its namespace; " + _ROLE_DELAY
    ),
    "": (
        "Give this identity the Azure Relay Listener/Sender role (or a SAS rule with "
        "Listen/Send) on this hybrid connection or its namespace; " + _ROLE_DELAY
    ),
}

_NO_LISTENER = "Start a listener on this hybrid connection, then try again."

#: Close codes of an established channel (§4.3, §5.2, §6); ``{again}`` says who reconnects.
_CLOSED = {
    1001: "Check that the hybrid connection still exists and is enabled.",
    1006: "Check the network{again}.",
    1008: (
        "The token ran out or its renewal was refused: check the credentials and that the "
        "identity still has its role{again}."
    ),
    1009: (
        "Send smaller messages, or raise the receiving side's message size limit (RelayDesk "
        "accepts up to 64 MiB by default)."
    ),
    1011: "Transient relay error{again}.",
}

_UNREACHABLE = (
    "Check the namespace host and port and the network or proxy; if the relay uses a private "
    "CA (the local emulator), make its CA certificate trusted."
)

_INSTALL_KEYRING = (
    "Install and unlock an OS keyring (for example GNOME Keyring or KWallet on Linux, which "
    "provide the Secret Service)"
)

#: What happens to the secret meanwhile differs: the GUI keeps it in memory for
#: the session, the CLI cannot (it exits) and takes it from the environment.
_SECRET_STORE_UNAVAILABLE = {
    "cli": (
        f"{_INSTALL_KEYRING}, or pass the secret with --client-secret-env VAR / "
        "--sas-key-env VAR instead of a profile."
    ),
    "": f"{_INSTALL_KEYRING}; until then secrets are kept in memory for this session only.",
}


#: A forwarding listener's local service, by :attr:`ForwardingFailed.cause`.
#: These reach the edges inside the listener's events, which do not know the
#: edge, so the wording fits both (the GUI's "Forward to" field is the CLI's
#: ``--forward``; certificate settings exist on the command line only).
_FORWARDING = {
    "busy": "Raise the in-flight limit or make the local service faster.",
    "request-too-large": "Raise the request body limit of the forwarding listener.",
    "response-too-large": "Raise the response body limit of the forwarding listener.",
    "broken-body": "Check the local service's log.",
    "timeout": (
        "Make the local service answer sooner; the relay's 60 s deadline cannot be "
        "extended (protocol §7.3)."
    ),
    "tls": (
        "Trust the local service's CA or allow any certificate (relaydesk listen "
        "--forward-ca FILE or --forward-insecure)."
    ),
    "unreachable": "Start the local service, or check the forward URL.",
    "invalid-response": (
        "Check that the forward URL points at an HTTP service (http:// vs https://)."
    ),
}


@dataclass(frozen=True, kw_only=True)
class Context:
    """What is known about where a failure happened (all optional)."""

    side: str = ""
    identity: str = ""
    edge: str = ""
    command: str = ""


def forbidden_remedy(side: str) -> str:
    """The 403 remedy for ``side``: the one Azure Relay role missing there (§10.5)."""
    return _FORBIDDEN.get(side, _FORBIDDEN[""])


def _again(context: Context) -> str:
    return "; the listener reconnects automatically" if context.side != "sender" else ""


def _handshake(exc: HandshakeFailed, context: Context) -> str:
    if isinstance(exc, ListenerQuotaExceeded):
        return (
            "At most 25 listeners can be connected to one hybrid connection: stop a listener "
            "you no longer need, or spread the listeners over more hybrid connections."
        )
    if isinstance(exc, PayloadTooLarge):
        return (
            "Send a smaller body, or raise the listener's message size limit (RelayDesk "
            "listeners accept up to 64 MiB by default)."
        )
    if isinstance(exc, Unauthorized):
        return _UNAUTHORIZED.get(context.identity, _UNAUTHORIZED[""])
    if isinstance(exc, Forbidden):
        return forbidden_remedy(context.side)
    if isinstance(exc, EntityNotFound):
        if "no listener" in exc.reason.lower():
            # A WebSocket sender gets 404 (not 502) when no listener is online (§6).
            return _NO_LISTENER
        return (
            "Check the namespace and hybrid connection name; if you pinned listeners, check "
            "that a pinned listener is online."
        )
    if isinstance(exc, NoListener):
        return _NO_LISTENER
    if isinstance(exc, ListenerTimeout):
        return (
            "The listener is online but did not answer in time (Azure Relay waits 60 s); check "
            "the listener application."
        )
    if isinstance(exc, ListenerRejected):
        return "The listener refused this connection; see its status text."
    return ""


def _token_rejected(exc: TokenRejected, context: Context) -> str:
    if exc.status == 403:
        return forbidden_remedy(context.side)
    return "Check the token's key, audience, expiry and rights."


def _closed(exc: ConnectionClosed, context: Context) -> str:
    return _CLOSED.get(exc.code, "").format(again=_again(context))


def _forwarding(exc: ForwardingFailed, context: Context) -> str:
    return _FORWARDING.get(exc.cause, "Check the local service.")


def _invalid(exc: InvalidInput, context: Context) -> str:
    if exc.field.startswith("RELAYDESK_"):  # an environment variable, not an option
        return f"Fix or unset the {exc.field} environment variable."
    if context.edge == "cli":
        where = f"relaydesk {context.command} --help" if context.command else "relaydesk --help"
        return f"Fix the value and try again (see {where})."
    return f"Correct the {exc.field} field."


def _secret_store_unavailable(exc: SecretStoreUnavailable, context: Context) -> str:
    return _SECRET_STORE_UNAVAILABLE.get(context.edge, _SECRET_STORE_UNAVAILABLE[""])


def _fixed(text: str) -> Callable[[BaseException, Context], str]:
    return lambda exc, context: text


#: First matching class decides; subclasses before their bases.
_TABLE: tuple[tuple[type[BaseException], Callable[..., str]], ...] = (
    (HandshakeFailed, _handshake),
    (TokenRejected, _token_rejected),
    (ForwardingFailed, _forwarding),
    (ConnectionClosed, _closed),
    (RelayUnreachable, _fixed(_UNREACHABLE)),
    (
        RemoteProtocolViolation,
        _fixed("The relay sent a message RelayDesk does not understand; report it."),
    ),
    (SecretStoreUnavailable, _secret_store_unavailable),
    (SecretStoreError, _fixed("Check the OS keyring (unlock it) and try again.")),
    (ProfileError, _fixed("List the profiles in the desktop app or fix the profile file.")),
    (InvalidInput, _invalid),
    (
        SignInCancelled,
        _fixed("Sign in again and finish the sign-in in the browser or on the device."),
    ),
    (
        SignInRequired,
        _fixed(
            "Sign in again: your organisation asks for it (multi-factor authentication, "
            "conditional access, or the saved sign-in was revoked or has expired)."
        ),
    ),
    (
        ConsentRequired,
        _fixed(
            "Consent to the app for Azure Relay (sign in and accept), or ask an administrator "
            "to grant consent for the tenant."
        ),
    ),
    (
        UserNotInTenant,
        _fixed(
            "Sign in with an account of this tenant, or check the tenant id (a guest must be "
            "invited to the tenant first)."
        ),
    ),
    (
        DeviceCodeExpired,
        _fixed("The code ran out: start the sign-in again and enter the new code within its time."),
    ),
    (AuthError, _fixed("")),
    (RelayDeskError, _fixed("")),
    (OSError, _fixed("Check the network connection.")),
)


def remedy_for(
    exc: BaseException,
    *,
    side: str = "",
    identity: str = "",
    edge: str = "",
    command: str = "",
) -> str:
    """Return the one-line remedy for ``exc`` in this context ("" when none applies).

    Args:
        exc: the failure.
        side: ``"listener"``, ``"sender"`` or ``""`` when unknown.
        identity: the token kind in use (``"entra"``, ``"sas"``, ``"anonymous"``) or ``""``.
        edge: ``"cli"`` or ``"gui"`` for remedies that name a control, else ``""``.
        command: the CLI subcommand, for remedies that point to its ``--help``.
    """
    own = getattr(exc, "remedy", "")
    if isinstance(own, str) and own:
        return own
    context = Context(side=side, identity=identity, edge=edge, command=command)
    for cls, rule in _TABLE:
        if isinstance(exc, cls):
            return str(rule(exc, context))
    debug = "; run it again with --debug and report the traceback" if edge == "cli" else ""
    return f"This looks like a bug in RelayDesk{debug}."
