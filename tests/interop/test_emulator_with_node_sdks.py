"""Microsoft's official Node.js SDKs against our emulator (issue: foundation).

* ``hyco-ws`` listener + ``hyco-ws`` sender round trip, with SAS tokens the
  SDK itself signs from the emulator's rules (least privilege: listen-only for
  the listener, send-only for the sender).
* ``hyco-https`` listener answering HTTPS requests from a plain Python client
  and from a plain Node.js request, with bodies around the 64 KiB inline limit
  (inline below, rendezvous above; protocol §7.2-7.3).

The SDKs build their URLs for port 443 only, so the tests pass them full URLs
for the emulator's port; the SAS resource they sign drops the port (§9.3).
"""

from __future__ import annotations

import hashlib
import ssl

import aiohttp
import pytest

from relaydesk.emulator import Emulator
from relaydesk.protocol.sas import build_sas_token

from .node_process import NodeScript

pytestmark = [pytest.mark.interop, pytest.mark.e2e, pytest.mark.asyncio]


def _rule(emulator: Emulator, name: str) -> dict[str, str]:
    rule = emulator.world.sas_rules[name]
    return {"keyName": rule.name, "key": rule.primary_key}


def _listen_uri(emulator: Emulator, entity: str = "demo") -> str:
    return f"wss://{emulator.namespace}/$hc/{entity}?sb-hc-action=listen"


def _token_uri(emulator: Emulator, entity: str = "demo") -> str:
    return f"https://{emulator.namespace}/{entity}"


async def _start_listener(emulator: Emulator, script: str) -> NodeScript:
    config = {
        "listenUri": _listen_uri(emulator),
        "tokenUri": _token_uri(emulator),
        **_rule(emulator, "listen-only"),
        "seconds": 60,
    }
    listener = await NodeScript.start(script, config, ca_file=emulator.ca_file)
    await listener.wait_for("listening")
    return listener


async def test_hyco_ws_listener_serves_hyco_ws_sender(emulator: Emulator) -> None:
    listener = await _start_listener(emulator, "ws_listener")
    try:
        sender = await NodeScript.start(
            "ws_sender",
            {
                "sendUri": f"wss://{emulator.namespace}/$hc/demo?sb-hc-action=connect",
                "tokenUri": _token_uri(emulator),
                **_rule(emulator, "send-only"),
                "count": 5,
                "size": 100_000,
                "seconds": 45,
            },
            ca_file=emulator.ca_file,
        )
        assert await sender.wait(seconds=45) == 0, sender.events
        summary = sender.events[-1]
        assert summary == {"event": "summary", "sent": 6, "received": 6}
        texts = [
            (e["head"], e["length"], e["sha256"])
            for e in sender.events
            if e["event"] == "message" and not e["binary"]
        ]
        expected = [f"{i}:" + "x" * 100_000 for i in range(5)]
        assert texts == [(t[:8], len(t), hashlib.sha256(t.encode()).hexdigest()) for t in expected]
        binaries = [e["hex"] for e in sender.events if e["event"] == "message" and e["binary"]]
        assert binaries == ["000102feff"]
    finally:
        await listener.stop()
    assert any(e["event"] == "accepted" for e in listener.events)


async def test_hyco_ws_sender_with_wrong_key_is_refused(emulator: Emulator) -> None:
    listener = await _start_listener(emulator, "ws_listener")
    try:
        sender = await NodeScript.start(
            "ws_sender",
            {
                "sendUri": f"wss://{emulator.namespace}/$hc/demo?sb-hc-action=connect",
                "tokenUri": _token_uri(emulator),
                "keyName": "send-only",
                "key": "not-the-key",
                "seconds": 20,
            },
            ca_file=emulator.ca_file,
        )
        assert await sender.wait(seconds=20) != 0
        errors = [e for e in sender.events if e["event"] == "error"]
        assert errors and "401" in errors[0]["message"], sender.events
    finally:
        await listener.stop()


@pytest.mark.parametrize("length", [0, 100, 65_536, 65_537, 204_800, 1_048_576])
async def test_hyco_https_listener_answers_python_https(
    emulator: Emulator, client_ssl: ssl.SSLContext, length: int
) -> None:
    listener = await _start_listener(emulator, "https_listener")
    try:
        rule = emulator.world.sas_rules["send-only"]
        token = build_sas_token(
            f"http://{emulator.namespace}/demo", rule.name, rule.primary_key, expires_at=2**31
        )
        body = bytes(range(256)) * (length // 256) + b"z" * (length % 256)
        headers = {"ServiceBusAuthorization": token, "X-Echo": "1"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"https://{emulator.namespace}/demo/echo?x=1",
                data=body,
                headers=headers,
                ssl=client_ssl,
            ) as response,
        ):
            got = await response.read()
            assert response.status == 200, got[:300]
            assert response.headers["X-Body-Sha256"] == hashlib.sha256(body).hexdigest()
            assert "Via" in response.headers
        assert got == body
        request = await listener.wait_for("request")
        assert request == {
            "event": "request",
            "method": "POST",
            "url": "/demo/echo?x=1",
            "length": length,
        }
    finally:
        await listener.stop()


@pytest.mark.parametrize("length", [10, 70_000])
async def test_node_https_request_reaches_hyco_https_listener(
    emulator: Emulator, length: int
) -> None:
    listener = await _start_listener(emulator, "https_listener")
    try:
        request = await NodeScript.start(
            "https_request",
            {
                "url": f"https://{emulator.namespace}/demo/api",
                "tokenUri": _token_uri(emulator),
                **_rule(emulator, "send-only"),
                "bodyLength": length,
                "seconds": 30,
            },
            ca_file=emulator.ca_file,
        )
        assert await request.wait(seconds=30) == 0, request.events
        response = request.events[-1]
        assert response["status"] == 201
        assert f'"length":{length}' in response["body"]
        assert '"custom":"node"' in response["body"]
    finally:
        await listener.stop()
