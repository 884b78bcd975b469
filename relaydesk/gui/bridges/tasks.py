"""Task ownership for GUI actions, in plain asyncio (no qasync here).

A Qt slot cannot ``await``; it starts a task instead. :class:`TaskSlot` keeps
the strong reference asyncio requires, runs at most one task per user action
(pressing Start twice restarts rather than doubling up, like FeelUOwn's
preemptive tasks), and routes a crash to the loop's exception handler, which
``gui/app.py`` turns into the "Something went wrong" dialog. Expected errors
are handled inside the coroutines themselves; nothing is swallowed here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

__all__ = ["TaskGroupSlot", "TaskSlot"]


def _report_crash(task: asyncio.Task[Any]) -> None:
    """Hand an unexpected exception to the loop's exception handler."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        task.get_loop().call_exception_handler(
            {"message": f"task {task.get_name()!r} failed", "exception": exc, "task": task}
        )


class TaskSlot:
    """Own the single running task behind one UI action."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True while the task has not finished."""
        return self._task is not None and not self._task.done()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The current task, if any (tests await it)."""
        return self._task

    def start(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Cancel whatever this slot was running and run ``coro`` instead."""
        self.cancel()
        task = asyncio.get_running_loop().create_task(coro, name=self._name)
        task.add_done_callback(_report_crash)
        self._task = task
        return task

    def cancel(self) -> None:
        """Ask the task to stop; returns at once (its clean-up runs later).

        A second request while the clean-up runs is ignored, so pressing Stop
        twice cannot interrupt the close handshake.
        """
        task = self._task
        if task is not None and not task.done() and not task.cancelling():
            task.cancel()

    async def drain(self, grace: float) -> bool:
        """Let the task finish on its own for up to ``grace`` s, then cancel it.

        For work that runs in ``asyncio.to_thread``: cancelling only abandons
        the thread, which then reports back to a loop that may be gone.
        """
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=grace)
        return await self.stop(grace)

    async def stop(self, grace: float) -> bool:
        """Cancel the task and wait up to ``grace`` s for its clean-up.

        Returns:
            True if the task finished within the grace period.
        """
        task = self._task
        if task is None:
            return True
        if not task.done() and not task.cancelling():
            task.cancel()
        done, _ = await asyncio.wait({task}, timeout=grace)
        return bool(done)


class TaskGroupSlot:
    """Own many short tasks (sends, HTTP requests) and cancel them together."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coro`` as one more task of this group."""
        task = asyncio.get_running_loop().create_task(coro, name=self._name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_report_crash)
        return task

    async def drain(self, grace: float) -> None:
        """Let the tasks finish for up to ``grace`` s, then cancel the rest."""
        tasks = set(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        await self.stop(grace)

    async def stop(self, grace: float) -> None:
        """Cancel every task and wait up to ``grace`` s for them."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait(tasks, timeout=grace)
