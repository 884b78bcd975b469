"""Listener registry and rendezvous table of the emulated relay.

The hub is pure bookkeeping: which control channels are attached to which
hybrid connection (§4.7), and which one-time rendezvous addresses are
outstanding (§5.1, §7.2). It never does I/O except for
:meth:`ControlChannel.send_command`, which holds the per-channel send lock
so that nothing is interleaved between a JSON header and its body (§4.4).
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

__all__ = [
    "BodyRefused",
    "ControlChannel",
    "HttpExchange",
    "HttpReply",
    "Hub",
    "ListenerGone",
    "QuotaExceeded",
    "Rendezvous",
    "RendezvousRefused",
    "WsOutcome",
]


#: seconds an expired/used rendezvous id is remembered, for precise 403 reasons
_KEEP_AFTER_DEADLINE = 300.0


class QuotaExceeded(Exception):
    """The hybrid connection already has the maximum number of listeners."""


class ListenerGone(Exception):
    """The listener's control channel closed before it answered (→ 502)."""


class BodyRefused(Exception):
    """The listener closed its request rendezvous with 1009: the body is over its limit (→ 413)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RendezvousRefused(Exception):
    """A rendezvous address is unknown, used or expired (§5.2: 403)."""

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

    async def send_command(self, command: dict[str, Any], body: bytes | None = None) -> None:
        """Send one JSON command and, if given, its binary body as one unit (§4.4)."""
        text = json.dumps(command, separators=(",", ":"))
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
    command: dict[str, Any]
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


@dataclass(eq=False)
class Rendezvous:
    """A one-time rendezvous address (§5.1, §7.2)."""

    rendezvous_id: str
    kind: Literal["accept", "request"]
    entity: str
    address: str
    deadline: float
    outcome: asyncio.Future[WsOutcome] | None = None
    exchange: HttpExchange | None = None
    used: bool = False
    withdrawn: str | None = None


class Hub:
    """Listeners per entity and outstanding rendezvous addresses."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[ControlChannel]] = {}
        self._rendezvous: dict[str, Rendezvous] = {}
        self._random = random.SystemRandom()

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

    def mint(
        self,
        kind: Literal["accept", "request"],
        entity: str,
        address_for: Callable[[str], str],
        lifetime: float,
    ) -> Rendezvous:
        """Create an unguessable single-use rendezvous (§5.2: ≤ 30 s, one use).

        ``address_for(rendezvous_id) -> str`` builds the URL given to the listener.
        """
        self.purge_expired()
        rendezvous_id = secrets.token_urlsafe(24)
        rendezvous = Rendezvous(
            rendezvous_id=rendezvous_id,
            kind=kind,
            entity=entity,
            address=address_for(rendezvous_id),
            deadline=time.monotonic() + lifetime,
        )
        self._rendezvous[rendezvous_id] = rendezvous
        return rendezvous

    def claim(self, rendezvous_id: str, kind: str) -> Rendezvous:
        """Take a rendezvous for its one use.

        Raises:
            RendezvousRefused: unknown, already used, expired or wrong action.
        """
        rendezvous = self._rendezvous.get(rendezvous_id)
        if rendezvous is None:
            raise RendezvousRefused("The rendezvous address is not valid.")
        if rendezvous.withdrawn is not None:
            raise RendezvousRefused(rendezvous.withdrawn)
        if rendezvous.used:
            raise RendezvousRefused("The rendezvous address was already used.")
        if rendezvous.kind != kind:
            raise RendezvousRefused(f"The rendezvous address is not valid for '{kind}'.")
        if time.monotonic() >= rendezvous.deadline:
            self._rendezvous.pop(rendezvous_id, None)
            raise RendezvousRefused("The rendezvous address has expired.")
        rendezvous.used = True
        return rendezvous

    def withdraw(self, rendezvous: Rendezvous, reason: str) -> None:
        """Make a rendezvous unusable (sender gone or gave up), keeping the reason.

        Entries stay listed for :data:`_KEEP_AFTER_DEADLINE` seconds after
        their deadline so that a late or second use gets a precise reason.
        """
        if not rendezvous.used and rendezvous.withdrawn is None:
            rendezvous.withdrawn = reason

    def purge_expired(self) -> None:
        """Forget rendezvous addresses well past their deadline."""
        limit = time.monotonic() - _KEEP_AFTER_DEADLINE
        for key in [k for k, r in self._rendezvous.items() if r.deadline < limit]:
            del self._rendezvous[key]
