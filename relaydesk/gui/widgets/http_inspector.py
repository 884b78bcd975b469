"""The listener's HTTP inspector: requests as rows, details, filters, replay, HAR export.

Shows an :class:`~relaydesk.gui.models.http_capture.HttpCaptureModel`: one row
per relayed request with its hop times; the detail pane below shows headers
and bodies (pretty JSON, text, or hex; a cut body says its full size). Filters
by path, method and status. "Replay" emits the selected request for the
sender's HTTP tab, where it can be edited first; "Export HAR…" writes the
capture (redacted) as HAR 1.2 through a non-modal file dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.models.formatting import render_body
from relaydesk.gui.models.http_capture import (
    HttpCaptureModel,
    HttpFilterProxy,
    detail_text,
    replay_fields,
)
from relaydesk.gui.widgets.file_dialog import show_file_dialog
from relaydesk.relay.capture import Exchange

__all__ = ["HttpInspector"]

_METHODS = ("Any method", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class HttpInspector(QWidget):
    """Rows, filters, detail, Replay and Export HAR for one listener.

    Signals:
        replay_requested(dict): :func:`replay_fields` of the selected request
            plus ``original`` (the :class:`Exchange`).
        exported(str): the path a HAR file was written to.
        export_failed(str): why it could not be written.
    """

    replay_requested = Signal(dict)
    exported = Signal(str)
    export_failed = Signal(str)

    def __init__(
        self, model: HttpCaptureModel | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model or HttpCaptureModel(parent=self)
        self.proxy = HttpFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.entity_path = ""
        self.base_url = "https://namespace"
        self._dialog: QFileDialog | None = None
        self._build_ui()
        self._connect()
        self._update_buttons()

    def _build_ui(self) -> None:
        self.path_filter = QLineEdit()
        self.path_filter.setPlaceholderText("path contains…")
        self.path_filter.setAccessibleName("Filter by path")
        self.method_filter = QComboBox()
        self.method_filter.addItems(list(_METHODS))
        self.method_filter.setAccessibleName("Filter by method")
        self.status_filter = QLineEdit()
        self.status_filter.setPlaceholderText("status, e.g. 5 or 404")
        self.status_filter.setAccessibleName("Filter by status")
        self.status_filter.setMaximumWidth(140)
        self.replay_button = QPushButton("Replay")
        self.replay_button.setToolTip(
            "Open this request in the sender's HTTP tab, to edit and send"
        )
        self.export_button = QPushButton("Export HAR…")
        self.export_button.setToolTip("Save the captured requests (redacted) as a HAR 1.2 file")
        self.count_label = QLabel("No requests yet")
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("HTTP requests")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("bodyView")
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("HTTP request and response detail")
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setPlaceholderText("Select a request to see its headers and bodies")
        # Three rows and two lines at the least, like the message log beside it,
        # so the listener pane still fits a 768 px laptop screen.
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 3)
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 2 + 12)
        filters = QHBoxLayout()
        filters.addWidget(self.path_filter, 1)
        filters.addWidget(self.method_filter)
        filters.addWidget(self.status_filter)
        actions = QHBoxLayout()
        actions.addWidget(self.count_label, 1)
        actions.addWidget(self.replay_button)
        actions.addWidget(self.export_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addLayout(actions)

    def _connect(self) -> None:
        self.path_filter.textChanged.connect(self._apply_filters)
        self.method_filter.currentIndexChanged.connect(self._apply_filters)
        self.status_filter.textChanged.connect(self._apply_filters)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.rowsInserted.connect(self._on_rows)
        self.model.modelReset.connect(self._on_rows)
        self.model.dataChanged.connect(self._refresh_detail)
        self.replay_button.clicked.connect(self.replay)
        self.export_button.clicked.connect(self.choose_export)

    # --- public --------------------------------------------------------------------

    def selected(self) -> Exchange | None:
        """The exchange selected in the table, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.exchange(self.proxy.mapToSource(rows[0]).row())

    def select_row(self, row: int) -> None:
        """Select the ``row``-th visible request."""
        self.table.selectRow(row)

    def replay(self) -> None:
        """Emit the selected request for the sender (to edit, then send)."""
        record = self.selected()
        if record is not None:
            fields: dict[str, Any] = replay_fields(record, self.entity_path)
            fields["original"] = record
            self.replay_requested.emit(fields)

    def choose_export(self) -> None:
        """Ask (non-modally) where to save the HAR file."""
        dialog = show_file_dialog(
            self,
            "Export the captured requests as HAR",
            self.export_to,
            save=True,
            name_filters=("HAR files (*.har)",),
            default_suffix="har",
        )
        dialog.finished.connect(self._forget_dialog)
        self._dialog = dialog

    def export_to(self, path: str) -> None:
        """Write the capture as HAR 1.2 to ``path`` (atomically)."""
        from relaydesk.atomic_files import write_atomically
        from relaydesk.relay.har import har_text

        text = har_text(self.model.capture, base_url=self.base_url)
        try:
            write_atomically(Path(path), text.encode("utf-8"), mode=0o644)
        except OSError as exc:
            self.export_failed.emit(f"Cannot write {path}: {exc.strerror or exc}")
            return
        self.exported.emit(path)

    # --- internals -----------------------------------------------------------------

    def _apply_filters(self) -> None:
        method = self.method_filter.currentText()
        self.proxy.set_filters(
            path=self.path_filter.text(),
            method="" if method == _METHODS[0] else method,
            status=self.status_filter.text(),
        )
        self._on_rows()

    def _on_rows(self, *_args: object) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        dropped = self.model.capture.dropped
        text = f"{total} requests" if shown == total else f"{shown} of {total} requests"
        self.count_label.setText(text + (f" ({dropped} older let go)" if dropped else ""))
        self._update_buttons()

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._refresh_detail()
        self._update_buttons()

    def _refresh_detail(self, *_args: object) -> None:
        record = self.selected()
        self.detail.setPlainText("" if record is None else detail_text(record, render_body))

    def _update_buttons(self) -> None:
        self.replay_button.setEnabled(self.selected() is not None)
        self.export_button.setEnabled(self.model.rowCount() > 0)

    def _forget_dialog(self, *_result: object) -> None:
        self._dialog = None
