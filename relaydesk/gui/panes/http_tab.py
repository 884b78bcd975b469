"""The sender's HTTP tab: build a request (§7.1), show status, headers, body, time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.bridges.backends import HttpRequestSpec
from relaydesk.gui.models.formatting import format_duration, format_size, render_body
from relaydesk.gui.panes.listener_settings import parse_header_lines
from relaydesk.relay.events import ErrorInfo, HttpResponseReceived

__all__ = ["HttpTab"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class HttpTab(QWidget):
    """Request form on top, response below.

    Signals:
        send_requested(object): an :class:`HttpRequestSpec` to send.
    """

    send_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: The captured answer of a replayed request, shown beside the new one.
        self.original = ""
        self._build_ui()
        self.send_button.clicked.connect(self._send)
        self.suffix_edit.returnPressed.connect(self._send)

    def _build_ui(self) -> None:
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(_METHODS))
        self.method_combo.setAccessibleName("HTTP method")
        self.method_combo.setToolTip("HTTP method of the request")
        self.suffix_edit = QLineEdit()
        self.suffix_edit.setAccessibleName("Path suffix")
        self.suffix_edit.setPlaceholderText("path after the hybrid connection, e.g. orders/42")
        self.suffix_edit.setToolTip("Appended to https://namespace/hybrid-connection/")
        self.query_edit = QLineEdit()
        self.query_edit.setAccessibleName("Query string")
        self.query_edit.setPlaceholderText("a=1&b=2")
        self.query_edit.setToolTip("Query string (sb-hc-* parameters are reserved, §2)")
        self.headers_edit = QPlainTextEdit()
        self.headers_edit.setAccessibleName("Request headers")
        self.headers_edit.setToolTip("One 'Name: value' per line")
        self.headers_edit.setMaximumHeight(44)
        self.body_edit = QPlainTextEdit()
        self.body_edit.setAccessibleName("Request body")
        self.body_edit.setToolTip("Request body (UTF-8); empty for none")
        self.body_edit.setMaximumHeight(44)
        self.send_button = QPushButton("Send request")
        self.send_button.setObjectName("primaryAction")
        self.send_button.setToolTip("Send this HTTP request through the relay")
        self.status_label = QLabel("No response yet")
        self.status_label.setObjectName("httpStatus")
        self.status_label.setAccessibleName("HTTP response status")
        self.response_view = QPlainTextEdit()
        self.response_view.setObjectName("bodyView")
        self.response_view.setReadOnly(True)
        self.response_view.setAccessibleName("HTTP response headers and body")
        self.response_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._layout()

    def _layout(self) -> None:
        target = QHBoxLayout()
        target.addWidget(self.method_combo)
        target.addWidget(self.suffix_edit, 1)
        form = QFormLayout()
        form.addRow("Request:", target)
        form.addRow("Query:", self.query_edit)
        form.addRow("Headers:", self.headers_edit)
        form.addRow("Body:", self.body_edit)
        send_row = QHBoxLayout()
        send_row.addWidget(self.status_label, 1)
        send_row.addWidget(self.send_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(form)
        top_layout.addLayout(send_row)
        splitter = QSplitter()
        splitter.setOrientation(splitter.orientation().Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.response_view)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def spec(self) -> HttpRequestSpec:
        """Return the request the form describes."""
        return HttpRequestSpec(
            method=self.method_combo.currentText(),
            suffix=self.suffix_edit.text().strip().strip("/"),
            query=self.query_edit.text().strip().lstrip("?"),
            headers=parse_header_lines(self.headers_edit.toPlainText()),
            body=self.body_edit.toPlainText().encode("utf-8"),
        )

    def _send(self) -> None:
        self.status_label.setText("Sending…")
        self.send_requested.emit(self.spec())

    def load_replay(self, fields: Mapping[str, Any]) -> None:
        """Fill the form with a captured request (to edit, then send) and keep its answer.

        ``fields``: :func:`relaydesk.gui.models.http_capture.replay_fields`
        plus ``original`` (the captured exchange).
        """
        method = str(fields["method"])
        if self.method_combo.findText(method) < 0:
            self.method_combo.addItem(method)
        self.method_combo.setCurrentText(method)
        self.suffix_edit.setText(str(fields["suffix"]))
        self.query_edit.setText(str(fields["query"]))
        headers: Mapping[str, str] = fields["headers"]
        self.headers_edit.setPlainText("\n".join(f"{k}: {v}" for k, v in headers.items()))
        self.body_edit.setPlainText(bytes(fields["body"]).decode("utf-8", "replace"))
        record = fields["original"]
        self.original = (
            f"original: {record.status} · {format_size(record.size)} · "
            f"{format_duration(record.elapsed or 0.0)}"
        )
        cut = "" if fields["body_complete"] else " (its body was cut in the capture)"
        self.status_label.setText(f"Replay, {self.original}{cut}; edit and send")
        self.response_view.setPlainText(
            f"Captured answer:\n{record.status}\n"
            + "\n".join(f"{k}: {v}" for k, v in record.response_headers.items())
            + "\n\n"
            + render_body(record.response_body.data, record.response_headers)
        )

    def show_response(self, response: HttpResponseReceived) -> None:
        """Show status, time, headers and body of a response (and a replay's original)."""
        beside = f"   ({self.original})" if self.original else ""
        self.status_label.setText(
            f"{response.status} {response.reason} · {format_duration(response.elapsed)}{beside}"
        )
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.response_view.setPlainText(
            f"{headers}\n\n{render_body(response.body, response.headers)}"
        )

    def clear_response(self) -> None:
        """Forget the last response or failure (it belonged to another profile)."""
        self.original = ""
        self.status_label.setText("No response yet")
        self.response_view.clear()

    def show_failure(self, info: ErrorInfo, note: str = "") -> None:
        """Show why a request failed (cause + remedy, and ``note``: what else the app knows)."""
        status = f"{info.status} · " if info.status is not None else ""
        self.status_label.setText(f"Failed: {status}{info.kind}")
        extra = f"\n\n⚠ {note}" if note else ""
        self.response_view.setPlainText(f"{info.message}\n\n{info.remedy}".strip() + extra)
