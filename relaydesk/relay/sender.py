"""WebSocket sender: connect through the relay to a listener (§6).

``connect()`` opens ``wss://{ns}/$hc/{hc}[/suffix][?query]&sb-hc-action=connect``
with the token in ``ServiceBusAuthorization`` (§3; none for anonymous
senders). The relay pairs the sender with one listener, which accepts or
rejects (§5); a rejection arrives here as the listener's status, raised as
:class:`~relaydesk.errors.ListenerRejected`. Once open the socket is a
clean pipe to the listener (§5.2).
"""

from __future__ import annotations

import dataclasses
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

from websockets.asyncio.client import ClientConnection

from relaydesk.errors import RelayDeskError
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.headers import check_header_fields
from relaydesk.protocol.wire_names import ALLOWED_LISTENERS_HEADER
from relaydesk.proxy import ProxySettings
from relaydesk.relay.common_events import (
    ChannelOpened,
    ConnectionEnded,
    ConnectionState,
    ErrorOccurred,
    Event,
    StateChanged,
    TokenAcquired,
    TokenInfo,
)
from relaydesk.relay.connection import MessageConnection
from relaydesk.relay.event_queue import DEFAULT_CAPACITY, EventQueue
from relaydesk.relay.failures import error_info, with_remedy
from relaydesk.relay.tokens import TokenProviderLike
from relaydesk.relay.transport import WebSocketSettings, display_url, open_websocket

__all__ = ["SenderConnection", "connect"]


class SenderConnection(MessageConnection):
    """An open WebSocket sender connection.

    Send with :meth:`send`; receive with :meth:`receive`, ``async for``, or
    :meth:`pump` (reads everything, publishing ``MessageReceived`` events);
    close with :meth:`close`. :meth:`events` streams everything that
    happened, from the connect on, and ends after ``ConnectionEnded``.

    Attributes:
        url: the connect URL, display-safe (no token, no query).
        token: the token used (display-safe), ``None`` if anonymous.
    """

    def __init__(
        self,
        websocket: ClientConnection,
        *,
        connection_id: str,
        url: str,
        token: TokenInfo | None,
        queue: EventQueue,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        super().__init__(
            websocket, connection_id=connection_id, side="sender", events=queue, clock=clock
        )
        self.url = url
        self.token = token

    def events(self) -> AsyncIterator[Event]:
        """Events of this connection; the stream ends once it has closed."""
        return self._queue.stream()

    async def __aenter__(self) -> SenderConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _on_ended(self, event: ConnectionEnded) -> None:
        """After ConnectionEnded: OFFLINE, then end the event stream."""
        self._queue.put(StateChanged(at=event.at, side="sender", state=ConnectionState.OFFLINE))
        self._queue.close()


async def connect(
    address: HybridConnectionAddress,
    token_provider: TokenProviderLike,
    *,
    path_suffix: str = "",
    query: str = "",
    extra_headers: Mapping[str, str] | None = None,
    subprotocols: Sequence[str] | None = None,
    connection_id: str | None = None,
    allowed_listeners: Sequence[str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    settings: WebSocketSettings | None = None,
    proxy: ProxySettings | None = None,
    event_capacity: int = DEFAULT_CAPACITY,
    events: EventQueue | None = None,
    clock: Callable[[], float] = time.time,
) -> SenderConnection:
    """Open a WebSocket sender connection (§6).

    Args:
        address: the hybrid connection.
        token_provider: gives a token with Send rights (anonymous: empty).
        path_suffix, query: appended to the URL; reach the listener (§2, §6).
        extra_headers: sent on the upgrade; surface in ``connectHeaders``.
        subprotocols: ``Sec-WebSocket-Protocol`` offer (§5.2).
        connection_id: ``sb-hc-id``; becomes the listener's connection id.
        allowed_listeners: listener GUIDs to pin (§4.7).
        ssl_context: TLS trust.
        settings: timeouts and limits (default: 70 s open, like .NET).
        proxy: how to reach the relay (overrides ``settings.proxy``; ``None``
            keeps it, whose ``None`` is the system mode).
        event_capacity: bound of the event queue.
        events: publish into this queue (and stream it from the returned
            connection) instead of a new one. A caller that passes it can
            still read what happened — CONNECTING, the token, the error,
            OFFLINE — when ``connect`` raises, since no connection is
            returned then; ``event_capacity`` is ignored.
        clock: wall clock.

    Raises:
        InvalidField: a header is malformed.
        Unauthorized, Forbidden, EntityNotFound, NoListener, ListenerRejected,
        HandshakeFailed: the relay or the listener refused.
        ProxyError: the proxy on the way failed.
        RelayUnreachable: TCP/TLS/timeout.
        AuthError: no token could be obtained.
    """
    headers = check_header_fields(extra_headers or {})
    if allowed_listeners:
        headers[ALLOWED_LISTENERS_HEADER] = ",".join(allowed_listeners)
    queue = (
        events if events is not None else EventQueue("sender", capacity=event_capacity, clock=clock)
    )
    queue.put(StateChanged(at=clock(), side="sender", state=ConnectionState.CONNECTING))
    url = address.connect_url(suffix=path_suffix, query=query, connection_id=connection_id)
    identity = getattr(token_provider, "kind", "")
    try:
        token = await token_provider.get_token()
        identity = token.info().kind if token.value.reveal() else "anonymous"
        info = None if not token.value.reveal() else token.info()
        if info is not None:
            queue.put(TokenAcquired(at=clock(), side="sender", token=info))
        websocket = await open_websocket(
            url,
            ssl_context=ssl_context,
            settings=_with_proxy(settings or WebSocketSettings(open_timeout=70.0), proxy),
            token=token.value.reveal() or None,
            headers=headers,
            subprotocols=subprotocols,
        )
    except RelayDeskError as exc:
        with_remedy(exc, side="sender", identity=identity)
        _report_failure(queue, exc, clock)
        raise
    return _opened(websocket, url, info, queue, connection_id, clock)


def _report_failure(queue: EventQueue, exc: RelayDeskError, clock: Callable[[], float]) -> None:
    info = error_info(exc, side="sender")
    queue.put(ErrorOccurred(at=clock(), side="sender", error=info))
    queue.put(StateChanged(at=clock(), side="sender", state=ConnectionState.OFFLINE, error=info))
    queue.close()


def _opened(
    websocket: ClientConnection,
    url: str,
    token: TokenInfo | None,
    queue: EventQueue,
    connection_id: str | None,
    clock: Callable[[], float],
) -> SenderConnection:
    """Wrap the open socket and publish ChannelOpened / ONLINE."""
    # The relay echoes no id to the sender; without an sb-hc-id of ours the
    # connection is known locally by the socket's own id.
    cid = connection_id or str(websocket.id)
    shown = display_url(url)
    queue.put(ChannelOpened(at=clock(), side="sender", url=shown, channel_id=cid))
    queue.put(StateChanged(at=clock(), side="sender", state=ConnectionState.ONLINE))
    return SenderConnection(
        websocket, connection_id=cid, url=shown, token=token, queue=queue, clock=clock
    )


def _with_proxy(settings: WebSocketSettings, proxy: ProxySettings | None) -> WebSocketSettings:
    return settings if proxy is None else dataclasses.replace(settings, proxy=proxy)
