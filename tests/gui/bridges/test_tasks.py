"""TaskSlot / TaskGroupSlot: one task per action, crashes reported, bounded stops."""

from __future__ import annotations

import asyncio

import pytest

from relaydesk.gui.bridges.tasks import TaskGroupSlot, TaskSlot
from tests.gui.conftest import LOOP_PROBLEMS

pytestmark = pytest.mark.gui


@pytest.mark.asyncio
async def test_start_twice_cancels_the_first() -> None:
    slot = TaskSlot("t")
    first = slot.start(asyncio.sleep(10))
    second = slot.start(asyncio.sleep(10))
    await asyncio.sleep(0)
    assert first.cancelled() or first.cancelling()
    assert slot.task is second and slot.running
    assert await slot.stop(1.0)
    assert not slot.running


@pytest.mark.asyncio
async def test_a_second_cancel_does_not_interrupt_clean_up() -> None:
    slot = TaskSlot("t")
    cleaned = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.05)  # the close handshake
            cleaned.set()

    slot.start(work())
    await asyncio.sleep(0)
    slot.cancel()
    await asyncio.sleep(0.01)
    slot.cancel()
    assert await slot.stop(1.0)
    assert cleaned.is_set()


@pytest.mark.asyncio
async def test_a_crash_goes_to_the_loop_exception_handler() -> None:
    slot = TaskSlot("boom")

    async def crash() -> None:
        raise RuntimeError("a bug")

    slot.start(crash())
    await asyncio.sleep(0.05)
    assert [type(p["exception"]) for p in LOOP_PROBLEMS] == [RuntimeError]
    LOOP_PROBLEMS.clear()  # expected here


@pytest.mark.asyncio
async def test_group_stop_cancels_everything() -> None:
    group = TaskGroupSlot("g")
    tasks = [group.start(asyncio.sleep(10)) for _ in range(3)]
    assert len(group) == 3
    await group.stop(1.0)
    assert all(t.cancelled() for t in tasks)
    assert len(group) == 0


@pytest.mark.asyncio
async def test_stop_reports_a_task_that_will_not_end() -> None:
    slot = TaskSlot("stubborn")
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    slot.start(stubborn())
    await asyncio.sleep(0)
    assert not await slot.stop(0.05)
    release.set()
    await asyncio.sleep(0.01)
