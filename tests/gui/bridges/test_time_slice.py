"""gui/bridges/time_slice.py: work yields to the loop once its slice of time is spent."""

from __future__ import annotations

import asyncio

import pytest

from relaydesk.gui.bridges.time_slice import TimeSlice


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _work_beside_another_task(turn: TimeSlice, clock: FakeClock, cost: float) -> list[str]:
    """Six items of ``cost`` seconds each, checkpointing after each; what ran when."""
    seen: list[str] = []

    async def other() -> None:
        while len(seen) < 12:
            seen.append("other")
            await asyncio.sleep(0)

    task = asyncio.create_task(other())
    for item in range(6):
        clock.now += cost
        seen.append(f"item {item}")
        await turn.checkpoint()
    task.cancel()
    return [s for s in seen if s.startswith("item") or s == "other"]


@pytest.mark.asyncio
async def test_the_work_yields_once_per_slice_not_per_item() -> None:
    clock = FakeClock()
    seen = await _work_beside_another_task(TimeSlice(0.005, clock), clock, cost=0.002)
    # 2 ms items in 5 ms slices: a yield after items 2 and 5 (each at the 6th ms).
    items_before_other = [seen[:i].count("other") for i, s in enumerate(seen) if s != "other"]
    assert items_before_other == [0, 0, 0, 1, 1, 1]


@pytest.mark.asyncio
async def test_a_slice_that_is_not_spent_does_not_suspend() -> None:
    clock = FakeClock()
    seen = await _work_beside_another_task(TimeSlice(1.0, clock), clock, cost=0.002)
    assert seen[:6] == [f"item {n}" for n in range(6)]


def test_spent_follows_the_clock() -> None:
    clock = FakeClock()
    turn = TimeSlice(0.005, clock)
    assert not turn.spent()
    clock.now += 0.005
    assert turn.spent()
