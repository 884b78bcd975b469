"""SenderBridge: connect/disconnect, sends, repeats, round-trip times, HTTP."""

from __future__ import annotations

import asyncio

import pytest

from relaydesk.errors import ListenerTimeout
from relaydesk.gui.bridges.backends import HttpRequestSpec, SenderOptions
from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.relay.events import (
    ConnectionState,
    ErrorOccurred,
    HttpResponseReceived,
    MessageReceived,
    MessageSent,
)
from tests.gui.bridges.fakes import FakeSession, forbidden
from tests.gui.conftest import until

pytestmark = pytest.mark.gui


def _recorder(signal):  # type: ignore[no-untyped-def]
    seen: list[object] = []
    signal.connect(lambda *args: seen.append(args[0] if len(args) == 1 else args))
    return seen


async def _connected(bridge: SenderBridge) -> FakeSession:
    session = FakeSession(side="sender")
    options_seen: list[SenderOptions] = []

    def opener(options: SenderOptions) -> FakeSession:
        options_seen.append(options)
        return session

    bridge.set_backend(opener, None)
    bridge.options = SenderOptions(pinned_listener="L-1")
    bridge.connect_sender()
    await until(lambda: bridge.connected, "the sender to connect")
    assert options_seen == [SenderOptions(pinned_listener="L-1")]
    return session


@pytest.mark.asyncio
async def test_echo_gets_a_round_trip_time() -> None:
    bridge = SenderBridge()
    session = await _connected(bridge)
    messages, rtts = _recorder(bridge.message), _recorder(bridge.rtt)
    bridge.send_text("one")
    await until(lambda: session.sent == [(None, "one")], "the send")
    bridge.dispatch(MessageSent(at=1.0, side="sender", connection_id="s", data="one"))
    bridge.dispatch(MessageReceived(at=1.1, side="sender", connection_id="s", data="one"))
    bridge.dispatch(MessageReceived(at=1.2, side="sender", connection_id="s", data="other"))
    assert len(rtts) == 1 and rtts[0] >= 0.0
    sent, echoed, unmatched = messages
    assert sent[1] is None
    assert echoed[0].data == "one" and echoed[1] == rtts[0]
    assert unmatched[1] is None
    await bridge.aclose(2.0)
    assert session.stopped


@pytest.mark.asyncio
async def test_repeat_sends_count_times_and_reports_progress() -> None:
    bridge = SenderBridge()
    session = await _connected(bridge)
    progress = _recorder(bridge.repeat_progress)
    bridge.send_repeated(b"\x01", 5, 0.0)
    await until(lambda: len(session.sent) == 5, "five sends")
    assert progress[-1] == (5, 5)
    bridge.disconnect_sender()
    await until(lambda: not bridge.running, "disconnect")
    assert bridge.state is ConnectionState.OFFLINE


@pytest.mark.asyncio
async def test_a_back_to_back_repeat_lets_other_work_run_once_its_time_slice_is_spent() -> None:
    ticks = iter(range(1_000_000))  # a clock that moves 1 s per reading: every slice is spent
    bridge = SenderBridge(clock=lambda: float(next(ticks)))
    session = await _connected(bridge)
    sends_seen_by_other: list[int] = []

    async def other() -> None:
        await asyncio.sleep(0)
        sends_seen_by_other.append(len(session.sent))

    bridge.send_repeated("x", 20, 0.0)  # the fake's sends never wait
    await asyncio.gather(other(), until(lambda: len(session.sent) == 20, "twenty sends"))
    assert sends_seen_by_other[0] < 20  # not held back until the whole burst was sent
    await bridge.aclose(2.0)


@pytest.mark.asyncio
async def test_connect_failure_shows_cause_and_remedy() -> None:
    bridge = SenderBridge()
    bridge.set_backend(lambda _o: FakeSession(side="sender", fail_with=forbidden()), None)
    errors, states = _recorder(bridge.error), _recorder(bridge.state_changed)
    bridge.connect_sender()
    await until(lambda: bool(errors) and not bridge.running, "the failure")
    assert errors[0].status == 403
    assert "Sender role" in errors[0].remedy
    assert states[-1].state is ConnectionState.OFFLINE


@pytest.mark.asyncio
async def test_send_before_connect_is_explained() -> None:
    bridge = SenderBridge()
    errors = _recorder(bridge.error)
    bridge.send_text("x")
    bridge.connect_sender()  # no profile either
    assert [e.kind for e in errors] == ["NotConnected", "NoProfile"]


@pytest.mark.asyncio
async def test_http_response_and_failure() -> None:
    bridge = SenderBridge()
    specs: list[HttpRequestSpec] = []
    response = HttpResponseReceived(
        at=1.0,
        side="sender",
        method="POST",
        url="https://ns/demo",
        status=200,
        reason="OK",
        headers={},
        body=b"pong",
        elapsed=0.01,
    )

    async def requester(spec: HttpRequestSpec, options: SenderOptions) -> HttpResponseReceived:
        specs.append(spec)
        if spec.method == "GET":
            raise ListenerTimeout(504, "the listener did not answer")
        return response

    bridge.set_backend(None, requester)
    responses, failures = _recorder(bridge.http_response), _recorder(bridge.http_failed)
    timeline = _recorder(bridge.timeline_event)
    errors = _recorder(bridge.error)
    bridge.request(HttpRequestSpec(method="POST", body=b"ping"))
    bridge.request(HttpRequestSpec(method="GET"))
    await until(lambda: responses and failures, "both outcomes")
    assert responses == [response]
    assert failures[0].status == 504 and "60 s" in failures[0].remedy
    assert response in timeline
    assert [e.error for e in timeline if isinstance(e, ErrorOccurred)] == failures
    assert errors == []  # the state badge is the WebSocket's, not the HTTP request's
