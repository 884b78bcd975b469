"""Listener + sender round trips through the real emulator over TLS (§4–§7)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from relaydesk.errors import ConnectionClosed
from relaydesk.relay.connection import ListenerConnection
from relaydesk.relay.events import (
    ChannelClosed,
    ConnectionAccepted,
    ConnectionEnded,
    ConnectionState,
    Event,
    EventsDropped,
    MessageReceived,
    StateChanged,
)
from relaydesk.relay.http_sender import http_request
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.policies import fixed_response
from relaydesk.relay.sender import connect
from tests.emulator_log import EmulatorLog
from tests.relay.conftest import RelaySetup, assert_no_secrets

pytestmark = pytest.mark.e2e


async def collect(events: AsyncIterator[Event], into: list[Event]) -> None:
    async for event in events:
        into.append(event)


@pytest.mark.asyncio
async def test_websocket_round_trip_text_and_binary(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(), relay.sas(), ssl_context=relay.ssl, options=ListenerOptions(auto_echo=True)
    )
    seen: list[Event] = []
    async with asyncio.timeout(30):
        async with listener:
            consumer = asyncio.create_task(collect(listener.events(), seen))
            assert listener.state is ConnectionState.ONLINE
            sender = await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
            async with sender:
                await sender.send("hello")
                assert await sender.receive() == "hello"
                await sender.send(b"\x00\x01bin")
                assert await sender.receive() == b"\x00\x01bin"
            sender_events = [e async for e in sender.events()]
        await consumer
    states = [e.state for e in seen if isinstance(e, StateChanged)]
    assert states[0] is ConnectionState.CONNECTING
    assert ConnectionState.ONLINE in states and states[-1] is ConnectionState.OFFLINE
    assert any(isinstance(e, ConnectionAccepted) for e in seen)
    received = [e.data for e in seen if isinstance(e, MessageReceived)]
    assert received == ["hello", b"\x00\x01bin"]
    assert [e.data for e in sender_events if isinstance(e, MessageReceived)] == [
        "hello",
        b"\x00\x01bin",
    ]
    assert_no_secrets((seen, sender_events), relay.tokens_seen)


@pytest.mark.asyncio
async def test_listener_sends_first_and_sender_answers(relay: RelaySetup) -> None:
    got: list[str | bytes] = []

    async def greet(connection: ListenerConnection) -> None:
        await connection.send("welcome " + connection.headers.get("X-Who", "?"))
        got.append(await connection.receive())
        await connection.close(4000, "done")

    listener = Listener(
        relay.address(), relay.sas(), connection_handler=greet, ssl_context=relay.ssl
    )
    async with asyncio.timeout(30), listener:
        sender = await connect(
            relay.address(), relay.sas(), extra_headers={"X-Who": "bob"}, ssl_context=relay.ssl
        )
        assert await sender.receive() == "welcome bob"
        await sender.send(b"\xffthanks")
        with pytest.raises(ConnectionClosed) as info:
            await sender.receive()
        events = [e async for e in sender.events()]
    assert got == [b"\xffthanks"]
    assert info.value.code == 4000
    ended = [e for e in events if isinstance(e, ConnectionEnded)]
    assert [(e.code, e.reason) for e in ended] == [(4000, "done")]
    assert sender.messages_sent == 1 and sender.messages_received == 1


@pytest.mark.asyncio
async def test_hundred_concurrent_senders_on_one_listener(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(), relay.sas(), ssl_context=relay.ssl, options=ListenerOptions(auto_echo=True)
    )
    provider = relay.sas()

    async def one(i: int) -> str | bytes:
        async with await connect(relay.address(), provider, ssl_context=relay.ssl) as sender:
            await sender.send(f"msg-{i}")
            return await sender.receive()

    async with asyncio.timeout(90), listener:
        replies = await asyncio.gather(*(one(i) for i in range(100)))
        peak = len(listener.connections)
    assert replies == [f"msg-{i}" for i in range(100)]
    assert peak <= 100


@pytest.mark.asyncio
async def test_two_listeners_share_the_load(relay: RelaySetup) -> None:
    first = Listener(
        relay.address(),
        relay.sas(),
        http_handler=fixed_response(200, body=b"1"),
        ssl_context=relay.ssl,
    )
    second = Listener(
        relay.address(),
        relay.sas(),
        http_handler=fixed_response(200, body=b"2"),
        ssl_context=relay.ssl,
    )
    provider = relay.sas()
    async with asyncio.timeout(60), first, second:
        bodies = [
            (await http_request(relay.address(), provider, ssl_context=relay.ssl)).body
            for _ in range(40)
        ]
    assert bodies.count(b"1") > 0 and bodies.count(b"2") > 0


@pytest.mark.asyncio
async def test_allowed_listeners_pin(relay: RelaySetup) -> None:
    first = Listener(
        relay.address(), relay.sas(), ssl_context=relay.ssl, options=ListenerOptions(auto_echo=True)
    )
    second = Listener(
        relay.address(), relay.sas(), ssl_context=relay.ssl, options=ListenerOptions(auto_echo=True)
    )
    async with asyncio.timeout(60), first, second:
        for _ in range(6):
            async with await connect(
                relay.address(),
                relay.sas(),
                ssl_context=relay.ssl,
                allowed_listeners=[second.listener_id],
            ) as sender:
                await sender.send("x")
                assert await sender.receive() == "x"
        first_events = await _stop_and_collect(first)
    assert not any(isinstance(e, ConnectionAccepted) for e in first_events)


async def _stop_and_collect(listener: Listener) -> list[Event]:
    await listener.stop()
    return [e async for e in listener.events()]


@pytest.mark.asyncio
async def test_slow_consumer_gets_events_dropped_and_bounded_queue(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(),
        relay.sas(),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True, event_capacity=50),
    )
    async with (
        asyncio.timeout(60),
        listener,
        await connect(relay.address(), relay.sas(), ssl_context=relay.ssl) as sender,
    ):
        for i in range(300):
            await sender.send(f"m{i}")
            await sender.receive()
    events = [e async for e in listener.events()]
    # nobody read while 300 messages went through: what waits is within the bound
    assert len([e for e in events if not isinstance(e, EventsDropped)]) <= 50
    dropped = sum(e.count for e in events if isinstance(e, EventsDropped))
    assert dropped > 0
    states = [e.state for e in events if isinstance(e, StateChanged)]
    # State events are never dropped, whatever the pressure.
    assert states == [ConnectionState.CONNECTING, ConnectionState.ONLINE, ConnectionState.OFFLINE]
    received = [e for e in events if isinstance(e, MessageReceived)]
    assert received and received[-1].data == "m299"  # the newest survive


@pytest.mark.asyncio
async def test_stop_closes_everything_quickly(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(), relay.sas(), ssl_context=relay.ssl, options=ListenerOptions(auto_echo=True)
    )
    async with asyncio.timeout(30):
        await listener.start()
        senders = [
            await connect(relay.address(), relay.sas(), ssl_context=relay.ssl) for _ in range(3)
        ]
        for sender in senders:
            await sender.send("hi")
            await sender.receive()
        async with asyncio.timeout(5):
            await listener.stop()
        for sender in senders:
            with pytest.raises(ConnectionClosed) as info:
                await sender.receive()
            assert info.value.code == 1000
        events = [e async for e in listener.events()]
    closed = [e for e in events if isinstance(e, ChannelClosed)]
    assert closed and closed[-1].code == 1000 and not closed[-1].by_peer
    assert listener.state is ConnectionState.OFFLINE and not listener.connections


@pytest.mark.asyncio
async def test_a_cancelled_stop_still_drops_every_socket(
    relay: RelaySetup, emulator_log: EmulatorLog
) -> None:
    """A caller's timeout cutting stop() short leaves no channel or connection open."""
    listener = Listener(
        relay.address(), relay.sas(), ssl_context=relay.ssl, options=ListenerOptions(auto_echo=True)
    )
    async with asyncio.timeout(30):
        await listener.start()
        sender = await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
        await sender.send("hi")
        await sender.receive()
        stopping = asyncio.create_task(listener.stop())
        await asyncio.sleep(0)  # stop() is now waiting for a close handshake
        stopping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopping
        events = [e async for e in listener.events()]  # the stream ends
        with pytest.raises(ConnectionClosed):
            await sender.receive()
        await emulator_log.wait_for("listener detached", emulator_log.count("listener attached"))
    assert listener.state is ConnectionState.OFFLINE
    assert isinstance(events[-1], StateChanged) and events[-1].state is ConnectionState.OFFLINE


@pytest.mark.asyncio
async def test_a_stopped_listener_cannot_start_again(relay: RelaySetup) -> None:
    listener = Listener(relay.address(), relay.sas(), ssl_context=relay.ssl)
    async with asyncio.timeout(20):
        await listener.start()
        await listener.stop()
        await listener.stop()  # idempotent
        with pytest.raises(RuntimeError):
            await listener.start()


@pytest.mark.asyncio
async def test_stop_during_the_first_open_leaves_nothing_behind(
    relay: RelaySetup, emulator_log: EmulatorLog
) -> None:
    listener = Listener(relay.address(), relay.sas(), ssl_context=relay.ssl)
    async with asyncio.timeout(20):
        starting = asyncio.create_task(listener.start())
        await asyncio.sleep(0)  # let start() begin its handshake
        await listener.stop()
        await starting
        # a channel the emulator attached goes once it sees the close
        await emulator_log.wait_for("listener detached", emulator_log.count("listener attached"))
        assert await relay.emulator.faults.drop_control_channels() == 0
    assert listener.state is ConnectionState.OFFLINE
