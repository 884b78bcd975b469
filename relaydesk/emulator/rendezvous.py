"""The emulator's table of one-time rendezvous addresses (§5.1, §5.2, §7.2).

Every WebSocket sender and every HTTP request mints an unguessable address
that its listener may use once, within a deadline. The table's cost must
not grow with the number of requests served, only with those in flight:

* an address is *open* from :meth:`RendezvousTable.mint` until its sender's
  handler :meth:`~RendezvousTable.release`\\ s it (the rendezvous completed,
  or failed), so a second use while its pipe is open still gets a precise
  "already used";
* deadlines sit in a heap, so expiring the overdue ones costs O(log n)
  each; released entries leave stale heap items behind, dropped lazily and
  by a rebuild once they outnumber the open entries (amortised O(1));
* an address withdrawn before its listener came (sender gone, listener gone,
  deadline passed) leaves only its id and reason behind, so a late listener
  learns why it gets 403. Those are kept for :data:`REMEMBER_FOR` seconds
  and at most :data:`REMEMBER_AT_MOST` of them (oldest forgotten first), so
  a flood of failures cannot grow the table without bound either.
"""

from __future__ import annotations

import asyncio
import heapq
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from relaydesk.emulator.hub import HttpExchange, WsOutcome

__all__ = [
    "EXPIRED",
    "REMEMBER_AT_MOST",
    "REMEMBER_FOR",
    "Rendezvous",
    "RendezvousRefused",
    "RendezvousTable",
]

#: seconds a withdrawn address's reason is remembered, for precise 403s
REMEMBER_FOR = 300.0
#: withdrawn addresses remembered at most (oldest forgotten first)
REMEMBER_AT_MOST = 4096
#: why an address past its deadline is refused
EXPIRED = "The rendezvous address has expired."
_UNKNOWN = "The rendezvous address is not valid."
_USED = "The rendezvous address was already used."


class RendezvousRefused(Exception):
    """A rendezvous address is unknown, used or expired (§5.2: 403)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(eq=False)
class Rendezvous:
    """A one-time rendezvous address (§5.1, §7.2)."""

    rendezvous_id: str
    kind: Literal["accept", "request"]
    entity: str
    address: str
    deadline: float
    outcome: asyncio.Future[WsOutcome] | None = None
    exchange: HttpExchange | None = None
    used: bool = False


class RendezvousTable:
    """Open rendezvous addresses, their deadlines, and recent refusal reasons.

    Args:
        clock: monotonic seconds (tests inject a fake one).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._open: dict[str, Rendezvous] = {}
        self._deadlines: list[tuple[float, str]] = []
        self._withdrawn: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def __len__(self) -> int:
        """The number of open (in-flight) addresses."""
        return len(self._open)

    @property
    def remembered(self) -> int:
        """The number of withdrawn addresses whose reason is still kept."""
        return len(self._withdrawn)

    def mint(
        self,
        kind: Literal["accept", "request"],
        entity: str,
        address_for: Callable[[str], str],
        lifetime: float,
    ) -> Rendezvous:
        """Create an unguessable single-use address (§5.2: ≤ 30 s, one use).

        ``address_for(rendezvous_id) -> str`` builds the URL given to the listener.
        """
        now = self._clock()
        self._expire(now)
        rendezvous_id = secrets.token_urlsafe(24)
        rendezvous = Rendezvous(
            rendezvous_id=rendezvous_id,
            kind=kind,
            entity=entity,
            address=address_for(rendezvous_id),
            deadline=now + lifetime,
        )
        self._open[rendezvous_id] = rendezvous
        heapq.heappush(self._deadlines, (rendezvous.deadline, rendezvous_id))
        return rendezvous

    def claim(self, rendezvous_id: str, kind: str) -> Rendezvous:
        """Take an address for its one use; it stays open until released.

        Raises:
            RendezvousRefused: unknown, already used, expired or wrong action.
        """
        rendezvous = self._open.get(rendezvous_id)
        if rendezvous is None:
            remembered = self._withdrawn.get(rendezvous_id)
            raise RendezvousRefused(remembered[1] if remembered else _UNKNOWN)
        if rendezvous.used:
            raise RendezvousRefused(_USED)
        if rendezvous.kind != kind:
            raise RendezvousRefused(f"The rendezvous address is not valid for '{kind}'.")
        now = self._clock()
        if now >= rendezvous.deadline:
            self._withdraw(rendezvous, EXPIRED, now)
            raise RendezvousRefused(EXPIRED)
        rendezvous.used = True
        return rendezvous

    def withdraw(self, rendezvous: Rendezvous, reason: str) -> None:
        """Make an unclaimed address unusable, remembering why (no-op once claimed)."""
        if not rendezvous.used and self._open.get(rendezvous.rendezvous_id) is rendezvous:
            self._withdraw(rendezvous, reason, self._clock())
            self._compact()

    def release(self, rendezvous: Rendezvous) -> None:
        """Forget an address whose rendezvous is over (completed or failed)."""
        if self._open.get(rendezvous.rendezvous_id) is rendezvous:
            del self._open[rendezvous.rendezvous_id]
            self._compact()

    # --- private -------------------------------------------------------------------

    def _withdraw(self, rendezvous: Rendezvous, reason: str, now: float) -> None:
        del self._open[rendezvous.rendezvous_id]
        self._withdrawn[rendezvous.rendezvous_id] = (now + REMEMBER_FOR, reason)
        while len(self._withdrawn) > REMEMBER_AT_MOST:
            self._withdrawn.popitem(last=False)

    def _expire(self, now: float) -> None:
        """Withdraw unclaimed addresses past their deadline; forget old reasons.

        A claimed address is in flight however long its pipe lasts: its
        handler releases it. Reasons are stored in the order they were
        withdrawn, each for the same time, so the oldest are at the front.
        """
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            _, rendezvous_id = heapq.heappop(deadlines)
            rendezvous = self._open.get(rendezvous_id)
            if rendezvous is not None and not rendezvous.used:
                self._withdraw(rendezvous, EXPIRED, now)
        self._compact()
        withdrawn = self._withdrawn
        while withdrawn and next(iter(withdrawn.values()))[0] <= now:
            withdrawn.popitem(last=False)

    def _compact(self) -> None:
        """Rebuild the deadline heap once stale items outnumber open entries."""
        if len(self._deadlines) > 2 * len(self._open) + 64:
            self._deadlines = [(r.deadline, key) for key, r in self._open.items()]
            heapq.heapify(self._deadlines)
