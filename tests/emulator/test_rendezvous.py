"""Tests for relaydesk.emulator.rendezvous: one-time addresses whose table
holds only what is in flight (§5.1, §5.2, §7.2)."""

from __future__ import annotations

import tracemalloc
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaydesk.emulator.rendezvous import (
    EXPIRED,
    REMEMBER_AT_MOST,
    REMEMBER_FOR,
    Rendezvous,
    RendezvousRefused,
    RendezvousTable,
)


class FakeClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _mint(
    table: RendezvousTable, lifetime: float = 30.0, kind: Literal["accept", "request"] = "accept"
) -> Rendezvous:
    return table.mint(kind, "demo", lambda rid: f"wss://ns/$hc/demo?sb-hc-id={rid}", lifetime)


def _refusal(table: RendezvousTable, rendezvous_id: str, kind: str = "accept") -> str:
    with pytest.raises(RendezvousRefused) as info:
        table.claim(rendezvous_id, kind)
    return info.value.reason


def test_a_completed_rendezvous_leaves_nothing_behind() -> None:
    table = RendezvousTable(FakeClock())
    rendezvous = _mint(table)
    assert rendezvous.address.endswith(rendezvous.rendezvous_id)
    assert len(table) == 1
    assert table.claim(rendezvous.rendezvous_id, "accept") is rendezvous
    assert "already used" in _refusal(table, rendezvous.rendezvous_id)  # while its pipe is open
    table.release(rendezvous)
    assert (len(table), table.remembered) == (0, 0)
    assert "not valid" in _refusal(table, rendezvous.rendezvous_id)


def test_wrong_action_does_not_consume_the_address() -> None:
    table = RendezvousTable(FakeClock())
    rendezvous = _mint(table, kind="request")
    assert "not valid for 'accept'" in _refusal(table, rendezvous.rendezvous_id)
    assert table.claim(rendezvous.rendezvous_id, "request") is rendezvous


def test_an_unclaimed_address_expires_at_its_deadline() -> None:
    clock = FakeClock()
    table = RendezvousTable(clock)
    early, late = _mint(table, lifetime=10.0), _mint(table, lifetime=60.0)
    clock.now += 10.0
    assert _refusal(table, early.rendezvous_id) == EXPIRED
    assert len(table) == 1 and table.remembered == 1
    clock.now += 50.0
    _mint(table)  # minting expires what is overdue
    assert _refusal(table, late.rendezvous_id) == EXPIRED
    assert len(table) == 1 and table.remembered == 2


def test_a_claimed_address_stays_open_past_its_deadline_until_released() -> None:
    """A piped WebSocket lasts longer than the 30 s an address is valid."""
    clock = FakeClock()
    table = RendezvousTable(clock)
    piped = _mint(table, lifetime=30.0)
    table.claim(piped.rendezvous_id, "accept")
    clock.now += 3600.0
    _mint(table)
    assert len(table) == 2
    assert "already used" in _refusal(table, piped.rendezvous_id)
    table.release(piped)
    assert len(table) == 1


def test_withdrawn_reasons_are_kept_for_a_while_and_in_bounded_number() -> None:
    clock = FakeClock()
    table = RendezvousTable(clock)
    first = _mint(table)
    table.withdraw(first, "The sender disconnected before the rendezvous.")
    table.release(first)  # a no-op after withdraw: the reason stays
    assert "sender disconnected" in _refusal(table, first.rendezvous_id)
    clock.now += REMEMBER_FOR
    _mint(table)
    assert table.remembered == 0
    assert "not valid" in _refusal(table, first.rendezvous_id)
    withdrawn = [_mint(table) for _ in range(REMEMBER_AT_MOST + 5)]
    for rendezvous in withdrawn:
        table.withdraw(rendezvous, "The listener disconnected.")
    assert table.remembered == REMEMBER_AT_MOST
    assert "not valid" in _refusal(table, withdrawn[0].rendezvous_id)
    assert "listener disconnected" in _refusal(table, withdrawn[-1].rendezvous_id)


def test_withdraw_after_claim_changes_nothing() -> None:
    table = RendezvousTable(FakeClock())
    rendezvous = _mint(table)
    table.claim(rendezvous.rendezvous_id, "accept")
    table.withdraw(rendezvous, "The sender disconnected before the rendezvous.")
    assert "already used" in _refusal(table, rendezvous.rendezvous_id)
    assert len(table) == 1


def test_memory_does_not_grow_with_requests_served() -> None:
    """20,000 requests, each minted and released: the table's memory stays
    what a handful in flight need (it used to keep every entry for 360 s)."""
    clock = FakeClock()
    table = RendezvousTable(clock)
    in_flight: list[Rendezvous] = []

    def serve(count: int) -> None:
        for _ in range(count):
            in_flight.append(_mint(table, lifetime=60.0))
            if len(in_flight) > 8:
                table.release(in_flight.pop(0))
            clock.now += 0.001

    serve(1000)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        serve(20_000)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 64 * 1024, f"the table grew by {grown} bytes"
    for rendezvous in in_flight:
        table.release(rendezvous)
    assert (len(table), table.remembered) == (0, 0)


_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["mint", "claim", "withdraw", "release", "wait"]),
        st.integers(min_value=0, max_value=7),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(_STEPS)
def test_open_entries_are_exactly_those_neither_released_withdrawn_nor_expired(
    steps: list[tuple[str, int]],
) -> None:
    clock = FakeClock()
    table = RendezvousTable(clock)
    minted: list[Rendezvous] = []
    model: set[str] = set()  # ids the model says are open
    for action, index in steps:
        target = minted[index % len(minted)] if minted else None
        if action == "mint":
            minted.append(_mint(table, lifetime=5.0))
            model.add(minted[-1].rendezvous_id)
        elif action == "wait":
            clock.now += index
        elif target is None:
            continue
        elif action == "claim":
            alive = target.rendezvous_id in model and not target.used
            fresh = clock.now < target.deadline
            try:
                table.claim(target.rendezvous_id, "accept")
                assert alive and fresh
            except RendezvousRefused:
                assert not (alive and fresh)
                if alive:
                    model.discard(target.rendezvous_id)  # expired on its claim
        elif action == "withdraw":
            table.withdraw(target, "gone")
            if not target.used:
                model.discard(target.rendezvous_id)
        else:
            table.release(target)
            model.discard(target.rendezvous_id)
        expired = {r.rendezvous_id for r in minted if not r.used and r.deadline <= clock.now}
        assert len(table) <= len(model)
        assert len(table) >= len(model - expired)
