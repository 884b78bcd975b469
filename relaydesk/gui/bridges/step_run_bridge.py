"""StepRunBridge: run one of the core's step-by-step procedures and emit its events.

The connectivity check (:func:`relaydesk.check.run_check`) and the diagnosis
(:func:`relaydesk.diagnose.runner.run_diagnose`) are both an async iterator
of step events ending in a verdict, started from the current profile's
configuration. This base owns what they share: the task slot, the "no
profile" refusal, the configuration factory's failure, closing the stream,
and the error rows on the timeline (side ``"check"``). Subclasses say which
procedure runs and what each event means.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.tasks import TaskSlot
from relaydesk.gui.errors import error_info
from relaydesk.relay.events import ErrorInfo, ErrorOccurred

__all__ = ["ConfigFactory", "StepRunBridge"]

#: Builds the procedure's configuration from the current profile (may raise).
ConfigFactory = Callable[[], Any]


class StepRunBridge(QObject):
    """Own one procedure's task.

    Signals:
        started(): a run began.
        step(object): a step event.
        finished(object): the verdict event.
        timeline_event(object): events for the timeline.
        error(object): ErrorInfo when the run could not even start.
    """

    started = Signal()
    step = Signal(object)
    finished = Signal(object)
    timeline_event = Signal(object)
    error = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory: ConfigFactory | None = None
        self._slot = TaskSlot(name)

    def set_config_factory(self, factory: ConfigFactory | None) -> None:
        """Say how to build the configuration for the current profile."""
        self._factory = factory

    @property
    def running(self) -> bool:
        """True while a run is on its way."""
        return self._slot.running

    def run(self) -> None:
        """Start a run (restarts a running one)."""
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
        """Stop a running procedure (what it opened is closed)."""
        self._slot.cancel()

    async def aclose(self, grace: float = 2.0) -> None:
        """Stop the run and wait for its clean-up, bounded."""
        await self._slot.stop(grace)

    def _events(self, config: Any) -> AsyncIterator[Any]:
        """The procedure's event stream for ``config`` (an async generator)."""
        raise NotImplementedError

    def _on_event(self, event: Any) -> None:
        """Emit ``event`` as the signals it stands for."""
        raise NotImplementedError

    async def _run(self, factory: ConfigFactory) -> None:
        try:
            config = factory()
        except Exception as exc:  # noqa: BLE001 - shown in the panel
            self._fail(error_info(exc))
            return
        stream: Any = self._events(config)
        self.started.emit()
        async with contextlib.aclosing(stream):
            async for event in stream:
                self._on_event(event)

    def _fail(self, info: ErrorInfo) -> None:
        self.timeline_event.emit(ErrorOccurred(at=time.time(), side="check", error=info))
        self.error.emit(info)
