"""The sender pane: state, Connect/Disconnect, token, composer, HTTP tab, message log.

"Listeners: N" comes from the relay's runtime information (§11), polled by
the sender bridge's :class:`ListenerCountBridge` while the pane is visible,
once the count matters: this app's listener or sender runs, Connect or Send
is pressed, or the user clicks "ask the relay" (until then the window needs
no token, so it loads no relay client or auth library). When the relay says
nobody listens, Connect and the HTTP Send first show a warning (the relay
would refuse with "no listener", §6, §7.1) and act on the second press; the
warning is inline, never a blocking dialog. A count of 0, or one nobody has
asked for yet, is asked for before warning (it may be seconds old).

The HTTP tab's page is made when the tab is first selected (or a request is
replayed into it): at start-up nobody sees it, and the window is ready sooner
without its ~40 widgets (``benchmarks/gui_startup.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.bridges.backends import SenderOptions
from relaydesk.gui.bridges.sender_bridge import SenderBridge
from relaydesk.gui.models.formatting import format_duration
from relaydesk.gui.models.message_log import MessageLogModel
from relaydesk.gui.panes.composer import Composer
from relaydesk.gui.widgets.lazy_tab import LazyTab
from relaydesk.gui.widgets.message_log_view import MessageLogView
from relaydesk.gui.widgets.state_badge import StateBadge
from relaydesk.gui.widgets.token_badge import TokenBadge
from relaydesk.relay.events import ConnectionState, ErrorInfo, Event, StateChanged

if TYPE_CHECKING:
    from relaydesk.gui.panes.http_tab import HttpTab
    from relaydesk.relay.events import HttpResponseReceived

__all__ = ["ASK_LINK", "SenderPane"]

#: What the listener count shows until it matters: a link that asks for it.
ASK_LINK = 'Listeners: <a href="ask">ask the relay</a>'
_COUNT_TIP = "How many listeners the relay reports for this address"
_ASK_TIP = (
    "Asked for once this app's listener or sender runs; click to ask the relay now "
    "(it needs a token)"
)


class SenderPane(QWidget):
    """Everything about this app's sender, driven by a :class:`SenderBridge`."""

    def __init__(self, bridge: SenderBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("senderPane")
        self.bridge = bridge
        self.log_model = MessageLogModel(parent=self)
        self._pin_id: str | None = None
        #: Said with a failed HTTP request's 504 (e.g. that a demo fault made the
        #: relay hold the listener's answer); empty for nothing to add.
        self.timeout_note = ""
        self._build_ui()
        self._connect()
        self._show_state(ConnectionState.OFFLINE)

    def _build_ui(self) -> None:
        title = QLabel("Sender")
        title.setObjectName("paneTitle")
        self.state_badge = StateBadge()
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("primaryAction")
        self.connect_button.setAccessibleName("Connect or disconnect the sender")
        self.connect_button.setToolTip("Open a WebSocket to the hybrid connection (Ctrl+K)")
        self.token_badge = TokenBadge()
        self.pin_check = QCheckBox("Pin to this app's listener")
        self.pin_check.setAccessibleName("Pin to this app's listener")
        self.pin_check.setToolTip(
            "Send Microsoft-Relay-AllowedListeners so only this app's listener may accept"
        )
        self.composer = Composer()
        self.rtt_label = QLabel()
        self.rtt_label.setObjectName("rttLabel")
        self.rtt_label.setAccessibleName("Last round-trip time")
        self.log_view = MessageLogView(self.log_model)
        self.log_view.setAccessibleName("Sender message log")
        self.listeners_label = QLabel()
        self.listeners_label.setObjectName("listenerCountLabel")
        self.listeners_label.setAccessibleName("Listeners online")
        self.listeners_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self._show_count(None)
        self.no_listener_warning = QLabel()
        self.no_listener_warning.setObjectName("noListenerWarning")
        self.no_listener_warning.setWordWrap(True)
        self.no_listener_warning.setStyleSheet("color: #9a6700;")
        self.no_listener_warning.hide()
        self._warned = False
        self._layout(title)

    def _layout(self, title: QLabel) -> None:
        head = QHBoxLayout()
        head.addWidget(title, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.state_badge, 1)
        head.addWidget(self.connect_button, 0, Qt.AlignmentFlag.AlignTop)
        ws_tab = QWidget()
        ws_layout = QVBoxLayout(ws_tab)
        ws_layout.setContentsMargins(4, 4, 4, 4)
        ws_layout.addWidget(self.composer)
        ws_layout.addWidget(self.rtt_label)
        ws_layout.addWidget(self.log_view, 1)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Sender mode")
        self.tabs.addTab(ws_tab, "WebSocket")
        self._http = LazyTab(self.tabs, "HTTP", self._make_http_tab)
        options = QHBoxLayout()
        options.addWidget(self.pin_check)
        options.addStretch(1)
        options.addWidget(self.listeners_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(head)
        layout.addWidget(self.token_badge)
        layout.addLayout(options)
        layout.addWidget(self.no_listener_warning)
        layout.addWidget(self.tabs, 1)

    def _connect(self) -> None:
        bridge = self.bridge
        self.connect_button.clicked.connect(self._toggle)
        self.composer.send_requested.connect(self.send)
        self.pin_check.toggled.connect(self._update_options)
        bridge.state_changed.connect(self._on_state)
        bridge.error.connect(self._on_error)
        bridge.token_changed.connect(self.token_badge.set_token)
        bridge.message.connect(self._on_message)
        bridge.rtt.connect(self._on_rtt)
        bridge.http_response.connect(self._on_http_response)
        bridge.http_response.connect(self.log_model.append)
        bridge.http_failed.connect(self._on_http_failed)
        self.listeners_label.linkActivated.connect(lambda _link: self._want_count())
        bridge.listener_count.count_changed.connect(self._on_listener_count)
        bridge.listener_count.failed.connect(self._on_count_failed)

    # --- the HTTP tab, made when first needed ------------------------------------------

    @property
    def http_tab(self) -> HttpTab:
        """The HTTP tab's page (made now if the tab was never selected)."""
        return self._http.page()

    def _make_http_tab(self) -> HttpTab:
        from relaydesk.gui.panes.http_tab import HttpTab

        tab = HttpTab()
        tab.send_requested.connect(self.bridge.request)
        return tab

    # --- public ------------------------------------------------------------------------

    def load_replay(self, fields: dict[str, Any]) -> None:
        """Open a captured request in the HTTP tab, to edit and send (the inspector's Replay)."""
        self.tabs.setCurrentWidget(self.http_tab)
        self.http_tab.load_replay(fields)

    def set_pin_target(self, listener_id: str | None) -> None:
        """Tell the pane this app's listener id (None when it is not running)."""
        self._pin_id = listener_id
        self._update_options()
        if listener_id is not None and not self.bridge.listener_count.wanted:
            self._want_count()  # this app's listener runs: the count matters (asked now)
        else:
            self.bridge.listener_count.refresh()  # this app's listener came or went

    @property
    def state(self) -> ConnectionState:
        """The state shown by the badge."""
        return self.state_badge.state

    def send(self) -> None:
        """Send the composed message (repeated if asked); Ctrl+Enter."""
        http_tab = self._http.page_if_made
        if http_tab is not None and self.tabs.currentWidget() is http_tab:
            spec = http_tab.spec()
            self._unless_no_listener(lambda: self.bridge.request(spec))
            return
        payload = self.composer.payload()
        if payload is None:
            return
        count = self.composer.repeat_spin.value()
        if count > 1:
            interval = self.composer.interval_spin.value() / 1000.0
            self.bridge.send_repeated(payload, count, interval)
        elif isinstance(payload, bytes):
            self.bridge.send_bytes(payload)
        else:
            self.bridge.send_text(payload)

    def reset(self) -> None:
        """Forget what belonged to the previous profile: token, countdown, error, last response.

        The message log stays: it is the session's history, not the profile's state.
        """
        self.token_badge.set_token(None)
        self.state_badge.set_state(self.state)
        self.state_badge.clear_error()
        self._show_state(self.state)
        self.rtt_label.clear()
        if self._http.made:
            self.http_tab.clear_response()
        self._clear_warning()

    # --- listener count (§11) --------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.bridge.listener_count.set_active(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.bridge.listener_count.set_active(False)

    def _toggle(self) -> None:
        if self.bridge.running:
            self.bridge.toggle()
        else:
            self._unless_no_listener(self.bridge.toggle)

    def _unless_no_listener(self, action: Callable[[], None]) -> None:
        """Run ``action``, unless nobody listens and this is the first press (warn)."""
        if self._warned:
            self._clear_warning()
            action()
            return
        self.bridge.listener_count.confirm(action, self._warn_no_listener)
        self._show_count(self.bridge.listener_count.count)  # asked for now

    def _warn_no_listener(self) -> None:
        self._warned = True
        self.no_listener_warning.setText(
            "No listener is online for this hybrid connection: the relay would refuse "
            'with "no listener". Start a listener, or press again to send anyway.'
        )
        self.no_listener_warning.show()

    def _clear_warning(self) -> None:
        self._warned = False
        self.no_listener_warning.hide()

    def _want_count(self) -> None:
        """The count matters now: have it asked for, and show that it is on its way."""
        self.bridge.listener_count.want()
        self._show_count(self.bridge.listener_count.count)

    def _on_listener_count(self, count: int | None) -> None:
        self._show_count(count)
        if count != 0:
            self._clear_warning()

    def _show_count(self, count: int | None) -> None:
        if count is None and not self.bridge.listener_count.wanted:
            self.listeners_label.setText(ASK_LINK)
            self.listeners_label.setToolTip(_ASK_TIP)
            return
        self.listeners_label.setText("Listeners: …" if count is None else f"Listeners: {count}")
        self.listeners_label.setToolTip(_COUNT_TIP)

    def _on_count_failed(self, info: ErrorInfo) -> None:
        self.listeners_label.setText("Listeners: ?")
        self.listeners_label.setToolTip(f"{info.message} {info.remedy}".strip())

    # --- slots ------------------------------------------------------------------------------

    def _update_options(self) -> None:
        pinned = self._pin_id if self.pin_check.isChecked() else None
        self.bridge.options = SenderOptions(pinned_listener=pinned)

    def _on_state(self, event: StateChanged) -> None:
        self.state_badge.set_state(
            event.state, attempt=event.attempt, next_try_in=event.next_try_in, error=event.error
        )
        self._show_state(event.state)
        if event.state is not ConnectionState.OFFLINE:
            self._want_count()
        # The relay checked the token when the WebSocket opened (§6); while it
        # stays open, the token's expiry does not end it.
        self.token_badge.set_connection_open(event.state is ConnectionState.ONLINE)

    def _show_state(self, state: ConnectionState) -> None:
        running = state is not ConnectionState.OFFLINE
        self.connect_button.setText("Disconnect" if running else "Connect")

    def _on_error(self, info: ErrorInfo) -> None:
        self.state_badge.set_state(self.state, error=info)
        self._show_state(self.state)

    def _on_http_response(self, event: HttpResponseReceived) -> None:
        self.http_tab.show_response(event)

    def _on_http_failed(self, info: ErrorInfo) -> None:
        note = self.timeout_note if info.status == 504 else ""
        self.http_tab.show_failure(info, note)

    def _on_message(self, event: Event, rtt: float | None) -> None:
        self.log_model.append(event, rtt)

    def _on_rtt(self, seconds: float) -> None:
        self.rtt_label.setText(f"Round trip: {format_duration(seconds)}")
