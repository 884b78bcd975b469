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


class _BacklogSession:
    """A session whose five events are all queued before anyone reads them."""

    def events(self) -> AsyncIterator[Event]:
        return _backlog(5)

    async def start(self) -> None:
        """Online at once: the backlog is what the pump meets."""

    async def stop(self) -> None:
        """Nothing to close."""


async def _pump_beside_another_task(monkeypatch: pytest.MonkeyPatch, slice_: float) -> list[str]:
    """Run a session with a backlog of five events while another task waits for its
    turn; the order seen."""
    monkeypatch.setattr(session, "PUMP_SLICE", slice_)
    seen: list[str] = []
    pumping = asyncio.Event()

    async def other() -> None:
        await pumping.wait()  # queued behind the pump's first event
        seen.append("other task")

    def dispatch(event: Event) -> None:
        pumping.set()
        seen.append(f"event {event.at:.0f}")

    task = asyncio.create_task(other())
    async with asyncio.timeout(10):
        await session.run_session(_BacklogSession(), dispatch, side="listener")
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
