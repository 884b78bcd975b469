"""The bounded event queue: drops only message/HTTP events, reports drops."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from relaydesk.relay.event_queue import EventQueue, MessageKey, message_key
from relaydesk.relay.events import (
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    EventsDropped,
    HttpRequestReceived,
    MessageReceived,
    MessageSent,
    Side,
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
        self.dropped_total = 0
        self.closed = False

    def put(self, event: Event, droppable: bool) -> None:
        if self.closed:
            return
        if len(self.items) >= self.capacity:
            self.dropped_total += 1
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


# --- the stateful proof: waits, wake-ups, close and the inlined fast path -------

#: The batch delay of the queues under test, in virtual seconds.
_DELAY = 0.005


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock only moves when the test says so.

    The queue's batched wake-up is a ``call_later`` timer: with this clock a
    test can stop just before it is due, or just after, on a machine of any
    speed. The loop is only ever run while callbacks are ready, so it never
    blocks in ``select`` waiting for virtual time.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def time(self) -> float:
        return self.now


def _inline_put(queue: EventQueue, key: MessageKey, at: float, data: str) -> None:
    """The fast path exactly as the callers inline it (``MessageConnection.send``,
    ``receive``, ``__aiter__``, ``pump`` in relay/connection.py)."""
    messages = queue.messages
    if len(messages) < queue.room:
        messages.append(key)
        messages.append(at)
        messages.append(data)
    else:
        queue.put_message_data(key, at, data)


_PUT_WAYS = ("kept", "put", "put_message", "put_message_data", "inline")


class EventQueueMachine(RuleBasedStateMachine):
    """:class:`EventQueue` against :class:`_Model`, with a real waiting consumer.

    The consumer is a task on a virtual-time loop that reads (with ``get()``
    or ``stream()``) only as many events as the test grants it, so the queue
    fills, drops, and the consumer waits on an empty queue. After every step
    the events it read must be exactly the model's, in order (an
    ``EventsDropped`` where the model counts drops), and a consumer left
    waiting while an event is due is a lost wake-up: a kept event, ``put()``
    and ``close()`` wake it at once, a message event within the batch delay.
    """

    def __init__(self) -> None:
        super().__init__()
        self.loop = _VirtualTimeLoop()
        self.serial = 0
        self.accepted = 0  # puts made before close (each must be read or counted)
        self.read: list[Event] = []
        self.granted = asyncio.Semaphore(0)
        self.in_queue = False  # the consumer is inside get()/anext(stream)
        self.finished = False  # the consumer read the end of the stream
        self.due_since: float | None = None  # virtual time an event became due
        self.urgent = False  # something due must wake the consumer without delay
        self.keys = [
            message_key(cls, "listener", cid)
            for cls in (MessageReceived, MessageSent)
            for cid in "ab"
        ]
        self.queue = EventQueue("listener")
        self.model = _Model(1)
        self.consumer: asyncio.Task[None] | None = None

    @initialize(capacity=st.integers(1, 6), streaming=st.booleans())
    def start(self, capacity: int, streaming: bool) -> None:
        self.queue = EventQueue(
            "listener", capacity=capacity, clock=lambda: 9.0, message_wake_delay=_DELAY
        )
        self.model = _Model(capacity)
        self.consumer = self.loop.create_task(self.consume(streaming))
        self.drive()

    async def consume(self, streaming: bool) -> None:
        stream = self.queue.stream()
        while True:
            await self.granted.acquire()
            self.in_queue = True
            event = await anext(stream, None) if streaming else await self.queue.get()
            self.in_queue = False
            self.check_read(event)
            if event is None:
                self.finished = True
                return

    def check_read(self, event: Event | None) -> None:
        expected = self.model.get()
        if expected is None and not self.model.closed:
            raise AssertionError(f"the consumer read {event!r} from an empty queue")
        assert event == expected
        if event is not None:
            self.read.append(event)

    # Driving the loop --------------------------------------------------------

    def run(self, action: Callable[[], None]) -> None:
        """Run ``action`` inside the loop (the slow path needs a running loop)."""

        async def step() -> None:
            action()

        self.loop.run_until_complete(step())
        self.drive()

    def drive(self) -> None:
        """Let every ready callback run (no virtual time passes)."""

        async def spin() -> None:
            for _ in range(8):
                await asyncio.sleep(0)

        self.loop.run_until_complete(spin())
        if self.consumer is not None and self.consumer.done():
            self.consumer.result()  # raises what the consumer's checks found
        self.check_wake_up()

    def check_wake_up(self) -> None:
        waiting = self.in_queue and not self.finished
        if not (waiting and self.due()):
            self.due_since, self.urgent = None, False
            return
        assert not self.urgent, "a kept event, put() or close() left the consumer asleep"
        if self.due_since is None:
            self.due_since = self.loop.now
        assert self.loop.now - self.due_since < _DELAY, "a message batch never woke the consumer"

    def due(self) -> bool:
        return bool(self.model.items or self.model.pending or self.model.closed)

    # Producers ---------------------------------------------------------------

    def make(self, way: str, key: MessageKey) -> tuple[Callable[[], None], Event, bool]:
        """An action putting one new event ``way``, the event, and whether it is droppable."""
        self.serial += 1
        n, queue = self.serial, self.queue
        if way == "kept":
            kept = StateChanged(at=float(n), side="listener", state=ConnectionState.ONLINE)
            return (lambda: queue.put(kept)), kept, False
        data = f"m{n}"
        event = key[0](at=float(n), side="listener", connection_id=key[4], data=data)
        if way == "put":
            return (lambda: queue.put(event)), event, True
        if way == "put_message":
            return (lambda: queue.put_message(event)), event, True
        if way == "put_message_data":
            return (lambda: queue.put_message_data(key, float(n), data)), event, True
        return (lambda: _inline_put(queue, key, float(n), data)), event, True

    @rule(
        ways=st.lists(
            st.tuples(st.sampled_from(_PUT_WAYS), st.integers(0, 3)), min_size=1, max_size=8
        ),
        then_wait=st.booleans(),
    )
    def put_mixed(self, ways: list[tuple[str, int]], then_wait: bool) -> None:
        """Several puts of any kind in one loop turn (then, maybe, the batch delay)."""
        self.put_all(ways, then_wait)

    @rule(
        way=st.sampled_from(_PUT_WAYS),
        key_index=st.integers(0, 3),
        count=st.integers(1, 4),
        then_wait=st.booleans(),
    )
    def put_same(self, way: str, key_index: int, count: int, then_wait: bool) -> None:
        """A run of puts one way in one loop turn, as a connection's read loop makes them."""
        self.put_all([(way, key_index)] * count, then_wait)

    def put_all(self, ways: list[tuple[str, int]], then_wait: bool) -> None:
        actions = []
        for way, key_index in ways:
            action, event, droppable = self.make(way, self.keys[key_index])
            actions.append(action)
            if not self.model.closed:
                self.accepted += 1
                self.urgent |= way in ("kept", "put") and self.in_queue
            self.model.put(event, droppable)

        def put_each() -> None:
            for action in actions:
                action()

        self.run(put_each)
        if then_wait:
            self.advance(_DELAY)

    @rule(count=st.integers(1, 4))
    def grant(self, count: int) -> None:
        """Let the consumer read up to ``count`` more events (it waits if there are none)."""
        for _ in range(count):
            self.granted.release()
        self.drive()

    @rule()
    def drain_and_wait(self) -> None:
        """Let the consumer read everything queued and then wait for more."""
        due = len(self.model.items) + (1 if self.model.pending else 0)
        self.grant(due + 1)

    @rule()
    def read_nowait(self) -> None:
        """A synchronous read, as a GUI bridge drains between batches."""
        if self.in_queue or self.finished:
            return
        event = self.queue.get_nowait()
        expected = self.model.get()
        assert event == expected
        if event is not None:
            self.read.append(event)

    @rule(step=st.sampled_from([_DELAY / 2, _DELAY]))
    def advance(self, step: float) -> None:
        """Let virtual time pass: due batched wake-ups fire."""
        self.loop.now += step
        self.drive()

    @rule()
    def close(self) -> None:
        self.urgent |= self.in_queue and not self.model.closed
        self.model.closed = True
        self.run(self.queue.close)

    # Invariants --------------------------------------------------------------

    @invariant()
    def bounded_and_counted(self) -> None:
        assert len(self.queue) == len(self.model.items) <= self.model.capacity
        assert self.queue.dropped_total == self.model.dropped_total

    @invariant()
    def every_event_read_or_counted(self) -> None:
        reported = sum(e.count for e in self.read if isinstance(e, EventsDropped))
        delivered = sum(1 for e in self.read if not isinstance(e, EventsDropped))
        assert delivered + reported + self.model.pending + len(self.model.items) == self.accepted

    def teardown(self) -> None:
        if self.consumer is not None:
            self.consumer.cancel()
            self.loop.run_until_complete(asyncio.gather(self.consumer, return_exceptions=True))
        self.loop.close()


_machine_settings = settings(
    max_examples=200, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)
TestEventQueueStateful = EventQueueMachine.TestCase
TestEventQueueStateful.settings = _machine_settings


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("RELAYDESK_LONG_PROPERTY_TESTS"),
    reason="a long property run (about 1.5 min); set RELAYDESK_LONG_PROPERTY_TESTS=1",
)
def test_event_queue_state_machine_long_run() -> None:
    """The same proof with ten times the runs, each longer."""
    run_state_machine_as_test(
        EventQueueMachine,
        settings=settings(
            max_examples=2000,
            stateful_step_count=80,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


@settings(max_examples=100, deadline=None)
@given(
    cls=st.sampled_from([MessageReceived, MessageSent]),
    side=st.sampled_from(["listener", "sender"]),
    connection_id=st.text(max_size=20),
    at=st.floats(allow_nan=False),
    data=st.one_of(st.text(max_size=50), st.binary(max_size=50)),
)
def test_a_message_event_built_from_its_key_equals_the_constructed_one(
    cls: type[MessageReceived] | type[MessageSent],
    side: Side,
    connection_id: str,
    at: float,
    data: str | bytes,
) -> None:
    """The queue fills slots directly for speed; the result must be the plain event."""
    queue = EventQueue(side, capacity=4)
    queue.put_message_data(message_key(cls, side, connection_id), at, data)
    built = queue.get_nowait()
    plain = cls(at=at, side=side, connection_id=connection_id, data=data)
    assert type(built) is cls
    assert built == plain and hash(built) == hash(plain) and repr(built) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.data = "changed"  # type: ignore[misc]
