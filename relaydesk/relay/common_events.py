"""The events every relay connection and the event queue use.

A WebSocket sender publishes only these (state, token, channel opened,
messages, errors, drops); the HTTP events are here because the event queue
names them among those it may drop. The listener's control-channel and
rendezvous events are defined in :mod:`relaydesk.relay.events`, which
re-exports these: creating a frozen, slotted dataclass costs ~0.3 ms on
Python 3.11 (six methods compiled), so a ``relaydesk send`` does not create
the four it never publishes. Import events from :mod:`relaydesk.relay.events`;
the modules a sender loads import them from here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from relaydesk.protocol.token_info import TokenInfo

__all__ = [
    "ChannelOpened",
    "ConnectionEnded",
    "ConnectionState",
    "ErrorInfo",
    "ErrorOccurred",
    "Event",
    "EventsDropped",
    "HttpRequestReceived",
    "HttpResponseReceived",
    "HttpResponseSent",
    "MessageReceived",
    "MessageSent",
    "Side",
    "StateChanged",
    "TokenAcquired",
    "TokenInfo",
]

Side = Literal["listener", "sender", "check"]


class ConnectionState(enum.Enum):
    """Listener/sender life cycle (protocol §11, like .NET's Connecting/Online/Offline)."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True)
class ErrorInfo:
    """A display-safe description of an error: cause, remedy, ids; no secrets.

    Attributes:
        kind: the error class name (``"Forbidden"``, ``"EntraError"`` …).
        message: the cause, one line.
        remedy: what to do about it, one line (may be empty).
        status: HTTP status or WebSocket close code, when there is one.
        tracking_id: the relay's TrackingId or Entra's trace id, when known.
    """

    kind: str
    message: str
    remedy: str = ""
    status: int | None = None
    tracking_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """Base of every event."""

    at: float
    side: Side


@dataclass(frozen=True, kw_only=True, slots=True)
class StateChanged(Event):
    """The listener or sender changed state.

    ``attempt`` and ``next_try_in`` describe the reconnect schedule when
    ``state`` is RECONNECTING; ``error`` is the last error (cleared on ONLINE).
    """

    state: ConnectionState
    attempt: int = 0
    next_try_in: float | None = None
    error: ErrorInfo | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelOpened(Event):
    """A control channel (listener) or sender WebSocket completed its handshake."""

    url: str  # display-safe: no sb-hc-token in it
    channel_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenAcquired(Event):
    """A token was obtained (for a handshake or a reconnect)."""

    token: TokenInfo


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectionEnded(Event):
    """A rendezvous (listener) or sender connection closed."""

    connection_id: str
    code: int
    reason: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageReceived(Event):
    """A WebSocket message arrived on a connection."""

    connection_id: str
    data: str | bytes


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageSent(Event):
    """A WebSocket message was sent on a connection."""

    connection_id: str
    data: str | bytes


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpRequestReceived(Event):
    """The listener received an HTTP request (§7.2), inline or via rendezvous."""

    request_id: str
    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    via_rendezvous: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpResponseSent(Event):
    """The listener answered an HTTP request (§7.3)."""

    request_id: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    via_rendezvous: bool
    elapsed: float
    body_size: int | None = None
    """Full body length when ``body`` holds only its first bytes (a streamed reply)."""
    timings: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """Seconds per hop: ``handler`` (request → reply head; for forwarding the
    local service's answer), ``body`` (head → last body byte read),
    ``deliver`` (first byte → last byte handed to the relay)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpResponseReceived(Event):
    """The HTTP sender got a response (from the listener or the service)."""

    method: str
    url: str  # display-safe
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    elapsed: float
    body_size: int | None = None
    """Full body length when ``body`` holds only its first bytes (a streamed answer)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ErrorOccurred(Event):
    """An error the user should see (handshake refusal, close code, auth failure)."""

    error: ErrorInfo


@dataclass(frozen=True, kw_only=True, slots=True)
class EventsDropped(Event):
    """The consumer was too slow; ``count`` message events were dropped.

    Only message/HTTP-content events are ever dropped; state, token and error
    events are always delivered (the bounded queue makes room for them).
    """

    count: int
