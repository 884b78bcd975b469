"""Accept or reject WebSocket senders (§5).

For each ``accept`` the policy decides. Accepting opens a WebSocket to the
rendezvous address verbatim, without a token (§3, §5.2), offering the
sender's chosen subprotocol. Rejecting connects to the same address plus
``sb-hc-statusCode``/``sb-hc-statusDescription``; the service answers that
handshake with **410 Gone**, which here means success (§5.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from relaydesk.errors import ConnectionClosed, HandshakeFailed, RelayError
from relaydesk.protocol.address import reject_url
from relaydesk.protocol.messages import AcceptCommand
from relaydesk.relay.connection import ListenerConnection
from relaydesk.relay.event_queue import EventQueue
from relaydesk.relay.events import (
    ConnectionAccepted,
    ConnectionRejected,
    ErrorOccurred,
)
from relaydesk.relay.failures import error_info
from relaydesk.relay.policies import AcceptDecision, AcceptPolicy
from relaydesk.relay.transport import WebSocketSettings, open_websocket

__all__ = ["Acceptor", "ConnectionHandler", "offered_subprotocols"]

_log = logging.getLogger(__name__)

#: Handles one accepted connection; when it returns, the connection is closed.
ConnectionHandler = Callable[[ListenerConnection], Awaitable[None]]

#: The service's answer to a rejection handshake that means "done" (§5.3).
REJECTED_OK = 410


def offered_subprotocols(headers: Mapping[str, str]) -> list[str]:
    """The sender's ``Sec-WebSocket-Protocol`` offer, in order (§5.2)."""
    for name, value in headers.items():
        if name.lower() == "sec-websocket-protocol":
            return [p.strip() for p in value.split(",") if p.strip()]
    return []


class Acceptor:
    """Decides about senders and runs accepted connections.

    Args:
        policy: the accept policy.
        handler: runs each accepted connection; ``None`` reads every message
            (publishing events) and echoes when ``echo`` is set.
        echo: auto-echo for the default handler.
        ssl_context, settings: for rendezvous sockets.
        events: the listener's event queue.
        clock: wall clock.
    """

    def __init__(
        self,
        policy: AcceptPolicy,
        *,
        handler: ConnectionHandler | None,
        echo: bool,
        ssl_context: ssl.SSLContext | None,
        settings: WebSocketSettings,
        events: EventQueue,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy = policy
        self._handler = handler
        self._echo = echo
        self._ssl = ssl_context
        self._settings = settings
        self._events = events
        self._emit = events.put
        self._clock = clock
        self._connections: dict[str, ListenerConnection] = {}

    @property
    def connections(self) -> Mapping[str, ListenerConnection]:
        """Open connections by id (a read-only view)."""
        return MappingProxyType(self._connections)

    async def handle(self, command: AcceptCommand) -> None:
        """Decide about one ``accept`` and serve the connection if accepted."""
        decision = await self._decide(command)
        if decision.accept:
            await self._accept(command, decision)
        else:
            await self._reject(command, decision)

    async def close_all(self, grace: float) -> None:
        """Close every open connection with 1000, within ``grace`` seconds."""
        connections = list(self._connections.values())
        if not connections:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await asyncio.gather(
                    *(c.close(1000, "Listener stopped") for c in connections),
                    return_exceptions=True,
                )
        self.abort_all()

    def abort_all(self) -> None:
        """Drop every connection still open at once (no close handshake)."""
        for connection in list(self._connections.values()):
            if not connection.closed:
                connection.abort()

    # Private methods -----------------------------------------------------------

    async def _decide(self, command: AcceptCommand) -> AcceptDecision:
        try:
            return await self._policy(command)
        except Exception:  # noqa: BLE001 - user code: any failure means reject
            # .NET answers 502 when the AcceptHandler throws (§11).
            _log.exception("the accept policy failed for connection %s", command.id)
            return AcceptDecision.reject(502, "The listener's accept policy failed")

    async def _accept(self, command: AcceptCommand, decision: AcceptDecision) -> None:
        offered = offered_subprotocols(command.connect_headers)
        chosen = decision.subprotocol or (offered[0] if offered else None)
        try:
            websocket = await open_websocket(
                command.address,
                ssl_context=self._ssl,
                settings=self._settings,
                subprotocols=[chosen] if chosen else None,
            )
        except RelayError as exc:
            self._error(exc)
            return
        connection = ListenerConnection(websocket, command, events=self._events, clock=self._clock)
        self._connections[connection.id] = connection
        self._emit(
            ConnectionAccepted(
                at=self._clock(),
                side="listener",
                connection_id=connection.id,
                remote_address=connection.remote_address,
                remote_port=connection.remote_port,
                headers=connection.headers,
            )
        )
        try:
            await self._serve(connection)
        finally:
            self._connections.pop(connection.id, None)

    async def _serve(self, connection: ListenerConnection) -> None:
        """Run the handler; close normally after it, with 1011 if it failed."""
        try:
            if self._handler is None:
                await connection.pump(echo=self._echo)
            else:
                await self._handler(connection)
        except ConnectionClosed:
            pass
        except Exception:  # noqa: BLE001 - user code: log it, close with 1011
            _log.exception("the connection handler failed for %s", connection.id)
            await connection.close(1011, "Listener error")
        finally:
            if not connection.closed:  # done, failed or cancelled: never leave it open
                await connection.close()

    async def _reject(self, command: AcceptCommand, decision: AcceptDecision) -> None:
        url = reject_url(command.address, decision.status, decision.reason)
        try:
            websocket = await open_websocket(url, ssl_context=self._ssl, settings=self._settings)
        except HandshakeFailed as exc:
            if exc.status == REJECTED_OK:
                self._emit(
                    ConnectionRejected(
                        at=self._clock(),
                        side="listener",
                        connection_id=command.id,
                        status=decision.status,
                        reason=decision.reason,
                    )
                )
            else:
                self._error(exc)
            return
        except RelayError as exc:
            self._error(exc)
            return
        # The service should never complete a rejection handshake (§5.3).
        _log.warning("the relay accepted a rejection handshake for %s", command.id)
        await websocket.close(1000)

    def _error(self, exc: RelayError) -> None:
        _log.info("accept failed: %s", exc)
        self._emit(
            ErrorOccurred(at=self._clock(), side="listener", error=error_info(exc, side="listener"))
        )
