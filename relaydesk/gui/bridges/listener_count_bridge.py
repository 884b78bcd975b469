"""ListenerCountBridge: "Listeners: N" for the sender pane, from runtime info (§11).

Once the count matters (:meth:`ListenerCountBridge.want`: a side of this
app runs, Connect or Send was pressed, or the user asked for it) and while
the sender pane is visible, the bridge asks the relay for the hybrid
connection's runtime information every :data:`REFRESH_INTERVAL` seconds (one
request at a time, never faster), and every :data:`ERROR_INTERVAL` seconds
after a failure, so a wrong profile or an offline relay is not hammered.
Hidden, without a profile, or before the count matters, it asks nothing:
asking needs a token, and a token needs the relay client and the auth
libraries (aiohttp, MSAL, requests, PyJWT: ~45 MiB), which a window nobody
connects from should not load. The rhythm is a Qt timer
and each tick runs one fetch task: a tick that finds no running asyncio loop
(between two phases of a test, during shutdown) is skipped, and a running
fetch is never cancelled to start another (only :meth:`aclose` cancels).

:meth:`ListenerCountBridge.confirm` guards a send: when the last count was
0, or nobody has asked yet, it asks first (the count may be seconds old),
and only a fresh 0 leads to the warning. A count that cannot be had never
stands in the way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from relaydesk.gui.bridges.tasks import TaskSlot
from relaydesk.gui.errors import error_info

__all__ = ["ERROR_INTERVAL", "REFRESH_INTERVAL", "ListenerCountBridge", "RuntimeInfoFetcher"]

#: Seconds between two refreshes while visible.
REFRESH_INTERVAL = 5.0
#: Seconds to wait after a failed refresh.
ERROR_INTERVAL = 30.0

#: Returns a :class:`relaydesk.protocol.RuntimeInfo` for the current profile.
RuntimeInfoFetcher = Callable[[], Awaitable[Any]]


class ListenerCountBridge(QObject):
    """Poll the listener count while someone looks at it.

    Signals:
        count_changed(object): the listener count (int), or ``None`` when unknown.
        failed(object): ErrorInfo of a failed refresh (the count becomes unknown).
    """

    count_changed = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        interval: float = REFRESH_INTERVAL,
        error_interval: float = ERROR_INTERVAL,
    ) -> None:
        super().__init__(parent)
        self._fetcher: RuntimeInfoFetcher | None = None
        self._active = False
        self._interval_ms = int(interval * 1000)
        self._error_interval_ms = int(error_interval * 1000)
        self._again = False  # a refresh came while a fetch was on its way
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._slot = TaskSlot("listener-count")
        self._confirm_slot = TaskSlot("listener-count-confirm")
        #: The last count the relay reported, or ``None`` when unknown.
        self.count: int | None = None
        #: The count matters (see :meth:`want`); until then nothing is asked.
        self.wanted = False

    @property
    def polling(self) -> bool:
        """True while the relay is asked every interval."""
        return self._timer.isActive()

    def set_fetcher(self, fetcher: RuntimeInfoFetcher | None) -> None:
        """Use ``fetcher`` from now on (a new profile); ``None`` stops polling."""
        self._fetcher = fetcher
        self._set_count(None)
        self._schedule()

    def set_active(self, active: bool) -> None:
        """Poll only while ``active`` (the pane is visible)."""
        if active != self._active:
            self._active = active
            self._schedule()

    def want(self) -> None:
        """The count matters from now on: poll while the pane is visible.

        Called when this app's listener or sender runs, and when the user asks
        for the count; it stays wanted until another profile takes over
        (:meth:`forget`).
        """
        if not self.wanted:
            self.wanted = True
            self._schedule()

    def forget(self) -> None:
        """Another profile took over: its count is not wanted until it matters again.

        Asking needs the new profile's token (a keyring read, a request to
        Entra ID), which nobody asked for by switching profiles.
        """
        self.wanted = False
        self._again = False
        self._timer.stop()
        # Said even when the count was already unknown: what the pane shows
        # (a failure's "?", "…") belonged to the old profile.
        self.count = None
        self.count_changed.emit(None)

    def refresh(self) -> None:
        """Ask again now (this app's listener came or went, say).

        A fetch already on its way may have been asked before the change, so
        its answer can be stale: then one more fetch follows it at once.
        """
        if not (self._active and self.wanted):
            return
        if self._slot.running:
            self._again = True
            return
        self._tick()

    def confirm(self, proceed: Callable[[], None], warn: Callable[[], None]) -> None:
        """Call ``proceed`` unless the relay says, now, that nobody listens (``warn``).

        The first press makes the count wanted and asks for it (polling starts
        after that answer, not alongside it).
        """
        fetcher = self._fetcher
        first = not self.wanted
        self.wanted = True
        if fetcher is None or (self.count != 0 and not first):
            self._schedule(ask_now=False)
            proceed()
            return
        if self._confirm_slot.running:
            return  # a second press while the first one is being checked
        self._confirm_slot.start(self._confirm(fetcher, proceed, warn))

    async def aclose(self, grace: float = 1.0) -> None:
        """Stop polling, bounded by ``grace`` seconds."""
        self._active = False
        self._timer.stop()
        await self._confirm_slot.stop(grace / 2)
        await self._slot.stop(grace / 2)

    def _schedule(self, *, ask_now: bool = True) -> None:
        if self._active and self.wanted and self._fetcher is not None:
            if ask_now or not self._timer.isActive():
                self._timer.start(self._interval_ms)
            if ask_now:
                self._tick()
        else:
            self._timer.stop()

    def _tick(self) -> None:
        if self._fetcher is None or self._slot.running:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop runs right now: the next tick will ask
        self._slot.start(self._fetch(self._fetcher))

    async def _fetch(self, fetcher: RuntimeInfoFetcher) -> None:
        try:
            info = await fetcher()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown next to the count
            if fetcher is self._fetcher:
                self._set_count(None)
                self.failed.emit(error_info(exc))
                self._timer.setInterval(self._error_interval_ms)
            self._follow_up()
            return
        if fetcher is self._fetcher:
            self._set_count(int(info.listener_count))
            self._timer.setInterval(self._interval_ms)
        self._follow_up()

    def _follow_up(self) -> None:
        """Fetch again if a refresh came while this fetch was on its way."""
        if self._again:
            self._again = False
            QTimer.singleShot(0, self.refresh)  # once this fetch's slot is free

    async def _confirm(
        self, fetcher: RuntimeInfoFetcher, proceed: Callable[[], None], warn: Callable[[], None]
    ) -> None:
        try:
            info = await fetcher()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - unknown count: let the send say what is wrong
            self._set_count(None)
            self._schedule(ask_now=False)
            proceed()
            return
        self._set_count(int(info.listener_count))
        self._schedule(ask_now=False)
        (proceed if self.count else warn)()

    def _set_count(self, count: int | None) -> None:
        changed = count != self.count
        self.count = count
        if changed:
            self.count_changed.emit(count)
