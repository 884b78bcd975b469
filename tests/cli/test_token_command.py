"""``relaydesk token``: claims and expiry, never the raw token unless asked."""

from __future__ import annotations

import json

import jwt
import pytest

from relaydesk.cli import main
from tests.cli.conftest import World, assert_no_secret

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("secret_env")]


def test_entra_token_shows_claims_but_not_the_token(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["token", world.address(), "--json", *world.entra_args(sender=None)])
    captured = capsys.readouterr()
    assert code == 0, captured
    record = json.loads(captured.out)
    assert record["event"] == "token"
    assert record["kind"] == "entra"
    assert record["identity"] == world.identity("listener")["client_id"]
    assert record["claims"]["aud"] == "https://relay.azure.net"
    assert record["claims"]["tid"] == world.info["tenant_id"]
    assert 0 < record["expires_in"] <= world.info["token_lifetime"]
    assert record["expires_at"].endswith("Z")
    assert "token" not in record
    assert "eyJ" not in captured.out + captured.err  # no JWT anywhere
    assert_no_secret(world, captured.out, captured.err)


def test_show_token_prints_the_raw_token_on_purpose(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["token", world.address(), "--json", "--show-token", *world.entra_args(sender=None)]
    )
    record = json.loads(capsys.readouterr().out)
    assert code == 0
    claims = jwt.decode(record["token"], options={"verify_signature": False})
    assert claims["appid"] == world.identity("listener")["client_id"]


def test_both_roles_in_human_form(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["token", world.address(), "--role", "both", *world.entra_args()])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"listener token: entra for {world.identity('listener')['client_id']}")
    assert f"sender token: entra for {world.identity('sender')['client_id']}" in out
    assert "    aud: https://relay.azure.net" in out
    assert "eyJ" not in out


def test_sas_token_shows_sr_skn_se_but_not_the_signature(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_KEY", world.rule("listen-only")["key"])
    code = main(
        [
            "token",
            world.address(),
            "--json",
            "--sas-key-name",
            "listen-only",
            "--sas-key-env",
            "RD_KEY",
        ]
    )
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert code == 0
    assert record["kind"] == "sas"
    assert record["claims"]["skn"] == "listen-only"
    assert record["claims"]["sr"] == f"http://{world.info['namespace'].split(':')[0]}/demo"
    assert "sig=" not in captured.out
    assert_no_secret(world, captured.out, captured.err)


def test_token_lifetime_sets_the_sas_expiry(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_KEY", world.rule("listen-only")["key"])
    argv = ["token", world.address(), "--json", "--sas-key-name", "listen-only"]
    for seconds in (90, 7200):
        assert main([*argv, "--sas-key-env", "RD_KEY", "--token-lifetime", str(seconds)]) == 0
        record = json.loads(capsys.readouterr().out)
        # expires_in is counted from now: within a couple of seconds of the lifetime.
        assert seconds - 3 <= record["expires_in"] <= seconds + 1


def test_wrong_secret_is_exit_3_with_aadsts_and_trace_id(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_TEST_LISTENER_SECRET", "wrong")
    code = main(["token", world.address(), *world.entra_args(sender=None)])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert "AADSTS7000215" in lines[0] and "Trace ID:" in lines[0]
    assert "Traceback" not in captured.err
