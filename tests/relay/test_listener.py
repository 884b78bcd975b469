"""Listener + sender round trips through the real emulator over TLS (§4–§7)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from relaydesk.relay.events import (
    ConnectionAccepted,
    ConnectionState,
    Event,
    MessageReceived,
    StateChanged,
)
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.sender import connect
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
