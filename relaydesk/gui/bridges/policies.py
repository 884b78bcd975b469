"""How the GUI's listener behaves: the accept choice, the HTTP answer, forwarding.

The listener pane's behaviour settings edit these; the relay adapters
(:mod:`relaydesk.gui.bridges.relay_adapters`) read them for each new sender
(§5.3) and request (§7.3). Qt-free values, kept apart from the session
protocols in :mod:`relaydesk.gui.bridges.backends`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["AcceptChoice", "HttpResponseSettings", "ListenerPolicy"]


@dataclass
class AcceptChoice:
    """Accept every sender, or reject with a status and reason (§5.3)."""

    accept: bool = True
    status: int = 403
    reason: str = "Rejected by RelayDesk"


@dataclass
class HttpResponseSettings:
    """How the listener answers HTTP requests (§7.3); ``echo`` returns the body."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})
    body: bytes = b"Hello from RelayDesk"
    echo: bool = True


@dataclass
class ListenerPolicy:
    """Mutable listener behaviour; the panes edit it while the listener runs.

    The bridge passes callables reading this object to the core, so a change
    applies to the next sender or request without a restart.
    """

    accept: AcceptChoice = field(default_factory=AcceptChoice)
    auto_echo: bool = True
    http: HttpResponseSettings = field(default_factory=HttpResponseSettings)
    forward_to: str = ""
    """A local base URL every request and WebSocket goes to; "" = answer here."""
