"""``relaydesk send`` in-process against the real emulator (TLS on 127.0.0.1)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from relaydesk.cli import main
from relaydesk.relay.options import ListenerOptions
from tests.cli.conftest import SENDER_SECRET_ENV, World, assert_no_secret

pytestmark = pytest.mark.e2e


def _records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _sender_args(world: World, identity: str = "sender") -> list[str]:
    return [
        "--ca-file",
        str(world.info["ca_file"]),
        "--authority-host",
        str(world.info["authority"]),
        "--client-id",
        world.identity(identity)["client_id"],
        "--client-secret-env",
        SENDER_SECRET_ENV,
    ]


@pytest.mark.usefixtures("secret_env")
def test_send_with_expect_echo_reports_every_echo_and_a_summary(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with background_listener(options=ListenerOptions(auto_echo=True)):
        code = main(
            [
                "send",
                world.address(),
                "--message",
                "héllo",
                "--count",
                "3",
                "--expect-echo",
                "--json",
                *_sender_args(world),
            ]
        )
    captured = capsys.readouterr()
    assert code == 0, captured
    records = _records(captured.out)
    assert records[0]["event"] == "connected"
    assert [r["event"] for r in records].count("sent") == 3
    echoes = [r for r in records if r["event"] == "message"]
    assert [e["text"] for e in echoes] == ["héllo"] * 3
    summary = records[-1]
    assert summary["event"] == "summary"
    assert (summary["sent"], summary["received"]) == (3, 3)
    assert summary["median_rtt_ms"] > 0
    assert captured.err == ""
    assert_no_secret(world, captured.out, captured.err)


@pytest.mark.usefixtures("secret_env")
def test_missing_echo_exits_6_with_a_remedy(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with background_listener(options=ListenerOptions(auto_echo=False)):
        code = main(
            [
                "send",
                world.address(),
                "--message",
                "x",
                "--expect-echo",
                "--timeout",
                "0.5",
                "--json",
                *_sender_args(world),
            ]
        )
    records = _records(capsys.readouterr().out)
    assert code == 6
    error = next(r for r in records if r["event"] == "error")
    assert error["kind"] == "EchoTimeout" and "--echo" in error["remedy"]
    assert records[-1] == {"event": "summary", "sent": 1, "received": 0, "median_rtt_ms": None}


@pytest.mark.usefixtures("secret_env")
def test_send_without_expect_echo_succeeds_without_waiting(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with background_listener(options=ListenerOptions(auto_echo=False)):
        code = main(["send", world.address(), "--message", "x", *_sender_args(world)])
    captured = capsys.readouterr()
    assert code == 0
    lines = captured.out.splitlines()
    assert lines[0].startswith("connected url=wss://")
    assert lines[-1] == "summary sent=1 received=0"


@pytest.mark.usefixtures("secret_env")
def test_no_listener_is_exit_4_with_one_line_and_the_remedy(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["send", world.address(), "--message", "x", *_sender_args(world)])
    captured = capsys.readouterr()
    assert code == 4
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert "Start a listener on this hybrid connection" in lines[0]
    assert "TrackingId:" in lines[0]
    assert "Traceback" not in captured.err


@pytest.mark.usefixtures("secret_env")
def test_outsider_sender_gets_403_and_the_role_remedy(
    world: World,
    background_listener: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SENDER_SECRET_ENV, world.identity("outsider")["client_secret"])
    with background_listener(options=ListenerOptions(auto_echo=True)):
        code = main(
            ["send", world.address(), "--message", "x", "--json", *_sender_args(world, "outsider")]
        )
    records = _records(capsys.readouterr().out)
    assert code == 3
    assert records[-1]["event"] == "error"
    assert records[-1]["status"] == 403
    assert "Azure Relay Sender role" in records[-1]["remedy"]


def test_secret_from_stdin_and_sas_key_from_env(
    world: World,
    background_listener: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(world.identity("sender")["client_secret"] + "\n"))
    args = _sender_args(world)
    args[args.index("--client-secret-env") : args.index("--client-secret-env") + 2] = [
        "--client-secret-stdin"
    ]
    monkeypatch.setenv("RD_TEST_SEND_KEY", world.rule("send-only")["key"])
    with background_listener(options=ListenerOptions(auto_echo=True)):
        first = main(["send", world.address(), "--message", "a", "--expect-echo", *args])
        second = main(
            [
                "send",
                world.address(),
                "--message",
                "b",
                "--expect-echo",
                "--ca-file",
                str(world.info["ca_file"]),
                "--sas-key-name",
                "send-only",
                "--sas-key-env",
                "RD_TEST_SEND_KEY",
            ]
        )
    captured = capsys.readouterr()
    assert (first, second) == (0, 0), captured
    assert captured.out.count("summary sent=1 received=1") == 2
    assert_no_secret(world, captured.out, captured.err)


def test_anonymous_sender_on_an_open_hybrid_connection(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with background_listener("open", options=ListenerOptions(auto_echo=True)):
        code = main(
            [
                "send",
                world.address("open"),
                "--message",
                "x",
                "--expect-echo",
                "--sender-anonymous",
                "--ca-file",
                str(world.info["ca_file"]),
            ]
        )
    assert code == 0, capsys.readouterr()


def test_connection_string_on_stdin(
    world: World,
    background_listener: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rule = world.rule("send-only")
    cs = (
        f"Endpoint=sb://{world.namespace}/;SharedAccessKeyName={rule['name']};"
        f"SharedAccessKey={rule['key']};EntityPath=demo"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(cs + "\n"))
    with background_listener(options=ListenerOptions(auto_echo=True)):
        code = main(
            [
                "send",
                "--connection-string",
                "-",
                "--message",
                "x",
                "--expect-echo",
                "--ca-file",
                str(world.info["ca_file"]),
            ]
        )
    captured = capsys.readouterr()
    assert code == 0, captured
    assert captured.err == ""  # no process-list warning: the key came from stdin
    assert_no_secret(world, captured.out, captured.err)


def test_connection_string_argument_warns(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    rule = world.rule("send-only")
    cs = (
        f"Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName={rule['name']};"
        f"SharedAccessKey={rule['key']};EntityPath=demo"
    )
    code = main(["send", "--connection-string", cs, "--message", "x"])
    captured = capsys.readouterr()
    assert code == 5  # nothing listens on port 1
    assert "process list" in captured.err
    assert rule["key"] not in captured.err + captured.out


def test_bad_arguments_are_usage_errors(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "sb://", "--message", "x", "--sender-anonymous"]) == 2
    assert (
        main(["send", world.address(), "--message", "x", "--count", "0", "--sender-anonymous"]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("relaydesk: error:") == 2
    assert "Traceback" not in err


@pytest.mark.usefixtures("secret_env")
def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    world: World,
    background_listener: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("internal detail that must not be shown")

    monkeypatch.setattr("relaydesk.cli.send_command._exchange", broken)
    argv = ["send", world.address(), "--message", "x", *_sender_args(world)]
    with background_listener(options=ListenerOptions(auto_echo=True)):
        plain = main(argv)
        captured = capsys.readouterr()
        debug = main([*argv, "--debug"])
    assert plain == 1
    assert captured.err == (
        "relaydesk: error: unexpected error (RuntimeError) — run with --debug for details\n"
    )
    assert debug == 1
    assert "Traceback" in capsys.readouterr().err
