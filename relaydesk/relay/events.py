"""Immutable events published by listeners, senders and the connectivity check.

The relay client reports everything through ``async for event in x.events()``
so that the CLI, the tests and the GUI consume one stream (design.md). Events
are frozen dataclasses holding display-safe values only: never a raw token,
key or secret (tokens appear as :class:`TokenInfo`, decoded and untrusted).
They use ``__slots__``: no per-event ``__dict__``, and the event queue can
build the per-message events cheaply (:mod:`relaydesk.relay.event_queue`).

Every event carries ``at`` (wall-clock seconds since the epoch, for display)
and ``side`` (``"listener"`` or ``"sender"``), so one timeline can merge both.

The classes live in two modules: :mod:`relaydesk.relay.common_events`
(what every connection and the event queue use) and this one, which adds
the listener's control-channel and rendezvous events and re-exports the
rest, so that a sender does not create events it never publishes. Import
events from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from relaydesk.relay.common_events import (
    ChannelOpened,
    ConnectionEnded,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    EventsDropped,
    HttpRequestReceived,
    HttpResponseReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
    Side,
    StateChanged,
    TokenAcquired,
    TokenInfo,
)

__all__ = [
    "ChannelClosed",
    "ChannelOpened",
    "ConnectionAccepted",
    "ConnectionEnded",
    "ConnectionRejected",
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
    "TokenRenewed",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelClosed(Event):
    """A control channel or sender WebSocket closed; ``code`` 1006 = dropped (§4.3)."""

    channel_id: str
    code: int
    reason: str = ""
    by_peer: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenRenewed(Event):
    """A ``renewToken`` was sent on the control channel (§4.6)."""

    token: TokenInfo
    renewals: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectionAccepted(Event):
    """A rendezvous WebSocket with a sender is established (§5.2)."""

    connection_id: str
    remote_address: str | None = None
    remote_port: int | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True, slots=True)
class ConnectionRejected(Event):
    """The accept policy rejected a sender (§5.3)."""

    connection_id: str
    status: int
    reason: str = ""
