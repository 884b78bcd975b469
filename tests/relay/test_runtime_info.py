"""RelayDesk's runtime-information client against the emulator (§11)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from relaydesk.errors import EntityNotFound, Forbidden, RelayUnreachable
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.relay.listener import Listener
from relaydesk.relay.runtime_info import get_runtime_info, runtime_info_url
from tests.relay.conftest import RelaySetup

pytestmark = pytest.mark.e2e


def test_url_is_the_sdk_one() -> None:
    address = HybridConnectionAddress.parse("sb://contoso.servicebus.windows.net/a/b")
    assert runtime_info_url(address) == (
        "https://contoso.servicebus.windows.net/a/b?api-version=2016-07"
    )


@pytest.mark.asyncio
async def test_counts_relaydesk_listeners_with_sas_and_entra(relay: RelaySetup) -> None:
    counts = []
    listeners = []
    async with asyncio.timeout(30):
        for provider in (relay.sas("listen-only"), relay.entra("sender"), relay.sas()):
            info = await get_runtime_info(relay.address(), provider, ssl_context=relay.ssl)
            counts.append(info.listener_count)
            if len(listeners) < 2:
                listener = Listener(relay.address(), relay.sas(), ssl_context=relay.ssl)
                await listener.start()
                listeners.append(listener)
        for listener in listeners:
            await listener.stop()
    assert counts == [0, 1, 2]


@pytest.mark.asyncio
async def test_unknown_entity_raises_entity_not_found(relay: RelaySetup) -> None:
    with pytest.raises(EntityNotFound, match="nope"):
        await get_runtime_info(
            relay.address("nope"), relay.sas(entity="nope"), ssl_context=relay.ssl
        )


@pytest.mark.asyncio
async def test_no_role_is_forbidden_with_tracking_id(relay: RelaySetup) -> None:
    with pytest.raises(Forbidden) as caught:
        await get_runtime_info(relay.address(), relay.entra("outsider"), ssl_context=relay.ssl)
    assert caught.value.tracking_id


@pytest.mark.asyncio
async def test_closed_port_is_unreachable(relay: RelaySetup) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = HybridConnectionAddress.parse(f"sb://127.0.0.1:{port}/demo")
    with pytest.raises(RelayUnreachable):
        await get_runtime_info(address, relay.sas(), ssl_context=relay.ssl)
