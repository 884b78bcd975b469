"""URL display and handshake settings shared by every WebSocket."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.errors import RelayUnreachable
from relaydesk.relay.transport import (
    USER_AGENT,
    WebSocketSettings,
    check_url,
    display_url,
    open_websocket,
)
from tests.hostile_text import hostile_text, pieces_and_hostile_text

_URL_PIECES = [
    "wss://",
    "ws://",
    "https://",
    "[",
    "]",
    "::1",
    "127.0.0.1",
    ":",
    "443",
    "99999",
    "a" * 64,
    ".",
    "/",
    "$hc/demo",
    "?",
    "sb-hc-id=",
    "%FF",
]


def test_display_url_drops_the_query() -> None:
    url = "wss://h:1/$hc/demo?sb-hc-action=accept&sb-hc-id=secret-capability"
    assert display_url(url) == "wss://h:1/$hc/demo"


def test_defaults_follow_the_protocol() -> None:
    settings = WebSocketSettings()
    assert settings.ping_interval is not None and settings.ping_interval <= 210  # §4.5
    assert USER_AGENT.startswith("relaydesk/")


@pytest.mark.asyncio
async def test_open_timeout_is_unreachable() -> None:
    writers: list[asyncio.StreamWriter] = []

    def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)  # accept TCP, never answer the TLS handshake

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with asyncio.timeout(10):
            with pytest.raises(RelayUnreachable) as info:
                await open_websocket(
                    f"wss://127.0.0.1:{port}/",
                    ssl_context=None,
                    settings=WebSocketSettings(open_timeout=0.5),
                )
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()
    assert f"127.0.0.1:{port}" in str(info.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url",
    [
        "wss://[::1/$hc/demo",  # urllib: ValueError
        "wss://h:99999/$hc/demo",  # urllib: ValueError
        "wss://" + "a" * 64 + ".servicebus.windows.net/$hc/demo",  # idna: UnicodeError
        "wss://\udcff.example/$hc/demo",  # idna: UnicodeError
        "wss://127.0.0.1:9/$hc/demo?sb-hc-id=\udcff",  # UnicodeEncodeError
        "wss://127.0.0.1:9/$hc/demo\r\nX-Injected: 1",
        "https://127.0.0.1:9/demo",
        "not a url",
    ],
)
async def test_a_url_no_websocket_can_use_is_refused_as_unreachable(url: str) -> None:
    """A rendezvous address comes from the relay, verbatim (§5.1): a broken one is typed."""
    with pytest.raises(RelayUnreachable, match="URL is not valid"):
        await open_websocket(url, ssl_context=None, settings=WebSocketSettings(open_timeout=1))


@settings(max_examples=60, deadline=None)
@given(st.one_of(hostile_text(), pieces_and_hostile_text(_URL_PIECES)))
def test_check_url_on_hostile_text(url: str) -> None:
    try:
        check_url(url)
    except RelayUnreachable as exc:
        assert "URL is not valid" in str(exc)
        return
    parts = urlsplit(url)
    assert parts.scheme in ("ws", "wss")
    assert parts.port is None or 0 < parts.port < 65536
    (parts.hostname or "").encode("idna")  # what getaddrinfo does; raises for a bad host
