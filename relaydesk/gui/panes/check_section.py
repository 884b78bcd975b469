"""The connectivity check's step list, shown under the connection area on Check."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.bridges.check_bridge import CheckBridge
from relaydesk.gui.models.formatting import format_duration
from relaydesk.gui.widgets.check_panel import CheckPanel
from relaydesk.relay.events import ErrorInfo

__all__ = ["CheckSection"]


class CheckSection(QFrame):
    """A :class:`CheckPanel` fed by a :class:`CheckBridge`, with Run again / Hide."""

    def __init__(self, bridge: CheckBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkSection")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.bridge = bridge
        self.panel = CheckPanel()
        self.summary = QLabel("Round-trip check")
        self.summary.setObjectName("paneTitle")
        self.summary.setAccessibleName("Check result")
        self.again_button = QPushButton("Run again")
        self.again_button.setToolTip("Run the connectivity check again")
        self.hide_button = QPushButton("Hide")
        self.hide_button.setToolTip("Hide the check results")
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        head.addWidget(self.again_button)
        head.addWidget(self.hide_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(head)
        scroll = QScrollArea()  # a failure's cause and remedy may need more lines
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.panel)
        layout.addWidget(scroll, 1)
        self.setVisible(False)
        self.again_button.clicked.connect(bridge.run)
        self.hide_button.clicked.connect(self._hide)
        bridge.started.connect(self._started)
        bridge.step.connect(self._step)
        bridge.finished.connect(self._finished)
        bridge.error.connect(self._error)

    def _hide(self) -> None:
        self.bridge.cancel()
        self.setVisible(False)

    def _started(self) -> None:
        self.setVisible(True)
        self.panel.reset()
        self.summary.setText("Round-trip check: running…")

    def _step(self, event: Any) -> None:
        detail = event.detail
        if event.error is not None:
            remedy = f" — {event.error.remedy}" if event.error.remedy else ""
            detail = f"{event.error.message}{remedy}"
        self.panel.set_step(event.step, event.status.value, event.duration, detail)

    def _finished(self, event: Any) -> None:
        took = format_duration(event.duration)
        if event.passed:
            self.summary.setText(f"Round-trip check: passed in {took}")
        else:
            self.summary.setText(f"Round-trip check: failed at {event.failed_step} ({took})")

    def _error(self, info: ErrorInfo) -> None:
        self.setVisible(True)
        self.summary.setText(f"Round-trip check could not start: {info.message}")
