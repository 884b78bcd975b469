"""The bounded event queue: drops only message/HTTP events, reports drops."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import random

import pytest

from relaydesk.relay.event_queue import EventQueue, message_key
from relaydesk.relay.events import (
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    EventsDropped,
    HttpRequestReceived,
    MessageReceived,
    MessageSent,
    StateChanged,
)


def msg(i: int) -> MessageReceived:
    return MessageReceived(at=float(i), side="listener", connection_id="c", data=f"m{i}")


def state(s: ConnectionState) -> StateChanged:
    return StateChanged(at=0.0, side="listener", state=s)


def drain(queue: EventQueue) -> list[Event]:
    out = []
    while (event := queue.get_nowait()) is not None:
        out.append(event)
    return out


def test_keeps_order_under_capacity() -> None:
    queue = EventQueue("listener", capacity=10, clock=lambda: 1.0)
    events: list[Event] = [msg(0), state(ConnectionState.ONLINE), msg(1)]
    for event in events:
        queue.put(event)
    assert drain(queue) == events


def test_full_queue_drops_oldest_messages_never_state_or_errors() -> None:
    queue = EventQueue("listener", capacity=3, clock=lambda: 7.0)
    error = ErrorOccurred(at=0.0, side="listener", error=ErrorInfo(kind="X", message="y"))
    queue.put(state(ConnectionState.ONLINE))
    queue.put(msg(1))
    queue.put(msg(2))
    queue.put(error)  # pushes out m1
    queue.put(msg(3))  # pushes out m2
    out = drain(queue)
    assert out[0] == EventsDropped(at=7.0, side="listener", count=2)
    assert out[1:] == [state(ConnectionState.ONLINE), error, msg(3)]
    assert queue.dropped_total == 2 and len(queue) == 0


def test_new_message_is_dropped_when_only_kept_events_fill_the_queue() -> None:
    queue = EventQueue("sender", capacity=2)
    queue.put(state(ConnectionState.CONNECTING))
    queue.put(state(ConnectionState.ONLINE))
    queue.put(msg(1))
    out = drain(queue)
    assert isinstance(out[0], EventsDropped) and out[0].count == 1
    assert [type(e) for e in out[1:]] == [StateChanged, StateChanged]


def test_bound_holds_even_for_kept_events() -> None:
    queue = EventQueue("listener", capacity=5)
    for _ in range(50):
        queue.put(state(ConnectionState.ONLINE))
    assert len(queue) == 5


@pytest.mark.asyncio
async def test_stream_waits_and_ends_after_close() -> None:
    queue = EventQueue("listener", capacity=5)

    async def produce() -> None:
        await asyncio.sleep(0.01)
        queue.put(msg(1))
        queue.close()
        queue.put(msg(2))  # ignored after close

    async with asyncio.timeout(5):
        task = asyncio.create_task(produce())
        got = [e async for e in queue.stream()]
        await task
    assert got == [msg(1)]


@pytest.mark.asyncio
async def test_put_message_fast_path_wakes_a_waiting_consumer_and_respects_the_bound() -> None:
    queue = EventQueue("listener", capacity=3)
    async with asyncio.timeout(5):
        reader = asyncio.create_task(queue.get())
        await asyncio.sleep(0)  # the consumer is now waiting
        queue.put_message(msg(1))
        assert await reader == msg(1)
    for i in range(5):
        queue.put_message(msg(i))
    out = drain(queue)
    assert isinstance(out[0], EventsDropped) and out[0].count == 2
    assert out[1:] == [msg(2), msg(3), msg(4)]


def _message(n: int) -> MessageReceived:
    return MessageReceived(at=0.0, side="listener", connection_id="c", data=str(n))


@pytest.mark.asyncio
async def test_message_events_are_batched_and_state_events_wake_at_once() -> None:
    """Message events wait for the batch delay; a state event wakes the consumer."""
    queue = EventQueue("listener", message_wake_delay=3600)  # never fires in this test
    got: list[Event] = []

    async def consume() -> None:
        async for event in queue.stream():
            got.append(event)
            if isinstance(event, StateChanged):
                return

    task = asyncio.create_task(consume())
    for n in range(20):
        await asyncio.sleep(0)
        queue.put_message(_message(n))
    for _ in range(5):
        await asyncio.sleep(0)
    assert got == []  # twenty loop turns, no wake-up: the messages are batched
    queue.put(StateChanged(at=0.0, side="listener", state=ConnectionState.ONLINE))
    async with asyncio.timeout(5):
        await task
    assert [getattr(e, "data", None) for e in got[:-1]] == [str(n) for n in range(20)]


@pytest.mark.asyncio
async def test_batched_message_events_arrive_after_the_delay() -> None:
    queue = EventQueue("listener", message_wake_delay=0.01)
    waiter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_message(_message(1))
    async with asyncio.timeout(5):
        first = await waiter
    assert isinstance(first, MessageReceived) and first.data == "1"


@pytest.mark.asyncio
async def test_close_wakes_a_consumer_waiting_for_a_batch() -> None:
    queue = EventQueue("listener", message_wake_delay=3600)
    drained = asyncio.create_task(_drain(queue))
    await asyncio.sleep(0)
    queue.put_message(_message(1))
    queue.close()
    async with asyncio.timeout(5):
        assert [getattr(e, "data", None) for e in await drained] == ["1"]


async def _drain(queue: EventQueue) -> list[Event]:
    return [event async for event in queue.stream()]


# --- message events queued as data (the per-message hot path) -------------------


def test_message_data_reads_as_the_same_frozen_event() -> None:
    queue = EventQueue("listener")
    received = message_key(MessageReceived, "listener", "c1")
    sent = message_key(MessageSent, "listener", "c1")
    queue.put_message_data(received, 1.5, b"\x00\x01")
    queue.put_message_data(sent, 2.5, "text")
    first, second = drain(queue)
    assert first == MessageReceived(at=1.5, side="listener", connection_id="c1", data=b"\x00\x01")
    assert second == MessageSent(at=2.5, side="listener", connection_id="c1", data="text")
    assert type(first) is MessageReceived and type(second) is MessageSent
    assert hash(first) == hash(
        MessageReceived(at=1.5, side="listener", connection_id="c1", data=b"\x00\x01")
    )
    assert [f.name for f in dataclasses.fields(first)] == ["at", "side", "connection_id", "data"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.data = b"changed"  # type: ignore[misc]


def test_queued_message_events_hold_no_object_the_garbage_collector_tracks() -> None:
    """A backlog of message events must not set off collections (event_queue.py)."""
    queue = EventQueue("sender")
    key = message_key(MessageSent, "sender", "c")
    payload = b"x" * 1024
    before = len(gc.get_objects())
    for n in range(1000):
        queue.put_message_data(key, float(n), payload)
    grown = len(gc.get_objects()) - before
    assert grown < 100  # one tracked object per event would be >= 1000
    assert len(queue) == 1000


class _Model:
    """The queue's contract, written plainly: one list, oldest droppable dropped first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: list[tuple[Event, bool]] = []
        self.pending = 0

    def put(self, event: Event, droppable: bool) -> None:
        if len(self.items) >= self.capacity:
            oldest = next((i for i, (_, d) in enumerate(self.items) if d), None)
            if oldest is not None:
                del self.items[oldest]
            elif droppable:
                self.pending += 1
                return
            else:
                del self.items[0]
            self.pending += 1
        self.items.append((event, droppable))

    def get(self) -> Event | None:
        if self.pending:
            count, self.pending = self.pending, 0
            return EventsDropped(at=9.0, side="listener", count=count)
        return self.items.pop(0)[0] if self.items else None


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.asyncio
async def test_matches_the_plain_model_under_random_traffic(seed: int) -> None:
    """Every way in and out (put, put_message, put_message_data; get_nowait and
    stream) keeps order, drops the oldest droppable event and reports drops."""
    rng = random.Random(seed)
    capacity = rng.randint(1, 6)
    queue = EventQueue("listener", capacity=capacity, clock=lambda: 9.0)
    model = _Model(capacity)
    stream = queue.stream()
    keys = [
        message_key(cls, "listener", cid) for cls in (MessageReceived, MessageSent) for cid in "ab"
    ]
    got: list[Event] = []
    expected: list[Event] = []
    for n in range(3000):
        op = rng.random()
        if op < 0.35:
            key = rng.choice(keys)
            queue.put_message_data(key, float(n), f"m{n}")
            model.put(
                key[0](at=float(n), side="listener", connection_id=key[4], data=f"m{n}"), True
            )
        elif op < 0.45:
            event = msg(n)
            queue.put_message(event)
            model.put(event, True)
        elif op < 0.47:
            request = HttpRequestReceived(
                at=float(n),
                side="listener",
                request_id=str(n),
                method="GET",
                target="/",
                headers={},
                body=b"",
                via_rendezvous=False,
            )
            queue.put(request)  # droppable, through put()
            model.put(request, True)
        elif op < 0.5:
            error = ErrorOccurred(
                at=float(n), side="listener", error=ErrorInfo(kind="K", message=str(n))
            )
            queue.put(error)
            model.put(error, False)
        elif op < 0.55:
            kept = StateChanged(
                at=float(n), side="listener", state=ConnectionState.ONLINE, attempt=n
            )
            queue.put(kept)
            model.put(kept, False)
        else:
            want = model.get()
            if want is None:
                assert queue.get_nowait() is None
                continue
            expected.append(want)
            if rng.random() < 0.5:
                got.append(await anext(stream))
            else:
                event = queue.get_nowait()
                assert event is not None
                got.append(event)
        assert len(queue) == len(model.items)
    assert got == expected
