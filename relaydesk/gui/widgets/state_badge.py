"""Connection state badge: coloured dot + words, and the last error explained.

Text always says the state ("Offline", "Connecting…", "Online",
"Reconnecting in 3 s (attempt 2)", "Error"), so colour is never the only cue.
The reconnect countdown is local UI state ticking once a second (``tick()``
is public for tests with a fake clock). Cause, remedy and TrackingId are
selectable so they can be pasted into a ticket (product: errors explained
where they happen).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from relaydesk.gui.widgets.repolish import set_style_property, status_colours
from relaydesk.relay.events import ConnectionState, ErrorInfo
from relaydesk.relay.failures import without_tracking_trailer

_LOCAL_STYLE = """
#stateDot {{ color: palette(mid); }}
#stateDot[state="online"] {{ color: {ok}; }}
#stateDot[state="connecting"], #stateDot[state="reconnecting"] {{ color: {warn}; }}
#stateDot[state="error"] {{ color: {error}; }}
#stateText {{ font-weight: bold; }}
"""
_SELECTABLE = (
    Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
)


def state_text(
    state: ConnectionState, attempt: int, seconds_left: float | None, error: bool
) -> str:
    """Return the words for a state (the badge's main text)."""
    if state is ConnectionState.ONLINE:
        return "Online"
    if state is ConnectionState.CONNECTING:
        return "Connecting…"
    if state is ConnectionState.RECONNECTING:
        suffix = f" (attempt {attempt})" if attempt else ""
        if seconds_left is None or seconds_left <= 0:
            return f"Reconnecting now{suffix}"
        return f"Reconnecting in {math.ceil(seconds_left)} s{suffix}"
    return "Error" if error else "Offline"


class StateBadge(QWidget):
    """Show a listener's or sender's :class:`ConnectionState`.

    Signals:
        state_changed(str): the ``state`` property changed
            (``offline``/``connecting``/``online``/``reconnecting``/``error``).
    """

    state_changed = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stateBadge")
        self._clock = clock
        self._state = ConnectionState.OFFLINE
        self._attempt = 0
        self._deadline: float | None = None
        self._error: ErrorInfo | None = None
        self._make_controls()
        self._layout()
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self.setStyleSheet(_LOCAL_STYLE.format(**status_colours(self)))
        self.set_state(ConnectionState.OFFLINE)

    @property
    def state(self) -> ConnectionState:
        """The state shown."""
        return self._state

    @property
    def text(self) -> str:
        """The main text shown (``"Online"``, ``"Reconnecting in 3 s (attempt 2)"`` …)."""
        return self.text_label.text()

    def set_state(
        self,
        state: ConnectionState,
        *,
        attempt: int = 0,
        next_try_in: float | None = None,
        error: ErrorInfo | None = None,
    ) -> None:
        """Show ``state``; ``attempt``/``next_try_in`` describe a reconnect, ``error`` its cause.

        The error stays visible while reconnecting and is cleared when online.
        """
        self._state = state
        self._attempt = attempt
        self._deadline = None if next_try_in is None else self._clock() + next_try_in
        if error is not None or state is ConnectionState.ONLINE:
            self._error = error
        self._show_error(self._error)
        if state is ConnectionState.RECONNECTING and next_try_in is not None:
            self._timer.start()
        else:
            self._timer.stop()
        self.tick()

    def clear_error(self) -> None:
        """Forget the last error (it belonged to settings that were replaced)."""
        self._error = None
        self._show_error(None)
        self.tick()

    @property
    def ticking(self) -> bool:
        """True while a reconnect countdown updates itself every second.

        In any other state, or once the countdown reached zero, the badge does
        not wake the app.
        """
        return self._timer.isActive()

    def tick(self) -> None:
        """Re-render the text (the reconnect countdown uses the clock)."""
        left = None if self._deadline is None else self._deadline - self._clock()
        error = self._error is not None
        text = state_text(self._state, self._attempt, left, error)
        self.text_label.setText(text)
        self.setAccessibleDescription(text)
        key = "error" if error and self._state is ConnectionState.OFFLINE else self._state.value
        if self.property("state") != key:
            for widget in (self, self.dot, self.text_label):
                set_style_property(widget, "state", key)
            self.state_changed.emit(key)
        if left is not None and left <= 0:
            self._timer.stop()

    def _make_controls(self) -> None:
        self.dot = QLabel("●")
        self.dot.setObjectName("stateDot")
        self.dot.setAccessibleName("State indicator")
        self.text_label = QLabel()
        self.text_label.setObjectName("stateText")
        self.text_label.setAccessibleName("Connection state")
        self.cause_label = _selectable("stateCause", "Last error")
        self.remedy_label = _selectable("stateRemedy", "Remedy")
        self.tracking_label = _selectable("stateTrackingId", "TrackingId")

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(6)
        top.addWidget(self.dot)
        top.addWidget(self.text_label)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        for label in (self.cause_label, self.remedy_label, self.tracking_label):
            layout.addWidget(label)
        layout.addStretch(1)

    def _show_error(self, error: ErrorInfo | None) -> None:
        if error is None:
            texts = ("", "", "")
        else:
            # The status once: not when the message already says it ("HTTP 403: …").
            message = without_tracking_trailer(error.message, error.tracking_id)
            shown = error.status is not None and str(error.status) not in message
            status = f" ({error.status})" if shown else ""
            texts = (
                f"{error.kind}{status}: {message}",
                f"Remedy: {error.remedy}" if error.remedy else "",
                f"TrackingId: {error.tracking_id}" if error.tracking_id else "",
            )
        for label, text in zip(
            (self.cause_label, self.remedy_label, self.tracking_label), texts, strict=True
        ):
            label.setText(text)
            label.setToolTip(text)
            label.setVisible(bool(text))


def _selectable(name: str, accessible: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setWordWrap(True)
    label.setTextInteractionFlags(_SELECTABLE)
    label.setVisible(False)
    return label
