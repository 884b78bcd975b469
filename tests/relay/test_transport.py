"""URL display and handshake settings shared by every WebSocket."""

from __future__ import annotations

import asyncio

import pytest

from relaydesk.errors import RelayUnreachable
from relaydesk.relay.transport import USER_AGENT, WebSocketSettings, display_url, open_websocket


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
