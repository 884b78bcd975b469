"""RelayDesk's own client against Microsoft's official Node.js SDKs.

Both sides of every pairing are real: the emulator in between over TLS, the
SDK as a child process, RelayDesk's listener/sender in this process
(issue: relay client core, "Plus interop").

* the RelayDesk listener serves a ``hyco-ws`` sender;
* a ``hyco-ws`` listener serves the RelayDesk WebSocket sender;
* the RelayDesk HTTP sender reaches a ``hyco-https`` listener (also > 64 KiB);
* a plain Node HTTPS request reaches the RelayDesk listener.

Identities are least-privilege SAS rules: ``listen-only`` for listeners,
``send-only`` for senders.
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from relaydesk.emulator import Emulator
from relaydesk.relay.http_sender import http_request
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.policies import echo_handler
from relaydesk.relay.sender import connect

from .node_process import NodeScript
from .relay_setup import demo_address, demo_tls, node_rule, sas_provider

pytestmark = [pytest.mark.interop, pytest.mark.e2e, pytest.mark.asyncio]


def _listener(emulator: Emulator, **options: object) -> Listener:
    return Listener(
        demo_address(emulator),
        sas_provider(emulator, "listen-only"),
        http_handler=echo_handler(),
        ssl_context=demo_tls(emulator),
        options=ListenerOptions(**options),  # type: ignore[arg-type]
    )


async def _node_listener(emulator: Emulator, script: str) -> NodeScript:
    config = {
        "listenUri": f"wss://{emulator.namespace}/$hc/demo?sb-hc-action=listen",
        **node_rule(emulator, "listen-only"),
        "seconds": 60,
    }
    node = await NodeScript.start(script, config, ca_file=emulator.ca_file)
    await node.wait_for("listening")
    return node


async def test_relaydesk_listener_serves_hyco_ws_sender(emulator: Emulator) -> None:
    async with _listener(emulator, auto_echo=True) as listener:
        assert listener.state.value == "online"
        sender = await NodeScript.start(
            "ws_sender",
            {
                "sendUri": f"wss://{emulator.namespace}/$hc/demo?sb-hc-action=connect",
                **node_rule(emulator, "send-only"),
                "count": 4,
                "size": 70_000,
                "seconds": 40,
            },
            ca_file=emulator.ca_file,
        )
        assert await sender.wait(seconds=40) == 0, sender.events
    assert sender.events[-1] == {"event": "summary", "sent": 5, "received": 5}
    lengths = [e["length"] for e in sender.events if e["event"] == "message" and not e["binary"]]
    assert lengths == [70_002] * 4
    assert [e["hex"] for e in sender.events if e.get("binary")] == ["000102feff"]


async def test_hyco_ws_listener_serves_relaydesk_sender(emulator: Emulator) -> None:
    node = await _node_listener(emulator, "ws_listener")
    try:
        async with await connect(
            demo_address(emulator),
            sas_provider(emulator, "send-only"),
            ssl_context=demo_tls(emulator),
        ) as sender:
            await sender.send("hello from RelayDesk")
            async with asyncio.timeout(15):
                assert await sender.receive() == "hello from RelayDesk"
            payload = bytes(range(256)) * 400
            await sender.send(payload)
            async with asyncio.timeout(15):
                assert await sender.receive() == payload
            await sender.close(1000, "done")
    finally:
        await node.stop()
    assert any(e["event"] == "accepted" for e in node.events)
    assert {"event": "closed", "code": 1000} in node.events


@pytest.mark.parametrize("length", [100, 200_000])
async def test_relaydesk_http_sender_reaches_hyco_https_listener(
    emulator: Emulator, length: int
) -> None:
    node = await _node_listener(emulator, "https_listener")
    try:
        body = bytes(range(256)) * (length // 256) + b"q" * (length % 256)
        response = await http_request(
            demo_address(emulator),
            sas_provider(emulator, "send-only"),
            "PUT",
            path_suffix="files/a.bin",
            query="v=2",
            headers={"X-Echo": "1", "Content-Type": "application/octet-stream"},
            body=body,
            ssl_context=demo_tls(emulator),
            timeout=30,
        )
    finally:
        await node.stop()
    assert response.status == 200
    assert response.body == body
    headers = {name.lower(): value for name, value in response.headers.items()}
    assert headers["x-body-sha256"] == hashlib.sha256(body).hexdigest()
    request = next(e for e in node.events if e["event"] == "request")
    assert request == {
        "event": "request",
        "method": "PUT",
        "url": "/demo/files/a.bin?v=2",
        "length": length,
    }


@pytest.mark.parametrize("length", [10, 100_000])
async def test_node_https_request_reaches_relaydesk_listener(
    emulator: Emulator, length: int
) -> None:
    async with _listener(emulator) as listener:
        node = await NodeScript.start(
            "https_request",
            {
                "url": f"https://{emulator.namespace}/demo/api",
                **node_rule(emulator, "send-only"),
                "bodyLength": length,
                "seconds": 30,
            },
            ca_file=emulator.ca_file,
        )
        assert await node.wait(seconds=30) == 0, node.events
        assert listener.state.value == "online"
    response = node.events[-1]
    assert response["event"] == "response"
    assert response["status"] == 200
    assert response["length"] == length
    assert response["sha256"] == hashlib.sha256(b"a" * length).hexdigest()
