"""Guarded background tasks: failures are logged, cancellation is complete."""

from __future__ import annotations

import asyncio
import logging

import pytest

from relaydesk.errors import ConnectionClosed
from relaydesk.relay.tasks import TaskSet, cancel_and_wait


@pytest.mark.asyncio
async def test_failures_are_logged_and_peer_closes_are_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = TaskSet("unit")

    async def boom() -> None:
        raise KeyError("bug")

    async def closed() -> None:
        raise ConnectionClosed(1001, "gone")

    with caplog.at_level(logging.DEBUG, logger="relaydesk.relay.tasks"):
        async with asyncio.timeout(5):
            await asyncio.gather(tasks.spawn(boom()), tasks.spawn(closed()))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "KeyError" in (errors[0].exc_text or "")
    assert len(tasks) == 0


@pytest.mark.asyncio
async def test_cancel_all_waits_for_every_task() -> None:
    tasks = TaskSet("unit")
    finished: list[int] = []

    async def sleeper(i: int) -> None:
        try:
            await asyncio.Event().wait()  # runs until cancelled
        finally:
            finished.append(i)

    for i in range(5):
        tasks.spawn(sleeper(i))
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await tasks.cancel_all()
    assert sorted(finished) == [0, 1, 2, 3, 4] and len(tasks) == 0
    await cancel_and_wait(None)  # harmless


@pytest.mark.asyncio
async def test_a_cancelled_caller_stays_cancelled() -> None:
    """Cancelling the task that waits in cancel_and_wait is not swallowed."""
    release = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await release.wait()  # clean-up that takes a while

    target = asyncio.create_task(slow_to_stop())
    await asyncio.sleep(0)
    stopper = asyncio.create_task(cancel_and_wait(target))
    await asyncio.sleep(0)
    stopper.cancel()
    release.set()
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await stopper
    assert stopper.cancelled()
    async with asyncio.timeout(5):
        await asyncio.wait({target})


@pytest.mark.asyncio
async def test_a_task_failing_while_cancelled_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def fails_on_cancel() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise KeyError("bug in clean-up") from None

    async def peer_gone_on_cancel() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise ConnectionClosed(1001, "gone") from None

    buggy = asyncio.create_task(fails_on_cancel(), name="buggy")
    quiet = asyncio.create_task(peer_gone_on_cancel(), name="quiet")
    await asyncio.sleep(0)
    with caplog.at_level(logging.DEBUG, logger="relaydesk.relay.tasks"):
        async with asyncio.timeout(5):
            await cancel_and_wait(buggy)
            await cancel_and_wait(quiet)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["buggy failed while cancelled"]
    assert "KeyError" in (errors[0].exc_text or "")
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert [r.getMessage() for r in debug] == ["quiet ended with an error while cancelled"]
