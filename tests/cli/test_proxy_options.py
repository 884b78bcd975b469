"""The CLI through a real proxy (tinyproxy): --proxy, --no-proxy, credentials, errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from relaydesk.cli import main
from tests.cli.conftest import BackgroundListener, World, assert_no_secret
from tests.tinyproxy import Tinyproxy, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("secret_env")]

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def _port(world: World) -> int:
    return int(world.namespace.rsplit(":", 1)[1])


def test_token_listener_and_sender_go_through_the_proxy_with_basic_auth(
    world: World,
    background_listener: Callable[..., BackgroundListener],
    make_tinyproxy: Callable[..., Tinyproxy],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = make_tinyproxy([_port(world)], user="carol", password="tiny-secret")
    monkeypatch.setenv("RD_PROXY_PASSWORD", "tiny-secret")
    proxy_args = ["--proxy", proxy.url, "--proxy-user", "carol"]
    proxy_args += ["--proxy-password-env", "RD_PROXY_PASSWORD"]
    with background_listener("demo", options=_echo_options()):
        code = main(
            [
                "send",
                world.address(),
                "--json",
                "--message",
                "hi",
                "--expect-echo",
                *world.entra_args(),
                *proxy_args,
            ]
        )
        captured = capsys.readouterr()
        assert code == 0, captured
        code = main(
            ["info", world.address(), "--json", *world.entra_args(sender=None), *proxy_args]
        )
        captured = capsys.readouterr()
    assert code == 0, captured
    assert json.loads(captured.out)["listener_count"] >= 1
    connects = proxy.connects()
    # sender token (discovery + token), sender WebSocket, listener token, runtime info
    assert len(connects) >= 3 and set(connects) == {world.namespace}
    assert "tiny-secret" not in captured.out + captured.err
    assert_no_secret(world, captured.out, captured.err)


def _echo_options() -> object:
    from relaydesk.relay.options import ListenerOptions

    return ListenerOptions(auto_echo=True)


def test_no_proxy_ignores_a_dead_environment_proxy(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    code = main(["info", world.address(), "--json", *world.entra_args(sender=None)])
    record = json.loads(capsys.readouterr().out)
    assert code == 5 and record["kind"] == "ProxyUnreachable"
    assert "--no-proxy" in record["remedy"]
    code = main(["info", world.address(), "--json", "--no-proxy", *world.entra_args(sender=None)])
    assert code == 0, capsys.readouterr()


def test_proxy_errors_are_one_line_with_a_remedy(
    world: World,
    make_tinyproxy: Callable[..., Tinyproxy],
    capsys: pytest.CaptureFixture[str],
) -> None:
    guarded = make_tinyproxy([_port(world)], user="carol", password="x")
    code = main(["info", world.address(), "--proxy", guarded.url, *world.entra_args(sender=None)])
    err = capsys.readouterr().err
    assert code == 5
    assert err.startswith("relaydesk: error: ") and len(err.strip().splitlines()) == 1
    assert "authentication" in err and "proxy user" in err
    refusing = make_tinyproxy([443])
    code = main(
        ["info", world.address(), "--json", "--proxy", refusing.url, *world.entra_args(sender=None)]
    )
    record = json.loads(capsys.readouterr().out)
    assert code == 5 and record["kind"] == "ProxyRefused"
    assert "403" in record["message"] and "tracking_id" not in record


def test_bad_proxy_options_are_usage_errors(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = main(["info", world.address(), "--proxy", "ftp://p:1", *world.entra_args(sender=None)])
    assert code == 2 and "proxy" in capsys.readouterr().err
    monkeypatch.setenv("RD_PROXY_PASSWORD", "pw")
    code = main(
        [
            "info",
            world.address(),
            "--proxy-password-env",
            "RD_PROXY_PASSWORD",
            *world.entra_args(sender=None),
        ]
    )
    assert code == 2 and "--proxy-user" in capsys.readouterr().err


def test_check_runs_every_step_through_the_proxy(
    world: World,
    make_tinyproxy: Callable[..., Tinyproxy],
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxy = make_tinyproxy([_port(world)])
    code = main(["check", world.address(), "--json", "--proxy", proxy.url, *world.entra_args()])
    captured = capsys.readouterr()
    assert code == 0, captured
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert records[-1]["passed"] is True
    # tokens, control channel, sender, rendezvous, HTTP request: all CONNECTs
    assert len(proxy.connects()) >= 5 and set(proxy.connects()) == {world.namespace}
