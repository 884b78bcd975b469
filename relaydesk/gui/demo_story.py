"""Tell both sides what the "Slow listener (504)" demo fault really does.

With the fault on, the emulator's relay holds every HTTP response the
listener sends for :data:`~relaydesk.gui.bridges.demo_bridge.DEMO_RESPONSE_DELAY` seconds,
past the sender's deadline (:data:`~relaydesk.gui.bridges.demo_bridge.DEMO_HTTP_TIMEOUT`,
§7.3), so the sender gets 504 Gateway Timeout. Neither side's core can know
that: the listener did answer "200 in 310 µs", the sender only sees the 504.
The app injected the fault, so it says so on both sides: in the listener's
log row of each held response, in the sender's HTTP failure, and as a note
row for each side in the timeline.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from relaydesk.gui.bridges.demo_bridge import DEMO_HTTP_TIMEOUT, DEMO_RESPONSE_DELAY, DemoBridge
from relaydesk.gui.models.formatting import format_duration
from relaydesk.gui.models.timeline_entries import Severity
from relaydesk.relay.events import ErrorInfo, Event, HttpResponseSent

__all__ = ["LISTENER_NOTE", "SENDER_NOTE", "SlowListenerStory"]

LISTENER_NOTE = (
    f"held by the relay {DEMO_RESPONSE_DELAY:.0f} s (demo fault 'Slow listener'): "
    f"the sender gets 504 after {DEMO_HTTP_TIMEOUT:.0f} s"
)
SENDER_NOTE = (
    "Demo fault 'Slow listener' is on: the listener answered at once, but the relay "
    f"held its response {DEMO_RESPONSE_DELAY:.0f} s, past the {DEMO_HTTP_TIMEOUT:.0f} s "
    "deadline, so the relay answered 504 instead."
)


class SlowListenerStory(QObject):
    """Wire the fault's notes into the panes and the timeline."""

    def __init__(self, demo: DemoBridge, window: Any) -> None:
        super().__init__(window)
        self._demo = demo
        self._window = window
        demo.slow_changed.connect(self._on_slow)
        window.listener_bridge.http.connect(self._on_listener_http)
        window.sender_bridge.http_failed.connect(self._on_sender_failed)

    def _on_slow(self, slow: bool) -> None:
        self._window.listener_pane.response_note = LISTENER_NOTE if slow else ""
        self._window.sender_pane.timeout_note = SENDER_NOTE if slow else ""

    def _on_listener_http(self, event: Event) -> None:
        if not (self._demo.slow and isinstance(event, HttpResponseSent)):
            return
        self._window.timeline_model.append_note(
            "listener",
            Severity.WARNING,
            f"HTTP {event.status} sent in {format_duration(event.elapsed)}, "
            "held by the relay (demo fault)",
            LISTENER_NOTE,
        )

    def _on_sender_failed(self, info: ErrorInfo) -> None:
        if not (self._demo.slow and info.status == 504):
            return
        # After the 504's own row, which the bridge adds right after this signal.
        QTimer.singleShot(
            0,
            lambda: self._window.timeline_model.append_note(
                "sender",
                Severity.WARNING,
                "504 explained: the relay held the listener's answer past the deadline "
                "(demo fault)",
                SENDER_NOTE,
            ),
        )
