"""ListenerPane: state, token, errors, connections and log from bridge signals."""

from __future__ import annotations

import pytest

from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.panes.listener_pane import ListenerPane
from relaydesk.relay.events import (
    ConnectionEnded,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    MessageReceived,
    StateChanged,
    TokenInfo,
    TokenRenewed,
)
from tests.gui.panes.events import accepted

pytestmark = pytest.mark.gui


def test_pane_shows_state_token_errors_and_messages(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = ListenerBridge()
    pane = ListenerPane(bridge)
    qtbot.addWidget(pane)
    assert pane.start_button.text() == "Start"
    bridge.dispatch(StateChanged(at=0, side="listener", state=ConnectionState.ONLINE))
    assert pane.start_button.text() == "Stop"
    assert pane.state_badge.text == "Online"
    token = TokenInfo(kind="entra", identity="app", expires_at=9e9)
    bridge.dispatch(TokenRenewed(at=1.0, side="listener", token=token, renewals=3))
    assert pane.token_badge.renewals == 3
    bridge.dispatch(accepted("c-9"))
    bridge.dispatch(MessageReceived(at=0, side="listener", connection_id="c-9", data="x"))
    pane.log_model.flush()
    assert pane.log_model.rowCount() == 1
    bridge.dispatch(ConnectionEnded(at=0, side="listener", connection_id="c-9", code=1000))
    assert pane.connections.connection_ids() == []
    info = ErrorInfo("ConnectionClosed", "closed with 1011", "RelayDesk reconnects", 1011)
    bridge.dispatch(ErrorOccurred(at=0, side="listener", error=info))
    assert "1011" in pane.state_badge.cause_label.text()
    bridge.dispatch(StateChanged(at=0, side="listener", state=ConnectionState.OFFLINE))
    assert pane.start_button.text() == "Start"
    pane.settings_toggle.click()
    assert pane.settings.isVisibleTo(pane)
