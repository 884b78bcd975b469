"""``relaydesk listen``: in-process with SIGINT, and a subprocess smoke test.

In-process, the command runs in the main thread (its signal handlers need
it); a helper thread drives a real sender through the emulator, then sends
SIGINT to this process, which must stop the listener cleanly with exit 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from relaydesk.cli import event_loop, main
from tests.cli.conftest import (
    CliOutput,
    EmulatorThread,
    World,
    assert_no_secret,
    drive_then_interrupt,
    json_records,
    sas_sender,
    until_listener,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("secret_env")
def test_listen_echoes_reports_events_and_stops_on_sigint(
    world: World, capsys: pytest.CaptureFixture[str], cli_output: CliOutput
) -> None:
    from relaydesk.relay.http_sender import http_request
    from relaydesk.relay.sender import connect
    from relaydesk.relay.tls import make_ssl_context

    async def driver() -> tuple[Any, Any]:
        address, tokens = await sas_sender(world)
        ssl_context = make_ssl_context(world.info["ca_file"])
        sender = await until_listener(
            cli_output, lambda: connect(address, tokens, ssl_context=ssl_context)
        )
        async with sender:
            await sender.send("hello")
            echo = await asyncio.wait_for(sender.receive(), 10)
            await sender.send(b"\xff\x00")
            binary = await asyncio.wait_for(sender.receive(), 10)
        response = await http_request(
            address, tokens, "POST", body=b"body!", ssl_context=ssl_context, timeout=20
        )
        return (echo, binary), response

    thread, result = drive_then_interrupt(driver)
    code = main(["listen", world.address(), "--echo", "--json", *world.entra_args(sender=None)])
    result["returned"].set()
    thread.join(30)
    captured = capsys.readouterr()
    assert "error" not in result, result
    (echo, binary), response = result["value"]
    assert (echo, binary) == ("hello", b"\xff\x00")
    assert (response.status, response.body) == (200, b"body!")
    assert code == 0
    records = json_records(captured.out)
    events = [r["event"] for r in records]
    assert "online" in events and "accepted" in events
    online = next(r for r in records if r["event"] == "online")
    assert online["address"] == world.address()
    messages = [r for r in records if r["event"] == "message"]
    assert messages[0]["text"] == "hello"
    assert messages[1]["data_b64"] == "/wA="
    request = next(r for r in records if r["event"] == "request")
    assert request["method"] == "POST" and request["target"].startswith("/demo")
    assert events[-1] == "offline"
    assert_no_secret(world, captured.out, captured.err)


@pytest.mark.usefixtures("secret_env")
def test_reject_and_fixed_http_response(
    world: World, capsys: pytest.CaptureFixture[str], cli_output: CliOutput
) -> None:
    from relaydesk.errors import ListenerRejected
    from relaydesk.relay.http_sender import http_request
    from relaydesk.relay.sender import connect
    from relaydesk.relay.tls import make_ssl_context

    async def driver() -> tuple[Any, Any]:
        address, tokens = await sas_sender(world)
        ssl_context = make_ssl_context(world.info["ca_file"])
        response = await until_listener(
            cli_output,
            lambda: http_request(address, tokens, "GET", ssl_context=ssl_context, timeout=20),
        )
        try:
            await connect(address, tokens, ssl_context=ssl_context)
        except ListenerRejected as exc:
            return response, exc.status
        return response, None

    thread, result = drive_then_interrupt(driver)
    code = main(
        [
            "listen",
            world.address(),
            "--reject",
            "403",
            "--http-status",
            "201",
            "--http-body",
            "made",
            *world.entra_args(sender=None),
        ]
    )
    result["returned"].set()
    thread.join(30)
    out = capsys.readouterr().out
    assert "error" not in result, result
    response, rejected_status = result["value"]
    assert (response.status, response.body) == (201, b"made")
    assert rejected_status == 403
    assert code == 0
    lines = [line.split(" ", 1)[1] for line in out.splitlines()]  # drop the HH:MM:SS
    assert any(line.startswith("rejected ") for line in lines)
    assert any(line.startswith("request ") and "method=GET" in line for line in lines)


@pytest.mark.usefixtures("secret_env")
def test_first_connect_failures_are_one_line_with_exit_code(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["listen", world.address("no-such-hc"), *world.entra_args(sender=None)]) == 4
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "HTTP 404" in captured.err

    monkeypatch.setenv("RD_TEST_LISTENER_SECRET", "wrong")
    assert main(["listen", world.address(), "--json", *world.entra_args(sender=None)]) == 3
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["event"] == "error" and record["aadsts_code"] == 7000215
    assert record["trace_id"]

    assert main(["listen", world.address(), "--reject", "42"]) == 2


# --- subprocess smoke test -------------------------------------------------------------


def _env(world: World, loop: str = "auto") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RD_TEST_")}
    env.update(world.env())
    env["PYTHONPATH"] = str(ROOT)
    env[event_loop.ENV_VAR] = loop
    return env


@pytest.fixture(params=["asyncio", "uvloop"])
def loop(request: pytest.FixtureRequest) -> str:
    """The event loop the commands run on: both, where uvloop is installed."""
    if request.param == "uvloop":
        pytest.importorskip("uvloop")
    name: str = request.param
    return name


def _relaydesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "relaydesk", *args]


@pytest.fixture
def listener_process(world: World, loop: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        _relaydesk("listen", world.address(), "--echo", "--json", *world.entra_args(sender=None)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(world, loop),
        cwd=ROOT,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(10)


def _wait_online(process: subprocess.Popen[str], seen: list[str]) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if json.loads(line)["event"] == "online":
            return
    pytest.fail(f"the listener did not come online: {seen}")


def test_subprocess_listen_send_request_then_sigint(
    world: World, listener_process: subprocess.Popen[str], loop: str
) -> None:
    seen: list[str] = []
    _wait_online(listener_process, seen)
    sender = world.entra_args(listener="sender", sender=None)
    sender[sender.index("RD_TEST_LISTENER_SECRET")] = "RD_TEST_SENDER_SECRET"
    send = subprocess.run(
        _relaydesk(
            "send",
            world.address(),
            "--message",
            "smoke",
            "--count",
            "2",
            "--expect-echo",
            "--json",
            *sender,
        ),
        capture_output=True,
        text=True,
        env=_env(world, loop),
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert send.returncode == 0, send.stderr
    summary = json.loads(send.stdout.splitlines()[-1])
    assert summary == {**summary, "event": "summary", "sent": 2, "received": 2}
    request = subprocess.run(
        _relaydesk("request", world.address(), "--data", "over http", *sender),
        capture_output=True,
        text=True,
        env=_env(world, loop),
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert request.returncode == 0, request.stderr
    assert request.stdout.startswith("HTTP 200")
    assert request.stdout.rstrip().endswith("over http")

    listener_process.send_signal(signal.SIGINT)
    out, err = listener_process.communicate(timeout=30)
    assert listener_process.returncode == 0, err
    events = [json.loads(line)["event"] for line in [*seen, *out.splitlines()]]
    assert events.count("message") == 2 and "request" in events
    assert events[-1] == "offline"
    assert "Traceback" not in err
    assert_no_secret(
        world, "".join(seen), out, err, send.stdout, send.stderr, request.stdout, request.stderr
    )


@pytest.fixture
def short_token_emulator(tmp_path: Path) -> Iterator[tuple[EmulatorThread, World]]:
    """An emulator whose Entra tokens live 8 s, so renewals happen within a test."""
    from relaydesk.emulator import EmulatorOptions

    thread = EmulatorThread(EmulatorOptions(data_dir=tmp_path, token_lifetime=8))
    try:
        yield thread, World(thread.emulator.ready_info())
    finally:
        thread.stop()


def _read_until(process: subprocess.Popen[str], event: str, seen: list[dict[str, Any]]) -> None:
    """Read JSON lines (bounded) until one has ``event``."""
    assert process.stdout is not None
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(json.loads(line))
        if seen[-1]["event"] == event:
            return
    pytest.fail(f"no {event!r} event in {seen}")


def test_subprocess_reports_token_renewal_and_reconnects(
    short_token_emulator: tuple[EmulatorThread, World],
) -> None:
    thread, world = short_token_emulator
    process = subprocess.Popen(
        _relaydesk("listen", world.address(), "--json", *world.entra_args(sender=None)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(world),
        cwd=ROOT,
    )
    seen: list[dict[str, Any]] = []
    try:
        _read_until(process, "online", seen)
        _read_until(process, "token_renewed", seen)
        renewed = seen[-1]
        assert renewed["renewals"] == 1 and renewed["expires_at"].endswith("Z")
        assert thread.call(thread.emulator.faults.drop_control_channels()) == 1
        _read_until(process, "reconnecting", seen)
        assert seen[-1]["attempt"] >= 1
        _read_until(process, "online", seen)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert_no_secret(world, json.dumps(seen), out, err)
