"""ListenerBridge: run a core listener on the loop and re-emit its events as Qt signals.

Widgets never await: the listener pane calls the plain methods here
(:meth:`ListenerBridge.start`, :meth:`stop`, :meth:`send_text`…), which start
tasks owned by this bridge, and it listens to the typed signals. Errors the
core raises become :class:`ErrorInfo` (cause + remedy), emitted on ``error``
and as an ``ErrorOccurred`` on the timeline; never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.backends import ListenerOpener, ListenerPolicy, ListenerSession
from relaydesk.gui.bridges.session import run_session
from relaydesk.gui.bridges.tasks import TaskGroupSlot, TaskSlot
from relaydesk.gui.errors import error_info, tailor_event
from relaydesk.relay.events import (
    ConnectionAccepted,
    ConnectionEnded,
    ConnectionRejected,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    EventsDropped,
    HttpRequestReceived,
    HttpResponseSent,
    MessageReceived,
    MessageSent,
    StateChanged,
    TokenAcquired,
    TokenRenewed,
)

__all__ = ["ListenerBridge"]

log = logging.getLogger(__name__)

STOP_TIMEOUT = 2.0


class ListenerBridge(QObject):
    """Own one listener task and translate its events into signals.

    Signals carry the core's frozen events (or ``ErrorInfo``), so the
    receivers get typed, display-safe values.
    """

    state_changed = Signal(object)  # StateChanged
    token_changed = Signal(object)  # TokenInfo of a token acquired for a (re)connect
    token_renewed = Signal(object)  # TokenRenewed
    connection_accepted = Signal(object)  # ConnectionAccepted
    connection_rejected = Signal(object)  # ConnectionRejected
    connection_ended = Signal(object)  # ConnectionEnded
    message = Signal(object)  # MessageReceived | MessageSent
    http = Signal(object)  # HttpRequestReceived | HttpResponseSent
    timeline_event = Signal(object)  # every Event, for the timeline
    error = Signal(object)  # ErrorInfo
    dropped = Signal(int)  # events the core dropped because we were slow

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.policy = ListenerPolicy()
        self._opener: ListenerOpener | None = None
        self._session: ListenerSession | None = None
        self._slot = TaskSlot("listener")
        self._sends = TaskGroupSlot("listener-send")
        self.state = ConnectionState.OFFLINE
        self._detached = False
        self.listener_id: str | None = None

    # --- configuration and control (plain methods, called from widgets) ----------

    def set_opener(self, opener: ListenerOpener | None) -> None:
        """Say how to open a listener (from the current profile); ``None`` = none."""
        self._opener = opener

    @property
    def configured(self) -> bool:
        """True when a profile gave us a way to open a listener."""
        return self._opener is not None

    @property
    def running(self) -> bool:
        """True while the listener task runs (connecting, online or reconnecting)."""
        return self._slot.running

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
        if not await self._slot.stop(grace):
            self._detached = True  # the window may go away: late events are dropped
            log.warning("listener did not stop within %.1f s", grace)

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
        session = opener(self.policy)
        self._session = session
        self.listener_id = session.listener_id
        try:
            await run_session(session, self.dispatch, side="listener")
        finally:
            self._session = None
            self.listener_id = None
            if self.state is not ConnectionState.OFFLINE:
                self.dispatch(
                    StateChanged(at=time.time(), side="listener", state=ConnectionState.OFFLINE)
                )

    def _send(self, connection_id: str, data: str | bytes) -> None:
        session = self._session
        if session is None:
            self._report(
                ErrorInfo("NotListening", "The listener is not running.", "Press Start first.")
            )
            return
        self._sends.start(self._guard(session.send(connection_id, data)))

    async def _guard(self, coro: object) -> None:
        try:
            await coro  # type: ignore[misc]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown to the user, not a crash
            self._report(error_info(exc))

    def _report(self, info: ErrorInfo) -> None:
        self.dispatch(ErrorOccurred(at=time.time(), side="listener", error=info))

    # --- event → signal -----------------------------------------------------------

    def dispatch(self, event: Event) -> None:
        """Emit the signals for one core event (public so tests can feed events)."""
        if self._detached:
            return
        event = tailor_event(event)
        self.timeline_event.emit(event)
        if isinstance(event, MessageReceived | MessageSent):
            self.message.emit(event)
        elif isinstance(event, HttpRequestReceived | HttpResponseSent):
            self.http.emit(event)
        elif isinstance(event, StateChanged):
            self.state = event.state
            self.state_changed.emit(event)
        elif isinstance(event, TokenAcquired):
            self.token_changed.emit(event.token)
        elif isinstance(event, TokenRenewed):
            self.token_renewed.emit(event)
        else:
            self._dispatch_rest(event)

    def _dispatch_rest(self, event: Event) -> None:
        if isinstance(event, ConnectionAccepted):
            self.connection_accepted.emit(event)
        elif isinstance(event, ConnectionRejected):
            self.connection_rejected.emit(event)
        elif isinstance(event, ConnectionEnded):
            self.connection_ended.emit(event)
        elif isinstance(event, ErrorOccurred):
            self.error.emit(event.error)
        elif isinstance(event, EventsDropped):
            self.dropped.emit(event.count)
