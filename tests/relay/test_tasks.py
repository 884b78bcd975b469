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
