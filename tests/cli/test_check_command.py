"""``relaydesk check`` in-process against the real emulator (TLS on 127.0.0.1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relaydesk.cli import main
from tests.cli.conftest import LISTENER_SECRET_ENV, SENDER_SECRET_ENV, World, assert_no_secret

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("secret_env")]

STEPS = ["token", "listener_online", "sender_connected", "message_round_trip", "http_round_trip"]


def _final_steps(out: str) -> dict[str, dict[str, Any]]:
    """The last record of each step (running → passed/failed/skipped)."""
    steps: dict[str, dict[str, Any]] = {}
    for line in out.splitlines():
        record = json.loads(line)
        if record["event"] == "step":
            steps[record["step"]] = record
    return steps


def test_check_passes_on_the_default_world(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", world.address(), "--json", *world.entra_args()])
    captured = capsys.readouterr()
    assert code == 0, captured
    steps = _final_steps(captured.out)
    assert list(steps) == STEPS
    assert all(s["status"] == "passed" and s["duration_ms"] >= 0 for s in steps.values())
    tokens = steps["token"]["tokens"]
    assert [t["identity"] for t in tokens] == [
        world.identity("listener")["client_id"],
        world.identity("sender")["client_id"],
    ]
    result = json.loads(captured.out.splitlines()[-1])
    assert result == {**result, "event": "result", "passed": True, "failed_step": None}
    assert_no_secret(world, captured.out, captured.err)


def test_human_output_is_one_line_per_step(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", world.address(), *world.entra_args()])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == len(STEPS) + 1
    assert all(line.startswith("✓ ") for line in lines[:-1])
    assert lines[-1].startswith("check passed in ")


def _failing(world: World, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["check", *argv])
    captured = capsys.readouterr()
    assert_no_secret(world, captured.out, captured.err)
    return code, captured.out


def test_wrong_secret_fails_at_the_token_step_with_aadsts7000215(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LISTENER_SECRET_ENV, "not-the-secret")
    code, out = _failing(world, capsys, world.address(), "--json", *world.entra_args())
    steps = _final_steps(out)
    assert code == 3
    assert steps["token"]["status"] == "failed"
    assert "AADSTS7000215" in steps["token"]["error"]["message"]
    assert "Value" in steps["token"]["error"]["remedy"]
    assert [steps[s]["status"] for s in STEPS[1:]] == ["skipped"] * 4


def test_outsider_sender_fails_at_sender_connected_with_the_role_remedy(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SENDER_SECRET_ENV, world.identity("outsider")["client_secret"])
    args = world.entra_args(sender="outsider")
    code, out = _failing(world, capsys, world.address(), "--json", *args)
    steps = _final_steps(out)
    assert code == 3
    assert [steps[s]["status"] for s in STEPS] == [
        "passed",
        "passed",
        "failed",
        "skipped",
        "skipped",
    ]
    error = steps["sender_connected"]["error"]
    assert error["status"] == 403
    assert "Azure Relay Sender role" in error["remedy"]
    assert error["tracking_id"]


def test_outsider_listener_fails_at_listener_online(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LISTENER_SECRET_ENV, world.identity("outsider")["client_secret"])
    code, out = _failing(
        world, capsys, world.address(), "--json", *world.entra_args(listener="outsider")
    )
    steps = _final_steps(out)
    assert code == 3
    assert steps["listener_online"]["status"] == "failed"
    assert steps["listener_online"]["error"]["status"] == 403


def test_wrong_entity_fails_at_listener_online_with_404(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _failing(world, capsys, world.address("no-such-hc"), *world.entra_args())
    lines = out.splitlines()
    assert code == 4
    assert lines[0].startswith("✓ Token: passed")
    assert lines[1].startswith("✗ Listener online: failed")
    assert "HTTP 404" in lines[1] and "Check the namespace and hybrid connection name" in lines[1]
    assert lines[2:5] == [
        "- Sender connected: skipped",
        "- Message round trip: skipped",
        "- HTTP round trip: skipped",
    ]
    assert lines[-1] == "check failed at step 'listener_online'"


def test_one_identity_for_both_sides_uses_the_cached_token(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LISTENER_SECRET_ENV, world.identity("owner")["client_secret"])
    code = main(
        ["check", world.address(), "--json", *world.entra_args(listener="owner", sender=None)]
    )
    steps = _final_steps(capsys.readouterr().out)
    assert code == 0
    assert [t["from_cache"] for t in steps["token"]["tokens"]] == [False, True]


def test_sas_rules_for_each_side(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_LISTEN_KEY", world.rule("listen-only")["key"])
    monkeypatch.setenv("RD_SEND_KEY", world.rule("send-only")["key"])
    code = main(
        [
            "check",
            world.address(),
            "--ca-file",
            str(world.info["ca_file"]),
            "--sas-key-name",
            "listen-only",
            "--sas-key-env",
            "RD_LISTEN_KEY",
            "--sender-sas-key-name",
            "send-only",
            "--sender-sas-key-env",
            "RD_SEND_KEY",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured
    assert_no_secret(world, captured.out, captured.err)


def test_anonymous_sender_passes_on_open_and_gets_its_own_remedy_on_demo(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LISTENER_SECRET_ENV, world.identity("owner")["client_secret"])
    args = [*world.entra_args(listener="owner", sender=None), "--sender-anonymous", "--json"]
    assert main(["check", world.address("open"), *args]) == 0
    steps = _final_steps(capsys.readouterr().out)
    assert steps["token"]["detail"].endswith("sender: anonymous (no token)")

    assert main(["check", world.address("demo"), *args]) == 3
    error = _final_steps(capsys.readouterr().out)["sender_connected"]["error"]
    assert error["status"] == 401
    assert "requires client authorization" in error["remedy"]


def test_the_check_is_pinned_to_its_own_listener(
    world: World, background_listener: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another listener online that neither echoes nor answers 2xx must not break the check."""
    from relaydesk.relay.options import ListenerOptions
    from relaydesk.relay.policies import fixed_response

    other = background_listener(
        options=ListenerOptions(auto_echo=False), http_handler=fixed_response(500)
    )
    with other:
        codes = [main(["check", world.address(), *world.entra_args()]) for _ in range(3)]
    assert codes == [0, 0, 0], capsys.readouterr()
