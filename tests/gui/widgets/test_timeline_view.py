"""TimelineView: the filter combos drive the proxy; Export… only emits an intent."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from relaydesk.gui.models.timeline import Severity, TimelineModel
from relaydesk.gui.widgets.timeline_view import TimelineView
from relaydesk.relay.events import (
    ChannelClosed,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    StateChanged,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot: QtBot) -> TimelineView:
    model = TimelineModel()
    model.append_event(StateChanged(at=1.8e9, side="listener", state=ConnectionState.ONLINE))
    model.append_event(ChannelClosed(at=1.8e9, side="sender", channel_id="s", code=1011))
    model.append_event(
        ErrorOccurred(at=1.8e9, side="sender", error=ErrorInfo(kind="Forbidden", message="no"))
    )
    widget = TimelineView(model)
    qtbot.addWidget(widget)
    return widget


def test_filters(view: TimelineView) -> None:
    assert view.table.model().rowCount() == 3
    view.side_combo.setCurrentIndex(view.side_combo.findData("sender"))
    assert view.proxy.rowCount() == 2
    view.set_min_severity(Severity.ERROR)
    assert view.proxy.rowCount() == 1
    assert view.proxy.index(0, 3).data() == "Forbidden: no"
    view.set_side("listener")
    assert view.proxy.rowCount() == 0
    view.set_side("both")
    view.set_min_severity("info")
    assert view.proxy.rowCount() == 3


def test_export_button_emits_the_intent(view: TimelineView, qtbot: QtBot) -> None:
    with qtbot.waitSignal(view.export_requested, timeout=2000):
        qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)


def test_export_dialog_is_non_modal_and_reports_the_path(view: TimelineView, qtbot: QtBot) -> None:
    dialog = view.open_export_dialog()
    try:
        assert not dialog.isModal()
        assert dialog.windowModality() == Qt.WindowModality.NonModal
        with qtbot.waitSignal(view.export_path_chosen, timeout=2000) as blocker:
            dialog.fileSelected.emit("/tmp/session.jsonl")
        assert blocker.args == ["/tmp/session.jsonl"]
    finally:
        dialog.close()


def test_controls_are_named_for_accessibility(view: TimelineView) -> None:
    for widget in (view.side_combo, view.severity_combo, view.export_button, view.table):
        assert widget.accessibleName()
