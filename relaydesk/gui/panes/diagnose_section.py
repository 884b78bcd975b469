"""The diagnosis' step list (the check's panel, with the diagnosis' steps) and Copy report."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relaydesk.diagnose.model import DIAGNOSE_STEPS
from relaydesk.gui.bridges.diagnose_bridge import DiagnoseBridge
from relaydesk.gui.models.formatting import format_duration
from relaydesk.gui.widgets.check_panel import CheckPanel
from relaydesk.relay.events import ErrorInfo

__all__ = ["DiagnoseSection"]


class DiagnoseSection(QFrame):
    """A :class:`CheckPanel` with the diagnosis' steps, fed by a :class:`DiagnoseBridge`."""

    def __init__(self, bridge: DiagnoseBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagnoseSection")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.bridge = bridge
        self.panel = CheckPanel(steps=DIAGNOSE_STEPS)
        self.panel.setAccessibleName("Diagnosis")
        self.summary = QLabel("Diagnosis")
        self.summary.setObjectName("paneTitle")
        self.summary.setAccessibleName("Diagnosis result")
        self.again_button = QPushButton("Run again")
        self.again_button.setToolTip("Walk the path to the relay again")
        self.copy_button = QPushButton("Copy report")
        self.copy_button.setToolTip(
            "Copy the whole diagnosis, with versions and without secrets, for a support ticket"
        )
        self.copy_button.setEnabled(False)
        self.hide_button = QPushButton("Hide")
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        for button in (self.again_button, self.copy_button, self.hide_button):
            head.addWidget(button)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(head)
        layout.addWidget(scroll, 1)
        self.setVisible(False)
        self.again_button.clicked.connect(bridge.run)
        self.copy_button.clicked.connect(self.copy_report)
        self.hide_button.clicked.connect(self._hide)
        bridge.started.connect(self._started)
        bridge.step.connect(self._step)
        bridge.finished.connect(self._finished)
        bridge.error.connect(self._error)

    def copy_report(self) -> None:
        """Put the redacted report of the last diagnosis on the clipboard."""
        text = self.bridge.report_text()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.summary.setText(f"{self.summary.text().split(' · ')[0]} · report copied")

    def _hide(self) -> None:
        self.bridge.cancel()
        self.setVisible(False)

    def _started(self) -> None:
        self.setVisible(True)
        self.panel.reset()
        self.copy_button.setEnabled(False)
        self.summary.setText("Diagnosis: running…")

    def _step(self, event: Any) -> None:
        detail = event.summary
        if event.error is not None and event.error.remedy:
            detail = f"{detail} · Remedy: {event.error.remedy}"
        if event.error is not None and event.error.tracking_id:
            detail = f"{detail} · TrackingId: {event.error.tracking_id}"
        self.panel.set_step(event.step, event.status.value, event.duration, detail)

    def _finished(self, event: Any) -> None:
        took = format_duration(event.duration)
        if event.passed:
            warned = f", warnings: {', '.join(event.warnings)}" if event.warnings else ""
            self.summary.setText(f"Diagnosis: passed in {took}{warned}")
        else:
            self.summary.setText(f"Diagnosis: failed at {', '.join(event.failed_steps)} ({took})")
        self.copy_button.setEnabled(True)

    def _error(self, info: ErrorInfo) -> None:
        self.setVisible(True)
        self.summary.setText(f"Diagnosis could not start: {info.message}")
