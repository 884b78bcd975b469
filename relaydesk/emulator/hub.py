"""Listener registry and rendezvous table of the emulated relay.

The hub is pure bookkeeping: which control channels are attached to which
hybrid connection (§4.7), and which one-time rendezvous addresses are
outstanding (§5.1, §7.2). It never does I/O except for
:meth:`ControlChannel.send_command`, which holds the per-channel send lock
so that nothing is interleaved between a JSON header and its body (§4.4).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from relaydesk.emulator.rendezvous import RendezvousTable
from relaydesk.protocol.messages import ControlMessage, RequestCommand, encode_control_message

__all__ = [
    "BodyRefused",
    "ControlChannel",
    "HttpExchange",
    "HttpReply",
    "Hub",
    "ListenerGone",
    "QuotaExceeded",
    "RendezvousFailed",
    "WsOutcome",
]


class QuotaExceeded(Exception):
    """The hybrid connection already has the maximum number of listeners."""


class ListenerGone(Exception):
    """The listener's control channel closed before it answered (→ 502)."""


class RendezvousFailed(Exception):
    """The listener's request rendezvous ended without a valid response (→ 502)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BodyRefused(Exception):
    """The listener closed its request rendezvous with 1009: the body is over its limit (→ 413)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False)
class ControlChannel:
    """One listener's control channel (§4).

    Attributes:
        entity: the hybrid connection name.
        listener_id: the ``sb-hc-id`` the listener connected with.
        ws: the server side of the WebSocket.
        request: the upgrade request (its transport is aborted by faults).
        expires_at: the current token's expiry (Unix time) or ``None``.
    """

    entity: str
    listener_id: str
    ws: web.WebSocketResponse
    request: web.Request
    expires_at: float | None
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: dict[str, HttpExchange] = field(default_factory=dict)
    expiry_task: asyncio.Task[None] | None = None

    async def send_command(self, command: ControlMessage, body: bytes | None = None) -> None:
        """Send one JSON command and, if given, its binary body as one unit (§4.4)."""
        text = encode_control_message(command)
        async with self.send_lock:
            await self.ws.send_str(text)
            if body is not None:
                await self.ws.send_bytes(body)


@dataclass(frozen=True)
class HttpReply:
    """A listener's answer to an HTTP request (§7.3)."""

    status: int
    description: str | None
    headers: dict[str, str]
    body: bytes


@dataclass(eq=False)
class HttpExchange:
    """One HTTP sender request waiting for its listener's response (§7)."""

    request_id: str
    command: RequestCommand
    body: bytes | None
    inline_sent: bool
    reply: asyncio.Future[HttpReply]
    rendezvous_used: bool = False


@dataclass(frozen=True)
class WsOutcome:
    """How the listener answered an ``accept`` (§5.2, §5.3).

    ``ws`` is set when the listener accepted, with the subprotocol it chose;
    otherwise ``status``/``description`` carry its rejection.
    """

    ws: web.WebSocketResponse | None = None
    protocol: str | None = None
    status: int = 0
    description: str = ""
    done: asyncio.Event | None = None


class Hub:
    """Listeners per entity and the table of outstanding rendezvous addresses.

    Args:
        clock: monotonic seconds for rendezvous deadlines (tests inject one).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._listeners: dict[str, list[ControlChannel]] = {}
        self._random = random.SystemRandom()
        self.rendezvous = RendezvousTable(clock)

    def attach(self, channel: ControlChannel, limit: int) -> None:
        """Register a control channel (§4.7).

        Raises:
            QuotaExceeded: the entity already has ``limit`` listeners.
        """
        channels = self._listeners.setdefault(channel.entity.lower(), [])
        if len(channels) >= limit:
            raise QuotaExceeded(channel.entity)
        channels.append(channel)

    def detach(self, channel: ControlChannel) -> bool:
        """Forget a control channel; return whether it was attached."""
        channels = self._listeners.get(channel.entity.lower(), [])
        if channel not in channels:
            return False
        channels.remove(channel)
        return True

    def listeners(self, entity: str | None = None) -> list[ControlChannel]:
        """Return the attached channels of one entity, or of all entities."""
        if entity is not None:
            return list(self._listeners.get(entity.lower(), []))
        return [c for channels in self._listeners.values() for c in channels]

    def choose(
        self, entity: str, allowed: Iterable[str] | None, disallowed: Iterable[str]
    ) -> ControlChannel | None:
        """Pick a random eligible listener (§4.7 routing headers)."""
        allow = {a.lower() for a in allowed} if allowed is not None else None
        deny = {d.lower() for d in disallowed}
        eligible = [
            c
            for c in self._listeners.get(entity.lower(), [])
            if (allow is None or c.listener_id.lower() in allow)
            and c.listener_id.lower() not in deny
            and not c.ws.closed
        ]
        return self._random.choice(eligible) if eligible else None
