"""One established WebSocket between a sender and a listener (§5.2, §6).

After the rendezvous the socket is a clean end-to-end pipe: messages and
close frames pass through the relay uninterpreted (§5.2). The listener's
end (:class:`ListenerConnection`) and the sender's end
(:class:`~relaydesk.relay.sender.SenderConnection`) share this class: send,
receive or iterate, close with a code, counters, and events for every
message and for the end of the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConcurrencyError
from websockets.exceptions import ConnectionClosed as WsConnectionClosed
from websockets.frames import Close
from websockets.protocol import State

from relaydesk.errors import ConnectionClosed
from relaydesk.relay.common_events import (
    ConnectionEnded,
    ErrorOccurred,
    MessageReceived,
    MessageSent,
    Side,
)
from relaydesk.relay.event_queue import EventQueue, message_key
from relaydesk.relay.failures import closed_error, error_info

if TYPE_CHECKING:  # the control messages are the listener's: a sender needs no parser
    from relaydesk.protocol.messages import AcceptCommand

__all__ = ["ListenerConnection", "MessageConnection"]

#: Seconds to wait for the peer's close frame before dropping the socket.
CLOSE_TIMEOUT = 2.0
#: The close code websockets sends for a message over ``max_size``.
CLOSE_MESSAGE_TOO_BIG = 1009


# Message events are the hot path: four per message echoed through a
# listener and a sender in one process. Each is queued as its parts (a key
# made once per connection, the time, the data) and built when the consumer
# reads it (event_queue.py says why). The counting and EventQueue's fast path
# (``put_message_data`` when the queue has room and nothing else to do) are
# written out in each method below rather than shared: every call counts.


class MessageConnection:
    """A relayed WebSocket with counters and events.

    Attributes:
        id: the connection id (``sb-hc-id`` / accept ``id``, §5.1).
        connected_at: wall-clock time the handshake completed.
        messages_sent, messages_received, bytes_sent, bytes_received: counters.
    """

    def __init__(
        self,
        websocket: ClientConnection,
        *,
        connection_id: str,
        side: Side,
        events: EventQueue,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ws = websocket
        self._side: Side = side
        self._emit = events.put
        self._events = events
        self._messages = events.messages
        self._sent_key = message_key(MessageSent, side, connection_id)
        self._received_key = message_key(MessageReceived, side, connection_id)
        self._clock = clock
        self.id = connection_id
        self.connected_at = clock()
        self.messages_sent = 0
        self.messages_received = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self._ended = asyncio.Event()
        self._watcher = asyncio.create_task(self._watch_close(), name=f"relay-conn-{self.id}")

    # Public methods ------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the WebSocket is closed (by either side or a drop)."""
        return self._ended.is_set()

    @property
    def close_code(self) -> int | None:
        """The close code received (1006 for a drop), ``None`` while open."""
        return self._ws.close_code

    @property
    def close_reason(self) -> str:
        """The close reason received (empty for a drop or while open)."""
        return self._ws.close_reason or ""

    @property
    def subprotocol(self) -> str | None:
        """The negotiated ``Sec-WebSocket-Protocol`` (§5.2), if any."""
        return self._ws.subprotocol

    async def send(self, data: str | bytes) -> None:
        """Send one text (``str``) or binary (``bytes``) message.

        Raises:
            ConnectionClosed: the connection is closed.
        """
        try:
            await self._ws.send(data)
        except WsConnectionClosed as exc:
            raise self._closed_error(exc) from None
        self.messages_sent += 1
        self.bytes_sent += len(data)
        messages = self._messages
        if len(messages) < self._events.room:
            messages.append(self._sent_key)
            messages.append(self._clock())
            messages.append(data)
        else:
            self._events.put_message_data(self._sent_key, self._clock(), data)

    async def send_many(self, messages: Sequence[str | bytes]) -> None:
        """Send several messages, text (``str``) or binary (``bytes``), in one write.

        For pipelined senders: the frames go to the TLS transport as one
        ``writelines``, i.e. one TLS write and one system call for the batch
        instead of one per message (on a loaded machine each of those costs
        more than the framing itself).

        Raises:
            ConnectionClosed: the connection is closed.
        """
        ws = self._ws
        try:
            async with ws.send_context():
                protocol = ws.protocol
                for data in messages:
                    if isinstance(data, str):
                        protocol.send_text(data.encode())
                    else:
                        protocol.send_binary(data)
                ws.transport.writelines([chunk for chunk in protocol.data_to_send() if chunk])
        except WsConnectionClosed as exc:
            raise self._closed_error(exc) from None
        now = self._clock()
        for data in messages:
            self.messages_sent += 1
            self.bytes_sent += len(data)
            self._events.put_message_data(self._sent_key, now, data)

    async def receive(self) -> str | bytes:
        """Wait for the next message.

        Raises:
            ConnectionClosed: the connection closed (``code`` says how; 1000
                is a normal close).
        """
        try:
            data = await self._ws.recv()
        except WsConnectionClosed as exc:
            raise self._closed_error(exc) from None
        self.messages_received += 1
        self.bytes_received += len(data)
        messages = self._messages
        if len(messages) < self._events.room:
            messages.append(self._received_key)
            messages.append(self._clock())
            messages.append(data)
        else:
            self._events.put_message_data(self._received_key, self._clock(), data)
        return data

    async def __aiter__(self) -> AsyncIterator[str | bytes]:
        """Yield messages until the connection closes (any close code)."""
        queue, messages, clock, key = self._events, self._messages, self._clock, self._received_key
        append = messages.append
        try:
            async for data in self._ws:
                self.messages_received += 1
                self.bytes_received += len(data)
                if len(messages) < queue.room:
                    append(key)
                    append(clock())
                    append(data)
                else:
                    queue.put_message_data(key, clock(), data)
                yield data
        except WsConnectionClosed:
            return

    async def pump(self, *, echo: bool = False) -> None:
        """Read (and optionally echo) every message until the connection closes.

        Use it when only the events matter (GUI log, auto-echo listener).
        Written as a flat loop over the socket: this is the hot path of an
        echoing listener.
        """
        websocket, queue, messages, clock = self._ws, self._events, self._messages, self._clock
        received, sent, append = self._received_key, self._sent_key, messages.append
        try:
            while True:
                data = await websocket.recv()
                self.messages_received += 1
                self.bytes_received += len(data)
                if len(messages) < queue.room:
                    append(received)
                    append(clock())
                    append(data)
                else:
                    queue.put_message_data(received, clock(), data)
                if echo:
                    await websocket.send(data)
                    self.messages_sent += 1
                    self.bytes_sent += len(data)
                    if len(messages) < queue.room:
                        append(sent)
                        append(clock())
                        append(data)
                    else:
                        queue.put_message_data(sent, clock(), data)
        except WsConnectionClosed:
            return

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with ``code``/``reason`` and wait (≤ 2 s) for the peer's close.

        Messages that still arrive meanwhile are read (counted and published)
        when nobody else is reading: websockets stops reading the socket once
        16 messages wait unread, and the peer's close frame, queued behind
        them (an echoing listener), would then arrive only after the close
        timeout.
        """
        drain = asyncio.create_task(self._drain())
        try:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT + 1):
                    await self._ws.close(code, reason)
        finally:
            if self._ws.protocol.state is not State.CLOSED:
                self.abort()  # the close was cut short: end the drain too
            await _finish(drain)
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait until the connection has ended and its event was published."""
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._watcher)

    def abort(self) -> None:
        """Drop the TCP connection at once (no close handshake)."""
        transport = self._ws.transport
        if transport is not None:
            transport.abort()

    # Private methods -----------------------------------------------------------

    async def _drain(self) -> None:
        """Read until the connection ends, unless another task is reading."""
        with contextlib.suppress(ConnectionClosed, ConcurrencyError):
            while True:
                await self.receive()

    def _closed_error(self, exc: WsConnectionClosed) -> ConnectionClosed:
        frame = exc.rcvd or _refusal(exc.sent)
        return closed_error(frame.code if frame else None, frame.reason if frame else "")

    async def _watch_close(self) -> None:
        """Publish :class:`ConnectionEnded` once, whoever closed the socket.

        When this side refused a message over its limit (it sent 1009 and,
        failing the connection, did not wait for the peer's close frame), the
        end says 1009 with the reason, after an :class:`ErrorOccurred` that
        explains it, rather than a bare 1006.
        """
        try:
            await self._ws.wait_closed()
        finally:
            self._ended.set()
            protocol = self._ws.protocol
            refusal = None if protocol.close_rcvd else _refusal(protocol.close_sent)
            if refusal is not None:
                error = error_info(closed_error(refusal.code, refusal.reason))
                self._emit(ErrorOccurred(at=self._clock(), side=self._side, error=error))
            ended = ConnectionEnded(
                at=self._clock(),
                side=self._side,
                connection_id=self.id,
                code=refusal.code if refusal else (self._ws.close_code or 1006),
                reason=refusal.reason if refusal else (self._ws.close_reason or ""),
            )
            self._emit(ended)
            self._on_ended(ended)

    def _on_ended(self, event: ConnectionEnded) -> None:
        """Hook for subclasses, called once after ConnectionEnded was published."""


async def _finish(task: asyncio.Task[None]) -> None:
    """Let ``task`` end by itself once the socket is closed; cancel it if this is cancelled."""
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()
        raise


def _refusal(sent: Close | None) -> Close | None:
    """The close frame this side sent to refuse a message over its limit (RFC 6455 §7.4.1)."""
    return sent if sent is not None and sent.code == CLOSE_MESSAGE_TOO_BIG else None


class ListenerConnection(MessageConnection):
    """The listener's end of an accepted rendezvous (§5.2).

    Attributes:
        remote_address, remote_port: the sender's endpoint, when known.
        headers: the sender's upgrade request headers (``connectHeaders``).
        address: the rendezvous URL it was accepted on (no token in it).
    """

    def __init__(
        self,
        websocket: ClientConnection,
        command: AcceptCommand,
        *,
        events: EventQueue,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            websocket, connection_id=command.id, side="listener", events=events, clock=clock
        )
        endpoint = command.remote_endpoint
        self.remote_address = endpoint.address if endpoint else None
        self.remote_port = endpoint.port if endpoint else None
        self.headers: Mapping[str, str] = MappingProxyType(dict(command.connect_headers))
        self.address = command.address
