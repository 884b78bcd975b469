"""Event builders shared by the pane tests."""

from __future__ import annotations

from relaydesk.relay.events import ConnectionAccepted


def accepted(cid: str) -> ConnectionAccepted:
    """A listener-side ConnectionAccepted from a loopback sender with one header."""
    return ConnectionAccepted(
        at=0.0,
        side="listener",
        connection_id=cid,
        remote_address="127.0.0.1",
        remote_port=50000,
        headers={"X-App": "demo"},
    )
