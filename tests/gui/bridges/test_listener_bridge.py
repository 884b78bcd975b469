"""ListenerBridge: core events in, typed Qt signals out; tasks owned and stopped."""

from __future__ import annotations

import pytest

from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.relay.events import (
    ConnectionAccepted,
    ConnectionEnded,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    EventsDropped,
    HttpRequestReceived,
    MessageReceived,
    StateChanged,
    TokenAcquired,
    TokenInfo,
    TokenRenewed,
)
from tests.gui.bridges.fakes import FakeSession, forbidden
from tests.gui.conftest import until

pytestmark = pytest.mark.gui

TOKEN = TokenInfo(kind="entra", identity="listener-app", expires_at=1000.0)


def _recorder(signal):  # type: ignore[no-untyped-def]
    seen: list[object] = []
    signal.connect(lambda *args: seen.append(args[0] if len(args) == 1 else args))
    return seen


def test_events_become_typed_signals(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = ListenerBridge()
    states, tokens, renewed = (
        _recorder(bridge.state_changed),
        _recorder(bridge.token_changed),
        _recorder(bridge.token_renewed),
    )
    accepted, ended, messages = (
        _recorder(bridge.connection_accepted),
        _recorder(bridge.connection_ended),
        _recorder(bridge.message),
    )
    http, errors, dropped, timeline = (
        _recorder(bridge.http),
        _recorder(bridge.error),
        _recorder(bridge.dropped),
        _recorder(bridge.timeline_event),
    )
    info = ErrorInfo("ConnectionClosed", "closed with 1011", "it reconnects", 1011, "track-1")
    events = [
        StateChanged(at=1.0, side="listener", state=ConnectionState.ONLINE),
        TokenAcquired(at=1.0, side="listener", token=TOKEN),
        TokenRenewed(at=2.0, side="listener", token=TOKEN, renewals=1),
        ConnectionAccepted(at=3.0, side="listener", connection_id="c1"),
        MessageReceived(at=4.0, side="listener", connection_id="c1", data="hi"),
        HttpRequestReceived(
            at=5.0,
            side="listener",
            request_id="r1",
            method="GET",
            target="/demo",
            headers={},
            body=b"",
            via_rendezvous=False,
        ),
        ConnectionEnded(at=6.0, side="listener", connection_id="c1", code=1000),
        ErrorOccurred(at=7.0, side="listener", error=info),
        EventsDropped(at=8.0, side="listener", count=12),
    ]
    for event in events:
        bridge.dispatch(event)

    assert timeline == events
    assert [s.state for s in states] == [ConnectionState.ONLINE]
    assert bridge.state is ConnectionState.ONLINE
    assert tokens == [TOKEN]
    assert [r.renewals for r in renewed] == [1]
    assert [a.connection_id for a in accepted] == ["c1"]
    assert [e.connection_id for e in ended] == ["c1"]
    assert [m.data for m in messages] == ["hi"]
    assert [h.request_id for h in http] == ["r1"]
    assert errors == [info]
    assert dropped == [12]


def test_start_without_profile_reports_a_remedy(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = ListenerBridge()
    errors = _recorder(bridge.error)
    bridge.start()
    assert len(errors) == 1
    assert "Demo" in errors[0].remedy
    assert not bridge.running


@pytest.mark.asyncio
async def test_start_runs_the_session_and_stop_closes_it() -> None:
    bridge = ListenerBridge()
    sessions: list[FakeSession] = []

    def opener(policy):  # type: ignore[no-untyped-def]
        assert policy() is bridge.policy
        sessions.append(FakeSession())
        return sessions[-1]

    bridge.set_opener(opener)
    states = _recorder(bridge.state_changed)
    bridge.start()
    await until(lambda: bridge.state is ConnectionState.ONLINE, "online")
    assert bridge.running
    assert bridge.listener_id == sessions[0].listener_id
    bridge.stop()
    await until(lambda: not bridge.running, "the task to end")
    assert sessions[0].stopped
    assert bridge.state is ConnectionState.OFFLINE
    assert [s.state for s in states] == [
        ConnectionState.CONNECTING,
        ConnectionState.ONLINE,
        ConnectionState.OFFLINE,
    ]
    assert bridge.listener_id is None


@pytest.mark.asyncio
async def test_send_and_close_reach_the_session() -> None:
    bridge = ListenerBridge()
    session = FakeSession()
    bridge.set_opener(lambda _policy: session)
    bridge.start()
    await until(lambda: bridge.state is ConnectionState.ONLINE, "online")
    bridge.send_text("c1", "hello")
    bridge.send_bytes("c1", b"\x00\x01")
    bridge.close_connection("c1")
    await until(lambda: len(session.sent) == 2 and session.closed_connections, "sends")
    assert session.sent == [("c1", "hello"), ("c1", b"\x00\x01")]
    assert session.closed_connections == ["c1"]
    await bridge.aclose(2.0)
    assert session.stopped


@pytest.mark.asyncio
async def test_unreported_start_failure_becomes_an_error_with_remedy() -> None:
    bridge = ListenerBridge()
    bridge.set_opener(lambda _policy: FakeSession(fail_with=forbidden()))
    errors = _recorder(bridge.error)
    bridge.start()
    await until(lambda: bool(errors) and not bridge.running, "the error")
    assert errors[0].kind == "Forbidden"
    assert errors[0].status == 403
    assert "Azure Relay Listener" in errors[0].remedy
    assert bridge.state is ConnectionState.OFFLINE


def test_a_403_remedy_names_the_listener_role(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = ListenerBridge()
    errors = _recorder(bridge.error)
    generic = ErrorInfo("Forbidden", "lacks Listen", "the Listener/Sender role", 403)
    bridge.dispatch(ErrorOccurred(at=1.0, side="listener", error=generic))
    assert "Azure Relay Listener role" in errors[0].remedy
    assert "Sender" not in errors[0].remedy
    assert errors[0].message == "lacks Listen"


@pytest.mark.asyncio
async def test_reported_start_failure_is_not_reported_twice() -> None:
    bridge = ListenerBridge()
    bridge.set_opener(lambda _policy: FakeSession(fail_with=forbidden(), report_failure=True))
    errors = _recorder(bridge.error)
    bridge.start()
    await until(lambda: not bridge.running, "the task to end")
    assert [e.message for e in errors] == ["reported by the core"]


@pytest.mark.asyncio
async def test_send_while_stopped_is_an_error_not_a_crash() -> None:
    bridge = ListenerBridge()
    errors = _recorder(bridge.error)
    bridge.send_text("c1", "hello")
    assert errors[0].kind == "NotListening"
