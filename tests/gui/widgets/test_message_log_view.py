"""MessageLogView: follow-tail, the trimmed label and the detail pane."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractSlider
from pytestqt.qtbot import QtBot

from relaydesk.gui.models.message_log import MessageLogModel
from relaydesk.gui.widgets.message_log_view import MessageLogView
from relaydesk.relay.events import MessageReceived

pytestmark = pytest.mark.gui


def _fill(model: MessageLogModel, count: int, start: int = 0) -> None:
    model.append_many(
        MessageReceived(at=1.8e9 + i, side="listener", connection_id="c1", data=f'{{"n":{i}}}')
        for i in range(start, start + count)
    )
    model.flush()


@pytest.fixture
def view(qtbot: QtBot) -> MessageLogView:
    widget = MessageLogView(MessageLogModel(cap=500))
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_follow_tail_keeps_the_newest_row_in_view(view: MessageLogView) -> None:
    _fill(view.model, 200)
    bar = view.table.verticalScrollBar()
    assert bar.maximum() > 0
    assert bar.value() == bar.maximum()
    _fill(view.model, 50, start=200)
    assert bar.value() == bar.maximum()


def test_scrolling_up_stops_following_and_the_checkbox_resumes(view: MessageLogView) -> None:
    _fill(view.model, 200)
    bar = view.table.verticalScrollBar()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)
    assert not view.follow_tail and not view.follow_checkbox.isChecked()
    _fill(view.model, 50, start=200)
    assert bar.value() == 0  # the user's position is kept
    view.follow_checkbox.setChecked(True)
    assert bar.value() == bar.maximum()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)
    assert not view.follow_tail
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)
    assert view.follow_tail  # back at the bottom: following again


def test_trimmed_label_counts_dropped_rows(view: MessageLogView) -> None:
    assert not view.trimmed_label.isVisible()
    _fill(view.model, 520)
    assert view.trimmed_label.isVisible()
    assert view.trimmed_label.text() == "20 older rows trimmed"
    _fill(view.model, 1000, start=520)
    assert view.trimmed_label.text() == "1,020 older rows trimmed"
    assert view.model.rowCount() + view.model.trimmed_count == 1520


def test_selecting_a_row_shows_its_full_content(view: MessageLogView) -> None:
    _fill(view.model, 3)
    view.table.selectRow(2)
    assert view.follow_tail  # the newest row: still following
    view.table.selectRow(1)
    assert view.detail.toPlainText().endswith('{\n  "n": 1\n}')
    assert view.detail.isReadOnly()
    assert not view.follow_tail  # inspecting an older row pauses following
    view.model.clear()
    assert view.detail.toPlainText() == ""


def test_a_flood_is_inserted_in_one_batch(view: MessageLogView, qtbot: QtBot) -> None:
    inserts: list[int] = []
    view.model.rowsInserted.connect(lambda *_: inserts.append(1))
    for i in range(20_000):
        view.model.append(
            MessageReceived(at=1.8e9, side="listener", connection_id="c", data=str(i))
        )
    qtbot.waitUntil(lambda: view.model.pending_count == 0, timeout=10_000)
    assert len(inserts) == 1
    assert view.model.rowCount() == 500 and view.model.trimmed_count == 19_500
