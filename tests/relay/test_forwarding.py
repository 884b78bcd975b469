"""A forwarding listener in front of a real local aiohttp app, through the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from relaydesk.emulator import Emulator
from relaydesk.errors import ConnectionClosed, ListenerRejected, RelayDeskError
from relaydesk.relay.events import ErrorOccurred, Event, HttpRequestReceived, HttpResponseSent
from relaydesk.relay.forwarding import Forwarder, ForwardOptions
from relaydesk.relay.http_sender import http_request
from relaydesk.relay.listener import Listener
from relaydesk.relay.sender import connect
from tests.local_app import (
    closed_port,
    download_bytes,
    garbage_server,
    local_app,
    raw_answer_server,
)
from tests.relay.conftest import RelaySetup, setup_for

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


@contextlib.asynccontextmanager
async def forwarding(relay: RelaySetup, url: str, **options: object) -> AsyncIterator[Listener]:
    """A started listener forwarding ``demo`` to ``url``."""
    forwarder = Forwarder(ForwardOptions(http_url=url, **options), entity_path="demo")  # type: ignore[arg-type]
    listener = Listener(
        relay.address(),
        relay.sas(),
        http_handler=forwarder,
        policy=forwarder.accept_policy,
        connection_handler=forwarder.connection_handler,
        ssl_context=relay.ssl,
    )
    try:
        async with listener:
            yield listener
    finally:
        await forwarder.close()


async def _events_until(listener: Listener, kind: type[Event]) -> list[Event]:
    seen: list[Event] = []
    async for event in listener.events():
        seen.append(event)
        if isinstance(event, kind):
            return seen
    return seen


async def test_request_line_headers_and_body_reach_the_local_app(relay: RelaySetup) -> None:
    async with (
        asyncio.timeout(60),
        local_app("/base") as base,
        forwarding(relay, base) as listener,
    ):
        response = await http_request(
            relay.address(),
            relay.sas(),
            "PATCH",
            path_suffix="/api/echo-request/a%20b/c",
            query="x=1&y=%C3%A9&x=2",
            headers={"X-Custom": "Value, with comma", "Keep-Alive": "timeout=5"},
            body=b"patch body",
            ssl_context=relay.ssl,
        )
        received = next(
            e
            for e in await _events_until(listener, HttpResponseSent)
            if isinstance(e, HttpRequestReceived)
        )
    seen = json.loads(response.body)
    assert response.status == 200 and response.headers["X-Local"] == "yes"
    assert seen["method"] == "PATCH"
    assert seen["path"] == "/base/api/echo-request/a%20b/c"
    assert seen["query"] == "x=1&y=%C3%A9&x=2"
    headers = {name.lower(): value for name, value in seen["headers"]}
    names = [name for name, _ in seen["headers"]]
    assert "X-Custom" in names and headers["x-custom"] == "Value, with comma"
    assert "keep-alive" not in headers and "servicebusauthorization" not in headers
    assert headers["host"] == base.split("/")[2]
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-host"] == relay.emulator.namespace
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-prefix"] == "/demo"
    assert headers["forwarded"] == f'for=127.0.0.1;proto=https;host="{relay.emulator.namespace}"'
    assert relay.emulator.namespace in headers["via"]
    assert headers["content-length"] == str(len(b"patch body"))
    # Every header the relay delivered reaches the app unchanged, and nothing else
    # but the forwarding ones (the forwarder's HTTP client adds none of its own).
    added = {
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-forwarded-for",
        "x-forwarded-prefix",
        "forwarded",
        "content-length",
    }
    relayed = {k.lower(): v for k, v in received.headers.items()}
    assert {k: v for k, v in headers.items() if k not in added | {"host"}} == {
        k: v for k, v in relayed.items() if k not in {"host", "keep-alive"}
    }


async def test_a_1_mib_download_streams_back_byte_exact(relay: RelaySetup) -> None:
    size = 1024 * 1024 + 17
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base) as listener:
        response = await http_request(
            relay.address(),
            relay.sas(),
            path_suffix="/download",
            query=f"size={size}",
            ssl_context=relay.ssl,
        )
        events = await _events_until(listener, HttpResponseSent)
    assert response.status == 200
    assert response.body == download_bytes(size)
    assert response.headers["X-Sha256"] == hashlib.sha256(response.body).hexdigest()
    sent = events[-1]
    assert isinstance(sent, HttpResponseSent)
    assert sent.via_rendezvous and sent.body_size == size
    assert set(sent.timings) == {"handler", "body", "deliver"}


async def test_a_200_kib_upload_arrives_byte_exact(relay: RelaySetup) -> None:
    body = os.urandom(200 * 1024)
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base):
        response = await http_request(
            relay.address(),
            relay.sas(),
            "POST",
            path_suffix="/upload",
            body=body,
            headers={"Content-Type": "application/octet-stream"},
            ssl_context=relay.ssl,
        )
    assert json.loads(response.body) == {
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }


async def test_a_small_json_answer_goes_inline(relay: RelaySetup) -> None:
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base) as listener:
        response = await http_request(
            relay.address(),
            relay.sas(),
            "POST",
            path_suffix="/api/echo",
            body=b'{"a": 1}',
            headers={"Content-Type": "application/json"},
            ssl_context=relay.ssl,
        )
        events = await _events_until(listener, HttpResponseSent)
    assert response.body == b'{"a": 1}'
    assert response.headers["Content-Type"].startswith("application/json")
    sent = events[-1]
    assert isinstance(sent, HttpResponseSent) and not sent.via_rendezvous


async def test_a_slow_trickling_response_is_streamed(relay: RelaySetup) -> None:
    """Longer than the 2 s inline buffer: goes over the rendezvous (§7.3)."""
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base) as listener:
        response = await http_request(
            relay.address(),
            relay.sas(),
            path_suffix="/trickle",
            query="parts=3&pause=1",
            ssl_context=relay.ssl,
        )
        events = await _events_until(listener, HttpResponseSent)
    assert response.body == b"part 0\npart 1\npart 2\n"
    sent = events[-1]
    assert isinstance(sent, HttpResponseSent) and sent.via_rendezvous


async def test_repeated_response_headers_are_joined(relay: RelaySetup) -> None:
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base):
        response = await http_request(
            relay.address(), relay.sas(), path_suffix="/set-cookies", ssl_context=relay.ssl
        )
    assert response.headers["Set-Cookie"] == "a=1; Path=/, b=2; Path=/"
    assert response.headers["X-Custom-Case"] == "Value With Spaces"


# Failures: status, body naming RelayDesk, an error event, listener stays online.


async def _failure(
    relay: RelaySetup, url: str, suffix: str = "/", **options: object
) -> tuple[int, str, str, ErrorOccurred, Listener]:
    async with forwarding(relay, url, **options) as listener:
        response = await http_request(
            relay.address(), relay.sas(), path_suffix=suffix, ssl_context=relay.ssl
        )
        events = await _events_until(listener, ErrorOccurred)
        error = events[-1]
        assert isinstance(error, ErrorOccurred)
        again = await http_request(
            relay.address(), relay.sas(), path_suffix=suffix, ssl_context=relay.ssl
        )
        assert again.status == response.status  # still online, still answering
        return (
            response.status,
            response.body.decode(),
            response.headers["X-RelayDesk-Error"],
            error,
            listener,
        )


async def test_local_service_down_gives_502(relay: RelaySetup) -> None:
    port = closed_port()
    async with asyncio.timeout(60):
        status, body, cause, error, _listener = await _failure(relay, f"http://127.0.0.1:{port}")
    assert status == 502 and cause == "unreachable"
    assert body.startswith("RelayDesk") and f"127.0.0.1:{port}" in body
    assert error.error.kind == "ForwardingFailed" and error.error.status == 502
    assert "Start the local service" in error.error.remedy


async def test_local_service_answering_garbage_gives_502(relay: RelaySetup) -> None:
    async with asyncio.timeout(60), garbage_server() as url:
        status, body, cause, error, _ = await _failure(relay, url, "/x?token=app-query-secret")
    assert status == 502 and cause == "invalid-response" and "valid HTTP" in body
    assert "app-query-secret" not in body + repr(error)


async def test_slow_local_service_gives_504_naming_the_relay_deadline(relay: RelaySetup) -> None:
    async with asyncio.timeout(60), local_app() as base:
        status, body, cause, error, _ = await _failure(relay, base, "/hang", timeout=0.5)
    assert status == 504 and cause == "timeout"
    assert "0.5 s" in body and "60 s" in body
    assert "60 s" in error.error.remedy


async def test_https_local_service_with_untrusted_certificate_gives_502(relay: RelaySetup) -> None:
    # The emulator itself is an https service whose CA the forwarder does not trust.
    url = f"https://{relay.emulator.namespace}"
    async with asyncio.timeout(60):
        status, body, cause, _e, _ = await _failure(relay, url)
    assert status == 502 and cause == "tls" and "TLS" in body


async def test_https_local_service_trusted_by_its_ca_file(relay: RelaySetup) -> None:
    """Own trust settings: the CA file makes the same https service reachable."""
    url = f"https://{relay.emulator.namespace}/{relay.emulator.tenant_id}/v2.0"
    async with asyncio.timeout(60), forwarding(relay, url, ca_file=str(relay.emulator.ca_file)):
        response = await http_request(
            relay.address(),
            relay.sas(),
            path_suffix="/.well-known/openid-configuration",
            ssl_context=relay.ssl,
        )
    assert response.status == 200 and b"token_endpoint" in response.body


async def test_request_body_over_the_limit_gives_413(relay: RelaySetup) -> None:
    async with (
        asyncio.timeout(60),
        local_app() as base,
        forwarding(relay, base, max_request_body=1000),
    ):
        response = await http_request(
            relay.address(),
            relay.sas(),
            "POST",
            path_suffix="/upload",
            body=b"x" * 1001,
            ssl_context=relay.ssl,
        )
    assert response.status == 413 and response.body.startswith(b"RelayDesk")


async def test_response_over_the_limit_gives_502(relay: RelaySetup) -> None:
    async with (
        asyncio.timeout(60),
        local_app() as base,
        forwarding(relay, base, max_response_body=1000),
    ):
        response = await http_request(
            relay.address(),
            relay.sas(),
            path_suffix="/download",
            query="size=5000",
            ssl_context=relay.ssl,
        )
    assert response.status == 502
    assert response.headers["X-RelayDesk-Error"] == "response-too-large"


async def test_requests_beyond_the_in_flight_limit_get_503(relay: RelaySetup) -> None:
    async with (
        asyncio.timeout(60),
        local_app() as base,
        forwarding(relay, base, max_in_flight=1, timeout=5.0) as listener,
    ):
        hanging = asyncio.create_task(
            http_request(relay.address(), relay.sas(), path_suffix="/hang", ssl_context=relay.ssl)
        )
        async for event in listener.events():  # the first request is being forwarded
            if isinstance(event, HttpRequestReceived):
                break
        second = await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
        first = await hanging
    assert second.status == 503 and second.headers["Retry-After"] == "1"
    assert first.status == 504


async def test_a_body_broken_half_way_is_reported_and_the_listener_stays_online(
    make_emulator: Callable[..., Awaitable[Emulator]],
) -> None:
    """The status has gone already: the stream is cut (close 1011), the relay answers
    the sender itself, and the listener reports why and keeps serving."""
    relay = setup_for(await make_emulator(http_response_timeout=3.0))
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base) as listener:
        with contextlib.suppress(RelayDeskError):  # the relay's own answer to a cut stream
            await http_request(
                relay.address(), relay.sas(), path_suffix="/broken", ssl_context=relay.ssl
            )
        error = (await _events_until(listener, ErrorOccurred))[-1]
        again = await http_request(
            relay.address(), relay.sas(), path_suffix="/api/echo-request", ssl_context=relay.ssl
        )
    assert isinstance(error, ErrorOccurred) and error.error.kind == "ForwardingFailed"
    assert "broke off" in error.error.message
    assert again.status == 200


# WebSockets


async def test_websocket_frames_and_close_codes_are_bridged(relay: RelaySetup) -> None:
    async with asyncio.timeout(60), local_app() as base, forwarding(relay, base):
        sender = await connect(
            relay.address(),
            relay.sas(),
            path_suffix="/ws/echo",
            ssl_context=relay.ssl,
            subprotocols=["chat.v1"],
        )
        assert sender.subprotocol == "chat.v1"
        await sender.send("hello")
        assert await sender.receive() == "hello"
        blob = os.urandom(100_000)
        await sender.send(blob)
        assert await sender.receive() == blob
        await sender.send("close:4001")
        with pytest.raises(ConnectionClosed) as closed:
            await sender.receive()
    assert closed.value.code == 4001 and "bye" in closed.value.reason


async def test_websocket_to_a_down_local_service_is_rejected_with_502(relay: RelaySetup) -> None:
    port = closed_port()
    async with asyncio.timeout(60), forwarding(relay, f"http://127.0.0.1:{port}"):
        with pytest.raises(ListenerRejected) as refused:
            await connect(relay.address(), relay.sas(), ssl_context=relay.ssl)
    assert refused.value.status == 502 and "RelayDesk" in refused.value.reason


async def test_a_reason_and_header_that_are_not_utf8_are_read_as_latin1(
    relay: RelaySetup,
) -> None:
    """The control message carries text (§7.3); such bytes must not end the channel."""
    answer = b"HTTP/1.1 200 \xe7a va\r\nX-Name: caf\xe9\r\nContent-Length: 2\r\n\r\nhi"
    async with asyncio.timeout(60), raw_answer_server(answer) as url, forwarding(relay, url):
        first = await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
        again = await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
    # The emulator keeps printable ASCII in a reason phrase (replies.reason_phrase).
    assert (first.status, first.reason, first.body) == (200, "a va", b"hi")
    assert first.headers["X-Name"] == "café"
    assert again.status == 200  # the control channel was not closed
