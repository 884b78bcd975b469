"""The listener's HTTP inspector: rows with hop times, detail, filters, replay, HAR export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relaydesk.gui.models.http_capture import COLUMNS, HttpCaptureModel
from relaydesk.gui.panes.http_tab import HttpTab
from relaydesk.gui.widgets.http_inspector import HttpInspector
from relaydesk.relay.capture import Capture
from relaydesk.relay.events import HttpRequestReceived, HttpResponseReceived, HttpResponseSent
from tests.relay.test_har import check_har_1_2

pytestmark = pytest.mark.gui


def _exchange(
    model: HttpCaptureModel,
    rid: str,
    method: str,
    target: str,
    status: int,
    body: bytes,
    *,
    size: int | None = None,
    ctype: str = "application/json",
) -> None:
    model.append(
        HttpRequestReceived(
            at=1_700_000_000.0,
            side="listener",
            request_id=rid,
            method=method,
            target=target,
            headers={"Authorization": "Bearer top-secret", "X-Trace": "t1", "Host": "ns"},
            body=b'{"q": 1}' if method == "POST" else b"",
            via_rendezvous=False,
        )
    )
    model.append(
        HttpResponseSent(
            at=1_700_000_000.5,
            side="listener",
            request_id=rid,
            status=status,
            headers={"Content-Type": ctype},
            body=body,
            via_rendezvous=size is not None,
            elapsed=0.5,
            body_size=size,
            timings={"handler": 0.012, "body": 0.2, "deliver": 0.3},
        )
    )


@pytest.fixture
def inspector(qtbot) -> HttpInspector:  # type: ignore[no-untyped-def]
    widget = HttpInspector(HttpCaptureModel(Capture(body_limit=64)))
    widget.entity_path = "demo"
    widget.base_url = "https://ns.example"
    qtbot.addWidget(widget)
    _exchange(
        widget.model, "a", "GET", "/demo/api/items?token=tok-123&page=2", 200, b'{"items":[1,2]}'
    )
    _exchange(widget.model, "b", "POST", "/demo/api/orders", 201, b'{"id":7}')
    _exchange(
        widget.model,
        "c",
        "GET",
        "/demo/download",
        200,
        bytes(range(256)),
        size=1_048_576,
        ctype="application/octet-stream",
    )
    _exchange(
        widget.model, "d", "GET", "/demo/missing", 502, b"RelayDesk: down", ctype="text/plain"
    )
    widget.resize(900, 600)
    return widget


def test_one_row_per_request_with_hop_times(inspector: HttpInspector) -> None:
    model = inspector.model
    assert model.rowCount() == 4
    row = [model.index(0, c).data() for c in range(len(COLUMNS))]
    assert row[1:4] == ["GET", "/demo/api/items?token=<redacted>&page=2", "200"]
    assert row[COLUMNS.index("→ local")] == "12.0 ms"
    assert row[COLUMNS.index("Total")] == "500.0 ms"
    assert "4 requests" in inspector.count_label.text()


def test_detail_pretty_prints_json_shows_hex_and_says_when_cut(inspector: HttpInspector) -> None:
    inspector.select_row(0)
    text = inspector.detail.toPlainText()
    assert '"items": [' in text and "top-secret" not in text and "X-Trace: t1" in text
    assert "listener → local service → response head: 12.0 ms" in text
    inspector.select_row(2)
    text = inspector.detail.toPlainText()
    assert "00 01 02 03" in text and "showing the first 64 B of 1.0 MiB" in text


def test_filters_by_path_method_and_status(inspector: HttpInspector) -> None:
    inspector.path_filter.setText("/api/")
    assert inspector.proxy.rowCount() == 2
    inspector.method_filter.setCurrentText("POST")
    assert inspector.proxy.rowCount() == 1
    inspector.path_filter.clear()
    inspector.method_filter.setCurrentIndex(0)
    inspector.status_filter.setText("5")
    assert inspector.proxy.rowCount() == 1
    assert inspector.selected() is None
    inspector.select_row(0)
    assert inspector.selected() is not None and inspector.selected().status == 502
    assert "1 of 4 requests" in inspector.count_label.text()


def test_replay_fills_the_senders_http_tab_and_keeps_the_original(
    inspector: HttpInspector,
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    tab = HttpTab()
    qtbot.addWidget(tab)
    inspector.replay_requested.connect(tab.load_replay)
    inspector.select_row(1)
    with qtbot.waitSignal(inspector.replay_requested, timeout=1000):
        inspector.replay_button.click()
    spec = tab.spec()
    assert (spec.method, spec.suffix, spec.query, spec.body) == (
        "POST",
        "api/orders",
        "",
        b'{"q": 1}',
    )
    assert dict(spec.headers) == {"X-Trace": "t1"}  # the redacted credential is not replayed
    assert "original: 201" in tab.status_label.text()
    tab.show_response(
        HttpResponseReceived(
            at=0.0,
            side="sender",
            method="POST",
            url="https://ns/demo/api/orders",
            status=201,
            reason="Created",
            headers={},
            body=b"{}",
            elapsed=0.01,
        )
    )
    assert (
        tab.status_label.text().startswith("201 Created")
        and "original: 201" in tab.status_label.text()
    )


def test_har_export_writes_a_valid_redacted_file(
    inspector: HttpInspector, qtbot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "capture.har"
    with qtbot.waitSignal(inspector.exported, timeout=1000):
        inspector.export_to(str(path))
    text = path.read_text()
    check_har_1_2(json.loads(text))
    assert "top-secret" not in text and "tok-123" not in text
    assert json.loads(text)["log"]["entries"][0]["request"]["url"].startswith(
        "https://ns.example/demo/"
    )
    with qtbot.waitSignal(inspector.export_failed, timeout=1000):
        inspector.export_to(str(tmp_path))  # a folder cannot become a file


def test_screenshot(inspector: HttpInspector, tmp_path: Path) -> None:
    inspector.select_row(0)
    inspector.show()
    image = inspector.grab()
    assert not image.isNull()
    image.save(str(tmp_path / "inspector.png"))
