"""Reconnect policy for listeners: pure schedules, no sleeping, no I/O.

The listener reconnects after every drop of its control channel (protocol
§11). The schedule copies the .NET SDK — 0, 1, 2, 5, 10, 30 s, then 30 s
forever, restarting from 0 s when the listener is back online — and adds
what §11 marks [EMU]: jitter, so many listeners dropped by one outage do not
reconnect in lockstep, a slow schedule of minutes for repeated 401/403, so
bad credentials do not hammer the service (or Entra), and flap damping.

Flap damping: .NET restarts the schedule on every Online, so a service that
accepts the control channel and drops it at once (an expired token inside
the validator's leeway, a listener kicked on arrival) is reconnected to
immediately, forever. Here a channel that drops within ``stable_after``
seconds of opening is a *flap*, and each consecutive flap starts the next
schedule one step further: a flapping relay sees the .NET schedule (0, 1,
2, 5, 10, 30 s) across its flaps, while any channel that stayed up for
``stable_after`` seconds restarts it at 0 s. Counting flaps rather than
waiting for a long healthy period keeps outages on time: a second or third
outage soon after the first still starts at (or one step from) 0 s, so the
listener is back within seconds of the relay.

Only 404 (no such hybrid connection) stops reconnecting, as in .NET.

Everything here is a pure function of its inputs; randomness is injected so
tests are deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from relaydesk.errors import EntityNotFound, Forbidden, Unauthorized

__all__ = [
    "AUTH_FAILURE_DELAYS",
    "RECONNECT_DELAYS",
    "STABLE_AFTER",
    "ReconnectPolicy",
    "RetryDecision",
    "backoff",
    "jittered",
]

#: .NET ``HybridConnectionListener`` reconnect delays in seconds (§11).
RECONNECT_DELAYS: tuple[float, ...] = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)

#: Delays after the second and later consecutive 401/403 (§11 [EMU]): role
#: assignments take ~5 minutes to apply, so retrying every few minutes still
#: picks up a fix without hammering the service with bad credentials.
AUTH_FAILURE_DELAYS: tuple[float, ...] = (60.0, 120.0, 240.0, 300.0)

#: Seconds a control channel must stay open to count as stable (§11 [EMU]).
#: A service that accepts and then drops does so within a round trip or two;
#: a few seconds tell that apart from a relay that failed later.
STABLE_AFTER = 2.0


def jittered(delay: float, *, fraction: float, rand: Callable[[], float]) -> float:
    """Spread ``delay`` uniformly over ``delay × [1 − fraction, 1 + fraction]``.

    Zero stays zero: the first reconnect after a drop is immediate (§11).

    Args:
        delay: the nominal delay in seconds.
        fraction: relative jitter, 0 ≤ fraction < 1.
        rand: returns a float in [0, 1) (``random.random`` in production).
    """
    if delay <= 0 or fraction <= 0:
        return max(delay, 0.0)
    return delay * (1.0 - fraction + 2.0 * fraction * rand())


def backoff(
    delays: Sequence[float] = RECONNECT_DELAYS,
    *,
    jitter: float = 0.1,
    rand: Callable[[], float] = random.random,
) -> Iterator[float]:
    """Yield reconnect delays forever: ``delays`` in order, then the last one.

    Args:
        delays: nominal schedule; the last value repeats (the cap).
        jitter: relative jitter applied to each delay (see :func:`jittered`).
        rand: random source in [0, 1), injectable for tests.
    """
    index = 0
    while True:
        yield jittered(delays[min(index, len(delays) - 1)], fraction=jitter, rand=rand)
        index += 1


@dataclass(frozen=True)
class RetryDecision:
    """What to do after a failed open or a dropped channel.

    Attributes:
        retry: False means stop and go OFFLINE (404).
        delay: seconds to wait before the next attempt.
        attempt: 1-based number of the coming attempt.
    """

    retry: bool
    delay: float
    attempt: int


class ReconnectPolicy:
    """Stateful wrapper over the schedules, one per listener.

    Call :meth:`online` when a channel opens, :meth:`dropped` when it drops
    and :meth:`next` after each failure. After a drop the schedule restarts
    at its first (0 s) delay, as .NET does on Online, unless the channel was
    a flap (open for less than ``stable_after`` s): the n-th consecutive
    flap restarts it at step n − 1 (module docstring).
    """

    def __init__(
        self,
        *,
        delays: Sequence[float] = RECONNECT_DELAYS,
        auth_delays: Sequence[float] = AUTH_FAILURE_DELAYS,
        jitter: float = 0.1,
        stable_after: float = STABLE_AFTER,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._delays = tuple(delays)
        self._auth_delays = tuple(auth_delays)
        self._jitter = jitter
        self._stable_after = stable_after
        self._rand = rand
        self._index = 0
        self._flaps = 0
        self._auth_failures = 0
        self._attempt = 0

    def online(self) -> None:
        """Record a successful open: auth failures and the attempt count restart."""
        self._auth_failures = 0
        self._attempt = 0

    def dropped(self, online_for: float) -> None:
        """Record that a channel which was online for ``online_for`` s dropped."""
        self._attempt = 0
        if online_for >= self._stable_after:
            self._flaps = 0
        else:
            self._flaps += 1
        self._index = max(0, self._flaps - 1)

    def next(self, error: BaseException | None) -> RetryDecision:
        """Decide about the next attempt after ``error``."""
        self._attempt += 1
        if isinstance(error, EntityNotFound):
            return RetryDecision(retry=False, delay=0.0, attempt=self._attempt)
        if isinstance(error, Unauthorized | Forbidden):
            self._auth_failures += 1
            if self._auth_failures >= 2:
                step = min(self._auth_failures - 2, len(self._auth_delays) - 1)
                delay = jittered(self._auth_delays[step], fraction=self._jitter, rand=self._rand)
                return RetryDecision(retry=True, delay=delay, attempt=self._attempt)
        else:
            self._auth_failures = 0
        nominal = self._delays[min(self._index, len(self._delays) - 1)]
        self._index += 1
        delay = jittered(nominal, fraction=self._jitter, rand=self._rand)
        return RetryDecision(retry=True, delay=delay, attempt=self._attempt)
