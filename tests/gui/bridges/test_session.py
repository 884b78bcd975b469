"""gui/bridges/session.py: the event pump shares the GUI thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from relaydesk.gui.bridges import session
from relaydesk.relay.events import ConnectionState, Event, StateChanged


async def _backlog(count: int) -> AsyncIterator[Event]:
    """Events that are all ready at once: the stream never suspends."""
    for n in range(count):
        yield StateChanged(at=float(n), side="listener", state=ConnectionState.ONLINE)


async def _pump_beside_another_task(monkeypatch: pytest.MonkeyPatch, slice_: float) -> list[str]:
    """Pump a backlog of five events while another task waits for its turn; the order seen."""
    monkeypatch.setattr(session, "PUMP_SLICE", slice_)
    seen: list[str] = []

    async def other() -> None:
        await asyncio.sleep(0)
        seen.append("other task")

    task = asyncio.create_task(other())
    await session._pump(_backlog(5), lambda e: seen.append(f"event {e.at:.0f}"))
    await task
    return seen


@pytest.mark.asyncio
async def test_a_backlog_is_pumped_in_slices_that_let_others_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = await _pump_beside_another_task(monkeypatch, 0.0)  # a slice ends after every event
    assert seen.index("other task") < seen.index("event 4")  # not after the whole backlog
    assert [s for s in seen if s.startswith("event")] == [f"event {n}" for n in range(5)]


@pytest.mark.asyncio
async def test_without_a_slice_ending_the_backlog_is_pumped_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = await _pump_beside_another_task(monkeypatch, 3600.0)
    assert seen[-1] == "other task"  # the contrast: the slice is what lets it in
