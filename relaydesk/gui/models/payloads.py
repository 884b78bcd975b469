"""Bounding the memory that message and HTTP payloads hold in the GUI (Qt-free).

Counting rows is not enough: 5,000 rows of 10 MiB binaries would be 50 GB.
So the message logs and the session recording also have a byte budget for
the payloads they keep. A message log keeps every row (time, size, preview)
but releases the *content* of its oldest rows beyond the budget; the session
recording keeps every protocol event but only the newest content events that
fit. The newest payload is always kept, whatever its size, so the message
the user just sent or received can still be opened.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TypeVar

from relaydesk.relay.events import (
    Event,
    HttpRequestReceived,
    HttpResponseReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
)

__all__ = [
    "CONTENT_EVENTS",
    "DEFAULT_PAYLOAD_BUDGET",
    "PayloadBudget",
    "payload_size",
    "without_payload",
]

#: Bytes of payload one message log, or the session recording, keeps.
DEFAULT_PAYLOAD_BUDGET = 64 * 1024 * 1024


#: The events that carry content (a message's data, an HTTP body).
CONTENT_EVENTS = (
    MessageReceived,
    MessageSent,
    HttpRequestReceived,
    HttpResponseSent,
    HttpResponseReceived,
)


def payload_size(event: Event) -> int:
    """Bytes (characters for text) of ``event``'s message data or HTTP body; else 0."""
    if isinstance(event, MessageReceived | MessageSent):
        return len(event.data)
    if isinstance(event, HttpRequestReceived | HttpResponseSent | HttpResponseReceived):
        return len(event.body)
    return 0


_E = TypeVar("_E", bound=Event)


def without_payload(event: _E) -> _E:
    """``event`` with its message data or HTTP body emptied (other events unchanged)."""
    if isinstance(event, MessageReceived | MessageSent):
        return replace(event, data=b"" if isinstance(event.data, bytes) else "")
    if isinstance(event, HttpRequestReceived | HttpResponseSent | HttpResponseReceived):
        return replace(event, body=b"")
    return event


class PayloadBudget:
    """FIFO accounting of payloads by sequence number, oldest released first.

    The container (a list or deque of rows or events, oldest first) numbers
    its items; :meth:`add` says which older items must let go of their
    payload, :meth:`forget_before` that items left the container.

    Args:
        limit: bytes of payload kept; the newest payload is kept even alone over it.
    """

    def __init__(self, limit: int = DEFAULT_PAYLOAD_BUDGET) -> None:
        self.limit = max(0, limit)
        self.total = 0
        self.released = 0
        self._held: deque[tuple[int, int]] = deque()

    def add(self, seq: int, size: int) -> list[int]:
        """Account item ``seq`` holding ``size`` bytes; return the items to release."""
        if size:
            self._held.append((seq, size))
            self.total += size
        release = []
        while self.total > self.limit and len(self._held) > 1:
            old, old_size = self._held.popleft()
            self.total -= old_size
            self.released += 1
            release.append(old)
        return release

    def forget_before(self, seq: int) -> None:
        """Items numbered below ``seq`` left the container (trimmed, evicted)."""
        held = self._held
        while held and held[0][0] < seq:
            self.total -= held.popleft()[1]

    def clear(self) -> None:
        """Forget everything (the container was cleared)."""
        self._held.clear()
        self.total = 0
        self.released = 0
