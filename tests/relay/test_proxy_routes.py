"""Every connection through a real proxy (tinyproxy on 127.0.0.1), and each proxy error.

The emulator and the proxy both sit on loopback, so nothing here relies on
"no proxy for localhost": the proxy's own log must show a ``CONNECT`` for
every connection (control channel, sender, rendezvous, HTTP, runtime info,
the Entra authority).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from relaydesk.auth.entra_provider import EntraTokenProvider
from relaydesk.errors import ProxyAuthRequired, ProxyRefused, ProxyTlsFailed, ProxyUnreachable
from relaydesk.proxy import ProxySettings
from relaydesk.relay.http_sender import http_request
from relaydesk.relay.listener import Listener
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.policies import echo_handler
from relaydesk.relay.runtime_info import get_runtime_info
from relaydesk.relay.sender import connect
from relaydesk.relay.tls import make_ssl_context
from relaydesk.secrets import Secret
from tests.relay.conftest import RelaySetup
from tests.socks_proxy import Dante
from tests.tinyproxy import Tinyproxy, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")

MakeProxy = Callable[..., Tinyproxy]


def _entra(relay: RelaySetup, identity: str, proxy: ProxySettings | None) -> EntraTokenProvider:
    ident = relay.emulator.world.identities[identity]
    return EntraTokenProvider(
        relay.emulator.tenant_id,
        ident.client_id,
        Secret(ident.client_secret),
        authority_host=f"https://{relay.emulator.namespace}",
        ca_file=relay.emulator.ca_file,
        proxy=proxy,
    )


async def _round_trip(relay: RelaySetup, proxy: ProxySettings | None) -> None:
    """Listener (Entra), WebSocket sender, HTTP request and runtime info, all via ``proxy``."""
    listener_tokens = _entra(relay, "listener", proxy)
    sender_tokens = _entra(relay, "sender", proxy)
    listener = Listener(
        relay.address(),
        listener_tokens,
        http_handler=echo_handler(),
        ssl_context=relay.ssl,
        options=ListenerOptions(auto_echo=True, proxy=proxy),
    )
    try:
        async with asyncio.timeout(60), listener:
            info = await get_runtime_info(
                relay.address(), sender_tokens, ssl_context=relay.ssl, proxy=proxy
            )
            assert info.listener_count == 1
            connection = await connect(
                relay.address(), sender_tokens, ssl_context=relay.ssl, proxy=proxy
            )
            async with connection:
                await connection.send("through the proxy")
                assert await connection.receive() == "through the proxy"
            response = await http_request(
                relay.address(),
                sender_tokens,
                "POST",
                body=b"x" * 70_000,  # > 64 KiB: the listener answers over a rendezvous (§7.2)
                ssl_context=relay.ssl,
                proxy=proxy,
            )
            assert response.status == 200 and len(response.body) == 70_000
    finally:
        listener_tokens.close()
        sender_tokens.close()


def _emulator_port(relay: RelaySetup) -> int:
    return int(relay.emulator.namespace.rsplit(":", 1)[1])


async def test_everything_goes_through_an_explicit_proxy(
    relay: RelaySetup, make_tinyproxy: MakeProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    port = _emulator_port(relay)
    proxy = make_tinyproxy([port])
    await _round_trip(relay, ProxySettings.explicit(proxy.url))
    target = f"127.0.0.1:{port}"
    connects = proxy.connects()
    assert set(connects) == {target}
    # control channel, token (x2 identities: discovery + token each may reuse
    # one connection), runtime info, sender, HTTP request, rendezvous sockets
    assert len(connects) >= 6, connects


async def test_basic_authentication_with_the_password_from_a_secret(
    relay: RelaySetup, make_tinyproxy: MakeProxy
) -> None:
    proxy = make_tinyproxy([_emulator_port(relay)], user="alice", password="pr0xy-pass")
    settings = ProxySettings.explicit(proxy.url, username="alice", password=Secret("pr0xy-pass"))
    await _round_trip(relay, settings)
    assert len(proxy.connects()) >= 6
    assert "pr0xy-pass" not in repr(settings) + settings.describe()


async def test_system_mode_follows_https_proxy_and_no_proxy(
    relay: RelaySetup, make_tinyproxy: MakeProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    proxy = make_tinyproxy([_emulator_port(relay)])
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    await _round_trip(relay, None)  # None = system mode
    seen = len(proxy.connects())
    assert seen >= 6
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    await _round_trip(relay, ProxySettings())
    assert len(proxy.connects()) == seen  # NO_PROXY exempted the emulator


async def test_missing_or_wrong_credentials_are_407(
    relay: RelaySetup, make_tinyproxy: MakeProxy
) -> None:
    proxy = make_tinyproxy([_emulator_port(relay)], user="alice", password="right")
    for settings in (
        ProxySettings.explicit(proxy.url),
        ProxySettings.explicit(proxy.url, username="alice", password=Secret("wrong")),
    ):
        with pytest.raises(ProxyAuthRequired) as ws_error:
            await connect(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=settings)
        with pytest.raises(ProxyAuthRequired):
            await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=settings)
        tokens = _entra(relay, "sender", settings)
        try:
            with pytest.raises(ProxyAuthRequired):
                await tokens.get_token()
        finally:
            tokens.close()
        assert (
            "407" in str(ws_error.value) or "401" in str(ws_error.value)
        ) and ws_error.value.remedy
        assert "wrong" not in str(ws_error.value)


async def test_a_proxy_that_refuses_the_host_is_not_mistaken_for_azure(
    relay: RelaySetup, make_tinyproxy: MakeProxy
) -> None:
    proxy = make_tinyproxy([443])  # the emulator's port is not allowed: 403
    settings = ProxySettings.explicit(proxy.url)
    with pytest.raises(ProxyRefused) as ws_error:
        await connect(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=settings)
    assert ws_error.value.status == 403
    assert "TrackingId:" not in str(ws_error.value) and "not Azure's" in str(ws_error.value)
    with pytest.raises(ProxyRefused):
        await get_runtime_info(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=settings)
    tokens = _entra(relay, "sender", settings)
    try:
        with pytest.raises(ProxyRefused):
            await tokens.get_token()
    finally:
        tokens.close()


async def test_an_unreachable_proxy(relay: RelaySetup) -> None:
    settings = ProxySettings.explicit(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProxyUnreachable) as ws_error:
        await connect(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=settings)
    assert "proxy" in ws_error.value.remedy.lower()
    with pytest.raises(ProxyUnreachable):
        await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=settings)
    tokens = _entra(relay, "sender", settings)
    try:
        with pytest.raises(ProxyUnreachable):
            await tokens.get_token()
    finally:
        tokens.close()


async def test_tls_failure_inside_the_tunnel_suggests_tls_inspection(
    relay: RelaySetup, make_tinyproxy: MakeProxy
) -> None:
    proxy = make_tinyproxy([_emulator_port(relay)])
    settings = ProxySettings.explicit(proxy.url)
    untrusting = make_ssl_context(None)  # system CAs only: the emulator's CA is unknown
    with pytest.raises(ProxyTlsFailed) as ws_error:
        await connect(relay.address(), relay.sas(), ssl_context=untrusting, proxy=settings)
    assert "TLS inspection" in ws_error.value.remedy
    with pytest.raises(ProxyTlsFailed):
        await http_request(relay.address(), relay.sas(), ssl_context=untrusting, proxy=settings)
    assert proxy.connects()  # the tunnel was open: TLS failed inside it


async def test_everything_goes_through_a_socks5_proxy(
    relay: RelaySetup, make_dante: Callable[..., Dante]
) -> None:
    port = _emulator_port(relay)
    proxy = make_dante([port])
    await _round_trip(relay, ProxySettings.explicit(proxy.url))
    connects = proxy.connects()
    assert set(connects) == {f"127.0.0.1:{port}"}
    assert len(connects) >= 6, connects


async def test_a_socks5_proxy_that_refuses_or_is_down(
    relay: RelaySetup, make_dante: Callable[..., Dante]
) -> None:
    refusing = ProxySettings.explicit(make_dante([443]).url)  # not the emulator's port
    with pytest.raises(ProxyRefused, match="SOCKS"):
        await connect(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=refusing)
    with pytest.raises(ProxyRefused):
        await http_request(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=refusing)
    tokens = _entra(relay, "sender", refusing)
    try:
        with pytest.raises(ProxyRefused):
            await tokens.get_token()
    finally:
        tokens.close()
    down = ProxySettings.explicit(f"socks5://127.0.0.1:{free_port()}")
    with pytest.raises(ProxyUnreachable):
        await connect(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=down)
    with pytest.raises(ProxyUnreachable):
        await get_runtime_info(relay.address(), relay.sas(), ssl_context=relay.ssl, proxy=down)
