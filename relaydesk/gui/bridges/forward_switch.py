"""Forwarding for the GUI's listener, following the pane-editable "Forward to" URL.

The listener's handlers read the current policy's ``forward_to`` for every
request and sender; :class:`ForwardSwitch` keeps one
:class:`~relaydesk.relay.forwarding.Forwarder` for the current URL (its
connection pool is reused) and replaces it when the URL changes. Qt-free.
"""

from __future__ import annotations

import asyncio

from relaydesk.gui.bridges.policies import PolicySource
from relaydesk.relay.forwarding import Forwarder, ForwardOptions

__all__ = ["ForwardSwitch"]


class ForwardSwitch:
    """The forwarder for the current policy's ``forward_to``, or ``None`` while it is empty."""

    def __init__(self, policy: PolicySource, *, entity_path: str) -> None:
        self._policy = policy
        self._entity = entity_path
        self._current: Forwarder | None = None
        self._retired: list[Forwarder] = []

    def current(self) -> Forwarder | None:
        """The forwarder for the URL and TLS trust set now (made on first use).

        Raises:
            InvalidField: the policy's CA file can no longer be read (the
                pane checked it when it was chosen); the request fails with it.
        """
        policy = self._policy()
        url = policy.forward_to.strip()
        if not url:
            return None
        options = ForwardOptions(
            http_url=url,
            ca_file=policy.forward_ca_file or None,
            verify_tls=not policy.forward_insecure,
        )
        if self._current is None or self._current.options != options:
            if self._current is not None:
                self._retired.append(self._current)  # requests in flight keep it
            self._current = Forwarder(options, entity_path=self._entity)
        return self._current

    def owner_of(self, connection_id: str) -> Forwarder | None:
        """The forwarder that opened a local WebSocket for this sender, if any."""
        for forwarder in (self._current, *self._retired):
            if forwarder is not None and forwarder.bridges(connection_id):
                return forwarder
        return None

    async def close(self) -> None:
        """Close every forwarder's connections (the listener stopped)."""
        forwarders = [*self._retired, *([self._current] if self._current else [])]
        self._retired, self._current = [], None
        await asyncio.gather(*(f.close() for f in forwarders), return_exceptions=True)
