"""Run one core session (listener or sender) and pump its events, in plain asyncio.

The core's sessions publish everything through ``events()`` — including the
failure of their first ``start()`` (``ErrorOccurred`` then ``StateChanged``
OFFLINE) — so the pump starts *before* ``start()`` and the bridge sees the
whole story in order. A start failure nobody reported as an event is turned
into one here, so nothing is lost. Cancelling the task (Stop, quit) stops
the session, which sends close frames (§4.3, §5.2) within its own bound.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from relaydesk.gui.bridges.time_slice import TimeSlice
from relaydesk.gui.errors import error_info
from relaydesk.relay.events import ErrorOccurred, Event, Side
from relaydesk.relay.tasks import cancel_and_wait

__all__ = ["STOP_GRACE", "Startable", "run_session"]

log = logging.getLogger(__name__)

#: Seconds a session may take to close before it is abandoned.
STOP_GRACE = 3.0
#: Seconds to let the event stream drain after stop().
DRAIN_GRACE = 1.0
#: Seconds of event handling after which the pump lets Qt run (paint, timers).
#: A listener's and a sender's pump, the repeat loop and the socket reads can
#: all run in one pass of Qt's loop, so each keeps its share small. On a busy
#: machine the GUI thread gets a fraction of a CPU, and a pass of N ms of work
#: then lasts several times N on the clock, so the slice is kept short.
PUMP_SLICE = 0.002


class Startable(Protocol):
    """What :func:`run_session` needs: start, stop, events."""

    def events(self) -> AsyncIterator[Event]:
        """Events until the session ends."""
        ...

    async def start(self) -> None:
        """Connect (raises the first failure)."""
        ...

    async def stop(self) -> None:
        """Close with close frames."""
        ...


async def run_session(
    session: Startable,
    dispatch: Callable[[Event], None],
    *,
    side: Side,
) -> None:
    """Start ``session``, dispatch its events until it ends or we are cancelled.

    Args:
        session: a listener or sender session.
        dispatch: called (on the loop thread) for every event.
        side: stamped on an ``ErrorOccurred`` made here.
    """
    seen_error = False

    def on_event(event: Event) -> None:
        nonlocal seen_error
        seen_error = seen_error or isinstance(event, ErrorOccurred)
        dispatch(event)

    pump = asyncio.create_task(_pump(session.events(), on_event), name=f"{side}-events")
    try:
        try:
            await session.start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is shown, with a remedy
            await _drain(pump)
            if not seen_error:
                dispatch(ErrorOccurred(at=time.time(), side=side, error=error_info(exc)))
            return
        await asyncio.wait({pump})  # not cancelled by our own cancellation
    finally:
        await _stop(session, side)
        await _drain(pump)


async def _pump(events: AsyncIterator[Event], on_event: Callable[[Event], None]) -> None:
    """Hand every event to ``on_event``, yielding to the loop every :data:`PUMP_SLICE`.

    A backlog (a flood of messages) is read from the queue without
    suspending, so without the slice one pass could hold the GUI thread for
    as long as the backlog takes; handing control back keeps repaints and
    timers (the token countdown) on time.
    """
    turn = TimeSlice(PUMP_SLICE)
    async for event in events:
        on_event(event)
        await turn.checkpoint()


async def _stop(session: Startable, side: Side) -> None:
    try:
        async with asyncio.timeout(STOP_GRACE):
            await session.stop()
    except TimeoutError:
        log.warning("%s did not close within %.1f s", side, STOP_GRACE)
    except Exception:
        log.exception("%s failed to close", side)


async def _drain(pump: asyncio.Task[None]) -> None:
    """Let the stream deliver what is queued, then give up on it."""
    if not pump.done():
        await asyncio.wait({pump}, timeout=DRAIN_GRACE)
    if not pump.done():
        await cancel_and_wait(pump)
    elif not pump.cancelled() and pump.exception() is not None:
        log.error("event stream failed", exc_info=pump.exception())
