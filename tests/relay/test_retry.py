"""The reconnect schedule (§11) as pure functions, with injected randomness."""

from __future__ import annotations

from itertools import islice

from relaydesk.errors import EntityNotFound, Forbidden, NoListener, RelayUnreachable, Unauthorized
from relaydesk.relay.retry import (
    AUTH_FAILURE_DELAYS,
    RECONNECT_DELAYS,
    ReconnectPolicy,
    backoff,
    jittered,
)


def no_jitter() -> float:
    return 0.5  # the middle of [1 - j, 1 + j]


def test_dotnet_schedule_then_capped() -> None:
    assert list(islice(backoff(jitter=0.0), 9)) == [0, 1, 2, 5, 10, 30, 30, 30, 30]
    assert RECONNECT_DELAYS == (0, 1, 2, 5, 10, 30)


def test_jitter_spreads_within_bounds_and_keeps_zero() -> None:
    assert jittered(0.0, fraction=0.2, rand=lambda: 0.99) == 0.0
    assert jittered(10.0, fraction=0.2, rand=lambda: 0.0) == 8.0
    assert abs(jittered(10.0, fraction=0.2, rand=lambda: 1.0) - 12.0) < 1e-9
    assert jittered(10.0, fraction=0.2, rand=no_jitter) == 10.0


def test_policy_walks_the_schedule_and_restarts_it_when_back_online() -> None:
    """Each outage starts at 0 s, as .NET resets on Online (§11): a relay that
    is down three times within minutes is not retried later each time."""
    policy = ReconnectPolicy(jitter=0.0, stable_after=2)
    drop = RelayUnreachable("x")
    for _ in range(3):
        policy.dropped(online_for=30)
        assert [policy.next(drop).delay for _ in range(4)] == [0, 1, 2, 5]
        policy.online()
    policy.dropped(online_for=2)  # stable_after is enough
    decision = policy.next(drop)
    assert (decision.delay, decision.attempt, decision.retry) == (0, 1, True)


def test_a_flapping_relay_is_backed_off_across_its_flaps() -> None:
    """A relay that accepts and drops at once sees the .NET schedule between
    reconnections, not a 0 s retry after every accept."""
    policy = ReconnectPolicy(jitter=0.0, stable_after=2)
    first_delays = []
    for _ in range(8):
        policy.online()
        policy.dropped(online_for=0.01)
        first_delays.append(policy.next(RelayUnreachable("x")).delay)
    assert first_delays == [0, 1, 2, 5, 10, 30, 30, 30]
    policy.online()
    policy.dropped(online_for=2.5)  # one stable channel forgives the flaps
    assert policy.next(RelayUnreachable("x")).delay == 0


def test_failed_attempts_after_a_flap_go_on_from_its_step() -> None:
    policy = ReconnectPolicy(jitter=0.0, stable_after=2)
    policy.dropped(online_for=60)
    policy.next(RelayUnreachable("x"))
    policy.online()
    policy.dropped(online_for=0.5)  # first flap: still at once
    policy.online()
    policy.dropped(online_for=0.5)  # second: one step on, then onwards
    assert [policy.next(RelayUnreachable("x")).delay for _ in range(3)] == [1, 2, 5]


def test_404_stops() -> None:
    decision = ReconnectPolicy().next(EntityNotFound(404, "gone"))
    assert not decision.retry


def test_repeated_auth_failures_slow_to_minutes() -> None:
    policy = ReconnectPolicy(jitter=0.0)
    errors = [
        Unauthorized(401),
        Forbidden(403),
        Unauthorized(401),
        Unauthorized(401),
        Unauthorized(401),
        Unauthorized(401),
    ]
    delays = [policy.next(e).delay for e in errors]
    assert delays == [0, *AUTH_FAILURE_DELAYS, AUTH_FAILURE_DELAYS[-1]]
    assert max(delays) <= 300


def test_auth_backoff_resets_after_another_kind_of_failure() -> None:
    policy = ReconnectPolicy(jitter=0.0)
    policy.next(Unauthorized(401))
    assert policy.next(Unauthorized(401)).delay == 60
    assert policy.next(NoListener(502)).delay == 1  # schedule index continues
    assert policy.next(Unauthorized(401)).delay == 2  # first 401 again: normal schedule


def test_random_source_is_injected() -> None:
    draws = iter([0.0, 1.0, 0.5])
    delays = list(islice(backoff((10.0,), jitter=0.1, rand=lambda: next(draws)), 3))
    assert [round(d, 6) for d in delays] == [9.0, 11.0, 10.0]
