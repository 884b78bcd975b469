"""Building a message event: the queue's slot-filling vs the dataclass constructor.

``relaydesk.relay.event_queue`` builds ``MessageReceived``/``MessageSent`` by
filling an empty instance's slots through their descriptors instead of calling
the frozen dataclass ``__init__`` (which goes through ``object.__setattr__``
once per field). This script measures both in the same run, alternating, and
prints the constructor/slot-filling time ratio (min/median/max over rounds);
the shortcut is worth keeping only while the ratio is clearly above 1.
``tests/relay/test_event_queue.py`` checks both give the same event.

    python benchmarks/event_build.py [--rounds 9] [--count 200000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from relaydesk.relay.event_queue import _build, message_key
from relaydesk.relay.events import MessageReceived


def slot_filling(count: int) -> float:
    """Seconds to build ``count`` events the way the queue does (``_build``)."""
    key = message_key(MessageReceived, "listener", "c1")
    started = time.perf_counter()
    for _ in range(count):
        _build(key, 1.0, "x")
    return time.perf_counter() - started


def constructor(count: int) -> float:
    """Seconds to build ``count`` equal events with the dataclass constructor."""
    started = time.perf_counter()
    for _ in range(count):
        MessageReceived(at=1.0, side="listener", connection_id="c1", data="x")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    ratios = []
    for round_index in range(args.rounds):
        pair = (slot_filling, constructor)
        if round_index % 2:
            pair = pair[::-1]
        times = {fn.__name__: fn(args.count) * 1e9 / args.count for fn in pair}
        ratios.append(times["constructor"] / times["slot_filling"])
        print(
            f"round {round_index + 1}: slot filling {times['slot_filling']:.0f} ns/event, "
            f"constructor {times['constructor']:.0f} ns/event, ratio {ratios[-1]:.2f}"
        )
    print(
        f"constructor / slot filling: min {min(ratios):.2f}, "
        f"median {statistics.median(ratios):.2f}, max {max(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
