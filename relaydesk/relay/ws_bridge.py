"""Bridge relayed WebSocket connections to a local WebSocket service (§5).

The local WebSocket is opened *before* the sender is accepted: if the local
service refuses, the sender is rejected with 502 and a reason naming
RelayDesk (§5.3), instead of being accepted and closed at once. The
subprotocol the local service chose is the one accepted on the rendezvous
(§5.2), so both ends agree.

Once both sockets are open, messages pass frame for frame: text stays text,
binary stays binary, and the first side to close has its close code passed
to the other (codes that may not be sent on the wire — 1005, 1006, 1015 —
become 1000 or 1011).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from relaydesk.errors import ConnectionClosed
from relaydesk.protocol.messages import AcceptCommand
from relaydesk.relay.accepting import offered_subprotocols
from relaydesk.relay.connection import ListenerConnection, MessageConnection
from relaydesk.relay.forward_target import proxied_request_headers, rendezvous_suffix
from relaydesk.relay.policies import AcceptDecision

if TYPE_CHECKING:
    from relaydesk.relay.forwarding import ForwardOptions

__all__ = ["LocalSocket", "WebSocketBridge", "bridge", "wire_close_code"]

_log = logging.getLogger(__name__)

_DATA = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)

#: Seconds to open the local WebSocket (the sender waits meanwhile, §5.2).
_LOCAL_OPEN_TIMEOUT = 15.0


def wire_close_code(code: int | None) -> int:
    """A close code that may be sent on the wire (RFC 6455 §7.4).

    No code (1005) becomes 1000; a drop (1006), a TLS failure (1015), the
    reserved 1004 and anything out of range become 1011.
    """
    if code is None or code == 1005:
        return 1000
    if code in (1004, 1006, 1015) or not 1000 <= code <= 4999:
        return 1011
    return code


class WebSocketBridge:
    """Opens local WebSockets for accepted senders and pumps both ways."""

    def __init__(self, options: ForwardOptions, *, entity_path: str) -> None:
        self._options = options
        self._target = options.ws_target
        self._entity = entity_path
        self._opened: dict[str, aiohttp.ClientWebSocketResponse] = {}

    async def accept(
        self, command: AcceptCommand, session: aiohttp.ClientSession
    ) -> AcceptDecision:
        """Open the local WebSocket; accept with its subprotocol, or reject with 502."""
        url = self._target.url(rendezvous_suffix(command.address, self._entity))
        headers = proxied_request_headers(
            command.connect_headers,
            remote=command.remote_endpoint,
            prefix="/" + self._entity,
            host=self._options.host_header,
            websocket=True,
        )
        try:
            local = await asyncio.wait_for(
                session.ws_connect(
                    url,
                    headers=headers,
                    protocols=offered_subprotocols(command.connect_headers),
                    max_msg_size=self._options.max_message_size,
                    compress=0,
                ),
                _LOCAL_OPEN_TIMEOUT,
            )
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            reason = (
                f"RelayDesk: the local WebSocket service at {self._target} failed ({_why(exc)})"
            )
            _log.info("%s", reason)
            return AcceptDecision.reject(502, reason[:120])
        self._opened[command.id] = local
        return AcceptDecision.allow(subprotocol=local.protocol)

    def holds(self, connection_id: str) -> bool:
        """True while a local WebSocket opened by :meth:`accept` waits for its sender."""
        return connection_id in self._opened

    async def serve(self, connection: ListenerConnection) -> None:
        """Pump messages between the sender and the local WebSocket until one closes."""
        local = self._opened.pop(connection.id, None)
        if local is None:  # not opened by accept(): nothing to bridge to
            await connection.close(1011, "RelayDesk: no local WebSocket")
            return
        await bridge(connection, local)

    async def close(self) -> None:
        """Close local sockets opened for senders that never started."""
        for local in list(self._opened.values()):
            with contextlib.suppress(Exception):
                await local.close()
        self._opened.clear()


#: An aiohttp WebSocket of either end (client or server response).
LocalSocket = aiohttp.ClientWebSocketResponse | web.WebSocketResponse


async def bridge(relayed: MessageConnection, local: LocalSocket) -> None:
    """Pass messages both ways until one side closes; pass its close code on.

    ``relayed`` is the relay's end (listener or sender connection, §5.2),
    ``local`` the local service's or local client's WebSocket.
    """
    reason: list[str] = []
    to_local = asyncio.create_task(_relayed_to_local(relayed, local))
    to_relay = asyncio.create_task(_local_to_relayed(local, relayed, reason))
    try:
        await asyncio.wait({to_local, to_relay}, return_when=asyncio.FIRST_COMPLETED)
        if to_local.done():  # the relay side closed first: pass its code on
            await local.close(code=wire_close_code(relayed.close_code))
        else:
            await relayed.close(wire_close_code(local.close_code), _close_reason(local, reason))
    finally:
        for task in (to_local, to_relay):
            task.cancel()
        await asyncio.gather(to_local, to_relay, return_exceptions=True)
        if not local.closed:
            await local.close()


async def _relayed_to_local(relayed: MessageConnection, local: LocalSocket) -> None:
    async for data in relayed:
        if isinstance(data, str):
            await local.send_str(data)
        else:
            await local.send_bytes(data)


async def _local_to_relayed(
    local: LocalSocket, relayed: MessageConnection, reason: list[str]
) -> None:
    try:
        while True:  # receive(), not async for: that hides the CLOSE and its reason
            message = await local.receive()
            if message.type in _DATA:  # str stays text, bytes stays binary
                await relayed.send(message.data)
                continue
            if message.type is aiohttp.WSMsgType.CLOSE and message.extra:
                reason.append(str(message.extra)[:120])
            return
    except ConnectionClosed:
        return


def _close_reason(local: LocalSocket, reason: list[str]) -> str:
    """The local side's close reason, or what went wrong with it."""
    exc = local.exception()
    if exc is not None and not reason:
        return f"RelayDesk: local WebSocket failed ({_why(exc)})"[:120]
    return reason[0] if reason else ""


def _why(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"HTTP {exc.status}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return exc.os_error.strerror or type(exc.os_error).__name__
    if isinstance(exc, TimeoutError):
        return "no answer"
    return type(exc).__name__
