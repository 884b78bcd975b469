"""Shared state and collaborator interfaces of the relay half of the emulator.

The relay handlers (``control``, ``ws_sender``, ``http_sender``) share one
:class:`RelayContext`: the settings, the hub (listeners and rendezvous
table), the entity catalogue and the token authorizer. The catalogue and
authorizer are structural :class:`typing.Protocol` types so the relay does
not depend on how ``world.py``/``authz.py`` store things; ``server.py``
adapts them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from relaydesk.emulator.hub import Hub
from relaydesk.emulator.world import Right

__all__ = [
    "LISTEN",
    "SEND",
    "EntityCatalog",
    "HybridConnectionInfo",
    "Principal",
    "RelayContext",
    "RelaySettings",
    "TokenAuthorizer",
]

#: The rights asked of the authorizer (SAS rule rights / RBAC data actions, §9.4, §10.3).
LISTEN = Right.LISTEN
SEND = Right.SEND


@dataclass(frozen=True)
class HybridConnectionInfo:
    """What the relay needs to know about one hybrid connection (§1)."""

    name: str
    requires_client_authorization: bool
    user_metadata: str | None = None


class EntityCatalog(Protocol):
    """Lookup of the registered hybrid connections."""

    def names(self) -> list[str]:
        """Return the registered entity names."""

    def get(self, name: str) -> HybridConnectionInfo | None:
        """Return the entity called ``name`` (as spelled in :meth:`names`)."""


class Principal(Protocol):
    """The authenticated caller; only its expiry matters to the relay (§4.6)."""

    @property
    def expires_at(self) -> float | None:
        """Unix time the token expires, or ``None`` for never."""


class TokenAuthorizer(Protocol):
    """Validates a token for an entity and a right (SAS §9.4, JWT §10.4).

    Raises:
        relaydesk.errors.TokenRejected: 401 (invalid) or 403 (no right).
    """

    def authorize(self, token: str | None, entity: str, right: Right) -> Principal:
        """Return the principal or raise ``TokenRejected``."""


@dataclass
class RelaySettings:
    """Timing and limits of the relay (§8). Tests shorten the timeouts.

    Attributes:
        rendezvous_timeout: seconds an accept/request rendezvous address stays
            valid, and how long a WebSocket sender waits for the listener (§5.2).
        http_response_timeout: seconds a listener has to answer an HTTP
            request before the sender gets 504 (§7.3).
        max_listeners: listeners per hybrid connection (§4.7).
        token_expiry_grace: seconds a control channel outlives its token
            before the 1008 close (§4.6).
        response_delay: fault knob: extra seconds before a listener's HTTP
            response is delivered (counts against the deadline).
        rendezvous_authority: ``host:port`` of rendezvous addresses when they
            are not the namespace's (a gateway port), else ``None``.
    """

    rendezvous_timeout: float = 30.0
    http_response_timeout: float = 60.0
    max_listeners: int = 25
    token_expiry_grace: float = 0.0
    response_delay: float | None = None
    rendezvous_authority: str | None = None


@dataclass
class RelayContext:
    """Everything a relay handler needs; one per running emulator."""

    settings: RelaySettings
    catalog: EntityCatalog
    authorizer: TokenAuthorizer
    logger: logging.Logger
    hub: Hub = field(default_factory=Hub)
    namespace: str = "127.0.0.1"
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    #: when the entities came to be (runtime info ``CreatedAt``/``UpdatedAt``, §11)
    created_at: float = field(default_factory=time.time)
