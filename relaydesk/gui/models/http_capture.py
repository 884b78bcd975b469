"""The listener's HTTP inspector model: one row per request, over a :class:`Capture`.

The records themselves (pairing, redaction, bounds) live in the Qt-free
:class:`relaydesk.relay.capture.Capture`; this model only shows them: time,
method, path, status, size and the time of each hop, and filters them by
path, method and status (:meth:`Exchange.matches`). Rows are rebuilt when the
capture lets old exchanges go, which happens at most once per request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from relaydesk.gui.models.formatting import format_size
from relaydesk.protocol.redaction import REDACTED
from relaydesk.relay.capture import HOP_LABELS, Capture, Exchange
from relaydesk.relay.events import Event
from relaydesk.relay.forward_target import local_path

__all__ = [
    "COLUMNS",
    "EXCHANGE_ROLE",
    "HttpCaptureModel",
    "HttpFilterProxy",
    "detail_text",
    "replay_fields",
]

COLUMNS = ("Time", "Method", "Path", "Status", "Size", "→ local", "body", "→ relay", "Total")
EXCHANGE_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_HOPS = tuple(HOP_LABELS)


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.1f} ms"


def _cells(record: Exchange) -> tuple[str, ...]:
    clock = datetime.fromtimestamp(record.started_at).strftime("%H:%M:%S.%f")[:-3]
    status = "…" if record.status is None else str(record.status)
    size = "" if record.status is None else format_size(record.size)
    hops = tuple(_ms(record.timings.get(hop)) for hop in _HOPS)
    return (clock, record.method, record.target, status, size, *hops, _ms(record.elapsed))


class HttpCaptureModel(QAbstractTableModel):
    """The exchanges of one listener, newest last."""

    def __init__(self, capture: Capture | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capture = capture if capture is not None else Capture()
        self._rows: list[Exchange] = []
        self._cells: list[tuple[str, ...]] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            hop = section - COLUMNS.index("→ local")
            return HOP_LABELS[_HOPS[hop]] if 0 <= hop < len(_HOPS) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == EXCHANGE_ROLE:
            return self._rows[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= COLUMNS.index("Size"):
            return _RIGHT
        return None

    def append(self, event: Event) -> None:
        """Take one listener event; add or update the row it belongs to."""
        dropped = self.capture.dropped
        record = self.capture.add(event)
        if record is None:
            return
        if self.capture.dropped != dropped:
            self._reset()
            return
        row = next((i for i, r in enumerate(self._rows) if r.request_id == record.request_id), -1)
        if row < 0:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(record)
            self._cells.append(_cells(record))
            self.endInsertRows()
            return
        self._rows[row] = record
        self._cells[row] = _cells(record)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def exchange(self, row: int) -> Exchange:
        """The exchange shown in ``row``."""
        return self._rows[row]

    def clear(self) -> None:
        """Forget every exchange."""
        self.capture.clear()
        self._reset()

    def _reset(self) -> None:
        self.beginResetModel()
        self._rows = list(self.capture)
        self._cells = [_cells(r) for r in self._rows]
        self.endResetModel()


class HttpFilterProxy(QSortFilterProxyModel):
    """Rows matching a path substring, a method and a status prefix."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = ""
        self.method = ""
        self.status = ""

    def set_filters(self, *, path: str, method: str, status: str) -> None:
        """Apply new filters (empty = any)."""
        self.beginFilterChange()
        self.path, self.method, self.status = path.strip(), method.strip(), status.strip()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, HttpCaptureModel):
            return True
        return model.exchange(source_row).matches(
            path=self.path, method=self.method, status=self.status
        )


def _block(title: str, headers: dict[str, str] | Any, body: str) -> str:
    lines = [title, *(f"{k}: {v}" for k, v in headers.items()), "", body]
    return "\n".join(lines)


def detail_text(record: Exchange, render: Any) -> str:
    """Request and response, headers and bodies, for the detail pane.

    ``render(body_bytes, headers) -> str`` shows a body (pretty JSON, text or
    hex); a cut body says how much of its full size is shown.
    """

    def body(captured: Any, headers: Any) -> str:
        shown = render(captured.data, headers)
        if captured.truncated:
            shown += (
                f"\n… showing the first {format_size(len(captured.data))} "
                f"of {format_size(captured.size)}"
            )
        return shown

    hops = "\n".join(
        f"  {HOP_LABELS[hop]}: {_ms(record.timings[hop])}" for hop in _HOPS if hop in record.timings
    )
    request = _block(
        f"{record.method} {record.target}",
        record.request_headers,
        body(record.request_body, record.request_headers),
    )
    if record.status is None:
        return request + "\n\n(waiting for the answer)"
    via = "rendezvous" if record.via_rendezvous else "control channel"
    response = _block(
        f"→ {record.status} · {format_size(record.size)} · {_ms(record.elapsed)} · via {via}",
        record.response_headers,
        body(record.response_body, record.response_headers),
    )
    timing = f"\n\nTime per hop:\n{hops}" if hops else ""
    return f"{request}\n\n{response}{timing}"


def replay_fields(record: Exchange, entity_path: str) -> dict[str, Any]:
    """What the sender's HTTP tab needs to send ``record`` again.

    Redacted headers (credentials, cookies) are left out: they were never
    kept, so the sender's own identity and headers apply.
    """
    path, _, query = local_path(record.target, entity_path).partition("?")
    headers = {
        k: v
        for k, v in record.request_headers.items()
        if v != REDACTED and k.lower() not in ("via", "host", "content-length")
    }
    return {
        "method": record.method,
        "suffix": path.strip("/"),
        "query": query,
        "headers": headers,
        "body": record.request_body.data,
        "body_complete": not record.request_body.truncated,
    }
