"""describe(): every protocol event becomes the right one-line entry."""

from __future__ import annotations

import pytest

from relaydesk.gui.models.formatting import format_clock
from relaydesk.gui.models.timeline_entries import Severity, TimelineEntry, describe
from relaydesk.relay.events import (
    ChannelClosed,
    ChannelOpened,
    ConnectionAccepted,
    ConnectionEnded,
    ConnectionRejected,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    EventsDropped,
    HttpRequestReceived,
    MessageReceived,
    MessageSent,
    StateChanged,
    TokenAcquired,
    TokenInfo,
    TokenRenewed,
)

AT = 1_800_000_000.0
EXP = AT + 3600
TOKEN = TokenInfo(kind="entra", identity="listener", expires_at=EXP)
FORBIDDEN = ErrorInfo(
    kind="Forbidden",
    message="'sender' lacks Send on /demo",
    remedy="assign Azure Relay Sender to this app",
    status=403,
    tracking_id="trk-123",
)
L = {"at": AT, "side": "listener"}
S = {"at": AT, "side": "sender"}

CASES: list[tuple[Event, Severity, str, str]] = [
    (StateChanged(**L, state=ConnectionState.CONNECTING), Severity.INFO, "connecting", ""),
    (StateChanged(**L, state=ConnectionState.ONLINE), Severity.INFO, "online", ""),
    (
        StateChanged(
            **L, state=ConnectionState.RECONNECTING, attempt=2, next_try_in=1.0, error=FORBIDDEN
        ),
        Severity.WARNING,
        "reconnect attempt 2 in 1 s after Forbidden",
        "Remedy: assign Azure Relay Sender to this app · TrackingId: trk-123",
    ),
    (
        StateChanged(**L, state=ConnectionState.RECONNECTING, attempt=1, next_try_in=0.914243),
        Severity.WARNING,
        "reconnect attempt 1 in 0.9 s",
        "",
    ),
    (
        ErrorOccurred(
            **L, error=ErrorInfo("ConnectionClosed", "closed with 1006: dropped", "", 1006)
        ),
        Severity.ERROR,
        "ConnectionClosed: closed with 1006: dropped",  # the code once, not "1006: … 1006"
        "",
    ),
    (
        StateChanged(**L, state=ConnectionState.OFFLINE, error=FORBIDDEN),
        Severity.ERROR,
        "offline: Forbidden 403: 'sender' lacks Send on /demo",
        "Remedy: assign Azure Relay Sender to this app · TrackingId: trk-123",
    ),
    (
        ChannelOpened(**L, url="wss://ns/$hc/demo?sb-hc-action=listen", channel_id="ch1"),
        Severity.INFO,
        "control channel opened (ch1)",
        "id ch1 · wss://ns/$hc/demo?sb-hc-action=listen",
    ),
    (
        ChannelOpened(**S, url="wss://ns/$hc/demo", channel_id="s1"),
        Severity.INFO,
        "WebSocket connected (s1)",
        "id s1 · wss://ns/$hc/demo",
    ),
    (
        ChannelClosed(**L, channel_id="ch1", code=1008, reason="token expired"),
        Severity.WARNING,
        "closed 1008 token expired by relay",
        "channel ch1",
    ),
    (
        ChannelClosed(**L, channel_id="ch1", code=1000, by_peer=False),
        Severity.INFO,
        "closed 1000 by us",
        "channel ch1",
    ),
    (
        ChannelClosed(**L, channel_id="ch1", code=1006),
        Severity.WARNING,
        "dropped without a close frame (1006)",
        "channel ch1",
    ),
    (
        TokenAcquired(**L, token=TOKEN),
        Severity.INFO,
        f"token acquired: entra 'listener' expires {format_clock(EXP)}",
        "",
    ),
    (
        TokenAcquired(
            **S, token=TokenInfo(kind="anonymous", identity="", expires_at=None, from_cache=True)
        ),
        Severity.INFO,
        "token acquired: anonymous '' (from cache)",
        "",
    ),
    (
        TokenRenewed(**L, token=TOKEN, renewals=3),
        Severity.INFO,
        f"renewToken ✓ expires {format_clock(EXP)} (renewal 3)",
        "",
    ),
    (
        ConnectionAccepted(
            **L, connection_id="c-3f9a2b1c", remote_address="127.0.0.1", remote_port=5000
        ),
        Severity.INFO,
        "accept c-3f9a… from 127.0.0.1:5000 · rendezvous established",
        "connection id c-3f9a2b1c",
    ),
    (
        ConnectionRejected(**L, connection_id="c1", status=403, reason="policy"),
        Severity.WARNING,
        "rejected c1 with 403: policy",
        "connection id c1",
    ),
    (
        ConnectionEnded(**L, connection_id="c1", code=1000),
        Severity.INFO,
        "connection c1 closed 1000",
        "connection id c1",
    ),
    (
        ConnectionEnded(**L, connection_id="c1", code=1011, reason="boom"),
        Severity.WARNING,
        "connection c1 closed 1011 boom",
        "connection id c1",
    ),
    (
        ErrorOccurred(**S, error=FORBIDDEN),
        Severity.ERROR,
        "Forbidden 403: 'sender' lacks Send on /demo",
        "Remedy: assign Azure Relay Sender to this app · TrackingId: trk-123",
    ),
    (
        ErrorOccurred(**S, error=ErrorInfo(kind="NoListener", message="no listener")),
        Severity.ERROR,
        "NoListener: no listener",
        "",
    ),
    (
        EventsDropped(**L, count=12),
        Severity.WARNING,
        "12 message events dropped (display too slow)",
        "",
    ),
]


@pytest.mark.parametrize(("event", "severity", "text", "detail"), CASES)
def test_describe(event: Event, severity: Severity, text: str, detail: str) -> None:
    assert describe(event) == TimelineEntry(event.at, event.side, severity, text, detail)


@pytest.mark.parametrize(
    "event",
    [
        MessageReceived(**L, connection_id="c1", data="hi"),
        MessageSent(**S, connection_id="c1", data=b"hi"),
        HttpRequestReceived(
            **L,
            request_id="r",
            method="GET",
            target="/",
            headers={},
            body=b"",
            via_rendezvous=False,
        ),
    ],
)
def test_content_events_are_not_timeline_entries(event: Event) -> None:
    assert describe(event) is None


def test_describe_redacts_tokens_in_reasons_and_urls() -> None:
    event = ChannelClosed(**L, channel_id="c", code=1008, reason="bad sig=SECRETSIG&se=1")
    entry = describe(event)
    assert entry is not None
    assert "SECRETSIG" not in entry.text


def test_severity_rank_orders_levels() -> None:
    assert Severity.INFO.rank < Severity.WARNING.rank < Severity.ERROR.rank


# --- the connectivity check (side "check") --------------------------------------------------

C = {"at": AT, "side": "check"}


def _step(status: str, **fields: object) -> Event:
    from relaydesk.check import CheckStepEvent, StepStatus

    return CheckStepEvent(**C, step="token", title="Token", status=StepStatus(status), **fields)


def test_a_running_check_step_is_left_to_the_check_panel() -> None:
    assert describe(_step("running")) is None


def test_a_passed_check_step_shows_its_duration_and_note() -> None:
    entry = describe(_step("passed", duration=0.25, detail="expires 12:00:00"))
    assert entry == TimelineEntry(
        AT, "check", Severity.INFO, "check: Token passed (250.0 ms)", "expires 12:00:00"
    )


def test_a_failed_check_step_shows_the_cause_and_remedy() -> None:
    entry = describe(_step("failed", duration=1.5, error=FORBIDDEN))
    assert entry is not None and entry.severity is Severity.ERROR
    assert entry.text.startswith("check: Token failed (1.50 s): Forbidden 403:")
    assert "Remedy: assign Azure Relay Sender" in entry.detail
    assert "TrackingId: trk-123" in entry.detail


def test_a_skipped_check_step_is_information() -> None:
    entry = describe(_step("skipped"))
    assert entry is not None
    assert (entry.severity, entry.text) == (Severity.INFO, "check: Token skipped")


def test_the_check_verdict_names_the_failed_step_by_its_title() -> None:
    from relaydesk.check import CheckFinished

    passed = describe(CheckFinished(**C, passed=True, duration=0.8))
    failed = describe(CheckFinished(**C, passed=False, duration=2.0, failed_step="listener_online"))
    assert passed is not None and (passed.severity, passed.text) == (
        Severity.INFO,
        "check passed in 800.0 ms",
    )
    assert failed is not None and failed.severity is Severity.ERROR
    assert failed.text == "check failed at Listener online after 2.00 s"
