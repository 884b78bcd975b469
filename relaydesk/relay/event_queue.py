"""A bounded event queue that never loses state, token or error events.

A listener that relays thousands of messages a second must not grow without
bound when its consumer (a GUI log, a slow terminal) falls behind. When the
queue is full the *oldest* message/HTTP event is dropped; events describing
state, tokens, errors, channels and connections are kept (design.md). The
consumer learns about drops through one :class:`EventsDropped` event, placed
where the loss happened from its point of view: before the next event it
reads.

Message events are the hot path: four per message echoed through a
listener and a sender in one process. A connection queues each as its
parts — a :data:`MessageKey` shared by all its messages, the time and the
data — and the :class:`~relaydesk.relay.events.MessageSent` or
:class:`~relaydesk.relay.events.MessageReceived` is built when the consumer
reads it. The consumer gets the same frozen event either way; the queue
meanwhile holds no object per message that Python's cyclic garbage
collector must track, so a backlog of message events does not set off
collections that would cost the relayed traffic more than the events.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from relaydesk.relay.common_events import (
    Event,
    EventsDropped,
    HttpRequestReceived,
    HttpResponseReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
    Side,
)

__all__ = [
    "DEFAULT_CAPACITY",
    "DROPPABLE",
    "MESSAGE_WAKE_DELAY",
    "EventQueue",
    "MessageKey",
    "message_key",
]

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


#: A connection's description of its message events of one direction:
#: (event class, its ``connection_id`` and ``data`` slot setters, side,
#: connection id). Made once per connection by :func:`message_key`.
MessageKey = tuple[
    type[Event],
    Callable[[Event, object], None],
    Callable[[Event, object], None],
    Side,
    str,
]

_new = object.__new__
_SET_AT = cast(Callable[[Event, object], None], getattr(Event, "at").__set__)  # noqa: B009
_SET_SIDE = cast(Callable[[Event, object], None], getattr(Event, "side").__set__)  # noqa: B009


def message_key(
    cls: type[MessageSent] | type[MessageReceived], side: Side, connection_id: str
) -> MessageKey:
    """How a connection queues its ``cls`` events: see :meth:`EventQueue.put_message_data`."""
    set_id = getattr(cls, "connection_id").__set__  # noqa: B009 - the slot, not a value
    set_data = getattr(cls, "data").__set__  # noqa: B009
    return (cls, set_id, set_data, side, connection_id)


def _build(key: MessageKey, at: float, data: str | bytes) -> Event:
    """The frozen event a key, a time and data describe.

    Fills the slots of an empty instance through their descriptors: the
    frozen dataclass ``__init__`` goes through ``object.__setattr__`` per
    field, about three times the cost. The result is equal, hashable,
    printable and frozen like a normally built event.
    """
    cls, set_id, set_data, side, connection_id = key
    event: Event = _new(cls)
    _SET_AT(event, at)
    _SET_SIDE(event, side)
    set_id(event, connection_id)
    set_data(event, data)
    return event


class EventQueue:
    """Single-consumer bounded queue of events.

    Droppable events sit in one deque, three items each: a message event as
    its (key, time, data), any other droppable event as (event, None, None).
    The rare kept events sit in another, each with the number of droppable
    events that must leave before it (its *mark*). So dropping the oldest
    droppable event is O(1), the consumer still reads everything in order,
    and a message event costs three appends and, when read, three pops and
    the event itself.

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
        self.messages: deque[object] = deque()
        """The droppable events, 3 items each; append only through
        :meth:`put_message_data` or its inlined fast path (see there)."""
        self._keep: deque[tuple[int, Event]] = deque()
        # Droppable events that left `messages` (read or dropped). Only
        # counted while kept events wait: a mark is taken relative to it when
        # a kept event is queued, and from then until that event is read
        # every departure is counted, so the hot read path skips the count.
        self._left = 0
        self.room = 3 * self._capacity
        """Items the fast path may let ``messages`` reach: 3 × (capacity
        minus the kept events) while nothing else needs doing; 0 while closed
        or while a consumer waits for a wake-up that is not yet scheduled, so
        one comparison sends every such case to :meth:`put_message_data`."""
        self._direct = True  # no kept event and no drop report due: read messages directly
        self._pending_dropped = 0
        self.dropped_total = 0
        """How many events were dropped since creation."""
        self._ready = asyncio.Event()
        self._waiting = False  # a consumer waits on _ready: only then set it
        self._wake_handle: asyncio.TimerHandle | None = None
        self._closed = False

    def __len__(self) -> int:
        return len(self.messages) // 3 + len(self._keep)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`; reading continues until drained."""
        return self._closed

    def put(self, event: Event) -> None:
        """Queue ``event``, dropping the oldest droppable event if full."""
        if isinstance(event, DROPPABLE):
            self._put_droppable(event, None, None, batched=False)
        else:
            self._put_kept(event)

    def put_message(self, event: Event) -> None:
        """:meth:`put` for a message event: a waiting consumer is woken in a batch."""
        self._put_droppable(event, None, None, batched=True)

    def put_message_data(self, key: MessageKey, at: float, data: str | bytes) -> None:
        """Queue the message event ``key`` describes (the per-message hot path).

        Equivalent to ``put_message(MessageSent(at=at, side=…, connection_id=…,
        data=data))`` for the class, side and id in ``key``; the event is
        built when it is read. A caller on a hot path may inline the fast
        path, as :class:`~relaydesk.relay.connection.MessageConnection` does:
        if ``len(q.messages) < q.room``, append ``key``, ``at`` and ``data``
        to ``q.messages``; otherwise call this method.
        """
        messages = self.messages
        if len(messages) < self.room:
            messages.extend((key, at, data))
        else:
            self._put_droppable(key, at, data, batched=True)

    def _put_droppable(
        self, head: object, at: float | None, data: str | bytes | None, *, batched: bool
    ) -> None:
        if self._closed:
            return
        messages = self.messages
        if len(messages) // 3 + len(self._keep) >= self._capacity:  # the consumer is behind
            if not messages:
                self._count_drop()
                return
            self._discard_oldest()
            self._count_drop()
        messages.extend((head, at, data))
        if self._waiting:
            if not batched:
                self._wake()
            elif self._wake_handle is None:
                loop = asyncio.get_running_loop()
                self._wake_handle = loop.call_later(self._message_wake_delay, self._wake)
                self._settle()

    def _put_kept(self, event: Event) -> None:
        if self._closed:
            return
        messages, keep = self.messages, self._keep
        if len(messages) // 3 + len(keep) >= self._capacity:  # rare: the consumer is behind
            if messages:
                self._discard_oldest()
            else:
                keep.popleft()
            self._count_drop()
        keep.append((self._left + len(messages) // 3, event))
        self._settle()
        if self._waiting:
            self._wake()

    def _discard_oldest(self) -> None:
        popleft = self.messages.popleft
        popleft()
        popleft()
        popleft()
        self._left += 1

    def _settle(self) -> None:
        """Recompute the hot paths' flags after anything but a message came or went."""
        self._direct = not self._keep and not self._pending_dropped
        armed = self._waiting and self._wake_handle is None
        self.room = 0 if self._closed or armed else 3 * (self._capacity - len(self._keep))

    def _wake(self) -> None:
        """Wake the waiting consumer now (and forget a scheduled wake-up)."""
        if self._wake_handle is not None:
            self._wake_handle.cancel()
            self._wake_handle = None
        self._ready.set()

    def _count_drop(self) -> None:
        self._pending_dropped += 1
        self.dropped_total += 1
        self._direct = False

    def close(self) -> None:
        """End the stream after the queued events have been read."""
        self._closed = True
        self.room = 0
        self._wake()  # wake a consumer now or let the next one pass at once

    def get_nowait(self) -> Event | None:
        """Return the next event, an :class:`EventsDropped`, or ``None`` if empty."""
        if self._pending_dropped:
            count, self._pending_dropped = self._pending_dropped, 0
            self._settle()
            return EventsDropped(at=self._clock(), side=self._side, count=count)
        messages, keep = self.messages, self._keep
        if keep:
            if not messages or keep[0][0] <= self._left:
                event = keep.popleft()[1]
                self._settle()
                return event
            self._left += 1
        if messages:
            return self._pop_droppable()
        return None

    def _pop_droppable(self) -> Event:
        popleft = self.messages.popleft
        head, at, data = popleft(), popleft(), popleft()
        if at is None:
            return cast(Event, head)
        return _build(cast(MessageKey, head), cast(float, at), cast("str | bytes", data))

    async def _wait(self) -> None:
        self._ready.clear()
        self._waiting = True
        self._settle()  # armed: the next message schedules the wake-up
        try:
            await self._ready.wait()
        finally:
            self._waiting = False
            if self._wake_handle is not None:
                self._wake_handle.cancel()
                self._wake_handle = None
            self._settle()

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

        Reads message events straight off their deque, building each inline,
        while nothing else is due (no kept event, no drop report): this is
        the hot path of every consumer.
        """
        messages = self.messages
        # Any: the items' types follow from their position (no cast() call per event).
        popleft: Callable[[], Any] = messages.popleft
        set_at, set_side, new = _SET_AT, _SET_SIDE, _new
        while True:
            while messages and self._direct:
                head, at, data = popleft(), popleft(), popleft()
                if at is None:
                    yield head
                    continue
                cls, set_id, set_data, side, connection_id = head
                event: Event = new(cls)
                set_at(event, at)
                set_side(event, side)
                set_id(event, connection_id)
                set_data(event, data)
                yield event
            event_or_none = self.get_nowait()
            if event_or_none is not None:
                yield event_or_none
            elif self._closed:
                return
            else:
                await self._wait()
