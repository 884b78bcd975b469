"""SessionBridge: the state/error/drop signals and the OFFLINE a session still owes."""

from __future__ import annotations

import pytest

from relaydesk.gui.bridges.session_bridge import SessionBridge
from relaydesk.relay.events import (
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    EventsDropped,
    StateChanged,
)

pytestmark = pytest.mark.gui


def _record(bridge: SessionBridge) -> dict[str, list[object]]:
    seen: dict[str, list[object]] = {"state": [], "error": [], "dropped": [], "timeline": []}
    bridge.state_changed.connect(seen["state"].append)
    bridge.error.connect(seen["error"].append)
    bridge.dropped.connect(seen["dropped"].append)
    bridge.timeline_event.connect(seen["timeline"].append)
    return seen


def test_common_events_become_signals_and_offline_is_announced_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = SessionBridge("listener")
    seen = _record(bridge)
    online = StateChanged(at=1.0, side="listener", state=ConnectionState.ONLINE)
    info = ErrorInfo("Forbidden", "no Listen claim", "assign Azure Relay Listener")
    bridge.dispatch(online)
    bridge.dispatch(ErrorOccurred(at=2.0, side="listener", error=info))
    bridge.dispatch(EventsDropped(at=3.0, side="listener", count=7))
    assert seen["state"] == [online]
    assert bridge.state is ConnectionState.ONLINE
    assert [e.kind for e in seen["error"]] == ["Forbidden"]  # type: ignore[attr-defined]
    assert seen["dropped"] == [7]
    assert len(seen["timeline"]) == 3

    bridge._announce_offline()
    bridge._announce_offline()  # already offline: nothing more
    assert [e.state for e in seen["state"]] == [  # type: ignore[attr-defined]
        ConnectionState.ONLINE,
        ConnectionState.OFFLINE,
    ]
    assert seen["state"][-1].side == "listener"  # type: ignore[attr-defined]


def test_a_detached_bridge_drops_late_events(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = SessionBridge("sender")
    seen = _record(bridge)
    bridge._detached = True  # what a stop that timed out leaves behind
    bridge.dispatch(StateChanged(at=1.0, side="sender", state=ConnectionState.ONLINE))
    assert seen == {"state": [], "error": [], "dropped": [], "timeline": []}
    assert bridge.state is ConnectionState.OFFLINE
