"""The connectivity check's step list: icon + words, duration, remedy.

Statuses are spelled out ("passed", "failed" …) next to the icon, so colour is
never the only cue; the ``status`` dynamic property is there for the stylesheet.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from relaydesk.gui.models.formatting import format_duration
from relaydesk.gui.widgets.elided_label import ElidedLabel
from relaydesk.gui.widgets.repolish import set_style_property, status_colours

if TYPE_CHECKING:  # only a type here; the check module loads when a check runs
    from relaydesk.check import CheckStepEvent

DEFAULT_STEPS = (
    ("token", "Token"),
    ("listener_online", "Listener online"),
    ("sender_connected", "Sender connected"),
    ("message_round_trip", "Message round trip"),
    ("http_round_trip", "HTTP round trip"),
)
STATUS_ICONS = {
    "pending": "○",
    "running": "◔",
    "passed": "✓",
    "ok": "✓",
    "warning": "!",
    "failed": "✗",
    "skipped": "–",
}
STATUS_WORDS = {
    "pending": "pending",
    "running": "running…",
    "passed": "passed",
    "ok": "ok",
    "warning": "warning",
    "failed": "failed",
    "skipped": "skipped",
}
_LOCAL_STYLE = """
QLabel[status="passed"] {{ color: {ok}; }}
QLabel[status="ok"] {{ color: {ok}; }}
QLabel[status="warning"] {{ color: {warn}; }}
QLabel[status="failed"] {{ color: {error}; }}
QLabel[status="running"] {{ color: {warn}; }}
"""
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


def step_key(name: str) -> str:
    """Normalise a step name: ``"Listener online"`` → ``listener_online``."""
    return name.strip().lower().replace(" ", "_").replace("-", "_")


class _StepRow:
    """The labels of one step in the grid."""

    def __init__(self, grid: QGridLayout, row: int, title: str) -> None:
        self.icon = QLabel()
        self.title = QLabel(title)
        self.status = QLabel()
        self.duration = QLabel()
        self.detail = ElidedLabel()  # one line; a failure's cause and remedy wrap
        self.detail.setTextInteractionFlags(_SELECTABLE)
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        cells = (self.icon, self.title, self.status, self.duration, self.detail)
        for column, label in enumerate(cells):
            label.setAlignment(top_left)
            grid.addWidget(label, row, column)
        self.duration.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.detail.setAccessibleName(f"{title} details")
        self.status.setAccessibleName(f"{title} status")


class CheckPanel(QWidget):
    """Show the check steps with their status, duration and remedy."""

    def __init__(
        self, parent: QWidget | None = None, *, steps: tuple[tuple[str, str], ...] = DEFAULT_STEPS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("checkPanel")
        self.setAccessibleName("Connectivity check")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self._grid = QGridLayout()
        outer.addLayout(self._grid)
        outer.addStretch(1)
        self._grid.setHorizontalSpacing(10)
        self._grid.setColumnStretch(4, 1)
        self._grid.setColumnMinimumWidth(3, self.fontMetrics().horizontalAdvance("0000.0 ms"))
        self._rows: dict[str, _StepRow] = {}
        self._statuses: dict[str, str] = {}
        self.setStyleSheet(_LOCAL_STYLE.format(**status_colours(self)))
        for key, title in steps:
            self._add_row(key, title)
        self.reset()

    def step_names(self) -> list[str]:
        """Return the step keys in display order."""
        return list(self._rows)

    def status(self, name: str) -> str:
        """Return the status of step ``name`` (``pending``/``running``/``passed``/…)."""
        return self._statuses[step_key(name)]

    def row_text(self, name: str) -> str:
        """Return the row as one line of text (for tests and accessibility)."""
        row = self._rows[step_key(name)]
        parts = (row.icon, row.title, row.status, row.duration, row.detail)
        return " ".join(label.text() for label in parts if label.text())

    def set_step(
        self, name: str, status: str | enum.Enum, duration: float | None = None, detail: str = ""
    ) -> None:
        """Show ``status`` for step ``name``; unknown names get a new row at the end.

        Args:
            name: step key or title (``"token"``, ``"Listener online"`` …).
            status: ``pending``, ``running``, ``passed``, ``failed`` or ``skipped``
                (or a :class:`relaydesk.check.StepStatus`).
            duration: seconds the step took, when finished.
            detail: cause and remedy (failed) or a note (passed).
        """
        status = str(status.value) if isinstance(status, enum.Enum) else status
        key = step_key(name)
        if key not in self._rows:
            self._add_row(key, name.strip().replace("_", " ").capitalize())
        row = self._rows[key]
        self._statuses[key] = status
        row.icon.setText(STATUS_ICONS.get(status, "?"))
        row.status.setText(STATUS_WORDS.get(status, status))
        row.duration.setText("" if duration is None else format_duration(duration))
        row.detail.setText(detail)
        row.detail.setToolTip(detail)
        row.detail.set_elide(status != "failed")
        for label in (row.icon, row.status):
            set_style_property(label, "status", status)
        row.title.setAccessibleDescription(f"{row.title.text()}: {row.status.text()}")

    def show_event(self, event: CheckStepEvent) -> None:
        """Show a :class:`relaydesk.check.CheckStepEvent` (detail plus remedy when failed)."""
        detail = event.detail
        if event.error is not None and event.error.remedy:
            detail = f"{detail} · Remedy: {event.error.remedy}" if detail else event.error.remedy
        if event.error is not None and event.error.tracking_id:
            detail = f"{detail} · TrackingId: {event.error.tracking_id}"
        self.set_step(event.step, event.status, event.duration, detail)

    def reset(self) -> None:
        """Set every step back to pending and clear durations and details."""
        for key in self._rows:
            self.set_step(key, "pending")

    def _add_row(self, key: str, title: str) -> None:
        self._rows[key] = _StepRow(self._grid, len(self._rows), title)
        self._statuses[key] = "pending"
