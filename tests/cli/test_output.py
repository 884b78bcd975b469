"""Output formatting: JSON lines, human lines, error lines, exit codes."""

from __future__ import annotations

import io
import json
import math

import pytest

from relaydesk.cli import exit_codes
from relaydesk.cli.output import (
    Output,
    data_fields,
    error_line,
    event_record,
    format_human,
    iso_time,
    terminal_safe,
)
from relaydesk.errors import (
    AuthNetworkError,
    ConnectionClosed,
    EntityNotFound,
    EntraError,
    Forbidden,
    InvalidAddress,
    ListenerRejected,
    NoListener,
    ProfileError,
    RelayUnreachable,
    SecretStoreUnavailable,
    TokenRejected,
    Unauthorized,
)
from relaydesk.relay import events as ev

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"


def _output(*, json_mode: bool) -> tuple[Output, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Output(json_mode=json_mode, stdout=out, stderr=err), out, err


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InvalidAddress("address", "bad"), exit_codes.EXIT_USAGE),
        (ProfileError("no such profile"), exit_codes.EXIT_USAGE),
        (EntraError("bad secret", aadsts_code=7000215), exit_codes.EXIT_AUTH),
        (Unauthorized(401, "expired"), exit_codes.EXIT_AUTH),
        (Forbidden(403, "no role"), exit_codes.EXIT_AUTH),
        (TokenRejected(401, "InvalidSignature", "bad"), exit_codes.EXIT_AUTH),
        (SecretStoreUnavailable("no keyring"), exit_codes.EXIT_AUTH),
        (EntityNotFound(404, "gone"), exit_codes.EXIT_REFUSED),
        (NoListener(502, "none"), exit_codes.EXIT_REFUSED),
        (ListenerRejected(418, "teapot"), exit_codes.EXIT_REFUSED),
        (ConnectionClosed(1011, "boom"), exit_codes.EXIT_REFUSED),
        (RelayUnreachable("refused"), exit_codes.EXIT_UNREACHABLE),
        (AuthNetworkError("no route"), exit_codes.EXIT_UNREACHABLE),
        (RuntimeError("bug"), exit_codes.EXIT_UNEXPECTED),
    ],
)
def test_every_error_family_has_its_exit_code(exc: BaseException, code: int) -> None:
    assert exit_codes.exit_code_for(exc) == code
    assert exit_codes.describe_error(exc)["exit_code"] == code


def test_remedy_comes_from_the_error_then_the_relay_table_then_the_cli_table() -> None:
    from relaydesk.check import CheckStepFailed

    def remedy(exc: BaseException) -> str:
        return str(exit_codes.describe_error(exc)["remedy"])

    assert remedy(CheckStepFailed("wrong echo", remedy="Stop the other listener.")) == (
        "Stop the other listener."
    )
    # A WebSocket sender with no listener online gets a 404 (§6), not a 502.
    no_listeners = EntityNotFound(404, "There are no listeners connected for the endpoint.")
    assert remedy(no_listeners) == remedy(NoListener(502, "no listener"))
    assert remedy(no_listeners).startswith("Start a listener")
    assert "Check the namespace and hybrid connection name" in remedy(EntityNotFound(404, "gone"))
    assert "reconnects" in remedy(ConnectionClosed(1011, "boom"))
    assert "keyring" in remedy(SecretStoreUnavailable("no keyring"))
    assert remedy(InvalidAddress("address", "bad")).endswith("(see relaydesk --help).")


def test_a_usage_remedy_names_the_subcommand_that_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from relaydesk.cli import main

    code = main(["send", "not an address", "--sender-anonymous", "--message", "hi"])
    assert code == exit_codes.EXIT_USAGE
    err = capsys.readouterr().err
    assert "see relaydesk send --help" in err
    assert "COMMAND" not in err
    assert "error: ADDRESS: " in err  # the command line's name for the field


def test_a_bad_ca_file_is_named_by_its_option(capsys: pytest.CaptureFixture[str]) -> None:
    from relaydesk.cli import main

    argv = ["send", "sb://127.0.0.1:9/demo", "--sender-anonymous", "--message", "hi"]
    code = main([*argv, "--ca-file", "/nonexistent/ca.pem"])
    assert code == exit_codes.EXIT_USAGE
    err = capsys.readouterr().err
    assert "error: --ca-file: cannot load CA certificates from /nonexistent/ca.pem" in err


def test_json_error_carries_cause_remedy_and_ids() -> None:
    output, out, err = _output(json_mode=True)
    exc = Forbidden(403, "Unauthorized access. TrackingId:abc-123", tracking_id="abc-123")
    assert output.error(exc) == exit_codes.EXIT_AUTH
    record = json.loads(out.getvalue())
    assert record["event"] == "error"
    assert record["kind"] == "Forbidden"
    assert record["status"] == 403
    assert record["tracking_id"] == "abc-123"
    assert "Azure Relay Listener/Sender role" in record["remedy"]
    assert err.getvalue() == ""


def test_human_error_is_one_line_with_aadsts_and_trace_id() -> None:
    output, out, err = _output(json_mode=False)
    exc = EntraError(
        "Invalid client secret provided.",
        remedy="Use the secret's Value, not its ID.",
        aadsts_code=7000215,
        trace_id="trace-1",
        correlation_id="corr-2",
    )
    assert output.error(exc) == exit_codes.EXIT_AUTH
    assert out.getvalue() == ""
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("relaydesk: error: AADSTS7000215: Invalid client secret provided.")
    assert "— Use the secret's Value, not its ID." in line
    assert "Trace ID: trace-1" in line and "Correlation ID: corr-2" in line


def test_unexpected_error_hides_its_text_and_asks_for_debug() -> None:
    output, _out, err = _output(json_mode=False)
    assert output.error(ValueError("key=supersecret")) == exit_codes.EXIT_UNEXPECTED
    text = err.getvalue()
    assert "supersecret" not in text
    assert "run with --debug for details" in text
    assert "Traceback" not in text


def test_debug_prints_the_traceback() -> None:
    out, err = io.StringIO(), io.StringIO()
    output = Output(debug=True, stdout=out, stderr=err)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        output.error(exc)
    assert "Traceback" in err.getvalue()


def test_error_text_is_redacted() -> None:
    record = exit_codes.describe_error(ConnectionClosed(1008, f"token {JWT} expired"))
    assert JWT not in record["message"]
    assert "<redacted>" in record["message"]


def test_error_line_without_ids() -> None:
    assert error_line({"message": "cause", "remedy": ""}) == "cause"


def test_iso_time() -> None:
    assert iso_time(0) == "1970-01-01T00:00:00Z"
    assert iso_time(None) is None
    assert iso_time(math.inf) is None


def test_data_fields_text_binary_and_utf8_bytes() -> None:
    assert data_fields("hé") == {"text": "hé", "size": 3}
    assert data_fields(b"ok") == {"data_b64": "b2s=", "size": 2}
    assert data_fields(b"ok", utf8_as_text=True) == {"text": "ok", "size": 2}
    assert data_fields(b"\xff\x00", utf8_as_text=True) == {"data_b64": "/wA=", "size": 2}


def test_listener_events_become_the_documented_records() -> None:
    token = ev.TokenInfo(kind="entra", identity="app", expires_at=100.0, from_cache=True)
    records = [
        event_record(ev.StateChanged(at=1, side="listener", state=ev.ConnectionState.ONLINE)),
        event_record(
            ev.ConnectionAccepted(
                at=1,
                side="listener",
                connection_id="c1",
                remote_address="127.0.0.1",
                remote_port=5,
            )
        ),
        event_record(ev.MessageReceived(at=1, side="listener", connection_id="c1", data="hi")),
        event_record(
            ev.HttpRequestReceived(
                at=1,
                side="listener",
                request_id="r",
                method="POST",
                target="/demo/x",
                headers={"Authorization": "secret-value", "X": "1"},
                body=b"b",
                via_rendezvous=False,
            )
        ),
        event_record(ev.TokenRenewed(at=1, side="listener", token=token, renewals=2), now=40.0),
        event_record(
            ev.StateChanged(
                at=1,
                side="listener",
                state=ev.ConnectionState.RECONNECTING,
                attempt=2,
                next_try_in=1.5,
                error=ev.ErrorInfo(kind="ConnectionClosed", message="m"),
            )
        ),
        event_record(
            ev.ErrorOccurred(at=1, side="listener", error=ev.ErrorInfo(kind="K", message="m"))
        ),
    ]
    assert records[0] == {"event": "online", "side": "listener"}
    assert records[1] == {"event": "accepted", "connection": "c1", "remote": "127.0.0.1:5"}
    assert records[2] == {"event": "message", "connection": "c1", "text": "hi", "size": 2}
    assert records[3] is not None
    assert records[3]["event"] == "request"
    assert records[3]["method"] == "POST" and records[3]["target"] == "/demo/x"
    assert records[3]["headers"] == {"Authorization": "<redacted>", "X": "1"}
    assert records[4] is not None
    assert records[4]["event"] == "token_renewed"
    assert records[4]["expires_at"] == "1970-01-01T00:01:40Z"
    assert records[4]["expires_in"] == 60
    assert records[4]["renewals"] == 2
    assert records[5] is not None
    assert records[5]["event"] == "reconnecting" and records[5]["attempt"] == 2
    assert records[6] == {"event": "error", "kind": "K", "message": "m", "side": "listener"}


def test_json_mode_prints_one_object_per_line_and_human_mode_one_line() -> None:
    output, out, _ = _output(json_mode=True)
    output.relay_event(ev.MessageReceived(at=1, side="listener", connection_id="c", data="a\nb"))
    output.relay_event(ev.StateChanged(at=1, side="listener", state=ev.ConnectionState.ONLINE))
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["message", "online"]

    output, out, _ = _output(json_mode=False)
    output.relay_event(ev.MessageReceived(at=1, side="listener", connection_id="c", data="a\nb"))
    clock, line = out.getvalue().split(" ", 1)
    assert len(clock) == 8 and clock[2] == clock[5] == ":"  # local HH:MM:SS
    assert line == 'message connection=c size=3 "a\\nb"\n'


def test_a_service_refusal_shows_its_tracking_id_once() -> None:
    message = (
        "HTTP 403: no Send. TrackingId:trk-1_G0, SystemTracker:sb://ns/hc, Timestamp:11/28/2026"
    )
    line = error_line({"message": message, "remedy": "Assign the role.", "tracking_id": "trk-1_G0"})
    assert line == "HTTP 403: no Send. — Assign the role. [TrackingId: trk-1_G0]"


def test_human_lines_never_pass_control_characters_to_the_terminal() -> None:
    """A hostile sender or relay chooses targets, reasons and messages: no escape sequences."""
    title = "\x1b]0;owned\x07"
    line = format_human({"event": "request", "target": f"/x{title}", "text": "\x9b2J"})
    assert "\x1b" not in line and "\x07" not in line and "\x9b" not in line
    assert "\\x1b]0;owned\\x07" in line
    record = {"message": f"closed with 1011: {title}", "remedy": "r\x08\x08x"}
    assert error_line(record) == "closed with 1011: \\x1b]0;owned\\x07 — r\\x08\\x08x"
    assert terminal_safe("café ✓ \t") == "café ✓ \\x09"


def test_a_bad_proxy_is_named_as_the_option() -> None:
    from relaydesk.errors import InvalidField

    record = exit_codes.describe_error(InvalidField("proxy", "scheme 'ftp' is not supported"))
    assert record["message"] == "--proxy: scheme 'ftp' is not supported"
