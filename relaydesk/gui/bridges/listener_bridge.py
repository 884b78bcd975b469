"""ListenerBridge: run a core listener on the loop and re-emit its events as Qt signals.

Widgets never await: the listener pane calls the plain methods here
(:meth:`ListenerBridge.start`, :meth:`stop`, :meth:`send_text`…), which start
tasks owned by this bridge, and it listens to the typed signals. Errors the
core raises become :class:`ErrorInfo` (cause + remedy), emitted on ``error``
and as an ``ErrorOccurred`` on the timeline; never a traceback.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.backends import ListenerOpener, ListenerSession
from relaydesk.gui.bridges.policies import ListenerPolicy
from relaydesk.gui.bridges.session import run_session
from relaydesk.gui.bridges.session_bridge import SessionBridge
from relaydesk.gui.bridges.tasks import TaskGroupSlot
from relaydesk.relay.events import (
    ConnectionAccepted,
    ConnectionEnded,
    ConnectionRejected,
    ErrorInfo,
    Event,
    HttpRequestReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
    TokenAcquired,
    TokenRenewed,
)

__all__ = ["ListenerBridge"]

STOP_TIMEOUT = 2.0


class ListenerBridge(SessionBridge):
    """Own one listener task and translate its events into signals.

    Signals carry the core's frozen events (or ``ErrorInfo``), so the
    receivers get typed, display-safe values. ``state_changed``,
    ``timeline_event``, ``error`` and ``dropped`` come from
    :class:`SessionBridge`.
    """

    token_changed = Signal(object)  # TokenInfo of a token acquired for a (re)connect
    token_renewed = Signal(object)  # TokenRenewed
    connection_accepted = Signal(object)  # ConnectionAccepted
    connection_rejected = Signal(object)  # ConnectionRejected
    connection_ended = Signal(object)  # ConnectionEnded
    message = Signal(object)  # MessageReceived | MessageSent
    http = Signal(object)  # HttpRequestReceived | HttpResponseSent

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("listener", parent)
        self._policy = ListenerPolicy()
        self._opener: ListenerOpener | None = None
        self._session: ListenerSession | None = None
        self._sends = TaskGroupSlot("listener-send")
        self.listener_id: str | None = None

    # --- configuration and control (plain methods, called from widgets) ----------

    @property
    def policy(self) -> ListenerPolicy:
        """The behaviour in force: read by a running listener for each sender and request."""
        return self._policy

    def set_policy(self, policy: ListenerPolicy) -> None:
        """Replace the behaviour; the next sender or request follows it (no restart)."""
        self._policy = policy

    def _current_policy(self) -> ListenerPolicy:
        return self._policy

    def set_opener(self, opener: ListenerOpener | None) -> None:
        """Say how to open a listener (from the current profile); ``None`` = none."""
        self._opener = opener

    @property
    def configured(self) -> bool:
        """True when a profile gave us a way to open a listener."""
        return self._opener is not None

    def start(self) -> None:
        """Open the listener in a task; a second call restarts it."""
        if self._opener is None:
            self._report(
                ErrorInfo(
                    "NoProfile",
                    "No listener identity is configured.",
                    "Choose or create a profile, or press Demo.",
                )
            )
            return
        self._slot.start(self._run(self._opener))

    def stop(self) -> None:
        """Close the listener (close frames are sent by the task's clean-up)."""
        self._slot.cancel()

    def toggle(self) -> None:
        """Start when stopped, stop when running (Ctrl+L)."""
        if self.running:
            self.stop()
        else:
            self.start()

    async def aclose(self, grace: float = STOP_TIMEOUT) -> None:
        """Stop and wait for the clean-up, bounded by ``grace`` seconds."""
        await self._sends.stop(grace / 2)
        await self._stop_session(grace)

    def send_text(self, connection_id: str, text: str) -> None:
        """Send ``text`` on one accepted connection."""
        self._send(connection_id, text)

    def send_bytes(self, connection_id: str, data: bytes) -> None:
        """Send binary ``data`` on one accepted connection."""
        self._send(connection_id, data)

    def close_connection(self, connection_id: str) -> None:
        """Close one accepted connection."""
        session = self._session
        if session is not None:
            self._sends.start(self._guard(session.close_connection(connection_id)))

    # --- the task ---------------------------------------------------------------

    async def _run(self, opener: ListenerOpener) -> None:
        session = opener(self._current_policy)
        self._session = session
        self.listener_id = session.listener_id
        try:
            await run_session(session, self.dispatch, side="listener")
        finally:
            self._session = None
            self.listener_id = None
            self._announce_offline()

    def _send(self, connection_id: str, data: str | bytes) -> None:
        session = self._session
        if session is None:
            self._report(
                ErrorInfo("NotListening", "The listener is not running.", "Press Start first.")
            )
            return
        self._sends.start(self._guard(session.send(connection_id, data)))

    # --- event → signal -----------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if isinstance(event, MessageReceived | MessageSent):
            self.message.emit(event)
        elif isinstance(event, HttpRequestReceived | HttpResponseSent):
            self.http.emit(event)
        elif isinstance(event, TokenAcquired):
            self.token_changed.emit(event.token)
        elif isinstance(event, TokenRenewed):
            self.token_renewed.emit(event)
        elif isinstance(event, ConnectionAccepted):
            self.connection_accepted.emit(event)
        elif isinstance(event, ConnectionRejected):
            self.connection_rejected.emit(event)
        elif isinstance(event, ConnectionEnded):
            self.connection_ended.emit(event)
        else:
            self._emit_common(event)
