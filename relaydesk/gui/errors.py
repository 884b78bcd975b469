"""User-facing wording for errors: an exception or core error → cause + remedy.

Expected failures (a 403, an expired secret, no keyring) arrive from the core
as :class:`~relaydesk.relay.events.ErrorInfo` (cause + remedy) and are shown
where they happen: the pane's state badge and the timeline. This module maps
an exception to such an ``ErrorInfo`` when the GUI itself catches one, and
tailors generic remedies to the side they happened on. The *unexpected*
(tracebacks) go to :mod:`relaydesk.gui.unexpected_errors`.
"""

from __future__ import annotations

from dataclasses import replace

from relaydesk.errors import (
    AuthError,
    ConnectionClosed,
    HandshakeFailed,
    InvalidInput,
    RelayDeskError,
    RelayUnreachable,
    SecretStoreUnavailable,
    TokenRejected,
)
from relaydesk.relay.events import ErrorInfo, ErrorOccurred, Event, StateChanged
from relaydesk.relay.failures import without_tracking_trailer

__all__ = [
    "error_info",
    "format_error",
    "tailor",
    "tailor_event",
]

_CLOSE_REMEDIES = {
    1008: "The token expired or was rejected; RelayDesk fetches a new one and reconnects.",
    1011: "The service had an internal error; RelayDesk reconnects.",
    1006: "The connection dropped without a close frame; RelayDesk reconnects.",
}


def error_info(exc: BaseException) -> ErrorInfo:
    """Return a display-safe cause + remedy for an exception.

    The relay package's own mapping (``relaydesk.relay.failures.error_info``)
    is used when it gives a remedy, so the CLI and GUI word things alike; this function
    covers the rest of the tree and anything unexpected.
    """
    core = _core_error_info(exc)
    if core is not None:
        return core
    kind = type(exc).__name__
    if isinstance(exc, HandshakeFailed):
        return ErrorInfo(kind, str(exc), exc.remedy, exc.status, exc.tracking_id)
    if isinstance(exc, TokenRejected):
        return ErrorInfo(kind, str(exc), "", exc.status)
    if isinstance(exc, AuthError):
        return ErrorInfo(kind, str(exc), exc.remedy, getattr(exc, "http_status", None))
    if isinstance(exc, ConnectionClosed):
        return ErrorInfo(kind, str(exc), _CLOSE_REMEDIES.get(exc.code, ""), exc.code)
    if isinstance(exc, SecretStoreUnavailable):
        remedy = (
            "Install and unlock an OS keyring; until then secrets are kept in memory "
            "for this session only."
        )
        return ErrorInfo(kind, str(exc) or "No system keyring available.", remedy)
    if isinstance(exc, RelayUnreachable):
        remedy = "Check the namespace host name, the network and any proxy or firewall."
        return ErrorInfo(kind, str(exc), remedy)
    if isinstance(exc, InvalidInput):
        return ErrorInfo(kind, str(exc), f"Correct the {exc.field} field.")
    if isinstance(exc, RelayDeskError):
        return ErrorInfo(kind, str(exc))
    if isinstance(exc, OSError):
        return ErrorInfo(kind, str(exc) or kind, "Check the network connection.")
    return ErrorInfo(kind, str(exc) or kind, "This looks like a bug in RelayDesk.")


def _core_error_info(exc: BaseException) -> ErrorInfo | None:
    """Use the relay package's mapping for our own errors, so CLI and GUI agree."""
    if not isinstance(exc, RelayDeskError):
        return None
    try:
        from relaydesk.relay.failures import error_info as relay_error_info
    except ImportError:  # the relay package is optional for this module
        return None
    info = relay_error_info(exc)
    if info.remedy:
        return info
    return None


_ROLE_REMEDIES = {
    "listener": (
        "Assign the Azure Relay Listener role (or use a SAS rule with Listen) to this "
        "identity on this hybrid connection or its namespace; role assignments can take "
        "up to 5 minutes to apply."
    ),
    "sender": (
        "Assign the Azure Relay Sender role (or use a SAS rule with Send) to this identity "
        "on this hybrid connection or its namespace; role assignments can take up to "
        "5 minutes to apply."
    ),
}


def tailor(info: ErrorInfo, side: str) -> ErrorInfo:
    """Make a generic remedy specific to the side it happened on.

    The core cannot know whether a 403 hit the listener or the sender; the
    pane can, so "Listener/Sender role" becomes the one role that is missing.
    """
    remedy = _ROLE_REMEDIES.get(side)
    if remedy and info.status == 403 and info.kind in ("Forbidden", "TokenRejected"):
        return replace(info, remedy=remedy)
    return info


def tailor_event(event: Event) -> Event:
    """Return ``event`` with its error's remedy tailored to ``event.side``."""
    if isinstance(event, ErrorOccurred):
        tailored = tailor(event.error, event.side)
        return event if tailored is event.error else replace(event, error=tailored)
    if isinstance(event, StateChanged) and event.error is not None:
        tailored = tailor(event.error, event.side)
        return event if tailored is event.error else replace(event, error=tailored)
    return event


def format_error(info: ErrorInfo) -> str:
    """Return one line: cause, status and TrackingId (remedy not included)."""
    text = without_tracking_trailer(info.message, info.tracking_id)
    if info.status is not None and str(info.status) not in text:
        text = f"{info.status} · {text}"
    if info.tracking_id:
        text += f" (TrackingId {info.tracking_id})"
    return text
