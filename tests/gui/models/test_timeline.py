"""TimelineModel and TimelineFilterProxy: rows, cap, side and severity filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from relaydesk.gui.models.timeline import (
    ENTRY_ROLE,
    Severity,
    TimelineFilterProxy,
    TimelineModel,
    export_jsonl,
)
from relaydesk.relay.events import (
    ChannelClosed,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    MessageReceived,
    StateChanged,
)

pytestmark = pytest.mark.gui

AT = 1_800_000_000.0


def _filled() -> TimelineModel:
    model = TimelineModel()
    model.append_event(StateChanged(at=AT, side="listener", state=ConnectionState.ONLINE))
    model.append_event(ChannelClosed(at=AT, side="sender", channel_id="s", code=1011))
    model.append_event(MessageReceived(at=AT, side="listener", connection_id="c", data="x"))
    model.append_event(
        ErrorOccurred(at=AT, side="listener", error=ErrorInfo(kind="Forbidden", message="no"))
    )
    model.append_event(StateChanged(at=AT, side="check", state=ConnectionState.CONNECTING))
    return model


def _texts(proxy: TimelineFilterProxy) -> list[str]:
    return [proxy.index(r, 3).data() for r in range(proxy.rowCount())]


def test_rows_skip_content_events(qtbot: QtBot) -> None:
    model = _filled()
    assert model.rowCount() == 4
    assert [model.index(r, 3).data() for r in range(4)] == [
        "online",
        "closed 1011 by relay",
        "Forbidden: no",
        "connecting",
    ]
    assert model.index(1, 2).data() == "⚠ warning"
    assert model.index(2, 2).data() == "✖ error"
    assert model.index(2, 0).data(ENTRY_ROLE).severity is Severity.ERROR
    assert model.index(2, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert len(model.events()) == 5  # the message event is recorded for the export


def test_a_close_and_the_error_explaining_it_share_one_row(qtbot: QtBot) -> None:
    model = TimelineModel()
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))
    closed = ChannelClosed(at=AT, side="listener", channel_id="ch", code=1006)
    error = ErrorInfo("ConnectionClosed", "closed with 1006: dropped", "Check the network.", 1006)
    model.append_event(closed)
    model.append_event(ErrorOccurred(at=AT, side="listener", error=error))
    model.append_event(
        StateChanged(at=AT, side="listener", state=ConnectionState.RECONNECTING, attempt=1)
    )
    assert model.rowCount() == 2
    row = model.entry(0)
    assert row.text == "dropped without a close frame (1006)"
    assert row.severity is Severity.ERROR
    assert row.detail == "channel ch · Remedy: Check the network."
    assert changed == [0]
    assert len(model.events()) == 3  # the export keeps both


def test_a_refusal_and_the_offline_it_causes_share_one_row(qtbot: QtBot) -> None:
    model = TimelineModel()
    refused = ErrorInfo("Forbidden", "HTTP 403: no Send", "Assign the role.", 403)
    model.append_event(ErrorOccurred(at=AT, side="sender", error=refused))
    offline = StateChanged(at=AT, side="sender", state=ConnectionState.OFFLINE, error=refused)
    model.append_event(offline)
    assert model.rowCount() == 1
    assert model.entry(0).text == "offline: Forbidden: HTTP 403: no Send"
    assert model.entry(0).severity is Severity.ERROR
    other = ErrorInfo("Forbidden", "another", "", 403)
    model.append_event(ErrorOccurred(at=AT, side="sender", error=refused))
    model.append_event(
        StateChanged(at=AT, side="sender", state=ConnectionState.OFFLINE, error=other)
    )
    assert model.rowCount() == 3  # another error: its own row


def test_errors_that_do_not_explain_the_close_keep_their_rows(qtbot: QtBot) -> None:
    model = TimelineModel()
    closed = ChannelClosed(at=AT, side="listener", channel_id="ch", code=1006)
    unrelated = [
        ErrorOccurred(at=AT, side="sender", error=ErrorInfo("ConnectionClosed", "x", "", 1006)),
        ErrorOccurred(at=AT, side="listener", error=ErrorInfo("ConnectionClosed", "x", "", 1011)),
        ErrorOccurred(at=AT, side="listener", error=ErrorInfo("Forbidden", "no", "", 1006)),
    ]  # another side, another code, another kind
    for error in unrelated:
        model.append_event(closed)
        model.append_event(error)
    assert model.rowCount() == 6
    assert [model.entry(r).severity for r in (0, 2, 4)] == [Severity.WARNING] * 3


def test_cap_drops_the_oldest_row(qtbot: QtBot) -> None:
    model = TimelineModel(cap=2)
    for i in range(5):
        model.append_event(ChannelClosed(at=AT + i, side="listener", channel_id=str(i), code=1000))
    assert model.rowCount() == 2
    assert model.entry(0).detail == "channel 3"
    assert len(model.events()) == 5
    model.clear()
    assert model.rowCount() == 0 and model.events() == []


def test_side_filter(qtbot: QtBot) -> None:
    proxy = TimelineFilterProxy()
    proxy.setSourceModel(_filled())
    assert proxy.rowCount() == 4
    proxy.set_side("sender")
    assert _texts(proxy) == ["closed 1011 by relay"]
    proxy.set_side("listener")
    assert _texts(proxy) == ["online", "Forbidden: no"]
    proxy.set_side("both")
    assert proxy.rowCount() == 4


def test_severity_filter_combines_with_side(qtbot: QtBot) -> None:
    proxy = TimelineFilterProxy()
    proxy.setSourceModel(_filled())
    proxy.set_min_severity(Severity.WARNING)
    assert _texts(proxy) == ["closed 1011 by relay", "Forbidden: no"]
    proxy.set_min_severity("error")
    assert _texts(proxy) == ["Forbidden: no"]
    proxy.set_side("sender")
    assert _texts(proxy) == []
    assert proxy.min_severity is Severity.ERROR and proxy.side == "sender"


def test_export_of_the_model_events(qtbot: QtBot, tmp_path: Path) -> None:
    model = _filled()
    assert export_jsonl(tmp_path / "s.jsonl", model.events()) == 5


def test_a_flood_keeps_the_protocol_history_and_bounds_the_payloads(qtbot: QtBot) -> None:
    model = TimelineModel(session_cap=10, payload_budget=100)
    model.append_event(StateChanged(at=AT, side="listener", state=ConnectionState.ONLINE))
    for i in range(50):
        data = f"{i:02d}" * 10  # 20 characters each
        message = MessageReceived(at=AT + i, side="listener", connection_id="c", data=data)
        model.append_event(message)
    model.append_event(StateChanged(at=AT + 60, side="listener", state=ConnectionState.OFFLINE))
    events = model.events()
    states = [e for e in events if isinstance(e, StateChanged)]
    messages = [e for e in events if isinstance(e, MessageReceived)]
    assert [e.state for e in states] == [ConnectionState.ONLINE, ConnectionState.OFFLINE]
    assert [m.data[:2] for m in messages] == ["45", "46", "47", "48", "49"]  # newest 100 chars
    assert events[0] is states[0] and events[-1] is states[1]  # in the order they came
    model.clear()
    assert model.events() == []
