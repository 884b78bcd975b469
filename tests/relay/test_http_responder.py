"""Listener-side HTTP (§7.2–7.4): deadline, framing under concurrency."""

from __future__ import annotations

import asyncio
import os

import pytest

from relaydesk.relay.http_responder import HOP_BY_HOP
from relaydesk.relay.http_sender import http_request
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.policies import HttpReply, HttpRequest, echo_handler
from tests.relay.conftest import RelaySetup

pytestmark = pytest.mark.e2e


@pytest.mark.asyncio
async def test_slow_handler_gets_503_before_the_relay_deadline(relay: RelaySetup) -> None:
    async def slow(_request: HttpRequest) -> HttpReply:
        await asyncio.Event().wait()  # never answers: the listener's own deadline must
        return HttpReply()

    listener = Listener(
        relay.address(),
        relay.sas(),
        http_handler=slow,
        ssl_context=relay.ssl,
        options=ListenerOptions(http_timeout=1.0),
    )
    async with asyncio.timeout(30), listener:
        response = await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
    assert response.status == 503


@pytest.mark.asyncio
async def test_concurrent_inline_responses_never_interleave(relay: RelaySetup) -> None:
    """Many bodies answered at once on one control channel (§4.4 send lock)."""
    bodies = [os.urandom(30_000 + i) for i in range(30)]
    listener = Listener(
        relay.address(), relay.sas(), http_handler=echo_handler(), ssl_context=relay.ssl
    )
    async with asyncio.timeout(60), listener:
        provider = relay.sas()
        responses = await asyncio.gather(
            *(
                http_request(relay.address(), provider, "POST", body=b, ssl_context=relay.ssl)
                for b in bodies
            )
        )
    assert [r.body for r in responses] == bodies


@pytest.mark.asyncio
async def test_handler_headers_reach_the_sender_without_hop_by_hop_ones(relay: RelaySetup) -> None:
    async def handler(_request: HttpRequest) -> HttpReply:
        return HttpReply(headers={"Transfer-Encoding": "gzip", "X-Kept": "yes"}, body=b"ok")

    async with (
        asyncio.timeout(30),
        Listener(relay.address(), relay.sas(), http_handler=handler, ssl_context=relay.ssl),
    ):
        response = await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl)
    assert response.headers["X-Kept"] == "yes" and response.body == b"ok"
    # A forwarded "Transfer-Encoding: gzip" would corrupt the sender's framing.
    assert "gzip" not in response.headers.get("Transfer-Encoding", "")
    assert "transfer-encoding" in HOP_BY_HOP
