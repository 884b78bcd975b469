"""The message log model: batched, bounded, cheap to paint.

A flood (20,000 messages in a second) must not freeze the window, so:

* ``append`` only buffers; a single-shot ~50 ms QTimer (or :meth:`flush`)
  inserts the whole batch with one ``beginInsertRows``;
* a row's strings are built the first time it is shown (``data()``,
  :meth:`row_detail`), not when it is inserted: in a flood most rows are
  trimmed before any view paints them, and formatting them all took ~7 ms of
  every flush on the GUI thread;
* the model holds at most ``cap`` rows: the oldest go in one
  ``beginRemoveRows`` per flush and :attr:`trimmed_count` grows, so
  ``rowCount() + trimmed_count`` always equals the number appended;
* the rows' payloads have a byte budget too: beyond it the oldest rows let
  go of their content (the cells stay; see ``payloads.py``);
* ``data()`` returns the row's precomputed strings (see ``message_rows.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from relaydesk.gui.models.message_rows import (
    COLUMNS,
    LogEvent,
    MessageRow,
    PendingRow,
    detail_text,
    is_log_event,
    released_row,
)
from relaydesk.gui.models.payloads import DEFAULT_PAYLOAD_BUDGET, PayloadBudget, payload_size
from relaydesk.relay.events import Event

FLUSH_INTERVAL_MS = 50
EVENT_ROLE = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_SIZE_COLUMN = COLUMNS.index("Size")
_RTT_COLUMN = COLUMNS.index("RTT")
_PREVIEW_COLUMN = COLUMNS.index("Preview")


class MessageLogModel(QAbstractTableModel):
    """Rows of (time, direction, connection, kind, size, preview, rtt).

    Signals:
        trimmed_changed(int): the total number of rows dropped for the cap.
    """

    trimmed_changed = Signal(int)

    def __init__(
        self,
        cap: int = 5000,
        parent: QObject | None = None,
        *,
        payload_budget: int = DEFAULT_PAYLOAD_BUDGET,
    ) -> None:
        super().__init__(parent)
        self._cap = max(1, cap)
        self._rows: list[MessageRow | PendingRow] = []
        self._budget = PayloadBudget(payload_budget)
        self._first_seq = 0  # the number of rows[0]: rows are numbered as they are built
        self._pending: list[PendingRow] = []
        self._trimmed = 0
        self._appended = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)

    # --- feeding -----------------------------------------------------------------

    def append(self, event: Event, rtt: float | None = None, note: str = "") -> None:
        """Buffer one message/HTTP event; other event types are ignored.

        Args:
            event: MessageReceived/MessageSent/HttpRequestReceived/
                HttpResponseSent/HttpResponseReceived.
            rtt: round-trip time in seconds, for an echoed message.
            note: shown after the preview and in the detail (see ``build_row``).
        """
        if not is_log_event(event):
            return
        self._pending.append(PendingRow(event, rtt, note))  # type: ignore[arg-type]  # checked above
        self._appended += 1
        if not self._timer.isActive():
            self._timer.start()

    def append_many(self, events: Iterable[Event]) -> None:
        """Buffer several events (one flush later)."""
        for event in events:
            self.append(event)

    def flush(self) -> None:
        """Insert everything buffered now: one remove (if over cap) and one insert."""
        self._timer.stop()
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        overflow = len(self._rows) + len(pending) - self._cap
        if overflow > 0:
            from_existing = min(overflow, len(self._rows))
            self._trim_existing(from_existing)
            # Rows that would be trimmed in the same batch are never inserted at all.
            drop_pending = overflow - from_existing
            pending = pending[drop_pending:]
            self._trimmed += drop_pending
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(pending) - 1)
        self._rows.extend(pending)
        self.endInsertRows()
        self._account(first)
        if overflow > 0:
            self.trimmed_changed.emit(self._trimmed)

    def _account(self, first: int) -> None:
        """Budget the payloads of rows[first:]; let go of the oldest beyond it."""
        rows, base = self._rows, self._first_seq
        for index in range(first, len(rows)):
            for seq in self._budget.add(base + index, payload_size(rows[index].event)):
                rows[seq - base] = released_row(self._row(seq - base))  # keeps its preview

    def clear(self) -> None:
        """Drop all rows and pending events; the trimmed counter restarts at 0."""
        self._timer.stop()
        self.beginResetModel()
        self._rows.clear()
        self._pending.clear()
        self._budget.clear()
        self._first_seq = 0
        self._appended = 0
        had_trimmed, self._trimmed = self._trimmed, 0
        self.endResetModel()
        if had_trimmed:
            self.trimmed_changed.emit(0)

    def _trim_existing(self, count: int) -> None:
        if count <= 0:
            return
        self.beginRemoveRows(QModelIndex(), 0, count - 1)
        del self._rows[:count]
        self.endRemoveRows()
        self._trimmed += count
        self._first_seq += count
        self._budget.forget_before(self._first_seq)

    def _row(self, row: int) -> MessageRow:
        """Return ``row``, building its strings the first time it is asked for."""
        entry = self._rows[row]
        if isinstance(entry, PendingRow):
            entry = self._rows[row] = entry.build()
        return entry

    # --- reading -----------------------------------------------------------------

    @property
    def cap(self) -> int:
        """The maximum number of rows kept."""
        return self._cap

    @property
    def released_count(self) -> int:
        """Rows whose content was let go for the payload budget (their cells remain)."""
        return self._budget.released

    @property
    def trimmed_count(self) -> int:
        """Rows dropped so far because of the cap (including never-shown ones)."""
        return self._trimmed

    @property
    def appended_count(self) -> int:
        """Events accepted by :meth:`append` since the last :meth:`clear`."""
        return self._appended

    @property
    def pending_count(self) -> int:
        """Events buffered and not yet flushed."""
        return len(self._pending)

    def row_event(self, row: int) -> LogEvent:
        """Return the event behind ``row``."""
        return self._rows[row].event

    def row_detail(self, row: int) -> str:
        """Return the full content of ``row`` (pretty JSON, hex dump or HTTP)."""
        if not 0 <= row < len(self._rows):
            return ""
        return detail_text(self._row(row))

    # --- QAbstractTableModel -----------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._row(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells()[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (_SIZE_COLUMN, _RTT_COLUMN):
            return int(_RIGHT.value)
        if role == Qt.ItemDataRole.ToolTipRole and column == _PREVIEW_COLUMN:
            return row.preview
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return " ".join(cell for cell in row.cells() if cell)
        if role == EVENT_ROLE:
            return row.event
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None
