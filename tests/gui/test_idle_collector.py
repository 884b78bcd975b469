"""Tests for relaydesk.gui.idle_collector: full collections wait for a quiet GUI."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from relaydesk.gui.idle_collector import IdleCollector


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _full_collections() -> int:
    return int(gc.get_stats()[2]["collections"])


def _busy() -> None:
    """What a flood does to the collector: many young collections."""
    for _ in range(5):
        gc.collect(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> Iterator[IdleCollector]:
    collector = IdleCollector(clock=clock, quiet=1.0, at_least_every=60.0)
    saved = gc.get_threshold()
    collector.start()
    try:
        yield collector
    finally:
        collector.stop()
        assert gc.get_threshold() == saved


def test_start_turns_automatic_full_collections_off_and_stop_restores(
    collector: IdleCollector,
) -> None:
    assert collector.active
    assert gc.get_threshold()[2] >= 1 << 30
    collector.stop()
    assert not collector.active
    assert gc.get_threshold()[2] < 1 << 30


def test_no_full_collection_while_busy_one_once_quiet(
    collector: IdleCollector, clock: FakeClock
) -> None:
    before = _full_collections()
    for _ in range(10):  # a flood: busy at every tick
        _busy()
        clock.now += 0.5
        assert collector.tick() is False
    assert _full_collections() == before
    clock.now += 0.5
    assert collector.tick() is False  # quiet for 0.5 s only
    clock.now += 0.5
    assert collector.tick() is True  # quiet for 1 s: the pending collection runs
    assert _full_collections() == before + 1
    clock.now += 5.0
    assert collector.tick() is False  # nothing happened since: nothing to do
    assert collector.full_collections == 1


def test_a_flood_that_never_stops_still_gets_a_full_collection(
    collector: IdleCollector, clock: FakeClock
) -> None:
    ran = []
    for _ in range(130):  # 65 s of uninterrupted flood
        _busy()
        clock.now += 0.5
        ran.append(collector.tick())
    assert ran.count(True) == 1
    assert ran.index(True) == 119  # at 60 s


def test_an_idle_app_is_collected_at_least_every_interval(
    collector: IdleCollector, clock: FakeClock
) -> None:
    clock.now += 59.0
    assert collector.tick() is False
    clock.now += 1.0
    assert collector.tick() is True


def test_tick_before_start_and_after_stop_does_nothing(clock: FakeClock) -> None:
    collector = IdleCollector(clock=clock)
    clock.now += 3600
    assert collector.tick() is False
    collector.start()
    collector.stop()
    clock.now += 3600
    assert collector.tick() is False
