"""``relaydesk connect-port``: a plain HTTP client → local port → relay → forwarding listener."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import aiohttp
import pytest

from relaydesk.cli import main
from tests.cli.conftest import (
    CliOutput,
    World,
    assert_no_secret,
    drive_then_interrupt,
    json_records,
)
from tests.local_app import closed_port, local_app

pytestmark = pytest.mark.e2e


async def _forwarding_listener(world: World, base: str) -> Any:
    from relaydesk.auth.sas_provider import SasTokenProvider
    from relaydesk.protocol.address import HybridConnectionAddress
    from relaydesk.relay.forwarding import Forwarder, ForwardOptions
    from relaydesk.relay.listener import Listener
    from relaydesk.relay.tls import make_ssl_context
    from relaydesk.secrets import Secret

    rule = world.rule("listen-only")
    address = HybridConnectionAddress.parse(world.address())
    forwarder = Forwarder(ForwardOptions(http_url=base), entity_path="demo")
    listener = Listener(
        address,
        SasTokenProvider(address, rule["name"], Secret(rule["key"])),
        http_handler=forwarder,
        policy=forwarder.accept_policy,
        connection_handler=forwarder.connection_handler,
        ssl_context=make_ssl_context(world.info["ca_file"]),
    )
    return listener, forwarder


async def _get_when_up(
    output: CliOutput, client: aiohttp.ClientSession, url: str
) -> tuple[int, bytes, Any]:
    """GET ``url`` once the command says its port is open."""
    await asyncio.to_thread(output.wait_for_event, "port")
    async with client.get(url) as response:
        return response.status, await response.read(), response.headers.copy()


@pytest.mark.usefixtures("secret_env")
def test_connect_port_tunnels_a_plain_client_to_the_local_app(
    world: World, capsys: pytest.CaptureFixture[str], cli_output: CliOutput
) -> None:
    port = closed_port()

    async def driver() -> tuple[Any, ...]:
        async with local_app() as base, aiohttp.ClientSession() as client:
            listener, forwarder = await _forwarding_listener(world, base)
            async with listener:
                status, body, headers = await _get_when_up(
                    cli_output, client, f"http://127.0.0.1:{port}/download?size=200000"
                )
                async with client.ws_connect(f"http://127.0.0.1:{port}/ws/echo") as ws:
                    await ws.send_str("via the port")
                    echoed = (await ws.receive()).data
            await forwarder.close()
            down = await client.get(f"http://127.0.0.1:{port}/")
            return status, body, headers, echoed, down.status, await down.text()

    thread, result = drive_then_interrupt(driver)
    code = main(
        ["connect-port", world.address(), "--port", str(port), "--json", *world.entra_args()]
    )
    result["returned"].set()
    thread.join(30)
    captured = capsys.readouterr()
    assert "error" not in result, result
    status, body, headers, echoed, down_status, down_text = result["value"]
    assert status == 200 and hashlib.sha256(body).hexdigest() == headers["X-Sha256"]
    assert echoed == "via the port"
    assert down_status == 502 and down_text.startswith("RelayDesk")
    assert code == 0
    records = json_records(captured.out)
    assert records[0] == {
        "event": "port",
        "url": f"http://127.0.0.1:{port}",
        "address": world.address(),
    }
    assert any(r["event"] == "request" and r["status"] == 200 for r in records)
    assert any(r["event"] == "error" and r["kind"] == "NoListener" for r in records)
    assert_no_secret(world, captured.out, captured.err)


@pytest.mark.usefixtures("secret_env")
def test_a_non_loopback_bind_warns_and_a_bad_port_is_one_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # 192.0.2.1 (TEST-NET-1) is not on this machine: the warning, then a clear error.
    args = ["connect-port", world.address(), "--bind", "192.0.2.1", "--port", "0"]
    assert main([*args, *world.entra_args()]) == 2
    err = capsys.readouterr().err
    assert "warning" in err and "not loopback" in err
    assert "cannot listen on 192.0.2.1" in err and "Traceback" not in err

    assert main(["connect-port", world.address(), "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--port" in err
