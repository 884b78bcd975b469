"""How the GUI's listener behaves: the accept choice, the HTTP answer, forwarding.

The values are frozen: the listener pane's behaviour settings make a new
:class:`ListenerPolicy` on every edit and hand it to the bridge
(``ListenerBridge.set_policy``), which replaces its current one. The relay
adapters (:mod:`relaydesk.gui.bridges.relay_adapters`) get a
:data:`PolicySource` and read the current policy for each new sender (§5.3)
and request (§7.3), so an edit applies without a restart, and no relay task
ever sees a policy half-way through an edit. Qt-free values, kept apart from
the session protocols in :mod:`relaydesk.gui.bridges.backends`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

__all__ = [
    "AcceptChoice",
    "ForwardFields",
    "HttpResponseSettings",
    "ListenerPolicy",
    "PolicySource",
    "forward_fields",
]


@dataclass(frozen=True)
class AcceptChoice:
    """Accept every sender, or reject with a status and reason (§5.3)."""

    accept: bool = True
    status: int = 403
    reason: str = "Rejected by RelayDesk"


@dataclass(frozen=True)
class HttpResponseSettings:
    """How the listener answers HTTP requests (§7.3); ``echo`` returns the body."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})
    body: bytes = b"Hello from RelayDesk"
    echo: bool = True


@dataclass(frozen=True)
class ListenerPolicy:
    """The listener's behaviour; replaced as a whole when the pane's settings change."""

    accept: AcceptChoice = field(default_factory=AcceptChoice)
    auto_echo: bool = True
    http: HttpResponseSettings = field(default_factory=HttpResponseSettings)
    forward_to: str = ""
    """A local base URL every request and WebSocket goes to; "" = answer here."""
    forward_ca_file: str = ""
    """Extra CAs (PEM) trusted for an https/wss local app; "" = the system's only."""
    forward_insecure: bool = False
    """Accept any certificate of the local app (development servers)."""


class ForwardFields(TypedDict):
    """The fields of a profile and of a policy that say where and how to forward:
    the pane edits them together and the profile keeps them."""

    forward_to: str
    forward_ca_file: str
    forward_insecure: bool


class _Forwarding(Protocol):
    @property
    def forward_to(self) -> str: ...
    @property
    def forward_ca_file(self) -> str: ...
    @property
    def forward_insecure(self) -> bool: ...


def forward_fields(source: _Forwarding) -> ForwardFields:
    """The forwarding fields of a :class:`ListenerPolicy` or a profile, for ``replace``."""
    return ForwardFields(
        forward_to=source.forward_to,
        forward_ca_file=source.forward_ca_file,
        forward_insecure=source.forward_insecure,
    )


PolicySource = Callable[[], ListenerPolicy]
"""Returns the policy in force now (the bridge's current one)."""
