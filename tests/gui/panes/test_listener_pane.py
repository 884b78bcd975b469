"""ListenerPane: state, token, errors, connections and log from bridge signals."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.bridges.policies import ListenerPolicy
from relaydesk.gui.panes.listener_pane import ListenerPane
from relaydesk.profiles.model import Profile
from relaydesk.relay.events import (
    ConnectionEnded,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    HttpRequestReceived,
    HttpResponseSent,
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


def _request(rid: str) -> tuple[HttpRequestReceived, HttpResponseSent]:
    request = HttpRequestReceived(
        at=1_700_000_000.0,
        side="listener",
        request_id=rid,
        method="POST",
        target="/demo/api/orders",
        headers={"X-Trace": "t1"},
        body=b'{"q": 1}',
        via_rendezvous=False,
    )
    response = HttpResponseSent(
        at=1_700_000_000.5,
        side="listener",
        request_id=rid,
        status=201,
        headers={},
        body=b"{}",
        via_rendezvous=False,
        elapsed=0.5,
    )
    return request, response


def _class_names(pane: ListenerPane) -> set[str]:
    return {type(widget).__name__ for widget in pane.findChildren(QWidget)}


def test_the_inspector_is_made_when_its_tab_is_selected_with_what_came_before(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Requests that arrive before anyone opens the inspector are all in it."""
    bridge = ListenerBridge()
    pane = ListenerPane(bridge)
    qtbot.addWidget(pane)
    pane.show()
    assert "HttpInspector" not in _class_names(pane)
    assert [pane.views.tabText(i) for i in range(pane.views.count())] == [
        "Messages",
        "HTTP inspector",
    ]
    pane.set_address("demo", "https://ns.example")
    for event in _request("r1"):
        bridge.dispatch(event)
    assert "HttpInspector" not in _class_names(pane)
    pane.views.setCurrentIndex(1)
    inspector = pane.views.currentWidget()
    assert type(inspector).__name__ == "HttpInspector" and inspector is pane.inspector
    assert inspector.model.rowCount() == 1
    assert (inspector.entity_path, inspector.base_url) == ("demo", "https://ns.example")
    replayed: list[dict[str, object]] = []
    pane.replay_requested.connect(replayed.append)
    inspector.select_row(0)
    inspector.replay_button.click()
    assert replayed and replayed[0]["method"] == "POST"
    pane.set_address("other", "https://other.example")  # a later profile reaches it too
    assert (inspector.entity_path, inspector.base_url) == ("other", "https://other.example")


def _profile(forward_to: str) -> Profile:
    return Profile(name="p", address="sb://ns.example/hc", forward_to=forward_to)


def test_the_settings_are_made_on_the_first_press_with_the_profiles_forward_url(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = ListenerBridge()
    pane = ListenerPane(bridge)
    qtbot.addWidget(pane)
    pane.show()
    pane.show_forward(_profile("http://127.0.0.1:9000"))  # a profile became active
    assert bridge.policy.forward_to == "http://127.0.0.1:9000"
    assert "ListenerSettings" not in _class_names(pane)
    pane.settings_toggle.click()
    assert pane.settings.isVisible()
    assert pane.settings.forward_edit.text() == "http://127.0.0.1:9000"
    assert pane.lower_splitter.widget(0) is pane.settings_scroll  # above the connections
    saved: list[ListenerPolicy] = []
    pane.forward_changed.connect(saved.append)
    pane.settings.forward_edit.setText("http://127.0.0.1:9001")
    pane.settings.forward_edit.editingFinished.emit()
    assert [p.forward_to for p in saved] == ["http://127.0.0.1:9001"]
    assert bridge.policy.forward_to == "http://127.0.0.1:9001"
    pane.show_forward(_profile(""))  # made now: the settings show and announce it
    assert pane.settings.forward_edit.text() == "" and bridge.policy.forward_to == ""
    pane.settings_toggle.click()
    assert not pane.settings.isVisible()
