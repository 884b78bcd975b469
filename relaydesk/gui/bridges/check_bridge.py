"""CheckBridge: run the core's connectivity check and emit each step as a signal.

The check (:func:`relaydesk.check.run_check`) opens its own listener and
sender, so it does not disturb the panes' ones; its events also go to the
timeline (side ``"check"``).
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

__all__ = ["CheckBridge"]

#: Builds the check's configuration from the current profile (may raise).
ConfigFactory = Callable[[], Any]


class CheckBridge(QObject):
    """Own the check task.

    Signals:
        started(): a check began.
        step(object): a ``CheckStepEvent``.
        finished(object): the ``CheckFinished``.
        timeline_event(object): every event, for the timeline.
        error(object): ErrorInfo when the check could not even start.
    """

    started = Signal()
    step = Signal(object)
    finished = Signal(object)
    timeline_event = Signal(object)
    error = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory: ConfigFactory | None = None
        self._slot = TaskSlot("check")

    def set_config_factory(self, factory: ConfigFactory | None) -> None:
        """Say how to build a ``CheckConfig`` for the current profile."""
        self._factory = factory

    @property
    def running(self) -> bool:
        """True while a check runs."""
        return self._slot.running

    def run(self) -> None:
        """Start the check (restarts a running one)."""
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
        """Stop a running check (its listener and sender are closed)."""
        self._slot.cancel()

    async def aclose(self, grace: float = 2.0) -> None:
        """Stop the check and wait for its clean-up, bounded."""
        await self._slot.stop(grace)

    async def _run(self, factory: ConfigFactory) -> None:
        from relaydesk.check import CheckFinished, run_check

        try:
            config = factory()
        except Exception as exc:  # noqa: BLE001 - shown in the check panel
            self._fail(error_info(exc))
            return
        self.started.emit()
        stream: Any = run_check(config)  # an async generator: aclosing() closes it
        async with contextlib.aclosing(stream):
            async for event in stream:
                self.timeline_event.emit(event)
                if isinstance(event, CheckFinished):
                    self.finished.emit(event)
                else:
                    self.step.emit(event)

    def _fail(self, info: ErrorInfo) -> None:
        self.timeline_event.emit(ErrorOccurred(at=time.time(), side="check", error=info))
        self.error.emit(info)
