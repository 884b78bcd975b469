"""Turn protocol-level events into one-line timeline entries (Qt-free).

The timeline merges both sides (listener and sender) and shows what happens
on the wire in words a support engineer recognises: control channel opened
(§4), accept and rendezvous (§5.2), ``renewToken`` (§4.6), close codes (§4.3),
refusals with status, TrackingId and remedy (§6). A connectivity check's steps
show as side ``check``: each step's outcome and the verdict (the "running"
announcements only restate the check panel). Message and HTTP content events
belong to the message log, so :func:`describe` returns ``None`` for them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from relaydesk.gui.models.formatting import format_clock, format_duration, short_id
from relaydesk.protocol.redaction import redact_text
from relaydesk.relay.events import (
    ChannelClosed,
    ChannelOpened,
    ConnectionAccepted,
    ConnectionEnded,
    ConnectionRejected,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    EventsDropped,
    StateChanged,
    TokenAcquired,
    TokenInfo,
    TokenRenewed,
)
from relaydesk.relay.failures import without_tracking_trailer

_NORMAL_CLOSE_CODES = frozenset({1000, 1001})


class Severity(enum.Enum):
    """How much attention an entry deserves; ordered by :attr:`rank`."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for error (for minimum-severity filters)."""
        return _RANKS[self]


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True)
class TimelineEntry:
    """One timeline row: display-safe text (already redacted)."""

    at: float
    side: str
    severity: Severity
    text: str
    detail: str = ""


def describe(event: Event) -> TimelineEntry | None:
    """Return the timeline entry for ``event``, or ``None`` when it is content, not protocol."""
    described = _describe(event)
    if described is None:
        return None
    severity, text, detail = described
    return TimelineEntry(event.at, event.side, severity, redact_text(text), redact_text(detail))


def folded(previous: Event | None, shown: TimelineEntry, event: Event) -> TimelineEntry | None:
    """The row ``shown`` (for ``previous``) updated with ``event``, when ``event`` only explains it.

    Two pairs say one thing, so they share a row (the export keeps both events):

    * ``ChannelClosed(code)`` then ``ErrorOccurred(ConnectionClosed, status=code)``
      (a drop): the close, with the error's severity and remedy;
    * ``ErrorOccurred(error)`` then ``StateChanged(OFFLINE, error)`` (a refusal
      that ends the session): "offline: " and the error.

    Both must come from the same side. ``None`` when ``event`` deserves its own row.
    """
    if event.side != getattr(previous, "side", None):
        return None
    if isinstance(previous, ChannelClosed) and isinstance(event, ErrorOccurred):
        error = event.error
        if error.kind != "ConnectionClosed" or error.status != previous.code:
            return None
        detail = " · ".join(part for part in (shown.detail, error_detail(error)) if part)
        return replace(shown, severity=Severity.ERROR, detail=redact_text(detail))
    if isinstance(previous, ErrorOccurred) and isinstance(event, StateChanged):
        if event.state is not ConnectionState.OFFLINE or event.error != previous.error:
            return None
        return replace(shown, text=f"offline: {shown.text}")
    return None


def _describe(event: Event) -> tuple[Severity, str, str] | None:
    match event:
        case StateChanged():
            return _state(event)
        case ChannelOpened(channel_id=cid, url=url):
            what = "control channel opened" if event.side == "listener" else "WebSocket connected"
            return Severity.INFO, f"{what} ({short_id(cid)})", f"id {cid} · {url}"
        case ChannelClosed():
            return _closed(event)
        case TokenAcquired(token=token):
            return Severity.INFO, f"token acquired: {_token_summary(token)}", ""
        case TokenRenewed(token=token, renewals=n):
            return Severity.INFO, f"renewToken ✓{_expires(token)} (renewal {n})", ""
        case ConnectionAccepted():
            return _accepted(event)
        case ConnectionRejected(connection_id=cid, status=status, reason=reason):
            text = f"rejected {short_id(cid)} with {status}" + (f": {reason}" if reason else "")
            return Severity.WARNING, text, f"connection id {cid}"
        case ConnectionEnded(connection_id=cid, code=code, reason=reason):
            severity = Severity.INFO if code in _NORMAL_CLOSE_CODES else Severity.WARNING
            text = f"connection {short_id(cid)} closed {code}" + (f" {reason}" if reason else "")
            return severity, text, f"connection id {cid}"
        case ErrorOccurred(error=error):
            return Severity.ERROR, error_text(error), error_detail(error)
        case EventsDropped(count=count):
            return Severity.WARNING, f"{count} message events dropped (display too slow)", ""
    if event.side == "check":
        return _check(event)
    return None


def _check(event: Event) -> tuple[Severity, str, str] | None:
    """A check step's outcome or the check's verdict (``relaydesk.check``).

    Imported here, not at the top: the window is built before anyone runs a
    check, and the check module is only loaded once its events exist.
    """
    from relaydesk.check import CHECK_STEPS, CheckFinished, CheckStepEvent, StepStatus

    if isinstance(event, CheckFinished):
        took = format_duration(event.duration)
        if event.passed:
            return Severity.INFO, f"check passed in {took}", ""
        step = dict(CHECK_STEPS).get(event.failed_step or "", event.failed_step)
        return Severity.ERROR, f"check failed at {step} after {took}", ""
    if not isinstance(event, CheckStepEvent) or event.status is StepStatus.RUNNING:
        return None
    took = "" if event.duration is None else f" ({format_duration(event.duration)})"
    if event.status is StepStatus.FAILED and event.error is not None:
        text = f"check: {event.title} failed{took}: {error_text(event.error)}"
        return Severity.ERROR, text, error_detail(event.error)
    severity = Severity.WARNING if event.status is StepStatus.FAILED else Severity.INFO
    return severity, f"check: {event.title} {event.status.value}{took}", event.detail


def _state(event: StateChanged) -> tuple[Severity, str, str]:
    detail = error_detail(event.error) if event.error else ""
    if event.state is ConnectionState.RECONNECTING:
        # The back-off is jittered (0.914243 s): one decimal is what a reader needs.
        delay = "" if event.next_try_in is None else f" in {round(event.next_try_in, 1):g} s"
        cause = f" after {event.error.kind}" if event.error else ""
        return Severity.WARNING, f"reconnect attempt {event.attempt}{delay}{cause}", detail
    if event.state is ConnectionState.OFFLINE and event.error is not None:
        return Severity.ERROR, f"offline: {error_text(event.error)}", detail
    return Severity.INFO, event.state.value, detail


def _closed(event: ChannelClosed) -> tuple[Severity, str, str]:
    severity = Severity.INFO if event.code in _NORMAL_CLOSE_CODES else Severity.WARNING
    detail = f"channel {event.channel_id}"
    if event.code == 1006:  # the reason only restates it (§4.3)
        return severity, "dropped without a close frame (1006)", detail
    who = "by relay" if event.by_peer else "by us"
    reason = f" {event.reason}" if event.reason else ""
    return severity, f"closed {event.code}{reason} {who}", detail


def _accepted(event: ConnectionAccepted) -> tuple[Severity, str, str]:
    remote = ""
    if event.remote_address:
        port = f":{event.remote_port}" if event.remote_port else ""
        remote = f" from {event.remote_address}{port}"
    text = f"accept {short_id(event.connection_id)}{remote} · rendezvous established"
    return Severity.INFO, text, f"connection id {event.connection_id}"


def _token_summary(token: TokenInfo) -> str:
    cached = " (from cache)" if token.from_cache else ""
    return f"{token.kind} '{token.identity}'{_expires(token)}{cached}"


def _expires(token: TokenInfo) -> str:
    return "" if token.expires_at is None else f" expires {format_clock(token.expires_at)}"


def error_text(error: ErrorInfo) -> str:
    """Return ``Kind status: message`` for one line (status once: not when the message has it)."""
    message = without_tracking_trailer(error.message, error.tracking_id)
    shown = error.status is not None and str(error.status) not in message
    status = f" {error.status}" if shown else ""
    return f"{error.kind}{status}: {message}"


def error_detail(error: ErrorInfo) -> str:
    """Return remedy and TrackingId, the parts a ticket needs."""
    parts = []
    if error.remedy:
        parts.append(f"Remedy: {error.remedy}")
    if error.tracking_id:
        parts.append(f"TrackingId: {error.tracking_id}")
    return " · ".join(parts)
