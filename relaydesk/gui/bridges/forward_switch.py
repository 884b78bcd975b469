"""Forwarding for the GUI's listener, following the pane-editable "Forward to" URL.

The listener's handlers read the current policy's ``forward_to`` for every
request and sender; :class:`ForwardSwitch` keeps one
:class:`~relaydesk.relay.forwarding.Forwarder` for the current URL (its
connection pool is reused) and replaces it when the URL changes. Qt-free.
"""

from __future__ import annotations

import asyncio

from relaydesk.gui.bridges.policies import ForwardFields, PolicySource, forward_fields
from relaydesk.relay.forwarding import Forwarder, ForwardOptions

__all__ = ["ForwardSwitch"]


class ForwardSwitch:
    """The forwarder for the current policy's ``forward_to``, or ``None`` while it is empty."""

    def __init__(self, policy: PolicySource, *, entity_path: str) -> None:
        self._policy = policy
        self._entity = entity_path
        self._current: Forwarder | None = None
        self._fields: ForwardFields | None = None  # what _current was made for
        self._retired: list[Forwarder] = []

    def current(self) -> Forwarder | None:
        """The forwarder for the URL and TLS trust set now (made on first use).

        Raises:
            InvalidField: the policy's CA file can no longer be read (the
                pane checked it when it was chosen); the request fails with it.
        """
        fields = forward_fields(self._policy())
        if not fields["forward_to"].strip():
            return None
        if self._current is None or fields != self._fields:  # per request: no parsing here
            forwarder = Forwarder(
                ForwardOptions(
                    http_url=fields["forward_to"].strip(),
                    ca_file=fields["forward_ca_file"] or None,
                    verify_tls=not fields["forward_insecure"],
                ),
                entity_path=self._entity,
            )
            if self._current is not None:
                self._retired.append(self._current)  # requests in flight keep it
            self._current, self._fields = forwarder, fields
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
