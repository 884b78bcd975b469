"""One open listener control channel (§4).

Opening sends ``sb-hc-action=listen`` with the listener's GUID and the
token in ``ServiceBusAuthorization`` (§3, §4.1). Afterwards the channel is a
stream of JSON commands (§4.4). Two framing rules live here:

* an inline ``request`` with ``"body": true`` is followed by exactly one
  binary message, read before the next command (§4.4, §7.2);
* everything this side sends (``response`` + body, ``renewToken``) goes
  through one send lock, so a JSON header and its body are never split by
  another send (§4.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed as WsConnectionClosed

from relaydesk.errors import ConnectionClosed, RemoteProtocolViolation
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.messages import (
    ControlMessage,
    RenewTokenCommand,
    RequestCommand,
    encode_control_message,
    parse_control_message,
)
from relaydesk.relay.failures import closed_error
from relaydesk.relay.transport import WebSocketSettings, open_websocket

__all__ = ["ControlChannel"]

_log = logging.getLogger(__name__)


class ControlChannel:
    """An open control channel: read commands, send replies under a lock."""

    def __init__(self, websocket: ClientConnection, url: str) -> None:
        self._ws = websocket
        self.url = url
        """The listen URL (no token in it, §3)."""
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        address: HybridConnectionAddress,
        listener_id: str,
        token: str,
        *,
        ssl_context: ssl.SSLContext | None,
        settings: WebSocketSettings,
    ) -> ControlChannel:
        """Open the control channel (§4.1).

        Raises:
            HandshakeFailed: typed by status (§4.2).
            RelayUnreachable: TCP/TLS/timeout.
        """
        url = address.listen_url(listener_id)
        websocket = await open_websocket(
            url, ssl_context=ssl_context, settings=settings, token=token
        )
        return cls(websocket, url)

    @property
    def close_code(self) -> int | None:
        """Close code received (1006 for a drop); ``None`` while open."""
        return self._ws.close_code

    async def commands(self) -> AsyncIterator[tuple[ControlMessage, bytes]]:
        """Yield ``(command, body)`` until the channel closes.

        ``body`` is the inline request body (§7.2), ``b""`` otherwise.
        Malformed messages are logged and skipped (§4.4: unknown commands
        are ignored; a broken one is not worth dropping the channel for).

        Raises:
            ConnectionClosed: when the channel closes, with the close code
                explained (§4.3); 1000 after our own :meth:`close`.
        """
        try:
            while True:
                data = await self._ws.recv()
                if not isinstance(data, str):
                    _log.warning("ignoring an unexpected binary message (%d bytes)", len(data))
                    continue
                try:
                    command = parse_control_message(data)
                except RemoteProtocolViolation as exc:
                    _log.warning("ignoring a malformed control message: %s", exc)
                    continue
                body = b""
                if isinstance(command, RequestCommand) and command.body:
                    body = await self._read_body()
                yield command, body
        except WsConnectionClosed as exc:
            raise self._closed(exc) from None

    async def _read_body(self) -> bytes:
        data = await self._ws.recv()
        if isinstance(data, str):
            _log.warning("a request body arrived as text; using its UTF-8 bytes")
            return data.encode()
        return data

    def _closed(self, exc: WsConnectionClosed) -> ConnectionClosed:
        frame = exc.rcvd
        return closed_error(frame.code if frame else None, frame.reason if frame else "")

    async def send(self, text: str, body: bytes | None = None) -> None:
        """Send a JSON command and its optional binary body without interleaving.

        Raises:
            ConnectionClosed: the channel is closed.
        """
        async with self._lock:
            try:
                await self._ws.send(text)
                if body is not None:
                    await self._ws.send(body)
            except WsConnectionClosed as exc:
                raise self._closed(exc) from None

    async def renew(self, token: str) -> None:
        """Send ``renewToken`` (§4.6)."""
        await self.send(encode_control_message(RenewTokenCommand(token=token)))

    async def close(self, grace: float) -> None:
        """Close with 1000 and wait at most ``grace`` s for the service (§11)."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(grace + 0.5):
                await self._ws.close(1000, "Normal Closure")
        if self._ws.close_code is None:
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection without a close handshake."""
        transport = self._ws.transport
        if transport is not None:
            transport.abort()
