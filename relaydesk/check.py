"""The one-shot connectivity check, shared by ``relaydesk check`` and the GUI.

:func:`run_check` is an async generator of :class:`CheckStepEvent`: for each
step one ``running`` event, then ``passed`` or ``failed`` with its duration
and, on failure, the cause and remedy (an
:class:`~relaydesk.relay.events.ErrorInfo`); after a failure the remaining
steps are reported ``skipped``. A final :class:`CheckFinished` says whether
everything passed. Steps (keys match the GUI's check panel):

1. ``token`` — get the listener's and the sender's token (MSAL's cache or
   fresh; SAS signed locally), protocol §9, §10.6.
2. ``listener_online`` — open a listener's control channel (§4.1), with
   auto-echo and an echoing HTTP handler.
3. ``sender_connected`` — connect a WebSocket sender (§6); the listener
   accepts it (§5.2).
4. ``message_round_trip`` — send one text message and get it echoed.
5. ``http_round_trip`` — send one HTTP POST (§7.1) and get the body echoed.

The check starts its own listener. Other listeners may be online on the same
hybrid connection (a GUI listener, a production app), and the relay spreads
senders across listeners (§4.7), so the sender and the HTTP request are pinned
to the check's listener with ``Microsoft-Relay-AllowedListeners`` (§4.7:
undocumented, but honoured by the live service per the .NET SDK's tests). If
a relay ignores the pin and another listener answers differently, the
round-trip steps fail with a remedy that says so.

Qt-free; the caller owns the event loop. Close the generator when leaving
early (``contextlib.aclosing``) so the listener and sender are closed.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from relaydesk.errors import EntraError, RelayDeskError
from relaydesk.relay.events import ErrorInfo, Event, TokenInfo

if TYPE_CHECKING:
    from pathlib import Path

    from relaydesk.auth.provider import TokenProvider
    from relaydesk.protocol.address import HybridConnectionAddress
    from relaydesk.proxy import ProxySettings
    from relaydesk.relay.listener import Listener
    from relaydesk.relay.sender import SenderConnection

__all__ = [
    "CHECK_STEPS",
    "CheckConfig",
    "CheckFinished",
    "CheckStepEvent",
    "StepStatus",
    "run_check",
]

#: A wrong echo means the message reached someone else's listener (§4.7).
_OTHER_LISTENER = (
    "Another listener on this hybrid connection may have answered; stop other listeners and "
    "run the check again."
)

#: (key, title) of every step, in order.
CHECK_STEPS: tuple[tuple[str, str], ...] = (
    ("token", "Token"),
    ("listener_online", "Listener online"),
    ("sender_connected", "Sender connected"),
    ("message_round_trip", "Message round trip"),
    ("http_round_trip", "HTTP round trip"),
)


class StepStatus(enum.Enum):
    """Where a step is; the values are the words the GUI and the CLI show."""

    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True)
class CheckStepEvent(Event):
    """One step changed status.

    Attributes:
        step: the step key (see :data:`CHECK_STEPS`).
        title: the step's display title.
        status: running, passed, failed or skipped.
        duration: seconds the step took (passed/failed), else ``None``.
        detail: a note when passed (token expiry, round-trip time …), the
            cause when failed; never a secret.
        error: cause, remedy and ids of a failure.
        tokens: the tokens the ``token`` step got (display-safe).
    """

    step: str
    title: str
    status: StepStatus
    duration: float | None = None
    detail: str = ""
    error: ErrorInfo | None = None
    tokens: tuple[TokenInfo, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CheckFinished(Event):
    """The check ended; ``passed`` only if every step passed."""

    passed: bool
    duration: float
    failed_step: str | None = None


@dataclass(frozen=True)
class CheckConfig:
    """What to check.

    Attributes:
        address: the hybrid connection.
        listener_tokens: the listener identity's provider.
        sender_tokens: the sender identity's provider (may be the same).
        ca_file: an extra CA to trust (the emulator's).
        message: the text exchanged in the round trips.
        step_timeout: seconds each step may take.
        proxy: how every connection goes out (``None`` = system mode).
    """

    address: HybridConnectionAddress
    listener_tokens: TokenProvider
    sender_tokens: TokenProvider
    ca_file: Path | None = None
    message: str = "relaydesk check"
    step_timeout: float = 30.0
    proxy: ProxySettings | None = None


class CheckStepFailed(RelayDeskError):
    """A step's result was wrong although nothing raised (e.g. a wrong echo).

    Attributes:
        remedy: what to do about it.
    """

    def __init__(self, message: str, *, remedy: str = "") -> None:
        super().__init__(message)
        self.remedy = remedy


def _timed_out(seconds: float) -> CheckStepFailed:
    return CheckStepFailed(
        f"the step did not finish within {seconds:g} s",
        remedy="Check the network and that the relay and the listener respond; "
        "run the check again with a longer --timeout.",
    )


def step_error(exc: BaseException) -> ErrorInfo:
    """Describe a step failure: the relay client's table plus Entra's trace id."""
    from relaydesk.relay.failures import error_info

    info = error_info(exc)
    if isinstance(exc, CheckStepFailed):
        return ErrorInfo(kind=info.kind, message=str(exc), remedy=exc.remedy)
    if isinstance(exc, EntraError) and exc.trace_id and not info.tracking_id:
        return ErrorInfo(
            kind=info.kind,
            message=info.message,
            remedy=info.remedy,
            status=exc.http_status,
            tracking_id=exc.trace_id,
        )
    return info


#: A step body: returns (detail, tokens) or raises.
StepBody = Callable[[], Awaitable[tuple[str, tuple[TokenInfo, ...]]]]


def _token_note(role: str, token: TokenInfo, now: float) -> str:
    source = "from cache" if token.from_cache else "fresh"
    if token.kind == "anonymous":
        return f"{role}: anonymous (no token)"
    if token.expires_at is None:
        return f"{role}: {token.kind} token for {token.identity}, no expiry"
    minutes = max(0, round((token.expires_at - now) / 60))
    return f"{role}: {token.kind} token for {token.identity}, {source}, expires in {minutes} min"


class _Session:
    """The listener and sender of one check run, and a body per step.

    Everything opened is registered on ``stack`` so that it is closed when
    the check ends, fails or is cancelled.
    """

    def __init__(self, config: CheckConfig, stack: AsyncExitStack) -> None:
        from relaydesk.relay.tls import make_ssl_context

        self._config = config
        self._stack = stack
        self._ssl = make_ssl_context(config.ca_file, host=config.address.host)
        self._listener: Listener | None = None
        self._sender: SenderConnection | None = None

    def body(self, key: str) -> StepBody:
        bodies: dict[str, StepBody] = {
            "token": self._token,
            "listener_online": self._listener_online,
            "sender_connected": self._sender_connected,
            "message_round_trip": self._message_round_trip,
            "http_round_trip": self._http_round_trip,
        }
        return bodies[key]

    def _pin(self) -> list[str]:
        """Route the sender to our listener only (§4.7), not to others online."""
        assert self._listener is not None
        return [self._listener.listener_id]

    async def _token(self) -> tuple[str, tuple[TokenInfo, ...]]:
        listener = (await self._config.listener_tokens.get_token()).info()
        sender = (await self._config.sender_tokens.get_token()).info()
        now = time.time()
        detail = f"{_token_note('listener', listener, now)}; {_token_note('sender', sender, now)}"
        return detail, (listener, sender)

    async def _listener_online(self) -> tuple[str, tuple[TokenInfo, ...]]:
        from relaydesk.relay.listener import Listener
        from relaydesk.relay.options import ListenerOptions
        from relaydesk.relay.policies import echo_handler

        options = ListenerOptions(
            auto_echo=True, open_timeout=self._config.step_timeout, proxy=self._config.proxy
        )
        listener = Listener(
            self._config.address,
            self._config.listener_tokens,
            http_handler=echo_handler(),
            ssl_context=self._ssl,
            options=options,
        )
        await self._stack.enter_async_context(listener)  # start(); stop() at the end
        self._listener = listener
        return f"control channel open as {listener.listener_id}", ()

    async def _sender_connected(self) -> tuple[str, tuple[TokenInfo, ...]]:
        from relaydesk.relay.sender import connect

        sender = await connect(
            self._config.address,
            self._config.sender_tokens,
            allowed_listeners=self._pin(),
            ssl_context=self._ssl,
            proxy=self._config.proxy,
        )
        self._stack.push_async_callback(sender.close)
        self._sender = sender
        return f"connected to {sender.url}", ()

    async def _message_round_trip(self) -> tuple[str, tuple[TokenInfo, ...]]:
        assert self._sender is not None
        message = self._config.message
        started = time.monotonic()
        await self._sender.send(message)
        reply = await self._sender.receive()
        rtt = (time.monotonic() - started) * 1000
        if reply != message:
            raise CheckStepFailed(
                "the listener answered with a different message",
                remedy=_OTHER_LISTENER,
            )
        return f"{len(message.encode())} B echoed in {rtt:.1f} ms", ()

    async def _http_round_trip(self) -> tuple[str, tuple[TokenInfo, ...]]:
        from relaydesk.protocol.wire_names import ALLOWED_LISTENERS_HEADER
        from relaydesk.relay.http_sender import http_request

        body = self._config.message.encode()
        response = await http_request(
            self._config.address,
            self._config.sender_tokens,
            "POST",
            headers={"Content-Type": "text/plain", ALLOWED_LISTENERS_HEADER: self._pin()[0]},
            body=body,
            ssl_context=self._ssl,
            proxy=self._config.proxy,
            # The step's own deadline (in _Run.step) decides; this only bounds the session.
            timeout=self._config.step_timeout + 5,
        )
        if not 200 <= response.status < 300 or response.body != body:
            raise CheckStepFailed(
                f"the listener answered HTTP {response.status} {response.reason}".strip()
                + ("" if response.body == body else " without the echoed body"),
                remedy=_OTHER_LISTENER,
            )
        return f"POST {len(body)} B → {response.status} in {response.elapsed * 1000:.1f} ms", ()


class _Run:
    """Emits the events of one check run (keeps the generator short)."""

    def __init__(self, clock: Callable[[], float], step_timeout: float) -> None:
        self._clock = clock
        self._timeout = step_timeout
        self.started = time.monotonic()
        self.failed_step: str | None = None

    def event(self, key: str, status: StepStatus, **fields: Any) -> CheckStepEvent:
        title = dict(CHECK_STEPS)[key]
        return CheckStepEvent(
            at=self._clock(), side="check", step=key, title=title, status=status, **fields
        )

    async def step(self, key: str, body: StepBody) -> CheckStepEvent:
        """Run one step; return its passed or failed event."""
        start = time.monotonic()
        try:
            async with asyncio.timeout(self._timeout):
                detail, tokens = await body()
        except TimeoutError:
            return self._failed(key, start, _timed_out(self._timeout))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a failed step
            return self._failed(key, start, exc)
        return self.event(
            key, StepStatus.PASSED, duration=time.monotonic() - start, detail=detail, tokens=tokens
        )

    def _failed(self, key: str, start: float, exc: BaseException) -> CheckStepEvent:
        self.failed_step = key
        info = step_error(exc)
        duration = time.monotonic() - start
        return self.event(
            key, StepStatus.FAILED, duration=duration, detail=info.message, error=info
        )

    def finished(self) -> CheckFinished:
        return CheckFinished(
            at=self._clock(),
            side="check",
            passed=self.failed_step is None,
            duration=time.monotonic() - self.started,
            failed_step=self.failed_step,
        )


async def run_check(
    config: CheckConfig, *, clock: Callable[[], float] = time.time
) -> AsyncGenerator[CheckStepEvent | CheckFinished, None]:
    """Run the connectivity check, yielding each step's progress.

    Never raises for a failing step: failures are events. Cancelling (or
    closing the generator) closes the sender and stops the listener.

    Args:
        config: the address, token providers and options.
        clock: wall clock for the events' ``at``.

    Yields:
        :class:`CheckStepEvent` per status change, then one :class:`CheckFinished`.
    """
    run = _Run(clock, config.step_timeout)
    async with AsyncExitStack() as stack:
        session = _Session(config, stack)
        for key, _title in CHECK_STEPS:
            if run.failed_step is not None:
                yield run.event(key, StepStatus.SKIPPED)
                continue
            yield run.event(key, StepStatus.RUNNING)
            yield await run.step(key, session.body(key))
    yield run.finished()
