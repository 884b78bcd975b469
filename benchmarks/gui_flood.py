"""GUI flood: 20,000 × 1 KiB messages through the app while the GUI stays responsive.

Runs the real main window in demo mode (embedded emulator, real TLS): the
listener auto-echoes, the sender pane's repeat sends the messages back to
back. A 10 ms heartbeat QTimer on the GUI thread records its largest gap
(target ≤ 100 ms). At the end every message must be accounted for in both
logs: rows shown + rows trimmed by the cap + events the core dropped for a
slow consumer = messages sent and received. Prints the figures and peak RSS.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_flood.py [--count N] [--size BYTES]

Not a test: no assertion on timings; exit code 1 only if messages go missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Heartbeat:
    """A 10 ms QTimer that records the largest gap between its ticks."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import QTimer

        self.largest = 0.0
        self.ticks = 0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.largest = max(self.largest, now - self._last)
        self._last = now
        self.ticks += 1


class Counter:
    """Count message events and core drops emitted by a bridge."""

    def __init__(self, bridge: Any) -> None:
        self.messages = 0
        self.dropped = 0
        bridge.message.connect(self._message)
        bridge.dropped.connect(self._dropped)

    def _message(self, *_args: object) -> None:
        self.messages += 1

    def _dropped(self, count: int) -> None:
        self.dropped += count


async def _until(predicate: Any, within: float) -> bool:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _prepare(window: Any) -> None:
    from relaydesk.relay.events import ConnectionState

    window.show()
    window.load_profiles()
    await window.demo_ready()
    window.listener_pane.start_button.click()
    await _until(lambda: window.listener_pane.state is ConnectionState.ONLINE, 30)
    window.sender_pane.connect_button.click()
    await _until(lambda: window.sender_pane.state is ConnectionState.ONLINE, 30)


def _accounted(model: Any, counter: Counter) -> int:
    model.flush()
    return model.rowCount() + model.trimmed_count + counter.dropped


async def flood(count: int, size: int, data_dir: Path) -> int:
    """Run the flood; print figures; return the exit code."""
    from relaydesk.gui.app import freeze_startup_objects
    from relaydesk.gui.main_window import MainWindow

    window = MainWindow(demo_data_dir=data_dir)
    freeze_startup_objects()  # as the app's main coroutine does once the window is built
    await _prepare(window)
    listener = Counter(window.listener_bridge)
    sender = Counter(window.sender_bridge)
    heartbeat = Heartbeat()
    payload = "x" * size
    expected = 2 * count  # each side logs count in + count out
    heartbeat.start()
    started = time.perf_counter()
    window.sender_bridge.send_repeated(payload, count, 0.0)

    def done() -> bool:
        return listener.messages + listener.dropped >= expected and (
            sender.messages + sender.dropped >= expected
        )

    finished = await _until(done, 600)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.2)  # last batched inserts
    heartbeat.stop()
    listener_total = _accounted(window.listener_pane.log_model, listener)
    sender_total = _accounted(window.sender_pane.log_model, sender)
    await window.shutdown()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"messages: {count} × {size} B, echoed; finished={finished}")
    print(f"elapsed: {elapsed:.2f} s ({count / elapsed:,.0f} round trips/s)")
    print(
        f"largest GUI heartbeat gap: {heartbeat.largest * 1000:.1f} ms "
        f"(target ≤ 100 ms; {heartbeat.ticks} ticks)"
    )
    for name, total, counter, model in (
        ("listener", listener_total, listener, window.listener_pane.log_model),
        ("sender", sender_total, sender, window.sender_pane.log_model),
    ):
        print(
            f"{name} log: {model.rowCount()} rows + {model.trimmed_count} trimmed + "
            f"{counter.dropped} dropped by the core = {total} (expected {expected})"
        )
    print(f"peak RSS: {peak_mib:.0f} MiB")
    ok = finished and listener_total == expected and sender_total == expected
    print("all messages accounted for" if ok else "MESSAGES MISSING")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=1024)
    args = parser.parse_args()
    import qasync
    from PySide6.QtWidgets import QApplication

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RELAYDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setQuitOnLastWindowClosed(False)
        return int(qasync.run(flood(args.count, args.size, Path(tmp) / "emulator")))


if __name__ == "__main__":
    sys.exit(main())
