"""The diagnosis' step list (the check's panel, with the diagnosis' steps) and Copy report."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton, QWidget

from relaydesk.diagnose.model import DIAGNOSE_STEPS
from relaydesk.gui.bridges.diagnose_bridge import DiagnoseBridge
from relaydesk.gui.models.formatting import format_duration
from relaydesk.gui.panes.step_run_section import StepRunSection
from relaydesk.gui.widgets.check_panel import CheckPanel

__all__ = ["DiagnoseSection"]


class DiagnoseSection(StepRunSection):
    """A :class:`CheckPanel` with the diagnosis' steps, fed by a :class:`DiagnoseBridge`."""

    bridge: DiagnoseBridge

    def __init__(self, bridge: DiagnoseBridge, parent: QWidget | None = None) -> None:
        self.copy_button = QPushButton("Copy report")
        self.copy_button.setToolTip(
            "Copy the whole diagnosis, with versions and without secrets, for a support ticket"
        )
        self.copy_button.setEnabled(False)
        panel = CheckPanel(steps=DIAGNOSE_STEPS)
        panel.setAccessibleName("Diagnosis")
        super().__init__(
            bridge,
            panel,
            title="Diagnosis",
            again_tip="Walk the path to the relay again",
            extra_buttons=(self.copy_button,),
            parent=parent,
        )
        self.setObjectName("diagnoseSection")
        self.summary.setAccessibleName("Diagnosis result")
        self.copy_button.clicked.connect(self.copy_report)

    def copy_report(self) -> None:
        """Put the redacted report of the last diagnosis on the clipboard."""
        text = self.bridge.report_text()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.summary.setText(f"{self.summary.text().split(' · ')[0]} · report copied")

    def _started(self) -> None:
        super()._started()
        self.copy_button.setEnabled(False)

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
