"""The listener pane: state, Start/Stop, token, behaviour, connections, message log,
and the HTTP inspector (one row per relayed request, :mod:`..widgets.http_inspector`).

Widgets never await: the pane calls the bridge's plain methods and listens to
its signals (architecture §4.7). Errors arrive as ``ErrorInfo`` and are shown
in the state badge (cause, remedy, TrackingId); the timeline shows them too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.models.http_capture import HttpCaptureModel
from relaydesk.gui.models.message_log import MessageLogModel
from relaydesk.gui.panes.connections import ConnectionsView
from relaydesk.gui.panes.listener_settings import ListenerSettings
from relaydesk.gui.widgets.http_inspector import HttpInspector
from relaydesk.gui.widgets.message_log_view import MessageLogView
from relaydesk.gui.widgets.state_badge import StateBadge
from relaydesk.gui.widgets.token_badge import TokenBadge
from relaydesk.relay.events import (
    ConnectionEnded,
    ConnectionRejected,
    ConnectionState,
    ErrorInfo,
    Event,
    HttpResponseSent,
    StateChanged,
    TokenRenewed,
)

__all__ = ["ListenerPane"]


class ListenerPane(QWidget):
    """Everything about this app's listener, driven by a :class:`ListenerBridge`."""

    def __init__(self, bridge: ListenerBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("listenerPane")
        self.bridge = bridge
        self.log_model = MessageLogModel(parent=self)
        self.http_model = HttpCaptureModel(parent=self)
        #: Said after each HTTP response this listener sends (e.g. that the relay
        #: holds it because of a demo fault); empty for nothing to add.
        self.response_note = ""
        self._build_ui()
        self._connect()
        self._show_state(ConnectionState.OFFLINE)

    def _build_ui(self) -> None:
        title = QLabel("Listener")
        title.setObjectName("paneTitle")
        self.state_badge = StateBadge()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primaryAction")
        self.start_button.setAccessibleName("Start or stop the listener")
        self.start_button.setToolTip("Open the listener's control channel (Ctrl+L)")
        self.token_badge = TokenBadge()
        self.settings_toggle = QToolButton()
        self.settings_toggle.setText("Behaviour")
        self.settings_toggle.setCheckable(True)
        self.settings_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.settings_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settings_toggle.setAccessibleName("Show listener behaviour settings")
        self.settings_toggle.setToolTip("Accept policy, auto-echo and the HTTP response")
        self.settings = ListenerSettings(self.bridge.policy)
        self.settings.policy_changed.connect(self.bridge.set_policy)
        self.settings_scroll = QScrollArea()  # scrolls rather than growing the window
        self.settings_scroll.setWidgetResizable(True)
        self.settings_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.settings_scroll.setWidget(self.settings)
        self.settings_scroll.setMinimumHeight(80)
        self.settings_scroll.setVisible(False)
        self.connections = ConnectionsView()
        self.log_view = MessageLogView(self.log_model)
        self.log_view.setAccessibleName("Listener message log")
        self.inspector = HttpInspector(self.http_model)
        self.views = QTabWidget()
        self.views.setAccessibleName("Listener views")
        self.views.addTab(self.log_view, "Messages")
        self.views.addTab(self.inspector, "HTTP inspector")
        self._layout(title)

    def _layout(self, title: QLabel) -> None:
        head = QHBoxLayout()
        head.addWidget(title, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.state_badge, 1)
        head.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignTop)
        lower = QSplitter(Qt.Orientation.Vertical)
        lower.setChildrenCollapsible(False)
        lower.addWidget(self.settings_scroll)  # hidden until "Behaviour" is pressed
        lower.addWidget(self.connections)
        lower.addWidget(self.views)
        lower.setStretchFactor(2, 1)
        self.lower_splitter = lower
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(head)
        layout.addWidget(self.token_badge)
        layout.addWidget(self.settings_toggle)
        layout.addWidget(lower, 1)

    def _connect(self) -> None:
        bridge = self.bridge
        self.start_button.clicked.connect(bridge.toggle)
        self.settings_toggle.toggled.connect(self._toggle_settings)
        self.connections.send_requested.connect(bridge.send_text)
        self.connections.close_requested.connect(bridge.close_connection)
        bridge.state_changed.connect(self._on_state)
        bridge.error.connect(self._on_error)
        bridge.token_changed.connect(self.token_badge.set_token)
        bridge.token_renewed.connect(self._on_renewed)
        bridge.connection_accepted.connect(self.connections.add)
        bridge.connection_ended.connect(self._on_ended)
        bridge.connection_rejected.connect(self._on_rejected)
        bridge.message.connect(self._on_message)
        bridge.http.connect(self._on_http)

    # --- public --------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The state shown by the badge."""
        return self.state_badge.state

    def reset(self) -> None:
        """Forget what belonged to the previous profile: token, countdown, error, connections.

        The message log stays: it is the session's history, not the profile's state.
        """
        self.token_badge.set_token(None)
        self.state_badge.set_state(self.state)
        self.state_badge.clear_error()
        self._show_state(self.state)
        if self.state is ConnectionState.OFFLINE:
            self.connections.clear()

    # --- slots ---------------------------------------------------------------------------

    def _toggle_settings(self, shown: bool) -> None:
        self.settings_scroll.setVisible(shown)
        arrow = Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        self.settings_toggle.setArrowType(arrow)

    def _on_state(self, event: StateChanged) -> None:
        self.state_badge.set_state(
            event.state, attempt=event.attempt, next_try_in=event.next_try_in, error=event.error
        )
        self._show_state(event.state)
        if event.state is ConnectionState.OFFLINE:
            self.connections.clear()

    def _show_state(self, state: ConnectionState) -> None:
        running = state is not ConnectionState.OFFLINE
        self.start_button.setText("Stop" if running else "Start")

    def _on_error(self, info: ErrorInfo) -> None:
        self.state_badge.set_state(self.state, error=info)
        self._show_state(self.state)

    def _on_renewed(self, event: TokenRenewed) -> None:
        self.token_badge.set_renewed(event.token, event.renewals, event.at)

    def _on_ended(self, event: ConnectionEnded) -> None:
        self.connections.remove(event.connection_id)

    def _on_rejected(self, event: ConnectionRejected) -> None:
        self.connections.remove(event.connection_id)

    def _on_http(self, event: Event) -> None:
        note = self.response_note if isinstance(event, HttpResponseSent) else ""
        self.log_model.append(event, note=note)
        self.http_model.append(event)

    def _on_message(self, event: Event) -> None:
        self.log_model.append(event)
        self.connections.count_message(event)  # type: ignore[arg-type]
