"""The protocol timeline: a table model, a side/severity filter, and the export.

Rows come from :func:`~relaydesk.gui.models.timeline_entries.describe`; the
model keeps the events behind them so the whole session can be exported with
:func:`export_jsonl` (redacted, see ``session_export.py``). The recording keeps
up to ``session_cap`` protocol events and, apart from them, the newest content
events (messages, HTTP) up to ``session_cap`` and a payload byte budget, so a
flood neither pushes the protocol history out nor grows memory without bound.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from relaydesk.gui.models.formatting import format_clock
from relaydesk.gui.models.payloads import CONTENT_EVENTS, DEFAULT_PAYLOAD_BUDGET, payload_size
from relaydesk.gui.models.session_export import export_jsonl
from relaydesk.gui.models.timeline_entries import Severity, TimelineEntry, describe, folded
from relaydesk.protocol.redaction import redact_text
from relaydesk.relay.events import Event

__all__ = [
    "ENTRY_ROLE",
    "TIMELINE_COLUMNS",
    "Severity",
    "TimelineEntry",
    "TimelineFilterProxy",
    "TimelineModel",
    "describe",
    "export_jsonl",
]

TIMELINE_COLUMNS = ("Time", "Side", "Severity", "Event", "Details")
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
_SEVERITY_MARK = {Severity.INFO: "info", Severity.WARNING: "⚠ warning", Severity.ERROR: "✖ error"}

_Index = QModelIndex | QPersistentModelIndex


class TimelineModel(QAbstractTableModel):
    """Protocol-level events from both sides, oldest first, at most ``cap`` rows."""

    def __init__(
        self,
        cap: int = 10000,
        parent: QObject | None = None,
        *,
        session_cap: int = 100_000,
        payload_budget: int = DEFAULT_PAYLOAD_BUDGET,
    ) -> None:
        super().__init__(parent)
        self._cap = max(1, cap)
        self._entries: list[TimelineEntry] = []
        self._last_shown: Event | None = None  # the event behind the newest row
        self._session_cap = max(1, session_cap)
        self._payload_budget = payload_budget
        self._seq = 0  # numbers the recorded events, to merge the two kinds back in order
        self._protocol: deque[tuple[int, Event]] = deque(maxlen=self._session_cap)
        self._content: deque[tuple[int, Event]] = deque()
        self._content_bytes = 0

    def append_event(self, event: Event) -> TimelineEntry | None:
        """Record ``event`` for the export; add a row when it is protocol-level.

        Returns:
            The entry shown, or ``None`` for content events (recorded, not shown).
        """
        self._record(event)
        if self._entries:
            merged = folded(self._last_shown, self._entries[-1], event)
            if merged is not None:
                self._replace_last(merged)
                return merged
        entry = describe(event)
        if entry is None:
            return None
        self._add_row(entry)
        self._last_shown = event
        return entry

    def append_note(self, side: str, severity: Severity, text: str, detail: str = "") -> None:
        """Add a row the app itself says (no protocol event: not in the export).

        For what the core cannot know, e.g. that a demo fault makes the relay
        hold a response the listener sent in microseconds.
        """
        entry = TimelineEntry(time.time(), side, severity, redact_text(text), redact_text(detail))
        self._add_row(entry)
        self._last_shown = None  # nothing folds into a note

    def _add_row(self, entry: TimelineEntry) -> None:
        if len(self._entries) >= self._cap:
            self.beginRemoveRows(QModelIndex(), 0, 0)
            del self._entries[0]
            self.endRemoveRows()
        row = len(self._entries)
        self.beginInsertRows(QModelIndex(), row, row)
        self._entries.append(entry)
        self.endInsertRows()

    def _record(self, event: Event) -> None:
        """Keep ``event`` for the export, within the count and payload bounds."""
        item = (self._seq, event)
        self._seq += 1
        if not isinstance(event, CONTENT_EVENTS):
            self._protocol.append(item)
            return
        content = self._content
        content.append(item)
        self._content_bytes += payload_size(event)
        while len(content) > 1 and (
            len(content) > self._session_cap or self._content_bytes > self._payload_budget
        ):
            self._content_bytes -= payload_size(content.popleft()[1])

    def _replace_last(self, entry: TimelineEntry) -> None:
        row = len(self._entries) - 1
        self._entries[row] = entry
        self._last_shown = None  # one fold per row
        last_column = len(TIMELINE_COLUMNS) - 1
        self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))

    def clear(self) -> None:
        """Remove every row and forget the recorded session."""
        self.beginResetModel()
        self._entries.clear()
        self._last_shown = None
        self._protocol.clear()
        self._content.clear()
        self._content_bytes = 0
        self.endResetModel()

    def events(self) -> list[Event]:
        """Return the recorded session, in the order the events came (see the module).

        This is the session to export with :func:`export_jsonl`; it includes
        message events given to the model even though they have no row.
        """
        merged = heapq.merge(self._protocol, self._content, key=lambda item: item[0])
        return [event for _seq, event in merged]

    def entry(self, row: int) -> TimelineEntry:
        """Return the entry shown in ``row``."""
        return self._entries[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(TIMELINE_COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cells(entry)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(part for part in (entry.text, entry.detail) if part)
        if role == Qt.ItemDataRole.ForegroundRole and entry.severity is not Severity.INFO:
            return _severity_brush(entry.severity)
        if role == ENTRY_ROLE:
            return entry
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return TIMELINE_COLUMNS[section]
        return None


def _cells(entry: TimelineEntry) -> tuple[str, ...]:
    return (
        format_clock(entry.at),
        entry.side,
        _SEVERITY_MARK[entry.severity],
        entry.text,
        entry.detail,
    )


def _severity_brush(severity: Severity) -> QColor:
    # Text colour only (never a background), chosen per palette so dark themes stay
    # readable; severity is also spelled out in its own column, not colour alone.
    palette = QApplication.palette()
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    if severity is Severity.ERROR:
        return QColor("#ff6b6b" if dark else "#b00020")
    return QColor("#f0b429" if dark else "#8a5300")


class TimelineFilterProxy(QSortFilterProxyModel):
    """Filter timeline rows by side (``both``/``listener``/``sender``) and minimum severity."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._side = "both"
        self._min_severity = Severity.INFO

    @property
    def side(self) -> str:
        """The side shown: ``"both"``, ``"listener"`` or ``"sender"``."""
        return self._side

    @property
    def min_severity(self) -> Severity:
        """The least severe entries shown."""
        return self._min_severity

    def set_side(self, side: str) -> None:
        """Show only one side's entries (``"both"`` shows everything, check included)."""
        self.beginFilterChange()
        self._side = side
        self.endFilterChange()

    def set_min_severity(self, severity: Severity | str) -> None:
        """Hide entries less severe than ``severity``."""
        self.beginFilterChange()
        self._min_severity = Severity(severity)
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        entry = model.data(model.index(source_row, 0, source_parent), ENTRY_ROLE)
        if not isinstance(entry, TimelineEntry):
            return False
        if self._side != "both" and entry.side != self._side:
            return False
        return entry.severity.rank >= self._min_severity.rank
