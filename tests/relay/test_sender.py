"""WebSocket sender details (§5.2, §6): ids, headers, subprotocols, anonymous, events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from relaydesk.auth.anonymous import AnonymousTokenProvider
from relaydesk.errors import EntityNotFound, InvalidAddress, InvalidField, Unauthorized
from relaydesk.protocol.messages import AcceptCommand
from relaydesk.relay.event_queue import EventQueue
from relaydesk.relay.events import (
    ChannelOpened,
    ConnectionAccepted,
    ConnectionEnded,
    ConnectionState,
    ErrorOccurred,
    MessageSent,
    StateChanged,
    TokenAcquired,
)
from relaydesk.relay.failures import error_info
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.policies import AcceptDecision
from relaydesk.relay.sender import connect
from tests.relay.conftest import RelaySetup, assert_no_secrets

pytestmark = pytest.mark.e2e


@pytest.mark.asyncio
async def test_id_headers_suffix_and_subprotocol_reach_the_listener(relay: RelaySetup) -> None:
    seen: list[AcceptCommand] = []

    async def policy(command: AcceptCommand) -> AcceptDecision:
        seen.append(command)
        return AcceptDecision.allow()

    listener = Listener(
        relay.address(),
        relay.sas(),
        policy=policy,
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True),
    )
    async with asyncio.timeout(30):
        async with listener:
            sender = await connect(
                relay.address(),
                relay.sas(),
                path_suffix="room/7",
                query="lang=en",
                extra_headers={"X-App": "demo"},
                subprotocols=["chat.v2", "chat.v1"],
                connection_id="c0ffee00-0000-4000-8000-000000000001",
                ssl_context=relay.ssl,
            )
            async with sender:
                await sender.send("hi")
                assert await sender.receive() == "hi"
                assert sender.subprotocol == "chat.v2"
        events = [e async for e in listener.events()]
    command = seen[0]
    assert command.id.startswith("c0ffee00-0000-4000-8000-000000000001")
    headers = {k.lower(): v for k, v in command.connect_headers.items()}
    assert headers["x-app"] == "demo"
    assert "servicebusauthorization" not in headers
    assert "/room/7" in command.address and "lang=en" in command.address
    accepted = [e for e in events if isinstance(e, ConnectionAccepted)]
    assert accepted[0].connection_id == command.id
    assert accepted[0].remote_address == "127.0.0.1"


@pytest.mark.asyncio
async def test_sender_events_tell_the_whole_story(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(), relay.sas(), ssl_context=relay.ssl, options=ListenerOptions(auto_echo=True)
    )
    async with asyncio.timeout(30), listener:
        sender = await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
        await sender.send("one")
        await sender.receive()
        await sender.close(1000, "bye")
        events = [e async for e in sender.events()]
    kinds = [type(e).__name__ for e in events]
    assert kinds[:4] == ["StateChanged", "TokenAcquired", "ChannelOpened", "StateChanged"]
    assert isinstance(events[1], TokenAcquired) and events[1].token.kind == "sas"
    opened = events[2]
    assert isinstance(opened, ChannelOpened) and "?" not in opened.url
    assert any(isinstance(e, MessageSent) and e.data == "one" for e in events)
    ended = [e for e in events if isinstance(e, ConnectionEnded)]
    # The relay echoes our 1000 (RFC 6455 §5.5.1); one ConnectionEnded carries it.
    assert len(ended) == 1 and ended[0].code == 1000
    final = events[-1]
    assert isinstance(final, StateChanged) and final.state is ConnectionState.OFFLINE
    assert_no_secrets(events, relay.tokens_seen)


@pytest.mark.asyncio
async def test_anonymous_sender_only_where_allowed(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address("open"),
        relay.sas(entity="open"),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True),
    )
    async with asyncio.timeout(30), listener:
        async with await connect(
            relay.address("open"), AnonymousTokenProvider(), ssl_context=relay.ssl
        ) as sender:
            await sender.send(b"anon")
            assert await sender.receive() == b"anon"
            assert sender.token is None
        with pytest.raises(Unauthorized):
            await connect(relay.address(), AnonymousTokenProvider(), ssl_context=relay.ssl)


@pytest.mark.asyncio
async def test_malformed_header_is_refused_locally(relay: RelaySetup) -> None:
    with pytest.raises(InvalidField):
        await connect(
            relay.address(), relay.sas(), extra_headers={"Bad:Name": "x"}, ssl_context=relay.ssl
        )
    with pytest.raises(InvalidField):
        await connect(
            relay.address(),
            relay.sas(),
            extra_headers={"X": "a\r\nInjected: 1"},
            ssl_context=relay.ssl,
        )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"extra_headers": {"X-Bytes": "\udcff"}}, InvalidField),
        ({"path_suffix": "caf\udce9"}, InvalidAddress),
        ({"query": "q=\udce9"}, InvalidAddress),
    ],
)
async def test_text_that_is_not_utf8_is_refused_locally(
    relay: RelaySetup, options: dict[str, Any], error: type[Exception]
) -> None:
    """What argv or a header turns a non-UTF-8 byte into (a lone surrogate)."""
    with pytest.raises(error):
        await connect(relay.address(), relay.sas(), ssl_context=relay.ssl, **options)


@pytest.mark.asyncio
async def test_failed_connect_still_tells_its_story(relay: RelaySetup) -> None:
    """With no listener the relay refuses; the caller's queue keeps the events."""
    queue = EventQueue("sender")
    async with asyncio.timeout(30):
        with pytest.raises(EntityNotFound):  # "no listeners" is a 404 (§6)
            await connect(relay.address(), relay.sas(), ssl_context=relay.ssl, events=queue)
        events = [e async for e in queue.stream()]
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["StateChanged", "TokenAcquired", "ErrorOccurred", "StateChanged"]
    error = events[2]
    assert isinstance(error, ErrorOccurred) and error.error.kind == "EntityNotFound"
    # The event explains the 404 as "no listener", as the CLI does (§6).
    assert error.error.remedy.startswith("Start a listener")
    final = events[-1]
    assert isinstance(final, StateChanged) and final.state is ConnectionState.OFFLINE
    assert final.error == error.error
    assert_no_secrets(events, relay.tokens_seen)


@pytest.mark.asyncio
async def test_message_over_the_listeners_limit_is_explained_on_both_sides(
    relay: RelaySetup,
) -> None:
    """The listener refuses with 1009 and says so; the sender learns why (RFC 6455 §7.4.1)."""
    from relaydesk.errors import ConnectionClosed

    options = ListenerOptions(auto_echo=True, max_message_size=100_000)
    listener = Listener(relay.address(), relay.sas(), ssl_context=relay.ssl, options=options)
    async with asyncio.timeout(30):
        async with listener:
            sender = await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
            await sender.send(b"x" * 200_000)
            with pytest.raises(ConnectionClosed) as info:
                await sender.receive()
            await sender.close()
        events = [e async for e in listener.events()]
    assert info.value.code == 1009 and "larger than" in info.value.reason
    assert "smaller messages" in error_info(info.value).remedy
    ended = [e for e in events if isinstance(e, ConnectionEnded)]
    assert [e.code for e in ended] == [1009] and "100000" in ended[0].reason
    errors = [e.error for e in events if isinstance(e, ErrorOccurred)]
    assert len(errors) == 1 and errors[0].status == 1009
    assert "larger than" in errors[0].message and "smaller messages" in errors[0].remedy


@pytest.mark.asyncio
async def test_close_does_not_wait_behind_unread_echoes(relay: RelaySetup) -> None:
    """Echoes nobody reads pile up until websockets stops reading the socket; the
    peer's close frame then waits behind them. The close must still complete with
    that frame (1000), not by the close timeout (1006)."""
    options = ListenerOptions(auto_echo=True)
    listener = Listener(relay.address(), relay.sas(), ssl_context=relay.ssl, options=options)
    async with asyncio.timeout(30), listener:
        sender = await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
        for number in range(100):
            await sender.send(f"message {number}")
        # The precondition: all 100 echoes are on their way, far more than the
        # 16 unread messages at which websockets stops reading, and ahead of
        # the close frame that will answer ours.
        echoed = 0
        async for event in listener.events():
            echoed += isinstance(event, MessageSent)
            if echoed == 100:
                break
        await sender.close()
    assert sender.close_code == 1000
    assert sender.messages_received > 16  # the echoes read while closing


@pytest.mark.asyncio
async def test_send_many_sends_each_message_in_order_with_its_type(relay: RelaySetup) -> None:
    options = ListenerOptions(auto_echo=True)
    batch: list[str | bytes] = ["one", b"\x00\x01two", "three", b""]
    async with (
        asyncio.timeout(30),
        Listener(relay.address(), relay.sas(), ssl_context=relay.ssl, options=options),
    ):
        sender = await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
        await sender.send_many(batch)
        echoes = [await sender.receive() for _ in batch]
        await sender.close()
        events = [e async for e in sender.events()]
    assert echoes == batch  # str stays text, bytes stay binary
    assert (sender.messages_sent, sender.bytes_sent) == (4, 3 + 5 + 5)
    assert [e.data for e in events if isinstance(e, MessageSent)] == batch
