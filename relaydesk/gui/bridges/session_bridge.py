"""SessionBridge: what the listener and sender bridges share.

Both own one core session task (:func:`~relaydesk.gui.bridges.session.run_session`)
and re-emit its events as Qt signals. The common part lives here once: the
typed state/error/drop signals, the ``OFFLINE`` a session that ended without
saying so still owes the panes, the bounded stop (after which late events
are dropped, the window may be gone), and turning a failed send into an
``ErrorOccurred`` with cause and remedy instead of a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.tasks import TaskSlot
from relaydesk.gui.errors import error_info, tailor_event
from relaydesk.relay.events import (
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    EventsDropped,
    Side,
    StateChanged,
)

__all__ = ["SessionBridge"]

log = logging.getLogger(__name__)


class SessionBridge(QObject):
    """Base of :class:`ListenerBridge` and :class:`SenderBridge`.

    Subclasses emit their own signals from :meth:`_emit` and fall back to
    :meth:`_emit_common` for the events every side has.
    """

    state_changed = Signal(object)  # StateChanged
    timeline_event = Signal(object)  # every Event, for the timeline
    error = Signal(object)  # ErrorInfo
    dropped = Signal(int)  # events the core dropped because we were slow

    def __init__(self, side: Side, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.side: Side = side
        self.state = ConnectionState.OFFLINE
        self._slot = TaskSlot(side)
        self._detached = False

    @property
    def running(self) -> bool:
        """True while the session task runs (connecting, online or reconnecting)."""
        return self._slot.running

    async def _stop_session(self, grace: float) -> None:
        """Stop the session task, bounded by ``grace`` seconds."""
        if not await self._slot.stop(grace):
            self._detached = True  # the window may go away: late events are dropped
            log.warning("%s did not stop within %.1f s", self.side, grace)

    def _announce_offline(self) -> None:
        """Tell the panes the session ended, if its last word was not OFFLINE."""
        if self.state is not ConnectionState.OFFLINE:
            self.dispatch(
                StateChanged(at=time.time(), side=self.side, state=ConnectionState.OFFLINE)
            )

    async def _guard(self, work: Awaitable[object]) -> None:
        """Await ``work``; a failure is reported (cause + remedy), not raised."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown to the user, not a crash
            self._report(error_info(exc))

    def _report(self, info: ErrorInfo) -> None:
        self.dispatch(ErrorOccurred(at=time.time(), side=self.side, error=info))

    def dispatch(self, event: Event) -> None:
        """Emit the signals for one core event (public so tests can feed events)."""
        if self._detached:
            return
        event = tailor_event(event)
        self.timeline_event.emit(event)
        self._emit(event)

    def _emit(self, event: Event) -> None:
        """Emit the side's own signals for ``event`` (message events first: the hot path)."""
        self._emit_common(event)

    def _emit_common(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            self.state = event.state
            self.state_changed.emit(event)
        elif isinstance(event, ErrorOccurred):
            self.error.emit(event.error)
        elif isinstance(event, EventsDropped):
            self.dropped.emit(event.count)
