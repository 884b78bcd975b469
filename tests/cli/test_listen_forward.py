"""``relaydesk listen --forward``: a local web app behind the hybrid connection."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from relaydesk.cli import main
from tests.cli.conftest import (
    CliOutput,
    World,
    assert_no_secret,
    drive_then_interrupt,
    json_records,
    sas_sender,
    until_listener,
)
from tests.local_app import closed_port, download_bytes, local_app
from tests.relay.test_har import check_har_1_2

pytestmark = pytest.mark.e2e


@pytest.mark.usefixtures("secret_env")
def test_listen_forwards_http_and_websockets_to_a_local_app(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path, cli_output: CliOutput
) -> None:
    from relaydesk.relay.http_sender import http_request
    from relaydesk.relay.sender import connect
    from relaydesk.relay.tls import make_ssl_context

    port = closed_port()

    async def driver() -> tuple[Any, ...]:
        address, tokens = await sas_sender(world)
        tls = make_ssl_context(world.info["ca_file"])
        async with local_app(port=port):
            download = await until_listener(
                cli_output,
                lambda: http_request(
                    address,
                    tokens,
                    path_suffix="/download",
                    query="size=300000",
                    ssl_context=tls,
                    timeout=20,
                ),
            )
            sender = await connect(address, tokens, path_suffix="/ws/echo", ssl_context=tls)
            async with sender:
                await sender.send("ping")
                echoed = await asyncio.wait_for(sender.receive(), 10)
        down = await http_request(address, tokens, path_suffix="/api", ssl_context=tls, timeout=20)
        return download, echoed, down

    thread, result = drive_then_interrupt(driver)
    code = main(
        [
            "listen",
            world.address(),
            "--forward",
            f"http://127.0.0.1:{port}",
            "--json",
            "--har",
            str(tmp_path / "capture.har"),
            *world.entra_args(sender=None),
        ]
    )
    result["returned"].set()
    thread.join(30)
    captured = capsys.readouterr()
    assert "error" not in result, result
    download, echoed, down = result["value"]
    assert download.body == download_bytes(300000)
    assert download.headers["X-Sha256"] == hashlib.sha256(download.body).hexdigest()
    assert echoed == "ping"
    assert down.status == 502 and down.body.startswith(b"RelayDesk")
    assert code == 0
    records = json_records(captured.out)
    online = next(r for r in records if r["event"] == "online")
    assert online["forward"] == f"http://127.0.0.1:{port}"
    response = next(r for r in records if r["event"] == "response" and r["status"] == 200)
    assert response["body_size"] == 300000 and "handler_ms" in response
    error = next(r for r in records if r["event"] == "error")
    assert error["kind"] == "ForwardingFailed" and error["status"] == 502
    assert_no_secret(world, captured.out, captured.err)
    har = json.loads((tmp_path / "capture.har").read_text())
    check_har_1_2(har)
    statuses = [entry["response"]["status"] for entry in har["log"]["entries"]]
    assert statuses == [200, 502]
    assert "wrote 2 requests" in captured.err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--forward", "ftp://127.0.0.1:1"], "--forward"),
        (["--forward", "http://127.0.0.1:1", "--echo"], "--echo"),
        (["--forward-ws", "ws://127.0.0.1:1"], "--forward-ws"),
        (["--forward", "http://127.0.0.1:1", "--forward-timeout", "61"], "--forward-timeout"),
        (["--forward", "http://127.0.0.1:1", "--max-in-flight", "0"], "--max-in-flight"),
        (["--har", "/no/such/folder/x.har"], "--har"),
    ],
)
def test_bad_forward_options_are_one_line_naming_the_option(
    world: World, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    assert main(["listen", world.address(), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "Traceback" not in err
    json.dumps(err)


def test_forward_insecure_warns_before_anything_else(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["listen", world.address(), "--forward", "https://127.0.0.1:1", "--forward-insecure"]
    assert main(args) == 2  # no credentials given: stops right after the warning
    err = capsys.readouterr().err
    assert "warning: --forward-insecure" in err and "not checked" in err
