"""Emulator composition: ready info, binding rules, shutdown, logging hygiene."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from websockets.exceptions import ConnectionClosed

from relaydesk.emulator import Emulator, EmulatorOptions
from relaydesk.errors import EmulatorError
from tests.emulator.conftest import RelayKit, kit_for
from tests.emulator.test_hc_endpoint import echo_once
from tests.emulator.test_http_sender import Recorder, auth
from tests.emulator_log import EmulatorLog

pytestmark = pytest.mark.e2e

READY_KEYS = {
    "namespace",
    "ca_file",
    "authority",
    "tenant_id",
    "hybrid_connections",
    "identities",
    "sas_rules",
    "users",
    "token_lifetime",
    "admin_url",
    "admin_key",
}


def _is_file(path: str) -> bool:
    return Path(path).is_file()


@pytest.mark.asyncio
async def test_ready_info(kit: RelayKit) -> None:
    emulator = kit.emulator
    info = emulator.ready_info()
    assert set(info) == READY_KEYS
    assert info["namespace"] == f"127.0.0.1:{emulator.port}" == emulator.namespace
    assert emulator.port > 0
    assert _is_file(info["ca_file"]) and Path(info["ca_file"]) == emulator.ca_file
    assert info["authority"] == f"https://127.0.0.1:{emulator.port}/{info['tenant_id']}"
    assert info["tenant_id"] == emulator.tenant_id == emulator.world.tenant_id
    hcs = {hc["name"]: hc["requires_client_authorization"] for hc in info["hybrid_connections"]}
    assert hcs == {"demo": True, "open": False}
    identities = {i["name"]: i for i in info["identities"]}
    assert set(identities) == {"owner", "listener", "sender", "outsider"}
    assert identities["listener"]["roles"] == [{"role": "Azure Relay Listener", "scope": "/demo"}]
    assert identities["owner"]["client_secret"]
    users = {u["name"]: u for u in info["users"]}
    assert set(users) == {"listener-user", "sender-user", "no-role-user"}
    assert users["sender-user"]["upn"] == "sender-user@relaydesk.localhost"
    assert users["sender-user"]["roles"] == [{"role": "Azure Relay Sender", "scope": "/demo"}]
    assert users["no-role-user"]["roles"] == [] and users["no-role-user"]["password"]
    rules = {r["name"]: r for r in info["sas_rules"]}
    assert rules["RootManageSharedAccessKey"]["rights"] == ["Listen", "Manage", "Send"]
    assert rules["listen-only"] == {
        "name": "listen-only",
        "key": kit.key("listen-only"),
        "rights": ["Listen"],
        "scope": "/demo",
    }
    assert info["admin_url"] == f"https://127.0.0.1:{emulator.port}/$admin"
    assert info["admin_key"] == emulator.admin_key and len(info["admin_key"]) >= 24
    json.dumps(info)  # serialisable as the ready line


@pytest.mark.asyncio
async def test_entra_discovery_is_served_on_the_same_port(kit: RelayKit) -> None:
    path = f"/{kit.emulator.tenant_id}/v2.0/.well-known/openid-configuration"
    result = await kit.http("GET", path)
    assert result.status == 200
    assert result.json()["token_endpoint"].startswith(f"https://{kit.ns}/")


@pytest.mark.asyncio
async def test_options_are_checked(tmp_path: Path) -> None:
    bad: list[dict[str, Any]] = [
        {"host": "10.1.2.3"},
        {"host": "0.0.0.0"},
        {"port": 70000},
        {"http_response_timeout": 0},
        {"token_expiry_grace": -1},
        {"token_expiry_grace": float("nan")},
        {"token_lifetime": float("inf")},
        {"token_lifetime": 0.5},
        {"token_leeway": -1},
        {"token_leeway": float("inf")},
        {"rendezvous_timeout": float("nan")},
        {"max_listeners": 0},
    ]
    for options in bad:
        with pytest.raises(EmulatorError):
            await Emulator(EmulatorOptions(data_dir=tmp_path, **options)).start()


@pytest.mark.asyncio
async def test_non_loopback_needs_opt_in_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relaydesk.emulator")
    options = EmulatorOptions(host="0.0.0.0", data_dir=tmp_path, allow_non_loopback=True)
    async with Emulator(options) as emulator:
        assert emulator.namespace == f"0.0.0.0:{emulator.port}"
    assert any(
        r.levelno == logging.WARNING and "non-loopback" in r.getMessage() for r in caplog.records
    )


@pytest.mark.asyncio
async def test_port_in_use_is_an_emulator_error(kit: RelayKit, tmp_path: Path) -> None:
    with pytest.raises(EmulatorError):
        await Emulator(EmulatorOptions(port=kit.emulator.port, data_dir=tmp_path)).start()


@pytest.mark.asyncio
async def test_not_running_is_an_emulator_error(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorOptions(data_dir=tmp_path))
    with pytest.raises(EmulatorError):
        emulator.ready_info()
    await emulator.stop()  # stopping a stopped emulator is harmless


@pytest.mark.asyncio
async def test_stop_sends_going_away_everywhere(make_emulator: Any) -> None:
    emulator = await make_emulator()
    kit = kit_for(emulator)
    async with asyncio.timeout(20):
        control = await kit.listen()
        rendezvous: list[Any] = []

        async def keep(kit: RelayKit, accept: dict[str, Any]) -> None:
            from websockets.asyncio.client import connect

            ws = await connect(accept["address"], ssl=kit.ssl)
            rendezvous.append(ws)

        await kit.serve(control, ws=keep)
        sender = await kit.connect()
        await emulator.stop()
        for ws in (sender, control, *rendezvous):
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            assert info.value.rcvd is not None and info.value.rcvd.code == 1001
    await kit.close()


@pytest.mark.asyncio
async def test_data_dir_keeps_secrets_and_ca(tmp_path: Path) -> None:
    options = EmulatorOptions(data_dir=tmp_path / "d")
    async with Emulator(options) as first:
        info1 = first.ready_info()
    async with Emulator(options) as second:
        info2 = second.ready_info()
    for key in ("tenant_id", "ca_file", "identities", "sas_rules"):
        assert info1[key] == info2[key]
    assert info1["admin_key"] != info2["admin_key"]  # per run


@pytest.mark.asyncio
async def test_logs_never_contain_secrets(
    kit: RelayKit, caplog: pytest.LogCaptureFixture, emulator_log: EmulatorLog
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [r.primary_key for r in kit.emulator.world.sas_rules.values()]
    secrets += [i.client_secret for i in kit.emulator.world.identities.values()]
    secrets.append(kit.emulator.admin_key)
    async with asyncio.timeout(30):
        sas = kit.sas()
        entra = await kit.entra_token("listener")
        tokens = [sas, sas.split("sig=")[1].split("&")[0], entra]
        async with await kit.listen(token=entra) as control:
            await kit.serve(control, http=Recorder())
            await echo_once(kit, token=sas)
            await kit.http("POST", "/demo?sb-hc-token=" + quote(sas, safe=""), data=b"x")
            await kit.http("POST", "/demo", data=b"x", headers=auth(kit))
            await control.send(json.dumps({"renewToken": {"token": kit.sas(key="wrong")}}))
            await emulator_log.wait_for("renewToken rejected")
        await kit.admin("set-response-delay", {"seconds": None})
    # Only the emulator's own records: client libraries log frames at DEBUG.
    text = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("relaydesk")
    )
    assert "listener attached" in text and "http request relayed" in text
    for secret in [*secrets, *tokens]:
        assert secret not in text


def _ipv6_available() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.asyncio
@pytest.mark.skipif(not _ipv6_available(), reason="no IPv6 loopback")
async def test_ipv6_loopback(make_emulator: Any) -> None:
    emulator = await make_emulator(host="::1")
    assert emulator.namespace == f"[::1]:{emulator.port}"
    assert emulator.authority.startswith(f"https://[::1]:{emulator.port}/")
    kit = kit_for(emulator)
    async with asyncio.timeout(20), await kit.listen() as control:
        await kit.serve(control)
        await echo_once(kit)
    await kit.close()


def _open_server_sockets(port: int) -> list[asyncio.Transport]:
    """The emulator's socket transports (server side of ``port``) not yet closing."""
    import gc

    found = []
    for obj in gc.get_objects():
        # type(), not isinstance(): a dead weak proxy raises on any attribute access
        if issubclass(type(obj), asyncio.Transport) and not obj.is_closing():
            sockname = obj.get_extra_info("sockname")
            peername = obj.get_extra_info("peername")
            if sockname and peername and sockname[1] == port:
                found.append(obj)
    return found


@pytest.mark.asyncio
async def test_stop_drops_idle_keep_alive_connections_of_silent_clients(
    make_emulator: Any,
) -> None:
    """A pooled client that never reads (requests under MSAL) cannot hold a socket open."""
    emulator = await make_emulator()
    kit = kit_for(emulator)
    port = emulator.port
    path = f"/{emulator.tenant_id}/v2.0/.well-known/openid-configuration"
    async with asyncio.timeout(20):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=kit.ssl)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {kit.ns}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert _open_server_sockets(port)  # the idle keep-alive connection
        await emulator.stop()  # the client does not read its close_notify
        assert _open_server_sockets(port) == []
    writer.transport.abort()
    await kit.close()
