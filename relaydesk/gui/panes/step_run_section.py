"""A step list with a summary line and Run again / Hide, fed by a step-run bridge.

The check's and the diagnosis' sections differ only in their steps, their
wording and the diagnosis' Copy report; this base owns the frame, the
buttons, the scrolling step list and the wiring to a
:class:`~relaydesk.gui.bridges.step_run_bridge.StepRunBridge`.
"""

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

from relaydesk.gui.bridges.step_run_bridge import StepRunBridge
from relaydesk.gui.widgets.check_panel import CheckPanel
from relaydesk.relay.events import ErrorInfo

__all__ = ["StepRunSection"]


class StepRunSection(QFrame):
    """The frame both sections share; subclasses fill in ``_step`` and ``_finished``."""

    def __init__(
        self,
        bridge: StepRunBridge,
        panel: CheckPanel,
        *,
        title: str,
        again_tip: str,
        extra_buttons: tuple[QPushButton, ...] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.bridge = bridge
        self.panel = panel
        self._title = title
        self.summary = QLabel(title)
        self.summary.setObjectName("paneTitle")
        self.again_button = QPushButton("Run again")
        self.again_button.setToolTip(again_tip)
        self.hide_button = QPushButton("Hide")
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        for button in (self.again_button, *extra_buttons, self.hide_button):
            head.addWidget(button)
        scroll = QScrollArea()  # a failure's cause and remedy may need more lines
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(head)
        layout.addWidget(scroll, 1)
        self.setVisible(False)
        self.again_button.clicked.connect(bridge.run)
        self.hide_button.clicked.connect(self._hide)
        bridge.started.connect(self._started)
        bridge.step.connect(self._step)
        bridge.finished.connect(self._finished)
        bridge.error.connect(self._error)

    def catch_up(self, error: ErrorInfo | None = None) -> None:
        """Show what a run did before this section was made (sections are made on
        first use): that it started, or the ``error`` it could not start with."""
        if error is not None:
            self._error(error)
        elif self.bridge.running:
            self._started()

    def _hide(self) -> None:
        self.bridge.cancel()
        self.setVisible(False)

    def _started(self) -> None:
        self.setVisible(True)
        self.panel.reset()
        self.summary.setText(f"{self._title}: running…")

    def _step(self, event: Any) -> None:
        raise NotImplementedError

    def _finished(self, event: Any) -> None:
        raise NotImplementedError

    def _error(self, info: ErrorInfo) -> None:
        self.setVisible(True)
        self.summary.setText(f"{self._title} could not start: {info.message}")
