"""The demo-only fault buttons: expire the token, drop the channel, slow, revoke a role.

A plain widget: each button calls a method of the demo bridge
(:class:`~relaydesk.gui.bridges.demo_bridge.DemoBridge`), and the line
beside them shows what its signals report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:
    from relaydesk.gui.bridges.demo_bridge import DemoBridge
    from relaydesk.relay.events import ErrorInfo

__all__ = ["DemoFaultBar"]


class DemoFaultBar(QFrame):
    """The demo-only fault buttons, wired to a :class:`DemoBridge`."""

    def __init__(self, demo: DemoBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demoFaults")
        self.demo = demo
        self.expire_button = _button(
            "Expire listener token", "Close the control channel with 1008 as if the token expired"
        )
        self.drop_button = _button(
            "Drop control channel", "Cut the listener's control channel without a close frame"
        )
        self.slow_button = _button(
            "Slow listener (504)", "Hold HTTP responses past the deadline so senders get 504"
        )
        self.slow_button.setCheckable(True)
        self.role_button = _button(
            "Revoke sender role",
            "Remove the sender app's Azure Relay Sender role (press again to restore)",
        )
        self.role_button.setCheckable(True)
        self.result_label = QLabel()
        self.result_label.setObjectName("hint")
        self.result_label.setAccessibleName("Last demo fault")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        title = QLabel("Demo faults:")
        layout.addWidget(title)
        for button in (self.expire_button, self.drop_button, self.slow_button, self.role_button):
            layout.addWidget(button)
        layout.addWidget(self.result_label, 1)
        self.expire_button.clicked.connect(demo.expire_listener_token)
        self.drop_button.clicked.connect(demo.drop_control_channel)
        self.slow_button.clicked.connect(demo.toggle_slow_listener)
        self.role_button.clicked.connect(demo.toggle_sender_role)
        demo.fault_applied.connect(self.result_label.setText)
        demo.fault_failed.connect(self._failed)
        self.role_button.toggled.connect(self._role_text)

    def _role_text(self, revoked: bool) -> None:
        self.role_button.setText("Restore sender role" if revoked else "Revoke sender role")

    def _failed(self, info: ErrorInfo) -> None:
        self.result_label.setText(f"Fault failed: {info.message}")


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(text)
    button.setToolTip(tip)
    return button
