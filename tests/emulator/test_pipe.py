"""Tests for relaydesk.emulator.pipe: frames between a sender and a listener
pass unchanged, closes are relayed and echoed, a vanished side becomes 1001 (§5.2)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.emulator.conftest import RelayKit

pytestmark = pytest.mark.e2e

LOST = (1001, "The peer connection was lost.")


@asynccontextmanager
async def piped(kit: RelayKit) -> AsyncIterator[tuple[ClientConnection, ClientConnection]]:
    """A sender and the listener's end of its rendezvous, piped by the emulator."""
    async with await kit.listen() as control:
        task = asyncio.ensure_future(kit.connect())
        accept = json.loads(await control.recv())["accept"]
        async with connect(
            accept["address"], ssl=kit.ssl, max_size=None, compression=None
        ) as listener:
            sender = await task
            try:
                yield sender, listener
            finally:
                await sender.close()


async def close_seen(ws: ClientConnection) -> tuple[int | None, str]:
    """Read until the connection ends; the close frame received, if any."""
    with pytest.raises(ConnectionClosed):
        while True:
            await ws.recv()
    rcvd = ws.protocol.close_rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")


@pytest.mark.asyncio
async def test_message_types_and_order_are_kept_both_ways(kit: RelayKit) -> None:
    messages: list[str | bytes] = [f"text {i}" if i % 2 else bytes([i]) * i for i in range(60)]
    async with asyncio.timeout(20), piped(kit) as (sender, listener):
        for message in messages:
            await sender.send(message)
        assert [await listener.recv() for _ in messages] == messages
        for message in reversed(messages):
            await listener.send(message)
        assert [await sender.recv() for _ in messages] == list(reversed(messages))


@pytest.mark.asyncio
async def test_messages_sent_before_a_close_arrive_before_it(kit: RelayKit) -> None:
    async with asyncio.timeout(20), piped(kit) as (sender, listener):
        for i in range(20):
            await sender.send(f"m{i}")
        await sender.close(4100, "done sending")
        received = [await listener.recv() for _ in range(20)]
        assert received == [f"m{i}" for i in range(20)]
        assert await close_seen(listener) == (4100, "done sending")
        assert sender.protocol.close_rcvd is not None
        assert (sender.protocol.close_rcvd.code, sender.protocol.close_rcvd.reason) == (
            4100,
            "done sending",
        )  # echoed to the side that closed first (RFC 6455 §5.5.1)


@pytest.mark.asyncio
async def test_a_listener_close_reaches_the_sender_with_its_reason(kit: RelayKit) -> None:
    async with asyncio.timeout(20), piped(kit) as (sender, listener):
        await listener.close(1011, "listener failed: é")
        assert await close_seen(sender) == (1011, "listener failed: é")


@pytest.mark.asyncio
async def test_a_close_without_a_code_is_relayed_as_1000(kit: RelayKit) -> None:
    """1005 ("no status") must never be sent on (RFC 6455 §7.4.1): the peer sees 1000."""
    async with asyncio.timeout(20), piped(kit) as (sender, listener):
        await sender.close(code=None)  # websockets then sends an empty close frame
        assert await close_seen(listener) == (1000, "")
        assert sender.protocol.close_rcvd is not None and sender.protocol.close_rcvd.code == 1000


@pytest.mark.asyncio
@pytest.mark.parametrize("vanishing", ["sender", "listener"])
async def test_a_side_that_vanishes_leaves_the_other_a_1001(kit: RelayKit, vanishing: str) -> None:
    async with asyncio.timeout(20), piped(kit) as (sender, listener):
        gone, other = (sender, listener) if vanishing == "sender" else (listener, sender)
        await gone.send("last words")
        assert await other.recv() == "last words"
        gone.transport.abort()  # no close frame
        assert await close_seen(other) == LOST
