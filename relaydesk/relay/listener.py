"""The Hybrid Connections listener: control channel, accepts, HTTP, reconnects.

One :class:`Listener` owns one control channel at a time (§4.1) and keeps
it alive: WebSocket pings (§4.5), ``renewToken`` before expiry (§4.6), and
reconnects after drops on the .NET schedule with jitter (§11,
:mod:`relaydesk.relay.retry`), each time with a fresh token. Commands never
block the control pump: each ``accept`` (§5) and each HTTP ``request`` (§7)
runs in its own task; only an inline request's body is read in the pump,
because it belongs to that command (§4.4).

Life cycle (``StateChanged`` events, §11)::

    OFFLINE → CONNECTING → ONLINE ⇄ RECONNECTING(attempt, next_try_in) → OFFLINE

``start()`` makes the first attempt itself. By default its failure is
raised, as .NET's ``OpenAsync`` does, so a Start button shows the error at
once and the listener stays OFFLINE; with
``ListenerOptions(retry_first_open=True)`` start() returns and the listener
keeps retrying. 404 (no such hybrid connection) always ends in OFFLINE.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType

from relaydesk.errors import AuthError, ConnectionClosed, EntityNotFound, RelayDeskError, RelayError
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.protocol.messages import AcceptCommand, RequestCommand
from relaydesk.relay.accepting import Acceptor, ConnectionHandler
from relaydesk.relay.connection import ListenerConnection
from relaydesk.relay.control import ControlChannel
from relaydesk.relay.event_queue import EventQueue
from relaydesk.relay.events import (
    ChannelClosed,
    ChannelOpened,
    ConnectionState,
    ErrorInfo,
    ErrorOccurred,
    Event,
    StateChanged,
    TokenAcquired,
    TokenInfo,
    TokenRenewed,
)
from relaydesk.relay.failures import error_info, with_remedy
from relaydesk.relay.http_responder import HttpResponder
from relaydesk.relay.options import ListenerOptions
from relaydesk.relay.policies import AcceptPolicy, HttpHandler, accept_all
from relaydesk.relay.renewal import TokenRenewer
from relaydesk.relay.tasks import TaskSet, cancel_and_wait
from relaydesk.relay.tokens import TokenProviderLike

__all__ = ["Listener"]

_log = logging.getLogger(__name__)

#: Errors after which the listener may try again (everything it can meet
#: on the network or from the token provider).
_RETRYABLE = (RelayError, AuthError)


def _cancelling() -> bool:
    """True if the current task was asked to stop (not only what it awaited)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Listener:
    """Listen on one hybrid connection; publish everything as events.

    Args:
        address: the hybrid connection.
        token_provider: gives tokens with Listen rights (fresh per connect).
        policy: accept policy for WebSocket senders (default: accept all).
        http_handler: answers HTTP requests (default: none → 501).
        connection_handler: serves each accepted connection (default: read
            every message, echo if ``options.auto_echo``).
        ssl_context: TLS trust (:func:`relaydesk.relay.tls.make_ssl_context`).
        options: timeouts, schedules, limits.
        clock: wall clock (token expiry and event times).
    """

    def __init__(
        self,
        address: HybridConnectionAddress,
        token_provider: TokenProviderLike,
        *,
        policy: AcceptPolicy | None = None,
        http_handler: HttpHandler | None = None,
        connection_handler: ConnectionHandler | None = None,
        ssl_context: ssl.SSLContext | None = None,
        options: ListenerOptions | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.address = address
        self.options = options or ListenerOptions()
        self.listener_id = self.options.listener_id or str(uuid.uuid4())
        self._provider = token_provider
        self._ssl = ssl_context
        self._clock = clock
        self._queue = EventQueue("listener", capacity=self.options.event_capacity, clock=clock)
        self._acceptor = Acceptor(
            policy or accept_all(),
            handler=connection_handler,
            echo=self.options.auto_echo,
            ssl_context=ssl_context,
            settings=self.options.rendezvous_settings(),
            events=self._queue,
            clock=clock,
        )
        self._http = HttpResponder(
            http_handler,
            ssl_context=ssl_context,
            settings=self.options.rendezvous_settings(),
            emit=self._queue.put,
            timeout=self.options.http_timeout,
            clock=clock,
        )
        self._retry = self.options.reconnect_policy()
        self._renewer: TokenRenewer | None = None
        self._renew_task: asyncio.Task[None] | None = None
        self._channel: ControlChannel | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._opening: asyncio.Task[ControlChannel] | None = None
        self._tasks = TaskSet("relay-listener")
        self._stopping = False
        self.state = ConnectionState.OFFLINE
        """Current state (also published as :class:`StateChanged`)."""
        self.last_error: ErrorInfo | None = None
        """The last error, cleared when ONLINE."""
        self.token: TokenInfo | None = None
        """The current control channel token (display-safe)."""
        self.reconnects = 0
        """Control channels opened after the first one."""
        self._renewals = 0

    # Public methods ------------------------------------------------------------

    @property
    def connections(self) -> Mapping[str, ListenerConnection]:
        """Open WebSocket connections by id (read-only)."""
        return self._acceptor.connections

    @property
    def renewals(self) -> int:
        """``renewToken`` messages sent over the listener's lifetime."""
        current = self._renewer.renewals if self._renewer else 0
        return self._renewals + current

    @property
    def token_expires_at(self) -> float | None:
        """Expiry of the control channel's current token (epoch seconds)."""
        return self._renewer.expires_at if self._renewer else None

    def events(self) -> AsyncIterator[Event]:
        """Events until the listener is stopped (single consumer)."""
        return self._queue.stream()

    async def start(self) -> None:
        """Open the control channel; then keep it open in the background.

        Returns without raising if :meth:`stop` (from another task) ends the
        first open.

        Raises:
            HandshakeFailed: (default options) the first open was refused —
                Unauthorized, Forbidden, EntityNotFound … with a remedy.
            RelayUnreachable, AuthError: likewise for network/token failures.
        """
        if self._queue.closed:
            raise RuntimeError("this Listener has ended (stopped or failed to start)")
        if self._run_task is not None:
            return
        self._set_state(ConnectionState.CONNECTING)
        # Its own task, so that stop() from another task can end it too.
        self._opening = asyncio.create_task(self._open(), name="relay-listener-open")
        try:
            channel = await self._opening
        except asyncio.CancelledError:
            if self._stopping and not _cancelling():
                return  # stop() ended the first open: nothing to report
            raise
        except _RETRYABLE as exc:
            self._report(exc)
            if self.options.retry_first_open and not isinstance(exc, EntityNotFound):
                delay = self._schedule(exc)
                self._run_task = asyncio.create_task(
                    self._run(None, exc, delay), name="relay-listener"
                )
                return
            self._go_offline(exc)
            raise
        finally:
            self._opening = None
        if self._stopping:  # stop() was called while the first open was under way
            await channel.close(self.options.close_timeout)
            self._channel = None
            self._retire_renewer()
            return
        self._went_online()
        self._run_task = asyncio.create_task(self._run(channel, None), name="relay-listener")

    async def stop(self) -> None:
        """Close everything (control channel 1000, connections) within a few seconds.

        Idempotent. Leaves no socket open: a first open or a reconnect still
        in its TLS handshake is cancelled, which aborts its transport. A
        stopped listener cannot be started again (its event stream has
        ended); create a new one. A stop that is itself cancelled (a caller's
        timeout) drops what is still open without the close handshakes.
        """
        self._stopping = True
        try:
            await self._stop_gracefully()
        except BaseException:
            self._abort()
            raise

    def _abort(self) -> None:
        """Drop every socket and task at once, and end the event stream."""
        for task in (self._opening, self._run_task):
            if task is not None:
                task.cancel()
        if self._channel is not None:
            self._channel.abort()
            self._channel = None
        self._acceptor.abort_all()
        self._tasks.cancel()
        if self.state is not ConnectionState.OFFLINE or not self._queue.closed:
            self._go_offline(None)

    async def _stop_gracefully(self) -> None:
        await cancel_and_wait(self._opening)  # a first open still in its handshake
        timeout = self.options.close_timeout
        channel = self._channel
        if channel is not None:
            await channel.close(timeout)
        await cancel_and_wait(self._run_task)
        if self._channel is not None:  # opened by a reconnect racing with stop()
            self._channel.abort()
            self._channel = None
        await self._acceptor.close_all(timeout)
        await self._tasks.cancel_all()
        if self.state is not ConnectionState.OFFLINE or not self._queue.closed:
            self._go_offline(None)

    async def __aenter__(self) -> Listener:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # Private methods: the connection loop --------------------------------------

    async def _open(self) -> ControlChannel:
        """Get a fresh token and open a control channel (§4.1, §11)."""
        token = await self._provider.get_token()
        obtained_at = self._clock()
        self.token = token.info()
        self._queue.put(TokenAcquired(at=obtained_at, side="listener", token=self.token))
        channel = await ControlChannel.open(
            self.address,
            self.listener_id,
            token.value.reveal(),
            ssl_context=self._ssl,
            settings=self.options.control_settings(),
        )
        self._channel = channel
        self._queue.put(
            ChannelOpened(
                at=self._clock(), side="listener", url=channel.url, channel_id=self.listener_id
            )
        )
        self._renewer = TokenRenewer(
            self._provider,
            send_renewal=channel.renew,
            emit=self._on_renewer_event,
            renew_before=self.options.renew_before,
            clock=self._clock,
        )
        self._renew_task = self._tasks.spawn(self._renewer.run(token, obtained_at))
        return channel

    async def _run(
        self,
        channel: ControlChannel | None,
        error: BaseException | None,
        first_delay: float | None = None,
    ) -> None:
        """Serve channels and reconnect until stopped or a 404."""
        while not self._stopping:
            if channel is None:
                channel = await self._reconnect(error, first_delay)
                first_delay = None
                if channel is None:
                    return
                self.reconnects += 1
                self._went_online()
            online_since = time.monotonic()
            error = await self._serve(channel)
            self._retry.dropped(time.monotonic() - online_since)
            channel = None

    async def _reconnect(
        self, error: BaseException | None, delay: float | None = None
    ) -> ControlChannel | None:
        """Wait per schedule and retry until a channel opens; ``None`` on 404.

        ``delay`` is a first wait already scheduled (and announced) by start().
        """
        while not self._stopping:
            if delay is None:
                delay = self._schedule(error)
                if delay is None:
                    return None
            await asyncio.sleep(delay)
            delay = None
            try:
                return await self._open()
            except _RETRYABLE as exc:
                self._report(exc)
                error = exc
        return None

    def _schedule(self, error: BaseException | None) -> float | None:
        """Announce RECONNECTING with the next delay; go OFFLINE (``None``) on 404."""
        decision = self._retry.next(error)
        if not decision.retry:
            self._go_offline(error)
            return None
        self._set_state(
            ConnectionState.RECONNECTING,
            attempt=decision.attempt,
            next_try_in=decision.delay,
            error=self._error_info(error) if error else None,
        )
        return decision.delay

    async def _serve(self, channel: ControlChannel) -> BaseException:
        """Dispatch commands until the channel ends; return why it ended."""
        try:
            async for command, body in channel.commands():
                if isinstance(command, AcceptCommand):
                    self._tasks.spawn(self._acceptor.handle(command))
                elif isinstance(command, RequestCommand) and command.is_rendezvous_only:
                    self._tasks.spawn(self._http.handle_rendezvous(command))
                elif isinstance(command, RequestCommand):
                    self._tasks.spawn(self._http.handle_inline(command, body, channel.send))
                else:
                    _log.info("ignoring control command %r", type(command).__name__)
            raise ConnectionClosed(1006, "the control channel ended")  # pragma: no cover
        except ConnectionClosed as exc:
            return self._channel_ended(channel, exc)
        finally:
            self._retire_renewer()
            channel.abort()

    def _channel_ended(self, channel: ControlChannel, exc: ConnectionClosed) -> ConnectionClosed:
        if self._channel is channel:
            self._channel = None
        self._queue.put(
            ChannelClosed(
                at=self._clock(),
                side="listener",
                channel_id=self.listener_id,
                code=exc.code,
                reason=exc.reason,
                by_peer=not self._stopping,
            )
        )
        if not self._stopping:
            self._report(exc)
        return exc

    # Private methods: helpers --------------------------------------------------

    def _went_online(self) -> None:
        self._retry.online()
        self._set_state(ConnectionState.ONLINE)

    def _retire_renewer(self) -> None:
        if self._renewer is not None:
            self._renewals += self._renewer.renewals
            self._renewer = None
        if self._renew_task is not None:
            self._renew_task.cancel()
            self._renew_task = None

    def _on_renewer_event(self, event: Event) -> None:
        if isinstance(event, TokenRenewed):
            self.token = event.token
        self._queue.put(event)

    def _error_info(self, exc: BaseException) -> ErrorInfo:
        """Describe ``exc`` with the remedy for a listener with this identity.

        The exception gets that remedy too, for callers that see it raised
        (``start()`` failing, the check).
        """
        identity = self.token.kind if self.token else getattr(self._provider, "kind", "")
        if isinstance(exc, RelayDeskError):
            with_remedy(exc, side="listener", identity=identity)
        return error_info(exc, side="listener", identity=identity)

    def _report(self, exc: BaseException) -> None:
        info = self._error_info(exc)
        self.last_error = info
        self._queue.put(ErrorOccurred(at=self._clock(), side="listener", error=info))

    def _set_state(
        self,
        state: ConnectionState,
        *,
        attempt: int = 0,
        next_try_in: float | None = None,
        error: ErrorInfo | None = None,
    ) -> None:
        self.state = state
        if state is ConnectionState.ONLINE:
            self.last_error = None
        elif error is not None:
            self.last_error = error
        self._queue.put(
            StateChanged(
                at=self._clock(),
                side="listener",
                state=state,
                attempt=attempt,
                next_try_in=next_try_in,
                error=self.last_error,
            )
        )

    def _go_offline(self, error: BaseException | None) -> None:
        self._set_state(ConnectionState.OFFLINE, error=self._error_info(error) if error else None)
        self._queue.close()
