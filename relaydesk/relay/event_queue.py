"""A bounded event queue that never loses state, token or error events.

A listener that relays thousands of messages a second must not grow without
bound when its consumer (a GUI log, a slow terminal) falls behind. When the
queue is full the *oldest* message/HTTP event is dropped; events describing
state, tokens, errors, channels and connections are kept (design.md). The
consumer learns about drops through one :class:`EventsDropped` event, placed
where the loss happened from its point of view: before the next event it
reads.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

from relaydesk.relay.events import (
    Event,
    EventsDropped,
    HttpRequestReceived,
    HttpResponseReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
    Side,
)

__all__ = ["DEFAULT_CAPACITY", "DROPPABLE", "MESSAGE_WAKE_DELAY", "EventQueue"]

#: Default number of queued events (design: bounded, ~10,000).
DEFAULT_CAPACITY = 10_000

#: A waiting consumer is woken this many seconds after the first message
#: event of a batch, instead of once per message: under a flood it then reads
#: hundreds of events per wake-up (the GUI inserts them as one batch) and the
#: relayed traffic pays for no extra task switch per message. State, token and
#: error events still wake the consumer at once.
MESSAGE_WAKE_DELAY = 0.005

#: Event classes that may be dropped when the consumer is too slow.
DROPPABLE: tuple[type[Event], ...] = (
    MessageReceived,
    MessageSent,
    HttpRequestReceived,
    HttpResponseSent,
    HttpResponseReceived,
)


class EventQueue:
    """Single-consumer bounded queue of events.

    Droppable and kept events sit in two deques stamped with a sequence
    number, so dropping the oldest droppable event is O(1) and the consumer
    still reads everything in order.

    Args:
        side: stamped on the :class:`EventsDropped` events this queue makes.
        capacity: maximum number of queued events. Kept events never push
            out other kept events unless kept events alone fill the queue
            (pathological; the bound still holds).
        clock: wall clock for ``at`` stamps.
        message_wake_delay: seconds a waiting consumer may sleep after the
            first message event of a batch (see :data:`MESSAGE_WAKE_DELAY`).
    """

    def __init__(
        self,
        side: Side,
        *,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.time,
        message_wake_delay: float = MESSAGE_WAKE_DELAY,
    ) -> None:
        self._side: Side = side
        self._message_wake_delay = message_wake_delay
        self._capacity = max(1, capacity)
        self._clock = clock
        self._seq = itertools.count()
        self._drop: deque[tuple[int, Event]] = deque()
        self._keep: deque[tuple[int, Event]] = deque()
        self._pending_dropped = 0
        self.dropped_total = 0
        """How many events were dropped since creation."""
        self._ready = asyncio.Event()
        self._waiting = False  # a consumer waits on _ready: only then set it
        self._wake_handle: asyncio.TimerHandle | None = None
        self._closed = False

    def __len__(self) -> int:
        return len(self._drop) + len(self._keep)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`; reading continues until drained."""
        return self._closed

    def put(self, event: Event) -> None:
        """Queue ``event``, dropping the oldest droppable event if full."""
        if self._closed:
            return
        drop, keep = self._drop, self._keep
        droppable = isinstance(event, DROPPABLE)
        if len(drop) + len(keep) >= self._capacity:  # rare: the consumer is behind
            if drop:
                drop.popleft()
            elif droppable:
                self._count_drop()
                return
            else:
                keep.popleft()
            self._count_drop()
        (drop if droppable else keep).append((next(self._seq), event))
        if self._waiting:
            self._wake()

    def put_message(self, event: Event) -> None:
        """:meth:`put` for an event known to be droppable (the per-message hot path)."""
        drop = self._drop
        if self._closed or len(drop) + len(self._keep) >= self._capacity:
            self.put(event)
            return
        drop.append((next(self._seq), event))
        if self._waiting and self._wake_handle is None:
            loop = asyncio.get_running_loop()
            self._wake_handle = loop.call_later(self._message_wake_delay, self._wake)

    def _wake(self) -> None:
        """Wake the waiting consumer now (and forget a scheduled wake-up)."""
        if self._wake_handle is not None:
            self._wake_handle.cancel()
            self._wake_handle = None
        self._ready.set()

    def _count_drop(self) -> None:
        self._pending_dropped += 1
        self.dropped_total += 1

    def close(self) -> None:
        """End the stream after the queued events have been read."""
        self._closed = True
        self._wake()  # wake a consumer now or let the next one pass at once

    def get_nowait(self) -> Event | None:
        """Return the next event, an :class:`EventsDropped`, or ``None`` if empty."""
        if self._pending_dropped:
            count, self._pending_dropped = self._pending_dropped, 0
            return EventsDropped(at=self._clock(), side=self._side, count=count)
        if self._drop and (not self._keep or self._drop[0][0] < self._keep[0][0]):
            return self._drop.popleft()[1]
        if self._keep:
            return self._keep.popleft()[1]
        return None

    async def _wait(self) -> None:
        self._ready.clear()
        self._waiting = True
        try:
            await self._ready.wait()
        finally:
            self._waiting = False
            if self._wake_handle is not None:
                self._wake_handle.cancel()
                self._wake_handle = None

    async def get(self) -> Event | None:
        """Wait for the next event; ``None`` once closed and drained."""
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            if self._closed:
                return None
            await self._wait()

    async def stream(self) -> AsyncIterator[Event]:
        """Yield events until the queue is closed and drained.

        Inlines :meth:`get` (no coroutine per event): this is the hot path
        of every consumer.
        """
        while True:
            event = self.get_nowait()
            if event is not None:
                yield event
            elif self._closed:
                return
            else:
                await self._wait()
