"""HTTP through the relay (§7): RelayDesk's HTTP sender and listener, real emulator."""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from relaydesk.auth.anonymous import AnonymousTokenProvider
from relaydesk.emulator.certs import ensure_certificates, server_ssl_context
from relaydesk.errors import InvalidInput, ListenerTimeout, NoListener, PayloadTooLarge
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.events import ErrorOccurred, Event, HttpRequestReceived, HttpResponseSent
from relaydesk.relay.http_sender import http_request
from relaydesk.relay.listener import Listener
from relaydesk.relay.policies import HttpReply, HttpRequest, echo_handler, fixed_response
from relaydesk.relay.tls import make_ssl_context
from tests.local_app import raw_answer_server
from tests.relay.conftest import RelaySetup, assert_no_secrets

pytestmark = pytest.mark.e2e

BIG = os.urandom(200 * 1024)  # > 64 KiB: rendezvous both ways (§7.2, §7.3)


async def events_of(listener: Listener) -> list[Event]:
    return [e async for e in listener.events()]


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [0, 10, 65536, 65537, len(BIG)])
async def test_echo_bodies_inline_and_rendezvous(relay: RelaySetup, size: int) -> None:
    body = BIG[:size]
    listener = Listener(
        relay.address(), relay.sas(), http_handler=echo_handler(), ssl_context=relay.ssl
    )
    async with asyncio.timeout(30):
        async with listener:
            response = await http_request(
                relay.address(),
                relay.sas(),
                "POST",
                path_suffix="sub/path",
                query="x=1",
                headers={"Content-Type": "application/x-test"},
                body=body,
                ssl_context=relay.ssl,
            )
        events = await events_of(listener)
    assert response.status == 200
    assert response.body == body
    assert response.headers.get("Content-Type") == "application/x-test"
    assert response.via  # the relay marks listener responses (§7.1)
    requests = [e for e in events if isinstance(e, HttpRequestReceived)]
    assert len(requests) == 1
    assert requests[0].target == "/demo/sub/path?x=1"
    assert requests[0].via_rendezvous == (size > 65536)
    sent = [e for e in events if isinstance(e, HttpResponseSent)]
    assert sent[0].via_rendezvous == (size > 65536)
    assert_no_secrets((events, response), relay.tokens_seen)


@pytest.mark.asyncio
async def test_streamed_request_body(relay: RelaySetup) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(BIG), 16384):
            yield BIG[i : i + 16384]

    listener = Listener(
        relay.address(), relay.sas(), http_handler=echo_handler(), ssl_context=relay.ssl
    )
    async with asyncio.timeout(30), listener:
        response = await http_request(
            relay.address(), relay.sas(), "PUT", body=chunks(), ssl_context=relay.ssl
        )
    assert response.status == 200 and response.body == BIG


@pytest.mark.asyncio
async def test_fixed_response_status_reason_and_headers(relay: RelaySetup) -> None:
    handler = fixed_response(
        418, headers={"X-Tea": "pot"}, body=b"short and stout", reason="I'm a teapot"
    )
    async with (
        asyncio.timeout(30),
        Listener(relay.address(), relay.sas(), http_handler=handler, ssl_context=relay.ssl),
    ):
        response = await http_request(relay.address(), relay.sas(), "GET", ssl_context=relay.ssl)
    # A listener's 4xx is returned, not raised: it is the listener's answer.
    assert (response.status, response.reason) == (418, "I'm a teapot")
    assert response.headers["X-Tea"] == "pot" and response.body == b"short and stout"


@pytest.mark.asyncio
async def test_large_response_to_small_request_goes_via_rendezvous(relay: RelaySetup) -> None:
    handler = fixed_response(200, body=BIG)
    listener = Listener(relay.address(), relay.sas(), http_handler=handler, ssl_context=relay.ssl)
    async with asyncio.timeout(30):
        async with listener:
            response = await http_request(
                relay.address(), relay.sas(), "GET", ssl_context=relay.ssl
            )
        events = await events_of(listener)
    assert response.body == BIG
    sent = [e for e in events if isinstance(e, HttpResponseSent)]
    assert sent and sent[0].via_rendezvous


@pytest.mark.asyncio
async def test_handler_exception_becomes_500_without_its_text(
    relay: RelaySetup, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_request: HttpRequest) -> HttpReply:
        raise RuntimeError("internal detail 42")

    async with (
        asyncio.timeout(30),
        Listener(relay.address(), relay.sas(), http_handler=broken, ssl_context=relay.ssl),
    ):
        with caplog.at_level(logging.ERROR, logger="relaydesk.relay"):
            response = await http_request(
                relay.address(), relay.sas(), "POST", body=b"x", ssl_context=relay.ssl
            )
    assert response.status == 500
    assert b"internal detail" not in response.body and "internal" not in response.reason
    assert any("internal detail 42" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


@pytest.mark.asyncio
async def test_no_handler_answers_501(relay: RelaySetup) -> None:
    async with asyncio.timeout(30), Listener(relay.address(), relay.sas(), ssl_context=relay.ssl):
        response = await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
    assert response.status == 501


@pytest.mark.asyncio
async def test_no_listener_is_502(relay: RelaySetup) -> None:
    with pytest.raises(NoListener) as info:
        await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
    assert info.value.status == 502 and info.value.remedy and info.value.tracking_id
    assert_no_secrets(str(info.value), relay.tokens_seen)


@pytest.mark.asyncio
async def test_slow_listener_is_504(make_emulator: object, secret_watch: set[str]) -> None:
    from tests.relay.conftest import setup_for

    relay = setup_for(await make_emulator(http_response_timeout=1.0), secret_watch)  # type: ignore[operator]

    answer = asyncio.Event()

    async def slow(_request: HttpRequest) -> HttpReply:
        await answer.wait()  # until the sender has given up
        return HttpReply()

    async with (
        asyncio.timeout(30),
        Listener(relay.address(), relay.sas(), http_handler=slow, ssl_context=relay.ssl),
    ):
        with pytest.raises(ListenerTimeout) as info:
            await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
        answer.set()
    assert info.value.status == 504 and "60 s" in info.value.remedy


@pytest.mark.asyncio
async def test_connect_method_is_refused_before_sending(relay: RelaySetup) -> None:
    with pytest.raises(InvalidInput):
        await http_request(relay.address(), relay.sas(), "CONNECT", ssl_context=relay.ssl)


@pytest.mark.asyncio
async def test_body_over_the_listeners_limit_is_refused_on_both_sides(
    make_emulator: object, secret_watch: set[str]
) -> None:
    """The sender gets a typed 413 with a remedy at once; the listener reports it (§7.4)."""
    from relaydesk.relay.options import ListenerOptions
    from tests.relay.conftest import setup_for

    relay = setup_for(await make_emulator(http_response_timeout=120.0), secret_watch)  # type: ignore[operator]
    listener = Listener(
        relay.address(),
        relay.sas(),
        http_handler=echo_handler(),
        ssl_context=relay.ssl,
        options=ListenerOptions(max_message_size=100_000),
    )
    async with asyncio.timeout(30):
        async with listener:
            with pytest.raises(PayloadTooLarge) as info:
                await http_request(
                    relay.address(), relay.sas(), "POST", body=BIG, ssl_context=relay.ssl
                )
            # Still serving: a body within the limit goes through.
            small = await http_request(
                relay.address(), relay.sas(), "POST", body=BIG[:70_000], ssl_context=relay.ssl
            )
        events = await events_of(listener)
    assert info.value.status == 413 and info.value.tracking_id
    assert "listener" in info.value.remedy and "smaller body" in info.value.remedy
    assert small.status == 200 and small.body == BIG[:70_000]
    errors = [e.error for e in events if isinstance(e, ErrorOccurred)]
    assert [e.kind for e in errors] == ["PayloadTooLarge"]
    assert "100000" in errors[0].message and errors[0].remedy


@pytest.mark.slow
@pytest.mark.asyncio
async def test_body_over_64_mib_is_refused_by_a_default_listener(
    make_emulator: object, secret_watch: set[str]
) -> None:
    """The real default: 64 MiB + 1 byte to a listener with default options → 413 at once."""
    from tests.relay.conftest import setup_for

    relay = setup_for(await make_emulator(http_response_timeout=120.0), secret_watch)  # type: ignore[operator]
    listener = Listener(
        relay.address(), relay.sas(), http_handler=echo_handler(), ssl_context=relay.ssl
    )

    async def first_error() -> ErrorOccurred:
        async for event in listener.events():
            if isinstance(event, ErrorOccurred):
                return event
        raise AssertionError("the listener reported no error")

    async with asyncio.timeout(60):
        async with listener:
            reported = asyncio.create_task(first_error())
            with pytest.raises(PayloadTooLarge) as info:
                body = bytes(64 * 1024 * 1024 + 1)
                await http_request(
                    relay.address(), relay.sas(), "POST", body=body, ssl_context=relay.ssl
                )
            error = (await reported).error  # the listener's side, once its socket closed
    assert "67108864" in str(info.value)
    assert error.kind == "PayloadTooLarge" and "67108864" in error.message


@pytest.mark.asyncio
async def test_a_body_over_a_mebibyte_streams_without_holding_the_loop(relay: RelaySetup) -> None:
    """aiohttp warns (ResourceWarning) when a large bytes body is written in one go."""
    import warnings

    body = os.urandom(3 * 1024 * 1024)
    listener = Listener(
        relay.address(), relay.sas(), http_handler=echo_handler(), ssl_context=relay.ssl
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        async with asyncio.timeout(60), listener:
            response = await http_request(
                relay.address(), relay.sas(), "POST", body=body, ssl_context=relay.ssl
            )
    assert response.status == 200 and response.body == body


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "options",
    [
        {"headers": {"X-Bytes": "\udcff"}},
        {"path_suffix": "caf\udce9"},
        {"query": "q=\udce9"},
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": math.nan},
        {"timeout": math.inf},
    ],
)
async def test_invalid_input_is_refused_before_sending(
    relay: RelaySetup, options: dict[str, Any]
) -> None:
    """Non-UTF-8 text (a lone surrogate) and timeouts that would mean "none" or overflow."""
    with pytest.raises(InvalidInput):
        await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl, **options)


@pytest.mark.asyncio
async def test_a_reason_and_headers_that_are_not_utf8_are_read_as_latin1(
    tmp_path: Path,
) -> None:
    """aiohttp hands them over with lone surrogates, which no output can print."""
    files = ensure_certificates(tmp_path)
    answer = b"HTTP/1.1 200 \xe7a va\r\nX-Name: caf\xe9\r\nContent-Length: 2\r\n\r\nhi"
    async with (
        asyncio.timeout(30),
        raw_answer_server(answer, ssl_context=server_ssl_context(files)) as url,
    ):
        address = HybridConnectionAddress.parse(url.replace("https://", "sb://") + "/demo")
        response = await http_request(
            address, AnonymousTokenProvider(), ssl_context=make_ssl_context(files.ca_file)
        )
    assert (response.status, response.reason, response.body) == (200, "ça va", b"hi")
    assert response.headers["X-Name"] == "café"
