"""SenderBridge: a WebSocket sender and HTTP requests, as Qt signals.

The sender pane calls :meth:`SenderBridge.connect_sender`, :meth:`send_text`,
:meth:`send_repeated`, :meth:`request` … and listens to the signals. The
bridge owns every task and measures the round-trip time of echoed messages
(the first unanswered sent message with the same payload).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from relaydesk.gui.bridges.backends import (
    HttpRequester,
    HttpRequestSpec,
    SenderOpener,
    SenderOptions,
    SenderSession,
)
from relaydesk.gui.bridges.listener_count_bridge import ListenerCountBridge
from relaydesk.gui.bridges.session import run_session
from relaydesk.gui.bridges.session_bridge import SessionBridge
from relaydesk.gui.bridges.tasks import TaskGroupSlot, TaskSlot
from relaydesk.gui.bridges.time_slice import TimeSlice
from relaydesk.gui.errors import error_info, tailor
from relaydesk.relay.events import (
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    HttpResponseReceived,
    MessageReceived,
    MessageSent,
    TokenAcquired,
    TokenRenewed,
)

__all__ = ["SenderBridge"]

STOP_TIMEOUT = 2.0
RTT_WINDOW = 10_000  # sent messages remembered for round-trip matching
#: Seconds of back-to-back sends between two yields to Qt. The repeat is the
#: source of a flood: each send comes back as reads, echoes, events and rows in
#: later passes of the loop, so the less it sends per pass, the shorter they are.
#: Kept at a quarter of the event pumps' slice (session.PUMP_SLICE) so the pumps
#: drain what a pass sent and the core's queues do not overflow.
REPEAT_SLICE = 0.0005


class SenderBridge(SessionBridge):
    """Own the sender connection, its sends and HTTP requests.

    ``state_changed``, ``timeline_event``, ``error`` and ``dropped`` come from
    :class:`SessionBridge`.
    """

    token_changed = Signal(object)  # TokenInfo
    message = Signal(object, object)  # MessageSent | MessageReceived, rtt seconds | None
    rtt = Signal(float)  # round-trip time of an echoed message, seconds
    http_response = Signal(object)  # HttpResponseReceived
    http_failed = Signal(object)  # ErrorInfo of a failed HTTP request
    repeat_progress = Signal(int, int)  # sent, total

    def __init__(
        self, parent: QObject | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``clock`` times the repeat loop's turns on the GUI thread (tests inject one)."""
        super().__init__("sender", parent)
        self._clock = clock
        self.options = SenderOptions()
        self._opener: SenderOpener | None = None
        self._requester: HttpRequester | None = None
        self._session: SenderSession | None = None
        self._repeat = TaskSlot("sender-repeat")
        self._work = TaskGroupSlot("sender-work")
        self._in_flight: collections.deque[tuple[str | bytes, float]] = collections.deque(
            maxlen=RTT_WINDOW
        )
        #: "Listeners: N" from the relay's runtime information (§11).
        self.listener_count = ListenerCountBridge(self)

    # --- configuration ----------------------------------------------------------

    def set_backend(self, opener: SenderOpener | None, requester: HttpRequester | None) -> None:
        """Say how to connect and how to send HTTP requests (from the profile)."""
        self._opener = opener
        self._requester = requester

    @property
    def configured(self) -> bool:
        """True when a profile gave us a sender identity."""
        return self._opener is not None

    @property
    def connected(self) -> bool:
        """True when messages can be sent."""
        return self._session is not None and self.state is ConnectionState.ONLINE

    # --- control (plain methods) ---------------------------------------------------

    def connect_sender(self) -> None:
        """Open the WebSocket sender in a task."""
        if self._opener is None:
            self._report(_NO_PROFILE)
            return
        self._slot.start(self._run(self._opener, self.options))

    def disconnect_sender(self) -> None:
        """Close the sender (the task sends the close frame)."""
        self._repeat.cancel()
        self._slot.cancel()

    def toggle(self) -> None:
        """Connect when disconnected, disconnect otherwise (Ctrl+K)."""
        if self.running:
            self.disconnect_sender()
        else:
            self.connect_sender()

    async def aclose(self, grace: float = STOP_TIMEOUT) -> None:
        """Stop everything, bounded by ``grace`` seconds."""
        self._repeat.cancel()
        await self.listener_count.aclose(grace / 4)
        await self._work.stop(grace / 2)
        await self._stop_session(grace)

    def send_text(self, text: str) -> None:
        """Send one text message."""
        self._send_one(text)

    def send_bytes(self, data: bytes) -> None:
        """Send one binary message."""
        self._send_one(data)

    def send_repeated(self, data: str | bytes, count: int, interval: float) -> None:
        """Send ``data`` ``count`` times, ``interval`` seconds apart (0 = back to back)."""
        session = self._require_session()
        if session is not None:
            self._repeat.start(self._repeat_loop(session, data, count, interval))

    def cancel_repeat(self) -> None:
        """Stop a running repeat."""
        self._repeat.cancel()

    def request(self, spec: HttpRequestSpec) -> None:
        """Send one HTTP request through the relay (§7.1)."""
        if self._requester is None:
            self._report(_NO_PROFILE)
            return
        self._work.start(self._http(self._requester, spec, self.options))

    # --- tasks --------------------------------------------------------------------

    async def _run(self, opener: SenderOpener, options: SenderOptions) -> None:
        session = opener(options)
        self._session = session
        try:
            await run_session(session, self.dispatch, side="sender")
        finally:
            self._session = None
            self._in_flight.clear()
            self._announce_offline()

    def _require_session(self) -> SenderSession | None:
        if self._session is None:
            self._report(
                ErrorInfo("NotConnected", "The sender is not connected.", "Press Connect first.")
            )
        return self._session

    def _send_one(self, data: str | bytes) -> None:
        session = self._require_session()
        if session is not None:
            self._work.start(self._send(session, data))

    async def _send(self, session: SenderSession, data: str | bytes) -> None:
        self._in_flight.append((data, time.perf_counter()))
        await self._guard(session.send(data))

    async def _repeat_loop(
        self, session: SenderSession, data: str | bytes, count: int, interval: float
    ) -> None:
        turn = TimeSlice(REPEAT_SLICE, self._clock)
        for sent in range(1, count + 1):
            await self._send(session, data)
            if sent % 100 == 0 or sent == count:
                self.repeat_progress.emit(sent, count)
            if interval > 0 and sent < count:
                await asyncio.sleep(interval)
            else:
                await turn.checkpoint()  # a send that need not wait never yields: let Qt paint

    async def _http(
        self, requester: HttpRequester, spec: HttpRequestSpec, options: SenderOptions
    ) -> None:
        try:
            response = await requester(spec, options)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown in the HTTP tab and the timeline
            info = tailor(error_info(exc), "sender")
            self.http_failed.emit(info)
            # Not on ``error``: that feeds the state badge, which is the WebSocket's
            # (an HTTP 504 under "Online" would read as a broken connection).
            self.timeline_event.emit(ErrorOccurred(at=time.time(), side="sender", error=info))
            return
        self.timeline_event.emit(response)
        self.http_response.emit(response)

    # --- event → signal ----------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if isinstance(event, MessageReceived):
            rtt = self._match_echo(event)
            self.message.emit(event, rtt)
            if rtt is not None:
                self.rtt.emit(rtt)
        elif isinstance(event, MessageSent):
            self.message.emit(event, None)
        elif isinstance(event, TokenAcquired | TokenRenewed):
            self.token_changed.emit(event.token)
        elif isinstance(event, HttpResponseReceived):
            self.http_response.emit(event)
        else:
            self._emit_common(event)  # ChannelOpened/Closed: timeline only

    def _match_echo(self, event: MessageReceived) -> float | None:
        """Pair a received message with the oldest identical unanswered send.

        Returns:
            The round-trip time in seconds, or None if nothing matched.
        """
        now = time.perf_counter()
        for index, (data, sent_at) in enumerate(self._in_flight):
            if data == event.data:
                del self._in_flight[index]
                return now - sent_at
            if index > 64:  # echoes come back in order; don't scan a long backlog
                break
        return None


_NO_PROFILE = ErrorInfo(
    "NoProfile", "No sender identity is configured.", "Choose or create a profile, or press Demo."
)
