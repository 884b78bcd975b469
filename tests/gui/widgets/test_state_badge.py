"""StateBadge: words for every state, the reconnect countdown, the last error."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from relaydesk.gui.widgets.state_badge import StateBadge
from relaydesk.relay.events import ConnectionState, ErrorInfo

pytestmark = pytest.mark.gui

FORBIDDEN = ErrorInfo(
    kind="Forbidden",
    message="'sender' lacks Send on /demo",
    remedy="assign Azure Relay Sender",
    status=403,
    tracking_id="trk-9",
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def badge(qtbot: QtBot, clock: FakeClock) -> StateBadge:
    widget = StateBadge(clock=clock)
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize(
    ("state", "text", "prop"),
    [
        (ConnectionState.OFFLINE, "Offline", "offline"),
        (ConnectionState.CONNECTING, "Connecting…", "connecting"),
        (ConnectionState.ONLINE, "Online", "online"),
    ],
)
def test_plain_states(badge: StateBadge, state: ConnectionState, text: str, prop: str) -> None:
    badge.set_state(state)
    assert badge.text == text
    assert badge.property("state") == prop
    assert badge.dot.property("state") == prop
    assert badge.cause_label.isHidden()


def test_reconnect_counts_down_each_second(badge: StateBadge, clock: FakeClock) -> None:
    badge.set_state(ConnectionState.RECONNECTING, attempt=2, next_try_in=3, error=FORBIDDEN)
    assert badge.text == "Reconnecting in 3 s (attempt 2)"
    assert badge.property("state") == "reconnecting"
    assert badge.ticking
    clock.now += 1
    badge.tick()
    assert badge.text == "Reconnecting in 2 s (attempt 2)"
    clock.now += 2.5
    badge.tick()
    assert badge.text == "Reconnecting now (attempt 2)"
    assert not badge.ticking


def test_error_shows_cause_remedy_and_tracking_id(badge: StateBadge) -> None:
    badge.set_state(ConnectionState.OFFLINE, error=FORBIDDEN)
    assert badge.text == "Error"
    assert badge.property("state") == "error"
    assert badge.cause_label.text() == "Forbidden (403): 'sender' lacks Send on /demo"
    assert badge.remedy_label.text() == "Remedy: assign Azure Relay Sender"
    assert badge.tracking_label.text() == "TrackingId: trk-9"
    assert not badge.tracking_label.isHidden()
    assert badge.tracking_label.textInteractionFlags()  # selectable


def test_error_status_is_not_repeated_when_the_message_has_it(badge: StateBadge) -> None:
    error = ErrorInfo("Forbidden", "HTTP 403: 'sender' lacks Send", "assign the role", 403)
    badge.set_state(ConnectionState.OFFLINE, error=error)
    assert badge.cause_label.text() == "Forbidden: HTTP 403: 'sender' lacks Send"


def test_error_stays_while_reconnecting_and_clears_when_online(badge: StateBadge) -> None:
    badge.set_state(ConnectionState.OFFLINE, error=FORBIDDEN)
    badge.set_state(ConnectionState.RECONNECTING, attempt=1, next_try_in=1)
    assert not badge.cause_label.isHidden()
    badge.set_state(ConnectionState.ONLINE)
    assert badge.cause_label.isHidden() and badge.text == "Online"


def test_state_changed_signal(badge: StateBadge) -> None:
    seen: list[str] = []
    badge.state_changed.connect(seen.append)
    badge.set_state(ConnectionState.CONNECTING)
    badge.set_state(ConnectionState.CONNECTING)
    badge.set_state(ConnectionState.ONLINE)
    assert seen == ["connecting", "online"]
