"""SenderPane: when the listener count starts to matter (and is asked for)."""

from __future__ import annotations

import pytest

from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.gui.panes.sender_pane import ASK_LINK, SenderPane
from relaydesk.relay.events import ConnectionState, StateChanged

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
