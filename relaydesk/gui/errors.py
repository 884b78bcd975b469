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

from relaydesk.errors import RelayDeskError
from relaydesk.relay.events import ErrorInfo, ErrorOccurred, Event, StateChanged
from relaydesk.relay.failures import error_info as core_error_info
from relaydesk.relay.failures import without_tracking_trailer
from relaydesk.remedies import forbidden_remedy

__all__ = [
    "error_info",
    "format_error",
    "tailor",
    "tailor_event",
]


def error_info(exc: BaseException, *, side: str = "") -> ErrorInfo:
    """Return a display-safe cause + remedy for an exception the GUI caught.

    The same mapping as the relay client's events and the CLI
    (:func:`relaydesk.relay.failures.error_info` over :mod:`relaydesk.remedies`),
    with the GUI's wording for the few remedies that name a control.
    """
    info = core_error_info(exc, side=side, edge="gui")
    if isinstance(exc, OSError) and not isinstance(exc, RelayDeskError):
        # A file or socket error the GUI met itself: its text names the path or errno.
        return replace(info, message=str(exc) or type(exc).__name__)
    return info


def tailor(info: ErrorInfo, side: str) -> ErrorInfo:
    """Make a generic 403 remedy name the one role missing on ``side``.

    Events from the relay client already carry their side's remedy; this is
    for refusals that reach the GUI without one (a bridge that caught the
    exception itself).
    """
    if info.status == 403 and info.kind in ("Forbidden", "TokenRejected"):
        remedy = forbidden_remedy(side)
        if remedy != info.remedy:
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
