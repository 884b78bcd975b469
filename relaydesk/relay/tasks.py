"""Background tasks a listener owns: spawned, guarded, cancelled together.

Accepts (§5), HTTP requests (§7) and token renewal (§4.6) each run in their
own task so the control pump never waits (§11). A failing task is a bug in
RelayDesk or in user code: it is logged with its traceback, never lost
silently and never allowed to crash the listener.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from relaydesk.errors import ConnectionClosed, RelayDeskError

__all__ = ["TaskSet", "cancel_and_wait"]

_log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (if running) and wait until it has finished.

    The task's own ``CancelledError`` is the expected end; a cancellation of
    the *caller* while it waits is passed on (``Task.cancelling``), so a
    stop that is itself cancelled still stops. A task that ends with another
    exception instead is logged: RelayDesk's own errors (a handshake cut
    short, a peer gone) at debug level, anything else as the bug it is.
    """
    if task is None or task.done():
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except RelayDeskError:
        _log.debug("%s ended with an error while cancelled", task.get_name(), exc_info=True)
    except Exception:  # noqa: BLE001 - logged, and the caller is stopping anyway
        _log.exception("%s failed while cancelled", task.get_name())


class TaskSet:
    """A set of guarded background tasks."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coroutine`` in a task that logs unexpected failures."""
        task = asyncio.create_task(self._guard(coroutine), name=self._name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel(self) -> None:
        """Cancel every task without waiting (a stop that was itself cancelled)."""
        for task in self._tasks:
            task.cancel()

    async def cancel_all(self) -> None:
        """Cancel every task and wait for all of them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            await cancel_and_wait(task)
        self._tasks.difference_update(tasks)

    async def _guard(self, coroutine: Coroutine[Any, Any, None]) -> None:
        try:
            await coroutine
        except ConnectionClosed:
            pass  # the peer went away mid-task: nothing left to do
        except Exception:  # noqa: BLE001 - a bug in a task must not vanish
            _log.exception("%s task failed", self._name)
