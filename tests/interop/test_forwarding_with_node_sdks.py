"""Microsoft's Node.js senders reach a local web app through a RelayDesk forwarding listener.

* a plain Node ``https`` request (the official samples' way, token from
  ``hyco-https``) → emulator → forwarding listener → local aiohttp app;
* a ``hyco-ws`` sender → emulator → forwarding listener → the app's
  WebSocket echo, text and binary frames.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from relaydesk.emulator import Emulator
from relaydesk.relay.forwarding import Forwarder, ForwardOptions
from relaydesk.relay.listener import Listener
from tests.local_app import closed_port, download_bytes, local_app

from .node_process import NodeScript
from .relay_setup import demo_address, demo_tls, node_rule, sas_provider

pytestmark = [pytest.mark.interop, pytest.mark.e2e, pytest.mark.asyncio]


def _forwarding_listener(emulator: Emulator, base: str) -> tuple[Listener, Forwarder]:
    forwarder = Forwarder(ForwardOptions(http_url=base), entity_path="demo")
    listener = Listener(
        demo_address(emulator),
        sas_provider(emulator, "listen-only"),
        http_handler=forwarder,
        policy=forwarder.accept_policy,
        connection_handler=forwarder.connection_handler,
        ssl_context=demo_tls(emulator),
    )
    return listener, forwarder


async def _https_request(emulator: Emulator, path: str, **config: object) -> dict[str, object]:
    node = await NodeScript.start(
        "https_request",
        {
            "url": f"https://{emulator.namespace}/demo{path}",
            **node_rule(emulator, "send-only"),
            "seconds": 40,
            **config,
        },
        ca_file=emulator.ca_file,
    )
    assert await node.wait(seconds=40) == 0, node.events
    response: dict[str, object] = node.events[-1]
    return response


async def test_node_https_sender_reaches_the_local_app(emulator: Emulator) -> None:
    async with local_app() as base:
        listener, forwarder = _forwarding_listener(emulator, base)
        try:
            async with listener:
                upload = await _https_request(emulator, "/upload", bodyLength=200 * 1024)
                download = await _https_request(
                    emulator, "/download?size=1048576", method="GET", bodyLength=0
                )
        finally:
            await forwarder.close()
    assert upload["status"] == 200
    assert json.loads(str(upload["body"])) == {
        "size": 200 * 1024,
        "sha256": hashlib.sha256(b"a" * 200 * 1024).hexdigest(),
    }
    assert download["status"] == 200 and download["length"] == 1048576
    assert download["sha256"] == hashlib.sha256(download_bytes(1048576)).hexdigest()


async def test_node_https_sender_gets_relaydesks_502_when_the_app_is_down(
    emulator: Emulator,
) -> None:
    listener, forwarder = _forwarding_listener(emulator, f"http://127.0.0.1:{closed_port()}")
    try:
        async with listener:
            node = await NodeScript.start(
                "https_request",
                {
                    "url": f"https://{emulator.namespace}/demo/api",
                    **node_rule(emulator, "send-only"),
                    "seconds": 40,
                    "method": "GET",
                },
                ca_file=emulator.ca_file,
            )
            assert await node.wait(seconds=40) == 1, node.events  # a non-2xx answer
    finally:
        await forwarder.close()
    response = node.events[-1]
    assert response["status"] == 502
    assert str(response["body"]).startswith("RelayDesk (forwarding listener): could not connect")


async def test_hyco_ws_sender_reaches_the_local_websocket_echo(emulator: Emulator) -> None:
    async with local_app() as base:
        listener, forwarder = _forwarding_listener(emulator, base)
        try:
            async with listener:
                sender = await NodeScript.start(
                    "ws_sender",
                    {
                        "sendUri": f"wss://{emulator.namespace}/$hc/demo/ws/echo"
                        "?sb-hc-action=connect",
                        **node_rule(emulator, "send-only"),
                        "count": 3,
                        "size": 70_000,
                        "seconds": 40,
                    },
                    ca_file=emulator.ca_file,
                )
                assert await sender.wait(seconds=40) == 0, sender.events
        finally:
            await forwarder.close()
    assert sender.events[-1] == {"event": "summary", "sent": 4, "received": 4}
    texts = [e for e in sender.events if e["event"] == "message" and not e["binary"]]
    assert [e["sha256"] for e in texts] == [
        hashlib.sha256(f"{i}:{'x' * 70_000}".encode()).hexdigest() for i in range(3)
    ]
    assert [e["hex"] for e in sender.events if e.get("binary")] == ["000102feff"]
