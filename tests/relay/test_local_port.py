"""A local port into the relay, reached with a plain HTTP client, to a forwarding listener."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
from collections.abc import AsyncIterator

import aiohttp
import pytest

from relaydesk.errors import InvalidField, InvalidInput
from relaydesk.relay.events import ErrorOccurred, HttpResponseReceived
from relaydesk.relay.local_port import LocalPort, LocalPortOptions, is_loopback
from relaydesk.relay.reply_stream import CAPTURE_LIMIT
from tests.local_app import closed_port, download_bytes, local_app
from tests.relay.conftest import RelaySetup
from tests.relay.test_forwarding import forwarding

pytestmark = pytest.mark.e2e


@contextlib.asynccontextmanager
async def tunnel(relay: RelaySetup) -> AsyncIterator[tuple[LocalPort, aiohttp.ClientSession]]:
    """local app ← forwarding listener ← emulator ← local port ← plain client."""
    async with (
        local_app() as base,
        forwarding(relay, base),
        LocalPort(
            relay.address(),
            relay.sas("send-only"),
            options=LocalPortOptions(port=0),
            ssl_context=relay.ssl,
        ) as port,
        aiohttp.ClientSession(auto_decompress=False) as client,
    ):
        yield port, client


@pytest.mark.asyncio
async def test_plain_client_requests_go_through_the_relay_byte_exact(relay: RelaySetup) -> None:
    upload = os.urandom(200 * 1024)
    async with asyncio.timeout(60), tunnel(relay) as (port, client):
        async with client.get(
            f"{port.url}/api/echo-request/x?q=%20a",
            headers={"X-App": "Äpp"},
        ) as response:
            seen = json.loads(await response.read())
            assert response.status == 200 and response.headers["X-Local"] == "yes"
        async with client.get(f"{port.url}/download?size=1048576") as response:
            body = await response.read()
            sha = response.headers["X-Sha256"]
        async with client.post(f"{port.url}/upload", data=upload) as response:
            uploaded = json.loads(await response.read())
        event = await anext(aiter(port.events()))
    assert seen["path"] == "/api/echo-request/x" and seen["query"] == "q=%20a"
    assert ["X-App", "Äpp".encode().decode("latin-1")] in seen["headers"]
    assert body == download_bytes(1048576) and sha == hashlib.sha256(body).hexdigest()
    assert uploaded == {"size": len(upload), "sha256": hashlib.sha256(upload).hexdigest()}
    assert isinstance(event, HttpResponseReceived) and event.status == 200


@pytest.mark.asyncio
async def test_a_large_answer_is_passed_on_as_it_arrives_not_kept(relay: RelaySetup) -> None:
    size = 3 * 1024 * 1024 // 2
    async with (
        asyncio.timeout(60),
        tunnel(relay) as (port, client),
        client.get(f"{port.url}/download?size={size}") as response,
    ):
        assert response.content_length == size  # announced before the body
        body = await response.read()
        event = await anext(aiter(port.events()))
    assert body == download_bytes(size)
    assert isinstance(event, HttpResponseReceived)
    assert event.body_size == size and len(event.body) == CAPTURE_LIMIT  # only its start is kept


@pytest.mark.asyncio
async def test_websocket_upgrades_become_relayed_connections(relay: RelaySetup) -> None:
    async with (
        asyncio.timeout(60),
        tunnel(relay) as (port, client),
        client.ws_connect(f"{port.url}/ws/echo", protocols=("chat.v2",)) as ws,
    ):
        assert ws.protocol == "chat.v2"
        await ws.send_str("text")
        assert (await ws.receive()).data == "text"
        await ws.send_bytes(b"\x00\xff" * 40_000)
        assert (await ws.receive()).data == b"\x00\xff" * 40_000
        await ws.send_str("close:4002")
        closing = await ws.receive()
    assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4002


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("options", "path", "status", "cause"),
    [
        ({"down": True}, "/", 502, "unreachable"),
        ({"timeout": 0.5}, "/hang", 504, "timeout"),
        ({"max_request_body": 10}, "/upload", 413, "request-too-large"),
    ],
)
async def test_forwarding_failures_reach_a_plain_client_with_status_and_message(
    relay: RelaySetup, options: dict[str, object], path: str, status: int, cause: str
) -> None:
    async with local_app() as base:
        url = f"http://127.0.0.1:{closed_port()}" if options.pop("down", False) else base
        async with (
            asyncio.timeout(60),
            forwarding(relay, url, **options),
            LocalPort(
                relay.address(),
                relay.sas(),
                options=LocalPortOptions(port=0),
                ssl_context=relay.ssl,
            ) as port,
            aiohttp.ClientSession() as client,
            client.request(
                "POST" if path == "/upload" else "GET",
                f"{port.url}{path}",
                data=b"x" * 100 if path == "/upload" else None,
            ) as response,
        ):
            text = await response.text()
    assert response.status == status and response.headers["X-RelayDesk-Error"] == cause
    assert text.startswith("RelayDesk (forwarding listener):")


@pytest.mark.asyncio
async def test_without_a_listener_the_client_gets_the_relays_502(relay: RelaySetup) -> None:
    async with (
        asyncio.timeout(60),
        LocalPort(
            relay.address(), relay.sas(), options=LocalPortOptions(port=0), ssl_context=relay.ssl
        ) as port,
        aiohttp.ClientSession() as client,
        client.get(f"{port.url}/anything") as response,
    ):
        text = await response.text()
        event = await anext(aiter(port.events()))
    assert response.status == 502 and response.headers["X-RelayDesk-Error"] == "relay-refused"
    assert text.startswith("RelayDesk") and "listener" in text.lower()
    assert isinstance(event, ErrorOccurred) and event.error.kind == "NoListener"


@pytest.mark.asyncio
async def test_a_port_in_use_is_a_clear_error(relay: RelaySetup) -> None:
    async with LocalPort(
        relay.address(), relay.sas(), options=LocalPortOptions(port=0), ssl_context=relay.ssl
    ) as first:
        second = LocalPort(relay.address(), relay.sas(), options=LocalPortOptions(port=first.port))
        with pytest.raises(InvalidInput) as taken:
            await second.start()
    assert taken.value.field == "port" and str(first.port) in str(taken.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("127.5.0.1", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_bad_port_numbers_are_refused() -> None:
    with pytest.raises(InvalidField):
        LocalPortOptions(port=70000)
