"""A slice of GUI-thread time for relay work that would otherwise never yield.

The relay core runs on the GUI thread's asyncio loop (qasync). Some of its
work can always go on without suspending: draining a backlog of events (a
flood is read from the queue without waiting), or a repeat burst of sends
that never fill the socket's buffer. A loop over such work holds the thread,
and with it Qt's paints and timers, for as long as the work lasts. The loop
calls :meth:`TimeSlice.checkpoint` after each item; once the slice is spent,
that suspends for one pass of the event loop (``asyncio.sleep(0)`` is a
zero-time Qt timer under qasync, run in Qt's next pass, after the events and
timers already due), then a new slice starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["TimeSlice"]


class TimeSlice:
    """Yield to the event loop once every ``seconds`` of work.

    Args:
        seconds: how long the work may run between two yields.
        clock: monotonic seconds (tests inject a fake one).
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds

    def spent(self) -> bool:
        """True once the slice is used up."""
        return self._clock() >= self._deadline

    async def checkpoint(self) -> None:
        """Yield for one pass of the loop if the slice is spent; else return at once."""
        if self.spent():
            await asyncio.sleep(0)
            self._deadline = self._clock() + self._seconds
