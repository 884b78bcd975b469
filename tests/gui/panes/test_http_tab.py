"""HTTP tab: request spec from the form, response and failure display."""

from __future__ import annotations

import pytest

from relaydesk.gui.panes.http_tab import HttpTab
from relaydesk.relay.events import ErrorInfo, HttpResponseReceived

pytestmark = pytest.mark.gui


def test_http_spec_from_the_form(qtbot) -> None:  # type: ignore[no-untyped-def]
    tab = HttpTab()
    qtbot.addWidget(tab)
    tab.method_combo.setCurrentText("DELETE")
    tab.suffix_edit.setText("/orders/7/")
    tab.query_edit.setText("?force=1")
    tab.headers_edit.setPlainText("X-A: 1\nnot a header\nX-B:  two ")
    tab.body_edit.setPlainText("é")
    spec = tab.spec()
    assert spec.method == "DELETE"
    assert spec.suffix == "orders/7"
    assert spec.query == "force=1"
    assert dict(spec.headers) == {"X-A": "1", "X-B": "two"}
    assert spec.body == "é".encode()
    with qtbot.waitSignal(tab.send_requested, timeout=1000) as blocker:
        tab.send_button.click()
    assert blocker.args == [spec]
    assert tab.status_label.text() == "Sending…"


def test_http_response_and_failure_are_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    tab = HttpTab()
    qtbot.addWidget(tab)
    tab.show_response(
        HttpResponseReceived(
            at=0.0,
            side="sender",
            method="GET",
            url="https://ns/hc",
            status=201,
            reason="Created",
            headers={"Content-Type": "application/json"},
            body=b'{"id":1}',
            elapsed=0.0021,
        )
    )
    assert tab.status_label.text() == "201 Created · 2.1 ms"
    assert "Content-Type: application/json" in tab.response_view.toPlainText()
    assert '"id"' in tab.response_view.toPlainText()
    tab.show_failure(ErrorInfo("NoListener", "no listener online", "Start a listener", 502))
    assert tab.status_label.text() == "Failed: 502 · NoListener"
    assert "Start a listener" in tab.response_view.toPlainText()
