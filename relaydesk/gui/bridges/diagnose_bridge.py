"""DiagnoseBridge: run the core's diagnosis and emit each step as a signal.

The diagnosis (:func:`relaydesk.diagnose.run_diagnose`) is the same one
``relaydesk diagnose`` runs; the bridge also keeps the events of the last
run so the panel's "Copy report" can write the redacted report
(:func:`relaydesk.diagnose.report.format_report`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.tasks import TaskSlot
from relaydesk.gui.errors import error_info
from relaydesk.relay.events import ErrorInfo, ErrorOccurred

__all__ = ["DiagnoseBridge"]

#: Builds the diagnosis' configuration from the current profile (may raise).
ConfigFactory = Callable[[], Any]


class DiagnoseBridge(QObject):
    """Own the diagnosis task.

    Signals:
        started(): a diagnosis began.
        step(object): a ``DiagnoseStep``.
        finished(object): the ``DiagnoseFinished``.
        timeline_event(object): the finished steps and the verdict, for the timeline.
        error(object): ErrorInfo when the diagnosis could not even start.
    """

    started = Signal()
    step = Signal(object)
    finished = Signal(object)
    timeline_event = Signal(object)
    error = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory: ConfigFactory | None = None
        self._slot = TaskSlot("diagnose")
        self._steps: list[Any] = []
        self._finished: Any = None
        self._target = ""
        self._proxy = "system"

    def set_config_factory(self, factory: ConfigFactory | None) -> None:
        """Say how to build a ``DiagnoseConfig`` for the current profile."""
        self._factory = factory

    @property
    def running(self) -> bool:
        return self._slot.running

    def run(self) -> None:
        """Start the diagnosis (restarts a running one)."""
        if self._factory is None:
            self._fail(
                ErrorInfo(
                    "NoProfile",
                    "No profile is selected.",
                    "Choose or create a profile, or press Demo.",
                )
            )
            return
        self._slot.start(self._run(self._factory))

    def cancel(self) -> None:
        self._slot.cancel()

    async def aclose(self, grace: float = 2.0) -> None:
        await self._slot.stop(grace)

    def report_text(self) -> str:
        """The last diagnosis as the redacted report ("" before the first run)."""
        from relaydesk.diagnose.report import format_report

        if not self._steps:
            return ""
        return format_report(self._target, self._proxy, self._steps, self._finished)

    async def _run(self, factory: ConfigFactory) -> None:
        from relaydesk.diagnose.model import DiagnoseFinished, DiagnoseStatus
        from relaydesk.diagnose.runner import run_diagnose

        try:
            config = factory()
        except Exception as exc:  # noqa: BLE001 - shown in the diagnose panel
            self._fail(error_info(exc))
            return
        self._steps, self._finished = [], None
        self._target = str(config.address)
        self._proxy = config.proxy.describe() if config.proxy is not None else "system"
        self.started.emit()
        stream: Any = run_diagnose(config)
        async with contextlib.aclosing(stream):
            async for event in stream:
                if isinstance(event, DiagnoseFinished):
                    self._finished = event
                    self.finished.emit(event)
                    continue
                if event.status is not DiagnoseStatus.RUNNING:
                    self._steps.append(event)
                    if event.error is not None:
                        self.timeline_event.emit(
                            ErrorOccurred(at=event.at, side="check", error=event.error)
                        )
                self.step.emit(event)

    def _fail(self, info: ErrorInfo) -> None:
        self.timeline_event.emit(ErrorOccurred(at=time.time(), side="check", error=info))
        self.error.emit(info)
