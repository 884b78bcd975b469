"""``relaydesk request`` in-process against the real emulator (TLS on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from relaydesk.cli import main
from relaydesk.relay.policies import HttpReply, HttpRequest, echo_handler, fixed_response
from tests.cli.conftest import SENDER_SECRET_ENV, World, assert_no_secret

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("secret_env")]


def _args(world: World) -> list[str]:
    return [
        "--ca-file",
        str(world.info["ca_file"]),
        "--authority-host",
        str(world.info["authority"]),
        "--client-id",
        world.identity("sender")["client_id"],
        "--client-secret-env",
        SENDER_SECRET_ENV,
    ]


def test_post_gets_the_listener_response_as_one_json_object(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[HttpRequest] = []
    echo = echo_handler()

    async def handler(request: HttpRequest) -> HttpReply:
        seen.append(request)
        return await echo(request)

    with background_listener(http_handler=handler):
        code = main(
            [
                "request",
                world.address(),
                "--data",
                "ping",
                "--header",
                "Content-Type: text/x",
                "--header",
                "X-Test:1",
                "--path",
                "sub/x",
                "--json",
                *_args(world),
            ]
        )
    captured = capsys.readouterr()
    assert code == 0, captured
    lines = captured.out.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "response"
    assert record["status"] == 200
    assert record["text"] == "ping"
    assert record["headers"]["Content-Type"] == "text/x"
    assert seen[0].method == "POST"
    assert seen[0].target.startswith("/demo/sub/x")
    assert seen[0].headers.get("X-Test") == "1"
    assert_no_secret(world, captured.out, captured.err)


def test_human_output_has_status_headers_and_body(
    world: World,
    background_listener: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    body = tmp_path / "body.txt"
    body.write_text("from a file")
    with background_listener(http_handler=echo_handler()):
        code = main(["request", world.address(), "--data-file", str(body), *_args(world)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("HTTP 200")
    assert out.rstrip().endswith("\n\nfrom a file")


def test_a_non_2xx_listener_answer_exits_6(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with background_listener(http_handler=fixed_response(503, body=b"busy")):
        code = main(["request", world.address(), "--json", *_args(world)])
    record = json.loads(capsys.readouterr().out)
    assert code == 6
    assert (record["status"], record["text"], record["method"]) == (503, "busy", "GET")


def test_no_listener_is_502_with_the_remedy(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["request", world.address(), "--data", "x", "--json", *_args(world)])
    record = json.loads(capsys.readouterr().out)
    assert code == 4
    assert record["event"] == "error"
    assert (record["kind"], record["status"]) == ("NoListener", 502)
    assert record["remedy"] == "Start a listener on this hybrid connection, then try again."
    assert record["tracking_id"]


def test_bad_header_and_missing_file_are_usage_errors(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["request", world.address(), "--header", "nocolon", *_args(world)]) == 2
    missing = str(tmp_path / "missing")
    assert main(["request", world.address(), "--data-file", missing, *_args(world)]) == 2
    err = capsys.readouterr().err
    assert "expected NAME:VALUE" in err and "cannot read" in err


def test_anonymous_request_to_a_protected_hc_explains_the_401(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with background_listener(http_handler=echo_handler()):
        code = main(
            [
                "request",
                world.address(),
                "--sender-anonymous",
                "--ca-file",
                str(world.info["ca_file"]),
            ]
        )
    err = capsys.readouterr().err
    assert code == 3
    assert "HTTP 401" in err and "instead of sending anonymously" in err
