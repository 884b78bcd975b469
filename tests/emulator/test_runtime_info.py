"""The emulator's runtime-information GET (§11), with a plain aiohttp client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from websockets.asyncio.client import connect as websockets_connect

from relaydesk.emulator import Emulator
from relaydesk.protocol.runtime_info import (
    ENTRY_CONTENT_TYPE,
    FEED_CONTENT_TYPE,
    parse_runtime_info,
)
from tests.emulator.conftest import RelayKit, kit_for
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.asyncio

SDK_HEADERS = {"X-PROCESS-AT": "ServiceBus"}


async def runtime_get(
    kit: RelayKit, path: str, token: str | None, headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    all_headers = dict(SDK_HEADERS if headers is None else headers)
    if token:
        all_headers["Authorization"] = token
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"https://{kit.ns}/{path}?api-version=2016-07", headers=all_headers, ssl=kit.ssl
        ) as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.read()


async def test_listener_count_follows_the_control_channels(
    kit: RelayKit, emulator_log: EmulatorLog
) -> None:
    counts = []
    opened = []
    for _ in range(3):
        status, content_type, body = await runtime_get(kit, "demo", kit.sas())
        assert (status, content_type) == (200, ENTRY_CONTENT_TYPE)
        info = parse_runtime_info(body, content_type)
        assert info is not None and info.requires_client_authorization
        counts.append(info.listener_count)
        if len(opened) < 2:
            opened.append(await kit.listen())
    assert counts == [0, 1, 2]
    # The emulator detaches a closed channel just after its close reply.
    await opened[0].close()
    await emulator_log.wait_for("listener detached")
    assert await listener_count(kit) == 1
    await opened[1].close()
    await emulator_log.wait_for("listener detached", count=2)
    assert await listener_count(kit) == 0


async def listener_count(kit: RelayKit) -> int:
    status, content_type, body = await runtime_get(kit, "demo", kit.sas())
    info = parse_runtime_info(body, content_type)
    assert status == 200 and info is not None
    return info.listener_count


async def test_entry_reports_metadata_flags_and_times(kit: RelayKit) -> None:
    status, content_type, body = await runtime_get(kit, "open", kit.sas(entity="open"))
    info = parse_runtime_info(body, content_type)
    assert status == 200 and info is not None
    assert info.requires_client_authorization is False
    assert info.created_at is not None and info.updated_at == info.created_at


async def test_unknown_path_is_an_atom_feed(kit: RelayKit) -> None:
    status, content_type, body = await runtime_get(kit, "nope", kit.sas(entity="nope"))
    assert (status, content_type) == (200, FEED_CONTENT_TYPE)
    assert body.startswith(b'<feed xmlns="http://www.w3.org/2005/Atom">')
    assert parse_runtime_info(body, content_type) is None


@pytest.mark.parametrize("entity", ["demo", "open"])
async def test_a_token_is_always_required(kit: RelayKit, entity: str) -> None:
    status, _, body = await runtime_get(kit, entity, None)
    assert status == 401
    assert b"TrackingId:" in body


async def test_listen_only_and_send_only_tokens_may_read(kit: RelayKit) -> None:
    for rule in ("listen-only", "send-only"):
        status, content_type, body = await runtime_get(kit, "demo", kit.sas(rule=rule))
        assert status == 200, body
        assert parse_runtime_info(body, content_type) is not None


async def test_an_entra_identity_without_a_role_is_forbidden(kit: RelayKit) -> None:
    status, _, body = await runtime_get(kit, "demo", await kit.entra_token("outsider"))
    assert status == 403
    assert b"TrackingId:" in body
    status, content_type, body = await runtime_get(kit, "demo", await kit.entra_token("sender"))
    assert status == 200 and parse_runtime_info(body, content_type) is not None


async def test_a_wrong_key_is_unauthorized(kit: RelayKit) -> None:
    status, _, _ = await runtime_get(kit, "demo", kit.sas(key="d3Jvbmc="))
    assert status == 401


async def test_without_the_sdk_header_a_get_goes_to_the_listener(kit: RelayKit) -> None:
    # No listener: an HTTP sender's GET gets the relay's 502, not runtime info (§7.1).
    status, _, _ = await runtime_get(kit, "demo", kit.sas(), headers={})
    assert status == 502


async def test_user_metadata_from_the_config_is_served(
    make_emulator: Callable[..., Awaitable[Emulator]], tmp_path: Path
) -> None:
    config = tmp_path / "world.toml"
    config.write_text(
        '[[hybrid_connections]]\nname = "demo"\nuser_metadata = "owned by <team A> & co"\n'
        '[[sas_rules]]\nname = "RootManageSharedAccessKey"\nrights = ["Manage", "Listen", "Send"]\n'
    )
    emulator = await make_emulator(config_file=config)
    kit = kit_for(emulator)
    status, content_type, body = await runtime_get(kit, "demo", kit.sas())
    info = parse_runtime_info(body, content_type)
    assert status == 200 and info is not None
    assert info.user_metadata == "owned by <team A> & co"


async def test_a_gateway_port_serves_the_rendezvous(
    make_emulator: Callable[..., Awaitable[Emulator]],
) -> None:
    emulator = await make_emulator(gateway_port=0)
    assert emulator.gateway_port not in (None, emulator.port)
    kit = kit_for(emulator)
    control = await kit.listen()
    sender = asyncio.ensure_future(kit.connect())
    accept = json.loads(await control.recv())["accept"]
    assert accept["address"].startswith(f"wss://127.0.0.1:{emulator.gateway_port}/$hc/demo?")
    rendezvous = await websockets_connect(accept["address"], ssl=kit.ssl)
    await (await sender).close()
    await rendezvous.close()
    await emulator.close_gateway()
    await control.close()
