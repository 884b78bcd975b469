"""What a diagnosis reports: steps, statuses, what was seen, cause and remedy.

One :class:`DiagnoseStep` event per step and status change (``running``,
then ``ok``/``warning``/``failed``/``skipped``), then one
:class:`DiagnoseFinished`. ``seen`` holds display-safe facts (addresses,
TLS version, certificate names, token claims — never a token or a secret).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from relaydesk.relay.events import ErrorInfo, Event

if TYPE_CHECKING:
    from pathlib import Path

    from relaydesk.auth.provider import TokenProvider
    from relaydesk.protocol.address import HybridConnectionAddress
    from relaydesk.proxy import ProxySettings

__all__ = [
    "DIAGNOSE_STEPS",
    "GATEWAY_DOC",
    "DiagnoseConfig",
    "DiagnoseFinished",
    "DiagnoseStatus",
    "DiagnoseStep",
]

#: (key, title) of every step, in order.
DIAGNOSE_STEPS: tuple[tuple[str, str], ...] = (
    ("dns", "Name resolution"),
    ("proxy", "Proxy"),
    ("tcp", "TCP connect"),
    ("tls", "TLS"),
    ("relay", "Relay reachable"),
    ("authority", "Entra authority"),
    ("token", "Token and claims"),
    ("listeners", "Listener presence"),
    ("authorized", "Authorized"),
    ("gateway", "Gateway hosts"),
)

#: Microsoft's answer to "which hosts must my firewall allow" for Azure Relay.
GATEWAY_DOC = (
    "https://learn.microsoft.com/azure/azure-relay/relay-faq"
    "#what-ip-addresses-do-i-need-to-add-to-allowlist-"
)


class DiagnoseStatus(enum.Enum):
    """A step's status; the values are the words the CLI and the GUI show."""

    RUNNING = "running"
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True)
class DiagnoseStep(Event):
    """One step changed status.

    Attributes:
        step, title: the step key and its display title (:data:`DIAGNOSE_STEPS`).
        status: running, ok, warning, failed or skipped.
        duration: seconds the step took (not for running/skipped).
        summary: one line saying what was found (or why skipped).
        seen: display-safe facts, by name.
        error: cause, remedy and ids of a failure or warning.
    """

    step: str
    title: str
    status: DiagnoseStatus
    duration: float | None = None
    summary: str = ""
    seen: Mapping[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "seen", MappingProxyType(dict(self.seen)))


@dataclass(frozen=True, kw_only=True)
class DiagnoseFinished(Event):
    """The diagnosis ended; ``passed`` unless a step failed."""

    passed: bool
    duration: float
    failed_steps: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DiagnoseConfig:
    """What to diagnose.

    Attributes:
        address: the hybrid connection.
        listener_tokens: the identity used to listen (and to read runtime info).
        sender_tokens: the sender identity, used only with ``try_sender``.
        ca_file: an extra CA to trust (the emulator's, a TLS-inspecting proxy's).
        proxy: the proxy mode (``None`` = system).
        try_sender: also connect a sender to this diagnosis' own listener (and
            so test a rendezvous through the gateway hosts). Off by default: a
            sender could disturb someone's production listener.
        step_timeout: seconds each step may take.
        max_clock_skew: seconds between this machine's clock and a fresh
            token's ``iat`` beyond which the token step fails.
    """

    address: HybridConnectionAddress
    listener_tokens: TokenProvider
    sender_tokens: TokenProvider | None = None
    ca_file: Path | None = None
    proxy: ProxySettings | None = None
    try_sender: bool = False
    step_timeout: float = 20.0
    max_clock_skew: float = 300.0
