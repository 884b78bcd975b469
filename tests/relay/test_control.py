"""The control channel's keep-alive (§4.5): a silent peer counts as a drop.

A small TCP forwarder sits between the listener and the real emulator; it
can turn every existing connection into a black hole (bytes are read and
discarded both ways, as a dead NAT or proxy would), while new connections
pass normally. Nothing here imitates the relay itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.events import ConnectionState, Event, StateChanged
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.sender import connect
from tests.relay.conftest import RelaySetup

pytestmark = pytest.mark.e2e


class BlackHoleForwarder:
    """TCP forwarder to ``port``; :meth:`swallow_existing` silences open links."""

    def __init__(self, port: int) -> None:
        self._target = port
        self._links: list[asyncio.Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def swallow_existing(self) -> None:
        for silent in self._links:
            silent.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        silent = asyncio.Event()
        self._links.append(silent)
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer, silent)),
            asyncio.create_task(self._pipe(up_reader, writer, silent)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(
        src: asyncio.StreamReader, dst: asyncio.StreamWriter, silent: asyncio.Event
    ) -> None:
        try:
            while data := await src.read(65536):
                if not silent.is_set():
                    dst.write(data)
                    await dst.drain()
        except OSError:
            pass
        finally:
            dst.close()


@pytest_asyncio.fixture
async def forwarder(relay: RelaySetup) -> AsyncIterator[BlackHoleForwarder]:
    fwd = BlackHoleForwarder(relay.emulator.port)
    await fwd.start()
    yield fwd
    await fwd.close()


async def next_state(listener: Listener, state: ConnectionState, log: list[Event]) -> StateChanged:
    async for event in listener.events():
        log.append(event)
        if isinstance(event, StateChanged) and event.state is state:
            return event
    raise AssertionError(f"no {state}")


@pytest.mark.asyncio
async def test_missing_pong_is_a_drop_and_the_listener_reconnects(
    relay: RelaySetup, forwarder: BlackHoleForwarder
) -> None:
    address = HybridConnectionAddress.parse(f"sb://127.0.0.1:{forwarder.port}/demo")
    listener = Listener(
        address,
        relay.sas(),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True, keepalive_interval=0.3, keepalive_timeout=0.5),
    )
    log: list[Event] = []
    async with asyncio.timeout(30), listener:
        await next_state(listener, ConnectionState.ONLINE, log)
        forwarder.swallow_existing()
        retry = await next_state(listener, ConnectionState.RECONNECTING, log)
        await next_state(listener, ConnectionState.ONLINE, log)
        async with await connect(relay.address(), relay.sas(), ssl_context=relay.ssl) as sender:
            await sender.send("after")
            assert await sender.receive() == "after"
    assert retry.error is not None and retry.error.kind == "ConnectionClosed"
    assert listener.reconnects == 1


@pytest.mark.asyncio
async def test_healthy_channel_survives_many_keepalive_rounds(relay: RelaySetup) -> None:
    listener = Listener(
        relay.address(),
        relay.sas(),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True, keepalive_interval=0.1, keepalive_timeout=1.0),
    )
    async with asyncio.timeout(30), listener:
        await asyncio.sleep(1.5)  # ~15 ping/pong rounds
        assert listener.state is ConnectionState.ONLINE and listener.reconnects == 0
