"""What the bridges need from the relay client, as structural protocols.

The bridges are written against these small protocols rather than the
concrete ``relaydesk.relay`` classes so that they can be tested by feeding
core events through a tiny in-memory session, and so that the one place that
knows the concrete constructors (:mod:`relaydesk.gui.bridges.relay_adapters`)
stays short. The listener's behaviour settings are values of their own
(:mod:`relaydesk.gui.bridges.policies`). A session is started and stopped by
:func:`relaydesk.gui.bridges.session.run_session`; ``stop()`` closes the
WebSockets with close frames (protocol §4.3, §5.2).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from relaydesk.gui.bridges.policies import PolicySource
from relaydesk.relay.events import Event, HttpResponseReceived

__all__ = [
    "HttpRequestSpec",
    "HttpRequester",
    "ListenerOpener",
    "ListenerSession",
    "SenderOpener",
    "SenderOptions",
    "SenderSession",
]


class ListenerSession(Protocol):
    """A listener: start/stop, its events, and what the panes may ask of it."""

    @property
    def listener_id(self) -> str:
        """The ``sb-hc-id`` of this listener (for pinning senders, §2)."""
        ...

    def events(self) -> AsyncIterator[Event]:
        """Yield the listener's events until it is stopped."""
        ...

    async def start(self) -> None:
        """Open the control channel (raises the first failure)."""
        ...

    async def stop(self) -> None:
        """Close everything with close frames."""
        ...

    async def send(self, connection_id: str, data: str | bytes) -> None:
        """Send a message on one accepted connection."""
        ...

    async def close_connection(self, connection_id: str) -> None:
        """Close one accepted connection with a normal close frame."""
        ...


class SenderSession(Protocol):
    """A WebSocket sender: start (connect), stop, events, send."""

    def events(self) -> AsyncIterator[Event]:
        """Yield the sender's events until it is closed."""
        ...

    async def start(self) -> None:
        """Connect (raises the failure: 401/403/404/502 …)."""
        ...

    async def stop(self) -> None:
        """Close with a close frame."""
        ...

    async def send(self, data: str | bytes) -> None:
        """Send one message."""
        ...


@dataclass(frozen=True)
class HttpRequestSpec:
    """One HTTP request from the sender's HTTP tab (§7.1)."""

    method: str = "GET"
    suffix: str = ""
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class SenderOptions:
    """Per-connection choices of the sender.

    Attributes:
        pinned_listener: a listener id sent as ``Microsoft-Relay-AllowedListeners``
            so only that listener may accept (pin to this app's listener).
    """

    pinned_listener: str | None = None


ListenerOpener = Callable[[PolicySource], ListenerSession]
SenderOpener = Callable[[SenderOptions], SenderSession]
HttpRequester = Callable[[HttpRequestSpec, SenderOptions], Awaitable[HttpResponseReceived]]
