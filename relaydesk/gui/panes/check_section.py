"""The connectivity check's step list, shown under the connection area on Check."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from relaydesk.gui.bridges.check_bridge import CheckBridge
from relaydesk.gui.models.formatting import format_duration
from relaydesk.gui.panes.step_run_section import StepRunSection
from relaydesk.gui.widgets.check_panel import CheckPanel

__all__ = ["CheckSection"]


class CheckSection(StepRunSection):
    """A :class:`CheckPanel` fed by a :class:`CheckBridge`, with Run again / Hide."""

    def __init__(self, bridge: CheckBridge, parent: QWidget | None = None) -> None:
        super().__init__(
            bridge,
            CheckPanel(),
            title="Round-trip check",
            again_tip="Run the connectivity check again",
            parent=parent,
        )
        self.setObjectName("checkSection")
        self.summary.setAccessibleName("Check result")
        self.hide_button.setToolTip("Hide the check results")

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
