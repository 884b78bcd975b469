"""The listener pane: state, Start/Stop, token, behaviour, connections, message log,
and the HTTP inspector (one row per relayed request, :mod:`..widgets.http_inspector`).

Widgets never await: the pane calls the bridge's plain methods and listens to
its signals (architecture §4.7). Errors arrive as ``ErrorInfo`` and are shown
in the state badge (cause, remedy, TrackingId); the timeline shows them too.

What nobody sees at start-up is made when first needed, so the window is
ready sooner (``benchmarks/gui_startup.py``): the behaviour settings when
"Behaviour" is first pressed, the HTTP inspector when its tab is first
selected, and the capture model behind it with the first HTTP request (or the
inspector). Until then the pane keeps what they would show (the policy lives
in the bridge; the address is kept here) and hands it over when they are made.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.bridges.listener_bridge import ListenerBridge
from relaydesk.gui.bridges.policies import forward_fields
from relaydesk.gui.models.message_log import MessageLogModel
from relaydesk.gui.panes.connections import ConnectionsView
from relaydesk.gui.widgets.lazy_tab import LazyTab
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

if TYPE_CHECKING:
    from PySide6.QtWidgets import QScrollArea

    from relaydesk.gui.models.http_capture import HttpCaptureModel
    from relaydesk.gui.panes.listener_settings import ListenerSettings
    from relaydesk.gui.widgets.http_inspector import HttpInspector
    from relaydesk.profiles.model import Profile

__all__ = ["ListenerPane"]


class ListenerPane(QWidget):
    """Everything about this app's listener, driven by a :class:`ListenerBridge`.

    Signals (the settings' and the inspector's, passed on: those are made
    when first needed, the pane is there from the start):
        forward_changed(object): the :class:`ListenerPolicy` after a valid change of
            where and how to forward ("Forward to", its TLS trust), for the profile.
        replay_requested(dict): the inspector's Replay, for the sender's HTTP tab.
        har_exported(str): the path a HAR file was written to.
        har_export_failed(str): why it could not be written.
    """

    forward_changed = Signal(object)
    replay_requested = Signal(dict)
    har_exported = Signal(str)
    har_export_failed = Signal(str)

    def __init__(self, bridge: ListenerBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("listenerPane")
        self.bridge = bridge
        self.log_model = MessageLogModel(parent=self)
        self._http_model: HttpCaptureModel | None = None
        self._settings: ListenerSettings | None = None
        self._settings_scroll: QScrollArea | None = None
        #: The relay address requests come to, for the inspector's Replay and HAR.
        self._entity_path = ""
        self._base_url = "https://namespace"
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
        self.connections = ConnectionsView()
        self.log_view = MessageLogView(self.log_model)
        self.log_view.setAccessibleName("Listener message log")
        self.views = QTabWidget()
        self.views.setAccessibleName("Listener views")
        self.views.addTab(self.log_view, "Messages")
        self._inspector_tab = LazyTab(self.views, "HTTP inspector", self._make_inspector)
        self._layout(title)

    def _layout(self, title: QLabel) -> None:
        head = QHBoxLayout()
        head.addWidget(title, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.state_badge, 1)
        head.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignTop)
        lower = QSplitter(Qt.Orientation.Vertical)
        lower.setChildrenCollapsible(False)
        # The settings go first, above the connections, when "Behaviour" is pressed.
        lower.addWidget(self.connections)
        lower.addWidget(self.views)
        lower.setStretchFactor(1, 1)
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

    # --- made when first needed ----------------------------------------------------

    @property
    def settings(self) -> ListenerSettings:
        """The behaviour settings (made now if "Behaviour" was never pressed)."""
        if self._settings is None:
            self._make_settings()
        assert self._settings is not None
        return self._settings

    @property
    def settings_scroll(self) -> QScrollArea:
        """The scroll area the settings sit in, above the connections."""
        if self._settings_scroll is None:
            self._make_settings()
        assert self._settings_scroll is not None
        return self._settings_scroll

    def _make_settings(self) -> None:
        from PySide6.QtWidgets import QFrame, QScrollArea

        from relaydesk.gui.panes.listener_settings import ListenerSettings

        settings = ListenerSettings(self.bridge.policy)  # the policy in use, forward URL too
        settings.policy_changed.connect(self.bridge.set_policy)
        settings.forward_changed.connect(self.forward_changed)
        scroll = QScrollArea()  # scrolls rather than growing the window
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(settings)
        scroll.setMinimumHeight(80)
        scroll.setVisible(self.settings_toggle.isChecked())
        self.lower_splitter.insertWidget(0, scroll)
        self._settings, self._settings_scroll = settings, scroll

    @property
    def http_model(self) -> HttpCaptureModel:
        """The captured HTTP exchanges (made with the first request or the inspector)."""
        if self._http_model is None:
            from relaydesk.gui.models.http_capture import HttpCaptureModel

            self._http_model = HttpCaptureModel(parent=self)
        return self._http_model

    @property
    def inspector(self) -> HttpInspector:
        """The HTTP inspector tab's page (made now if the tab was never selected)."""
        return self._inspector_tab.page()

    def _make_inspector(self) -> HttpInspector:
        from relaydesk.gui.widgets.http_inspector import HttpInspector

        inspector = HttpInspector(self.http_model)
        inspector.entity_path = self._entity_path
        inspector.base_url = self._base_url
        inspector.replay_requested.connect(self.replay_requested)
        inspector.exported.connect(self.har_exported)
        inspector.export_failed.connect(self.har_export_failed)
        return inspector

    # --- public --------------------------------------------------------------------

    def set_address(self, entity_path: str, base_url: str) -> None:
        """The relay address requests come to (the inspector's Replay and HAR use it)."""
        self._entity_path, self._base_url = entity_path, base_url
        inspector = self._inspector_tab.page_if_made
        if inspector is not None:
            inspector.entity_path = entity_path
            inspector.base_url = base_url

    def show_forward(self, profile: Profile) -> None:
        """Use and show the profile's forwarding (another profile became active)."""
        if self._settings is not None:
            self._settings.show_forward(profile)
        else:  # the settings load it from the bridge's policy when they are made
            self.bridge.set_policy(replace(self.bridge.policy, **forward_fields(profile)))

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
        self.settings_scroll.setVisible(shown)  # made on the first press
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
