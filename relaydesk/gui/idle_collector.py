"""Full garbage collections while the GUI is quiet, not in the middle of a flood.

A message flood keeps tens of thousands of objects alive (rows of both
logs, the session recording's events), and each automatic full collection
(generation 2) walks every one of them with the GUI thread stopped: 20–100
ms per pause, several per flood, and longer on a loaded machine
(``benchmarks/gui_flood.py``). Those walks find almost nothing: the rows go
away by reference counting when the logs trim them.

:class:`IdleCollector` switches the automatic full collections off and runs
them itself from a timer: once allocations have calmed down for ``quiet``
seconds after a busy spell (gauged by the collections of the youngest
generation, which keep running automatically, as do those of generation
1), and at the latest every ``at_least_every`` seconds, so cyclic garbage is
never kept long even under a flood that does not stop. It is Qt-free;
``gui/app.py`` drives :meth:`tick` with a QTimer and calls :meth:`stop` at
shutdown, which restores the thresholds.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

__all__ = ["IdleCollector"]

#: Generation-2 threshold that never triggers (counted in generation-1 collections).
_NEVER = 1 << 30
#: Young collections per tick above which the app counts as busy.
_BUSY_YOUNG_COLLECTIONS = 2


class IdleCollector:
    """Run full collections when allocations are quiet (see the module docstring).

    Args:
        clock: monotonic seconds (tests inject a fake one).
        quiet: seconds without busy ticks before a pending full collection runs.
        at_least_every: seconds after which a full collection runs regardless.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        quiet: float = 1.0,
        at_least_every: float = 60.0,
    ) -> None:
        self._clock = clock
        self._quiet = quiet
        self._at_least_every = at_least_every
        self._saved: tuple[int, int, int] | None = None
        self._young = 0
        self._last_busy = self._last_full = clock()
        self._pending = False
        self.full_collections = 0
        """Full collections this collector ran."""

    @property
    def active(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._saved is not None

    def start(self) -> None:
        """Take over generation 2 from the automatic collector."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], _NEVER)
            self._young = _young_collections()
            self._last_busy = self._last_full = self._clock()

    def stop(self) -> None:
        """Give generation 2 back to the automatic collector."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def tick(self) -> bool:
        """Run a full collection if one is due now; return whether it ran."""
        if self._saved is None:
            return False
        now = self._clock()
        young = _young_collections()
        if young - self._young > _BUSY_YOUNG_COLLECTIONS:
            self._last_busy = now
            self._pending = True
        self._young = young
        settled = self._pending and now - self._last_busy >= self._quiet
        if not settled and now - self._last_full < self._at_least_every:
            return False
        gc.collect()
        self._young = _young_collections()
        self._last_full = now
        self._pending = False
        self.full_collections += 1
        return True


def _young_collections() -> int:
    return int(gc.get_stats()[0]["collections"])
