"""ConnectionsView: rows, counters, send/close intents."""

from __future__ import annotations

import pytest

from relaydesk.gui.panes.connections import ConnectionsView
from relaydesk.relay.events import (
    MessageReceived,
    MessageSent,
)
from tests.gui.panes.events import accepted

pytestmark = pytest.mark.gui


def test_connections_rows_counters_and_intents(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ConnectionsView()
    qtbot.addWidget(view)
    assert not view.send_button.isEnabled()
    view.add(accepted("c-1"))
    view.add(accepted("c-2"))
    view.add(accepted("c-1"))  # duplicate ignored
    assert view.connection_ids() == ["c-1", "c-2"]
    assert view.title.text() == "Connections: 2"
    assert view.selected_id() == "c-1"  # the first is selected for convenience
    assert view.table.item(0, 1).text() == "127.0.0.1:50000"
    assert view.table.item(0, 2).text() == "X-App: demo"
    view.count_message(MessageReceived(at=0, side="listener", connection_id="c-1", data="a"))
    view.count_message(MessageSent(at=0, side="listener", connection_id="c-1", data="a"))
    view.count_message(MessageSent(at=0, side="listener", connection_id="zz", data="a"))
    view.refresh_counters()
    assert (view.table.item(0, 4).text(), view.table.item(0, 5).text()) == ("1", "1")
    view.message_edit.setText("hi there")
    with qtbot.waitSignal(view.send_requested, timeout=1000) as sent:
        view.send_button.click()
    assert sent.args == ["c-1", "hi there"]
    assert view.message_edit.text() == ""
    with qtbot.waitSignal(view.close_requested, timeout=1000) as closed:
        view.close_button.click()
    assert closed.args == ["c-1"]
    view.remove("c-1")
    assert view.connection_ids() == ["c-2"]
    view.clear()
    assert view.title.text() == "Connections: 0"
