"""The listener's table of connected senders, with a per-connection send box.

One row per accepted rendezvous (§5.2): id, remote endpoint, connect headers,
connected since, messages in/out. Selecting a row enables the send box and
"Close"; the pane turns those into bridge calls. Rows leave when the
connection ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.models.formatting import format_clock, short_id
from relaydesk.relay.events import ConnectionAccepted, MessageReceived, MessageSent

__all__ = ["ConnectionsView"]

_COLUMNS = ("Connection", "Remote", "Headers", "Since", "In", "Out")


@dataclass
class _Row:
    connection_id: str
    received: int = 0
    sent: int = 0


class ConnectionsView(QWidget):
    """Connected senders, plus "send to selected" and "close selected".

    Signals:
        send_requested(str, str): connection id, text.
        close_requested(str): connection id.
    """

    send_requested = Signal(str, str)
    close_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[str, _Row] = {}
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(250)
        self._refresh.timeout.connect(self.refresh_counters)
        self._build_ui()
        self._connect()
        self._update_controls()

    def _build_ui(self) -> None:
        self.title = QLabel("Connections: 0")
        self.title.setAccessibleName("Number of connected senders")
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setObjectName("connectionsTable")
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.setAccessibleName("Connected senders")
        self.table.setToolTip("Senders connected to this listener; select one to talk to it")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # a few rows only
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        # Three rows, then it scrolls: the message log below needs the height more.
        row_height = self.table.fontMetrics().height() + 6
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        rows = row_height * 3
        self.table.setMaximumHeight(rows + self.table.horizontalHeader().sizeHint().height() + 4)
        self.message_edit = QLineEdit()
        self.message_edit.setPlaceholderText("Message to the selected sender")
        self.message_edit.setAccessibleName("Message to the selected connection")
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send this text on the selected connection")
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close the selected connection (close frame 1000)")
        row = QHBoxLayout()
        row.addWidget(self.message_edit, 1)
        row.addWidget(self.send_button)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addLayout(row)

    def _connect(self) -> None:
        self.table.itemSelectionChanged.connect(self._update_controls)
        self.send_button.clicked.connect(self._send)
        self.message_edit.returnPressed.connect(self._send)
        self.close_button.clicked.connect(self._close)

    # --- feeding -------------------------------------------------------------------

    def add(self, event: ConnectionAccepted) -> None:
        """Add a row for a newly accepted connection."""
        if event.connection_id in self._rows:
            return
        self._rows[event.connection_id] = _Row(event.connection_id)
        remote = event.remote_address or "?"
        if event.remote_port:
            remote = f"{remote}:{event.remote_port}"
        headers = ", ".join(f"{k}: {v}" for k, v in event.headers.items())
        row = self.table.rowCount()
        self.table.insertRow(row)
        cells = (short_id(event.connection_id), remote, headers, format_clock(event.at), "0", "0")
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, event.connection_id)
            if column == 0:
                item.setToolTip(event.connection_id)
            if column == 2:
                item.setToolTip(headers or "no connect headers")
            self.table.setItem(row, column, item)
        self._update_title()
        if self.selected_id() is None:
            self.table.selectRow(row)

    def remove(self, connection_id: str) -> None:
        """Remove the row of a connection that ended."""
        if self._rows.pop(connection_id, None) is None:
            return
        row = self._row_of(connection_id)
        if row is not None:
            self.table.removeRow(row)
        self._update_title()
        self._update_controls()

    def count_message(self, event: MessageReceived | MessageSent) -> None:
        """Bump the in/out counters of the message's connection.

        The cells are refreshed at most every 250 ms: under a flood, a cell
        update per message would cost more than the messages themselves.
        """
        entry = self._rows.get(event.connection_id)
        if entry is None:
            return
        if isinstance(event, MessageReceived):
            entry.received += 1
        else:
            entry.sent += 1
        if not self._refresh.isActive():
            self._refresh.start()

    def refresh_counters(self) -> None:
        """Show the current in/out counts (called by the timer; tests call it)."""
        self._refresh.stop()
        for row in range(self.table.rowCount()):
            first = self.table.item(row, 0)
            entry = self._rows.get(first.data(Qt.ItemDataRole.UserRole)) if first else None
            if entry is None:
                continue
            for column, value in ((4, entry.received), (5, entry.sent)):
                item = self.table.item(row, column)
                if item is not None and item.text() != str(value):
                    item.setText(str(value))

    def clear(self) -> None:
        """Forget every connection (the listener stopped)."""
        self._rows.clear()
        self.table.setRowCount(0)
        self._update_title()
        self._update_controls()

    def connection_ids(self) -> list[str]:
        """The ids of the listed connections, oldest first."""
        return list(self._rows)

    def selected_id(self) -> str | None:
        """The id of the selected connection, if any."""
        items = self.table.selectedItems()
        if not items:
            return None
        value = items[0].data(Qt.ItemDataRole.UserRole)
        return value if isinstance(value, str) else None

    # --- internals ---------------------------------------------------------------------

    def _row_of(self, connection_id: str) -> int | None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == connection_id:
                return row
        return None

    def _update_title(self) -> None:
        self.title.setText(f"Connections: {len(self._rows)}")

    def _update_controls(self) -> None:
        selected = self.selected_id() is not None
        self.send_button.setEnabled(selected)
        self.close_button.setEnabled(selected)
        self.message_edit.setEnabled(selected)

    def _send(self) -> None:
        connection_id = self.selected_id()
        text = self.message_edit.text()
        if connection_id is not None and text:
            self.send_requested.emit(connection_id, text)
            self.message_edit.clear()

    def _close(self) -> None:
        connection_id = self.selected_id()
        if connection_id is not None:
            self.close_requested.emit(connection_id)
