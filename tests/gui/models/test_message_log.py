"""MessageLogModel: batching, the cap and its counter, and row detail."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from relaydesk.gui.models import message_log, message_rows
from relaydesk.gui.models.message_log import EVENT_ROLE, MessageLogModel
from relaydesk.relay.events import (
    ConnectionState,
    HttpRequestReceived,
    HttpResponseReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
    StateChanged,
)

pytestmark = pytest.mark.gui

AT = 1_800_000_000.0


def _msg(i: int, data: str | bytes | None = None) -> MessageReceived:
    return MessageReceived(
        at=AT + i, side="listener", connection_id="c1", data=f"m{i}" if data is None else data
    )


def _count_signals(model: MessageLogModel) -> dict[str, list[tuple[int, int]]]:
    seen: dict[str, list[tuple[int, int]]] = {"inserted": [], "removed": []}
    model.rowsInserted.connect(lambda _p, a, b: seen["inserted"].append((a, b)))
    model.rowsRemoved.connect(lambda _p, a, b: seen["removed"].append((a, b)))
    return seen


def test_many_appends_make_one_insert(qtbot: QtBot) -> None:
    model = MessageLogModel()
    seen = _count_signals(model)
    for i in range(1000):
        model.append(_msg(i))
    assert model.rowCount() == 0 and model.pending_count == 1000
    model.flush()
    assert seen["inserted"] == [(0, 999)]
    assert model.rowCount() == 1000


def test_the_coalescing_timer_flushes_by_itself(qtbot: QtBot) -> None:
    model = MessageLogModel()
    seen = _count_signals(model)
    model.append_many([_msg(i) for i in range(50)])
    qtbot.waitUntil(lambda: model.rowCount() == 50, timeout=5000)
    assert seen["inserted"] == [(0, 49)]


def test_other_events_are_ignored(qtbot: QtBot) -> None:
    model = MessageLogModel()
    model.append(StateChanged(at=AT, side="listener", state=ConnectionState.ONLINE))
    model.flush()
    assert model.rowCount() == 0 and model.appended_count == 0


@pytest.mark.parametrize("batches", [[3, 4, 5], [12], [9, 1, 30, 2], [10, 10, 1]])
def test_cap_and_trimmed_counter_add_up(qtbot: QtBot, batches: list[int]) -> None:
    model = MessageLogModel(cap=10)
    seen = _count_signals(model)
    trimmed_signals: list[int] = []
    model.trimmed_changed.connect(trimmed_signals.append)
    total = 0
    for size in batches:
        model.append_many([_msg(total + i) for i in range(size)])
        total += size
        model.flush()
        assert model.rowCount() + model.trimmed_count == total == model.appended_count
        assert model.rowCount() == min(total, 10)
    # The newest rows are kept, oldest first.
    last = model.index(model.rowCount() - 1, 5).data()
    assert last == f"m{total - 1}"
    assert len(seen["removed"]) <= len(batches)  # at most one removal per flush
    if model.trimmed_count:
        assert trimmed_signals[-1] == model.trimmed_count


def test_a_flood_bigger_than_the_cap_builds_only_the_kept_rows(qtbot: QtBot) -> None:
    model = MessageLogModel(cap=100)
    seen = _count_signals(model)
    model.append_many([_msg(i) for i in range(20_000)])
    model.flush()
    assert model.rowCount() == 100 and model.trimmed_count == 19_900
    assert seen["inserted"] == [(0, 99)] and seen["removed"] == []
    assert model.index(0, 5).data() == "m19900"


def test_rows_are_formatted_when_first_shown_not_when_inserted(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[int] = []
    real_build = message_rows.build_row

    def counting_build(event: message_rows.LogEvent, *args: object) -> message_rows.MessageRow:
        built.append(int(event.at - AT))
        return real_build(event, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(message_rows, "build_row", counting_build)
    monkeypatch.setattr(message_log, "build_row", counting_build, raising=False)
    model = MessageLogModel(cap=1000)
    model.append_many([_msg(i) for i in range(3000)])  # a flood: 2,000 trimmed on the way
    model.flush()
    assert model.rowCount() == 1000 and built == []  # inserting formats nothing
    assert model.index(999, 5).data() == "m2999" and model.index(999, 0).data()
    assert built == [2999]  # the shown row, once, however many cells are read
    assert model.row_event(0).data == "m2000" and built == [2999]  # the event needs no row
    assert "m2000" in model.row_detail(0) and built == [2999, 2000]


def test_columns_and_roles(qtbot: QtBot) -> None:
    model = MessageLogModel()
    sent = MessageSent(at=AT, side="sender", connection_id="c9", data=b"\x01\x02")
    model.append(_msg(0, "hello"))
    model.append(sent, rtt=0.0021)
    model.flush()
    row0 = [model.index(0, c).data() for c in range(model.columnCount())]
    row1 = [model.index(1, c).data() for c in range(model.columnCount())]
    assert row0[1:] == ["←", "c1", "text", "5 B", "hello", ""]
    assert row1[1:] == ["→", "c9", "binary", "2 B", "01 02", "2.1 ms"]
    assert model.index(1, 0).data(EVENT_ROLE) is sent
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Time"
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


def test_row_detail_pretty_prints_json(qtbot: QtBot) -> None:
    model = MessageLogModel()
    model.append(_msg(0, '{"a":1,"b":[true,null]}'))
    model.flush()
    detail = model.row_detail(0)
    assert json.dumps({"a": 1, "b": [True, None]}, indent=2) in detail
    assert model.row_detail(5) == ""


def test_row_detail_hex_dumps_binary(qtbot: QtBot) -> None:
    model = MessageLogModel()
    model.append(_msg(0, b"\x00\x01ABC"))
    model.flush()
    assert "00000000  00 01 41 42 43" in model.row_detail(0)
    assert "|..ABC|" in model.row_detail(0)


def test_http_rows_and_detail_with_redacted_headers(qtbot: QtBot) -> None:
    model = MessageLogModel()
    request = HttpRequestReceived(
        at=AT,
        side="listener",
        request_id="r1",
        method="POST",
        target="/demo/x?sb-hc-token=T0K",
        headers={"Content-Type": "application/json", "ServiceBusAuthorization": "SAS-VALUE"},
        body=b'{"q":1}',
        via_rendezvous=True,
    )
    response = HttpResponseSent(
        at=AT,
        side="listener",
        request_id="r1",
        status=200,
        headers={"Content-Type": "text/plain"},
        body=b"ok",
        via_rendezvous=False,
        elapsed=0.004,
    )
    received = HttpResponseReceived(
        at=AT,
        side="sender",
        method="GET",
        url="https://ns/demo",
        status=404,
        reason="Not Found",
        headers={},
        body=b"",
        elapsed=0.01,
    )
    model.append_many([request, response, received])
    model.flush()
    assert model.index(0, 5).data() == "POST /demo/x?sb-hc-token=<redacted> (rendezvous)"
    assert model.index(1, 5).data() == "200 in 4.0 ms"
    assert model.index(2, 5).data() == "404 Not Found ← GET https://ns/demo"
    detail = model.row_detail(0)
    assert "Content-Type: application/json" in detail
    assert '"q": 1' in detail
    assert "SAS-VALUE" not in detail and "T0K" not in detail
    assert model.row_detail(2).endswith("(empty body)")


def test_clear_resets_rows_and_counter(qtbot: QtBot) -> None:
    model = MessageLogModel(cap=2)
    model.append_many([_msg(i) for i in range(5)])
    model.flush()
    model.clear()
    assert (model.rowCount(), model.trimmed_count, model.appended_count) == (0, 0, 0)


def test_payloads_beyond_the_budget_are_let_go_oldest_first(qtbot: QtBot) -> None:
    model = MessageLogModel(cap=100, payload_budget=25)
    model.append_many(_msg(i, bytes([i]) * 10) for i in range(5))  # 50 B in all
    model.flush()
    assert model.rowCount() == 5 and model.released_count == 3  # 20 B kept: rows 3 and 4
    assert [model.row_event(r).data for r in range(5)][3:] == [b"\x03" * 10, b"\x04" * 10]
    assert model.row_event(0).data == b""
    assert model.index(0, 4).data() == "10 B"  # the cells stay
    assert "let go to keep memory bounded" in model.row_detail(0)
    assert "03 03 03" in model.row_detail(3)


def test_the_newest_payload_stays_even_over_the_budget(qtbot: QtBot) -> None:
    model = MessageLogModel(cap=100, payload_budget=5)
    model.append(_msg(0, "x" * 50))
    model.flush()
    assert model.released_count == 0 and model.row_event(0).data == "x" * 50
    model.append(_msg(1, "y" * 50))
    model.flush()
    assert model.released_count == 1 and model.row_event(0).data == ""


def test_trimmed_rows_leave_the_budget(qtbot: QtBot) -> None:
    model = MessageLogModel(cap=2, payload_budget=25)
    for i in range(6):  # one at a time: each flush trims the oldest row
        model.append(_msg(i, bytes([i]) * 10))
        model.flush()
    # Only the two kept rows count: 20 B, within the budget, so both keep their content.
    assert model.trimmed_count == 4
    assert [model.row_event(r).data for r in range(2)] == [b"\x04" * 10, b"\x05" * 10]
    model.clear()
    assert model.released_count == 0
