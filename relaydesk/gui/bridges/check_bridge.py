"""CheckBridge: run the core's connectivity check and emit each step as a signal.

The check (:func:`relaydesk.check.run_check`) opens its own listener and
sender, so it does not disturb the panes' ones; its events also go to the
timeline (side ``"check"``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from PySide6.QtCore import QObject

from relaydesk.gui.bridges.step_run_bridge import ConfigFactory, StepRunBridge

__all__ = ["CheckBridge", "ConfigFactory"]


class CheckBridge(StepRunBridge):
    """Own the check task.

    Signals (see :class:`StepRunBridge`): ``step`` carries a ``CheckStepEvent``,
    ``finished`` the ``CheckFinished``; every event also goes to the timeline.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("check", parent)

    def _events(self, config: Any) -> AsyncIterator[Any]:
        from relaydesk.check import run_check

        return run_check(config)

    def _on_event(self, event: Any) -> None:
        from relaydesk.check import CheckFinished

        self.timeline_event.emit(event)
        if isinstance(event, CheckFinished):
            self.finished.emit(event)
        else:
            self.step.emit(event)
