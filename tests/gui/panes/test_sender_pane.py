"""SenderPane: when the listener count starts to matter (and is asked for)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.gui.panes.sender_pane import ASK_LINK, SenderPane
from relaydesk.relay.events import ConnectionState, HttpResponseReceived, StateChanged

pytestmark = pytest.mark.gui


def _pane(qtbot) -> SenderPane:  # type: ignore[no-untyped-def]
    pane = SenderPane(SenderBridge())
    qtbot.addWidget(pane)
    pane.show()
    return pane


def test_an_idle_pane_offers_to_ask_and_asks_when_clicked(qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = _pane(qtbot)
    count = pane.bridge.listener_count
    assert pane.listeners_label.text() == ASK_LINK
    assert not count.wanted
    pane.listeners_label.linkActivated.emit("ask")
    assert count.wanted
    assert pane.listeners_label.text() == "Listeners: …"


def test_connecting_makes_the_count_wanted(qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = _pane(qtbot)
    pane.bridge.dispatch(StateChanged(at=0, side="sender", state=ConnectionState.OFFLINE))
    assert not pane.bridge.listener_count.wanted
    pane.bridge.dispatch(StateChanged(at=0, side="sender", state=ConnectionState.CONNECTING))
    assert pane.bridge.listener_count.wanted
    assert pane.listeners_label.text() == "Listeners: …"


def test_this_apps_listener_online_makes_the_count_wanted(qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = _pane(qtbot)
    pane.set_pin_target(None)  # a listener that is not running changes nothing
    assert not pane.bridge.listener_count.wanted
    pane.set_pin_target("listener-id")
    assert pane.bridge.listener_count.wanted
    assert pane.listeners_label.text() == "Listeners: …"


def _class_names(pane: SenderPane) -> set[str]:
    return {type(widget).__name__ for widget in pane.findChildren(QWidget)}


def test_the_http_tab_is_made_when_first_selected(qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = _pane(qtbot)
    assert [pane.tabs.tabText(i) for i in range(pane.tabs.count())] == ["WebSocket", "HTTP"]
    pane.reset()  # another profile: nothing to clear in a tab nobody opened
    assert "HttpTab" not in _class_names(pane)
    pane.tabs.setCurrentIndex(1)
    tab = pane.tabs.currentWidget()
    assert type(tab).__name__ == "HttpTab" and tab is pane.http_tab


def test_a_response_makes_the_http_tab_it_is_shown_in(qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = _pane(qtbot)
    pane.bridge.http_response.emit(
        HttpResponseReceived(
            at=0.0,
            side="sender",
            method="GET",
            url="https://ns/demo/x",
            status=200,
            reason="OK",
            headers={},
            body=b"{}",
            elapsed=0.01,
        )
    )
    assert pane.http_tab.status_label.text().startswith("200 OK")
    assert pane.tabs.currentIndex() == 0  # shown when the user looks, not switched to
    pane.reset()
    assert pane.http_tab.status_label.text() == "No response yet"
