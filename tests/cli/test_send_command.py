"""``relaydesk send`` in-process against the real emulator (TLS on 127.0.0.1)."""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.cli import main
from relaydesk.cli.send_command import median
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.sender import SenderConnection
from tests.cli.conftest import SENDER_SECRET_ENV, World, assert_no_secret, json_records
from tests.socks_proxy import Dante

pytestmark = pytest.mark.e2e


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
    records = json_records(captured.out)
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
    records = json_records(capsys.readouterr().out)
    assert code == 6
    error = next(r for r in records if r["event"] == "error")
    assert error["kind"] == "EchoTimeout" and "--echo" in error["remedy"]
    summary = records[-1]
    assert summary["event"] == "summary"
    assert (summary["sent"], summary["received"], summary["median_rtt_ms"]) == (1, 0, None)
    assert summary["close_code"] == 1000


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
    assert lines[-1].startswith("summary sent=1 received=0 elapsed_ms=")
    assert lines[-1].endswith(" close_code=1000")


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
    records = json_records(capsys.readouterr().out)
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

    # a bug below the CLI: the relay's public send raises what nobody expects
    monkeypatch.setattr(SenderConnection, "send_many", broken)
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


def _sas_args(world: World) -> list[str]:
    """The send-only SAS rule, its key in the test's environment variable."""
    return [
        "--ca-file",
        str(world.info["ca_file"]),
        "--sas-key-name",
        "send-only",
        "--sas-key-env",
        SENDER_SECRET_ENV,
    ]


@pytest.fixture
def sas_env(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SENDER_SECRET_ENV, world.rule("send-only")["key"])


@pytest.mark.usefixtures("sas_env")
def test_close_never_waits_behind_unread_echoes(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --expect-echo, against an echoing listener, every send ends with the
    listener's close frame (1000), never by the close timeout (1006)."""
    argv = ["send", world.address(), "--message", "hi", "--count", "200", "--json"]
    with background_listener(options=ListenerOptions(auto_echo=True)):
        # The stall depended on timing (how many echoes were queued unread when
        # the close frame came): five sends made it near certain before the fix.
        codes = [main([*argv, *_sas_args(world)]) for _ in range(5)]
    summaries = [r for r in json_records(capsys.readouterr().out) if r["event"] == "summary"]
    assert codes == [0] * 5
    assert [s["close_code"] for s in summaries] == [1000] * 5
    assert [s["sent"] for s in summaries] == [200] * 5


@pytest.mark.usefixtures("sas_env")
@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_pipelined_sized_payloads_all_come_back(
    world: World,
    background_listener: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    binary: bool,
) -> None:
    argv = ["send", world.address(), "--size", "5000", "--count", "60", "--pipeline", "8"]
    argv += ["--expect-echo", "--quiet", "--json", *_sas_args(world)]
    with background_listener(options=ListenerOptions(auto_echo=True)):
        code = main([*argv, "--binary"] if binary else argv)
    records = json_records(capsys.readouterr().out)
    assert code == 0
    assert [r["event"] for r in records] == ["connected", "summary"]  # --quiet
    summary = records[-1]
    assert (summary["sent"], summary["received"]) == (60, 60)
    assert summary["median_rtt_ms"] > 0 and summary["messages_per_s"] > 0


@pytest.mark.usefixtures("sas_env")
def test_one_at_a_time_shows_each_echo_with_its_sequence(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["send", world.address(), "--size", "3", "--binary", "--count", "4", "--pipeline", "2"]
    with background_listener(options=ListenerOptions(auto_echo=True)):
        code = main([*argv, "--expect-echo", "--json", *_sas_args(world)])
    records = json_records(capsys.readouterr().out)
    assert code == 0
    sent = [r for r in records if r["event"] == "sent"]
    echoes = [r for r in records if r["event"] == "message"]
    assert [r["seq"] for r in sent] == [r["seq"] for r in echoes] == [1, 2, 3, 4]
    assert {r["data_b64"] for r in echoes} == {"AAEC"}  # bytes 0, 1, 2 as binary frames


@pytest.mark.usefixtures("sas_env")
def test_message_file_and_standard_input_carry_large_messages(
    world: World,
    background_listener: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    text = "é" * 300_000  # 600 kB of UTF-8: more than an argument may hold
    path = tmp_path / "message.txt"
    path.write_text(text, encoding="utf-8")
    common = ["--expect-echo", "--quiet", "--json", *_sas_args(world)]
    with background_listener(options=ListenerOptions(auto_echo=True)):
        from_file = main(["send", world.address(), "--message-file", str(path), *common])
        stdin = io.TextIOWrapper(io.BytesIO(bytes(range(256)) * 1000))
        monkeypatch.setattr("sys.stdin", stdin)
        from_stdin = main(["send", world.address(), "--message-file", "-", "--binary", *common])
    summaries = [r for r in json_records(capsys.readouterr().out) if r["event"] == "summary"]
    assert (from_file, from_stdin) == (0, 0)
    assert [s["received"] for s in summaries] == [1, 1]


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--message", "x", "--pipeline", "0"], "--pipeline"),
        (["--size", "-1"], "--size"),
        (["--message-file", "/nonexistent/relaydesk-message"], "--message-file"),
        (["--message-file", "-", "--sas-key-stdin"], "--message-file"),
        (["--message", "x", "--token-lifetime", "0"], "--token-lifetime"),
        (["--message", "x", "--token-lifetime", "nan"], "--token-lifetime"),
        (["--message", "x", "--token-lifetime", "inf"], "--token-lifetime"),
        (["--message", "x", "--token-lifetime", "soon"], "--token-lifetime"),
    ],
)
def test_bad_payload_and_lifetime_options_are_usage_errors(
    world: World,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    option: str,
) -> None:
    monkeypatch.setenv(SENDER_SECRET_ENV, "a2V5")
    argv = ["send", world.address(), "--sas-key-name", "k", "--sas-key-env", SENDER_SECRET_ENV]
    if "--sas-key-stdin" in extra:
        argv = ["send", world.address(), "--sas-key-name", "k"]
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"relaydesk: error: {option}: ") and err.count("\n") == 1


def test_text_mode_refuses_a_file_that_is_not_utf8(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\xff\xfe\x00")
    argv = ["send", world.address(), "--sender-anonymous", "--message-file", str(path)]
    assert main(argv) == 2
    assert "--binary" in capsys.readouterr().err


@pytest.mark.usefixtures("secret_env")
def test_token_lifetime_is_only_for_sas_keys(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["send", world.address(), "--message", "x", "--token-lifetime", "60"]
    assert main([*argv, *_sender_args(world)]) == 2
    assert "SAS key" in capsys.readouterr().err


@pytest.mark.usefixtures("sas_env")
def test_message_over_the_listeners_limit_exits_4_and_says_why(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    options = ListenerOptions(auto_echo=True, max_message_size=100_000)
    with background_listener(options=options):
        argv = ["send", world.address(), "--size", "200000", "--expect-echo", "--quiet"]
        code = main([*argv, *_sas_args(world)])
    err = capsys.readouterr().err
    assert code == 4
    assert "1009" in err and "larger than" in err and "smaller messages" in err


def test_a_sas_send_loads_no_auth_or_http_stack(world: World) -> None:
    """A one-shot SAS send starts fast (checked by import, not by timing).

    Through the process entry point, as ``relaydesk send`` runs: no MSAL,
    PyJWT/cryptography, aiohttp, requests or keyring; no profile store
    (platformdirs), control-message parser, statistics or uvloop (one message
    does not repay its import); and the modules
    websockets imports without using them (``importlib.metadata``,
    ``urllib.request``, python-socks' protocols) do not run, so neither
    ``http.client`` nor ``email`` is loaded; nor do those Python's own
    libraries import without a send using them (inspect, with ast and dis:
    its signal handlers do not ask inspect; linecache, textwrap, …); nor
    are the listener's event classes created.
    """
    heavy = ("msal", "jwt", "cryptography", "aiohttp", "requests", "keyring", "PySide6")
    unused = (
        *("platformdirs", "relaydesk.profiles.store", "relaydesk.protocol.messages"),
        *("statistics", "http.client", "email", "uvloop", "ast", "dis", "tokenize"),
        "relaydesk.relay.events",  # the listener's events: relay.common_events has a sender's
    )
    argv = ["send", world.address(), "--message", "hi", "--timeout", "10", *_sas_args(world)]
    code = (
        "import json, sys, types\n"
        f"sys.argv = ['relaydesk', *{argv!r}]\n"
        "from relaydesk.__main__ import main\n"
        "status = main()\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})\n"
        f"loaded += [m for m in {unused!r} if m in sys.modules]\n"
        "from relaydesk.deferred_imports import STANDARD_UNUSED, WEBSOCKETS_UNUSED\n"
        "deferred = (*WEBSOCKETS_UNUSED, *STANDARD_UNUSED)\n"
        "ran = [m for m in deferred if type(sys.modules.get(m)) is types.ModuleType]\n"
        "print(json.dumps([status, loaded, ran]))\n"
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.lower().endswith("_proxy") or name.lower() == "no_proxy"
    }  # no proxy variable: the route is direct without asking urllib.request
    env[SENDER_SECRET_ENV] = world.rule("send-only")["key"]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    status, loaded, ran = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 4, out.stderr  # no listener: refused by the relay (§6: 404)
    assert loaded == []
    assert ran == []


def test_a_socks5_send_from_the_entry_point_runs_the_deferred_protocol(
    world: World, make_dante: Callable[..., Dante]
) -> None:
    """python-socks' SOCKS5 module waits for a SOCKS5 route, then does its work."""
    proxy = make_dante([urlsplit(f"https://{world.namespace}").port])
    argv = ["send", world.address(), "--message", "hi", "--proxy", proxy.url, *_sas_args(world)]
    code = (
        "import json, sys, types\n"
        f"sys.argv = ['relaydesk', *{argv!r}]\n"
        "from relaydesk.__main__ import main\n"
        "status = main()\n"
        "module = sys.modules['python_socks._protocols.socks5']\n"
        "print(json.dumps([status, type(module) is types.ModuleType]))\n"
    )
    env = {**os.environ, SENDER_SECRET_ENV: world.rule("send-only")["key"]}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    status, ran = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 4, out.stderr  # through the proxy to the relay: no listener (§6: 404)
    assert ran
    assert proxy.connects()


@pytest.mark.usefixtures("sas_env")
def test_an_interrupt_ends_the_wait_for_echoes(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGINT while echoes are awaited (a listener that never echoes) ends the
    command at once with what it has, not after --timeout."""
    import os
    import signal
    import threading

    got_one = threading.Event()

    async def swallow(connection: Any) -> None:
        async for _ in connection:
            got_one.set()

    def interrupt() -> None:
        if got_one.wait(30):
            os.kill(os.getpid(), signal.SIGINT)

    killer = threading.Thread(target=interrupt, daemon=True)
    argv = ["send", world.address(), "--message", "x", "--count", "3", "--pipeline", "3"]
    argv += ["--expect-echo", "--timeout", "60", "--json", *_sas_args(world)]
    with background_listener(connection_handler=swallow):
        killer.start()
        code = main(argv)
    killer.join(5)
    records = json_records(capsys.readouterr().out)
    assert code == 6
    assert records[-1]["event"] == "summary" and records[-1]["received"] == 0
    assert not [r for r in records if r["event"] == "error"]  # no EchoTimeout


@pytest.mark.usefixtures("sas_env")
def test_a_full_window_without_echoes_ends_with_the_missing_echo(
    world: World, background_listener: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["send", world.address(), "--message", "x", "--count", "5", "--pipeline", "2"]
    argv += ["--expect-echo", "--timeout", "0.5", "--json", *_sas_args(world)]
    with background_listener(options=ListenerOptions(auto_echo=False)):
        code = main(argv)
    records = json_records(capsys.readouterr().out)
    assert code == 6
    assert [r["seq"] for r in records if r["event"] == "sent"] == [1, 2]  # the window held
    error = next(r for r in records if r["event"] == "error")
    assert error["kind"] == "EchoTimeout" and "message 1 " in error["message"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_the_summary_median_is_the_statistics_median(values: list[float]) -> None:
    assert median(values) == pytest.approx(statistics.median(values))
