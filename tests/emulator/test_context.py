"""Tests for relaydesk.emulator.context: the relay needs nothing but a
:class:`RelayContext`. A context made of a small catalogue and authorizer
written here (not the world's) drives the real relay handlers over TLS on
loopback, which shows the structural contract (``EntityCatalog``,
``TokenAuthorizer``, ``Principal``) is all the relay relies on."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from relaydesk.emulator import EmulatorOptions
from relaydesk.emulator.certs import client_ssl_context, ensure_certificates, server_ssl_context
from relaydesk.emulator.context import (
    LISTEN,
    SEND,
    HybridConnectionInfo,
    RelayContext,
    RelaySettings,
)
from relaydesk.emulator.hc_endpoint import Relay
from relaydesk.emulator.world import Right
from relaydesk.errors import TokenRejected
from relaydesk.protocol.runtime_info import parse_runtime_info
from tests.emulator.conftest import send_response

pytestmark = pytest.mark.e2e

CREATED = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def test_relay_settings_default_to_the_emulators_options() -> None:
    """One set of defaults: the service's timings and limits (§8)."""
    settings, options = RelaySettings(), EmulatorOptions()
    for name in ("rendezvous_timeout", "http_response_timeout", "max_listeners"):
        assert getattr(settings, name) == getattr(options, name), name
    assert settings.token_expiry_grace == options.token_expiry_grace == 0.0
    assert settings.response_delay is None
    assert (settings.rendezvous_timeout, settings.http_response_timeout) == (30.0, 60.0)
    assert settings.max_listeners == 25


def test_rights_are_the_worlds() -> None:
    assert (LISTEN, SEND) == (Right.LISTEN, Right.SEND)


def test_hybrid_connection_info_is_immutable() -> None:
    info = HybridConnectionInfo("demo", requires_client_authorization=True)
    assert info.user_metadata is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "other"  # type: ignore[misc]


@dataclass
class Catalog:
    """Two nested entities: routing takes the longest registered prefix (§1)."""

    entities: dict[str, HybridConnectionInfo] = field(
        default_factory=lambda: {
            "team": HybridConnectionInfo("team", True),
            "team/api": HybridConnectionInfo("team/api", True, user_metadata="owned by tests"),
        }
    )

    def names(self) -> list[str]:
        return list(self.entities)

    def get(self, name: str) -> HybridConnectionInfo | None:
        return self.entities.get(name)


@dataclass(frozen=True)
class Grant:
    expires_at: float | None


@dataclass
class Authorizer:
    """Accepts two fixed strings; records every question it is asked."""

    asked: list[tuple[str | None, str, Right]] = field(default_factory=list)

    def authorize(self, token: str | None, entity: str, right: Right) -> Grant:
        self.asked.append((token, entity, right))
        grants = {"listen-please": Right.LISTEN, "send-please": Right.SEND}
        if token not in grants:
            raise TokenRejected(401, "NotOurs", f"this authorizer does not know {token!r}")
        if grants[token] is not right:
            raise TokenRejected(403, "NotThat", f"{token!r} does not grant {right.value}")
        return Grant(expires_at=None)


@dataclass
class Served:
    ctx: RelayContext
    authorizer: Authorizer
    client_ssl: ssl.SSLContext

    @property
    def ns(self) -> str:
        return self.ctx.namespace


@pytest_asyncio.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    """The relay of a hand-made context on 127.0.0.1 over TLS."""
    files = ensure_certificates(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    authorizer = Authorizer()
    ctx = RelayContext(
        settings=RelaySettings(rendezvous_timeout=5.0, http_response_timeout=5.0, max_listeners=1),
        catalog=Catalog(),
        authorizer=authorizer,
        logger=logging.getLogger("tests.emulator.context"),
        namespace=f"127.0.0.1:{sock.getsockname()[1]}",
        created_at=CREATED.timestamp(),
    )
    app = web.Application()
    relay = Relay(ctx)
    relay.add_routes(app)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    await web.SockSite(runner, sock, ssl_context=server_ssl_context(files)).start()
    try:
        yield Served(ctx, authorizer, client_ssl_context(files.ca_file))
    finally:
        await relay.close_all()
        await runner.cleanup()


async def http(
    served: Served, method: str, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, f"https://{served.ns}{path}", headers=headers, ssl=served.client_ssl
        ) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def listen_url(served: Served, entity: str) -> str:
    return f"wss://{served.ns}/$hc/{entity}?sb-hc-action=listen&sb-hc-id=ctx"


@pytest.mark.asyncio
async def test_the_relay_asks_the_contexts_authorizer_and_routes_by_its_catalog(
    served: Served,
) -> None:
    auth = {"ServiceBusAuthorization": "listen-please"}
    async with (
        asyncio.timeout(20),
        connect(
            listen_url(served, "team/api"), ssl=served.client_ssl, additional_headers=auth
        ) as control,
    ):
        assert [c.listener_id for c in served.ctx.hub.listeners("team/api")] == ["ctx"]
        sending = asyncio.ensure_future(
            http(served, "GET", "/team/api/x?y=1", {"ServiceBusAuthorization": "send-please"})
        )
        request = json.loads(await control.recv())["request"]
        assert request["requestTarget"] == "/team/api/x?y=1"
        assert request["address"].startswith(f"wss://{served.ns}/$hc/team/api/x?y=1&")
        await send_response(control, request["id"], 200, b"through a context")
        status, headers, body = await sending
    assert (status, body) == (200, b"through a context")
    assert headers["Via"] == f"1.1 {served.ns}"
    assert served.authorizer.asked == [
        ("listen-please", "team/api", Right.LISTEN),
        ("send-please", "team/api", Right.SEND),
    ]


@pytest.mark.asyncio
async def test_the_authorizers_refusal_reaches_the_client_unchanged(served: Served) -> None:
    async with asyncio.timeout(20):
        status, _, body = await http(served, "GET", "/team", {"ServiceBusAuthorization": "x"})
    error = json.loads(body)["error"]
    assert (status, error["code"]) == (401, "NotOurs")
    assert error["message"].startswith("this authorizer does not know 'x'")
    assert f"SystemTracker:sb://{served.ns}/team," in error["message"]


@pytest.mark.asyncio
async def test_a_path_below_an_entity_that_is_not_registered_goes_to_its_parent(
    served: Served,
) -> None:
    async with asyncio.timeout(20):
        status, _, body = await http(
            served, "GET", "/team/other", {"ServiceBusAuthorization": "send-please"}
        )
    assert (status, json.loads(body)["error"]["code"]) == (502, "NoListener")
    assert served.authorizer.asked == [("send-please", "team", Right.SEND)]


@pytest.mark.asyncio
async def test_the_contexts_settings_bound_the_listeners(served: Served) -> None:
    auth = {"ServiceBusAuthorization": "listen-please"}
    url = listen_url(served, "team")
    async with (
        asyncio.timeout(20),
        connect(url, ssl=served.client_ssl, additional_headers=auth),
    ):
        with pytest.raises(InvalidStatus) as info:
            await connect(url, ssl=served.client_ssl, additional_headers=auth)
        assert len(served.ctx.sockets) == 1  # the open control channel, not the refused one
    assert info.value.response.status_code == 403  # max_listeners=1


@pytest.mark.asyncio
async def test_runtime_info_reports_the_contexts_creation_time_and_metadata(
    served: Served,
) -> None:
    headers = {"Authorization": "send-please", "X-PROCESS-AT": "ServiceBus"}
    async with asyncio.timeout(20):
        status, response_headers, body = await http(
            served, "GET", "/team/api?api-version=2017-04", headers
        )
    info = parse_runtime_info(body, response_headers["Content-Type"])
    assert status == 200 and info is not None
    assert info.created_at == CREATED and info.updated_at == CREATED
    assert info.user_metadata == "owned by tests"
    assert info.listener_count == 0
