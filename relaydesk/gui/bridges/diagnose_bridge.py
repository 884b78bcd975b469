"""DiagnoseBridge: run the core's diagnosis and emit each step as a signal.

The diagnosis (:func:`relaydesk.diagnose.run_diagnose`) is the same one
``relaydesk diagnose`` runs; the bridge also keeps the events of the last
run so the panel's "Copy report" can write the redacted report
(:func:`relaydesk.diagnose.report.format_report`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from PySide6.QtCore import QObject

from relaydesk.gui.bridges.step_run_bridge import StepRunBridge
from relaydesk.relay.events import ErrorOccurred

__all__ = ["DiagnoseBridge"]


class DiagnoseBridge(StepRunBridge):
    """Own the diagnosis task and the events of its last run.

    Signals (see :class:`StepRunBridge`): ``step`` carries a ``DiagnoseStep``,
    ``finished`` the ``DiagnoseFinished``; the timeline gets the failed steps'
    errors.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("diagnose", parent)
        self._steps: list[Any] = []
        self._finished: Any = None
        self._target = ""
        self._proxy = "system"

    def report_text(self) -> str:
        """The last diagnosis as the redacted report ("" before the first run)."""
        from relaydesk.diagnose.report import format_report

        if not self._steps:
            return ""
        return format_report(self._target, self._proxy, self._steps, self._finished)

    def _events(self, config: Any) -> AsyncIterator[Any]:
        from relaydesk.diagnose.runner import run_diagnose

        self._steps, self._finished = [], None
        self._target = str(config.address)
        self._proxy = config.proxy.describe() if config.proxy is not None else "system"
        return run_diagnose(config)

    def _on_event(self, event: Any) -> None:
        from relaydesk.diagnose.model import DiagnoseFinished, DiagnoseStatus

        if isinstance(event, DiagnoseFinished):
            self._finished = event
            self.finished.emit(event)
            return
        if event.status is not DiagnoseStatus.RUNNING:
            self._steps.append(event)
            if event.error is not None:
                self.timeline_event.emit(
                    ErrorOccurred(at=event.at, side="check", error=event.error)
                )
        self.step.emit(event)
