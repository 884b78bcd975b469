"""What the bridges need from the relay client, as structural protocols.

The bridges are written against these small protocols rather than the
concrete ``relaydesk.relay`` classes so that they can be tested by feeding
core events through a tiny in-memory session, and so that the one place that
knows the concrete constructors (:mod:`relaydesk.gui.bridges.core`) stays
short. A session is started and stopped by
:func:`relaydesk.gui.bridges.session.run_session`; ``stop()`` closes the
WebSockets with close frames (protocol §4.3, §5.2).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from relaydesk.relay.events import Event, HttpResponseReceived

__all__ = [
    "AcceptChoice",
    "HttpRequestSpec",
    "HttpRequester",
    "HttpResponseSettings",
    "ListenerOpener",
    "ListenerPolicy",
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


@dataclass
class AcceptChoice:
    """Accept every sender, or reject with a status and reason (§5.3)."""

    accept: bool = True
    status: int = 403
    reason: str = "Rejected by RelayDesk"


@dataclass
class HttpResponseSettings:
    """How the listener answers HTTP requests (§7.3); ``echo`` returns the body."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})
    body: bytes = b"Hello from RelayDesk"
    echo: bool = True


@dataclass
class ListenerPolicy:
    """Mutable listener behaviour; the panes edit it while the listener runs.

    The bridge passes callables reading this object to the core, so a change
    applies to the next sender or request without a restart.
    """

    accept: AcceptChoice = field(default_factory=AcceptChoice)
    auto_echo: bool = True
    http: HttpResponseSettings = field(default_factory=HttpResponseSettings)
    forward_to: str = ""
    """A local base URL every request and WebSocket goes to; "" = answer here."""


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


ListenerOpener = Callable[[ListenerPolicy], ListenerSession]
SenderOpener = Callable[[SenderOptions], SenderSession]
HttpRequester = Callable[[HttpRequestSpec, SenderOptions], Awaitable[HttpResponseReceived]]
