"""GUI flood: 20,000 × 1 KiB messages through the app while the GUI stays responsive.

Runs the real main window in demo mode (embedded emulator, real TLS): the
listener auto-echoes, the sender pane's repeat sends the messages back to
back. A 10 ms heartbeat QTimer on the GUI thread records its largest gap
(the goal: ≤ 50 ms). At the end every message must be accounted for in both
logs: rows shown + rows trimmed by the cap + events the core dropped for a
slow consumer = messages sent and received. Prints the figures and peak RSS.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_flood.py [--count N] [--size BYTES]
        [--rounds R] [--load] [--load-apart] [--compare-load] [--background N]
        [--compare-gc] [--slices PUMP,REPEAT ...] [--compare-slices]
        [--emulator-nice N] [--compare-nice] [--threads]

``--rounds R`` runs R floods, each in a fresh process, and prints the
min/median/max of the largest heartbeat gap. ``--load`` keeps another
process spinning on one core meanwhile (a busy loop bounded in time,
stopped at the end), as another program on a shared machine would; it is
the benchmark's child, so it shares the app's session and with it Linux's
scheduler autogroup (the app's group then holds app, emulator and spinner).
``--load-apart`` starts it in a session of its own instead, as a program
started elsewhere on a desktop would be. ``--compare-load`` runs each round
without and with the load, alternating. ``--background N`` keeps N more busy
processes, each in a session of its own, for the whole run: the load other
programs put on a shared machine, reproduced on a quiet one.

For the largest gap the GUI thread's own scheduler statistics
(``/proc/thread-self/schedstat``) split it into time on the CPU (the loop
was busy) and time runnable but waiting for a CPU (the loop was not
scheduled); each round also prints the machine's 1-minute load average.
``--threads`` does the same for every thread of the app and of the demo
emulator child and prints, for the largest gap, which of them ran and which
waited.

``--automatic-gc`` leaves full garbage collections to Python instead of the
app's idle collector (``relaydesk/gui/idle_collector.py``); ``--compare-gc``
runs each round both ways, alternating. ``--slices`` sets the event pumps'
and the repeat loop's time slices in ms (``gui/bridges/session.py``,
``sender_bridge.py``); given several, or with ``--compare-slices`` (the
earlier 5,1), each round runs once with each. ``--emulator-nice N`` runs the
emulator child N nice levels below the app; ``--compare-nice`` alternates
that with the app's priority.

Not a test: no assertion on timings; exit code 1 only if messages go missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _schedstat() -> tuple[float, float]:
    """Seconds this thread ran on a CPU and waited, runnable, for one (Linux; else 0, 0)."""
    try:
        with open("/proc/thread-self/schedstat") as stat:
            on_cpu, waiting, _slices = stat.read().split()
    except OSError:
        return 0.0, 0.0
    return int(on_cpu) / 1e9, int(waiting) / 1e9


class TaskStats:
    """Every thread's schedstat in this process and in other watched ones (Linux).

    :meth:`read` returns ``{(process, thread name, tid): (on CPU, waiting)}``
    in seconds; the difference of two readings says which threads ran and
    which waited for a CPU in between (``--threads``).
    """

    def __init__(self) -> None:
        self.pids: dict[str, int] = {"app": os.getpid()}
        self._names: dict[str, str] = {}

    def read(self) -> dict[tuple[str, str, int], tuple[float, float]]:
        stats: dict[tuple[str, str, int], tuple[float, float]] = {}
        for process, pid in self.pids.items():
            with contextlib.suppress(OSError):
                for tid in os.listdir(f"/proc/{pid}/task"):
                    base = f"/proc/{pid}/task/{tid}"
                    with contextlib.suppress(OSError, ValueError):
                        if base not in self._names:
                            with open(f"{base}/comm") as comm:
                                self._names[base] = comm.read().strip()
                        with open(f"{base}/schedstat") as stat:
                            on_cpu, waiting, _slices = stat.read().split()
                        key = (process, self._names[base], int(tid))
                        stats[key] = (int(on_cpu) / 1e9, int(waiting) / 1e9)
        return stats


def _busy_threads(
    before: dict[tuple[str, str, int], tuple[float, float]],
    after: dict[tuple[str, str, int], tuple[float, float]],
) -> list[str]:
    """'process/name: X on a CPU, Y waiting' for each thread that did either in between."""
    lines = []
    for key, (on_cpu, waiting) in sorted(after.items()):
        was = before.get(key, (0.0, 0.0))
        ran, waited = (on_cpu - was[0]) * 1000, (waiting - was[1]) * 1000
        if ran >= 0.5 or waited >= 0.5:
            name = f"{key[0]}/{key[1]}[{key[2]}]"
            lines.append(f"{name}: {ran:.1f} ms on a CPU, {waited:.1f} waiting")
    return lines


class Heartbeat:
    """A 10 ms QTimer that records the largest gap between its ticks.

    For the largest gap it also keeps how much of it the GUI thread spent
    on a CPU and how much waiting for one (see :func:`_schedstat`), and
    with ``tasks`` what every watched thread did meanwhile.
    """

    def __init__(self, interval_ms: int = 10, tasks: TaskStats | None = None) -> None:
        from PySide6.QtCore import QTimer

        self.largest = 0.0
        self.largest_on_cpu = 0.0
        self.largest_waiting = 0.0
        self.largest_threads: list[str] = []
        self.ticks = 0
        self._tasks = tasks
        self._task_stats = tasks.read() if tasks else {}
        self._last = time.perf_counter()
        self._stat = _schedstat()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._stat = _schedstat()
        self._task_stats = self._tasks.read() if self._tasks else {}
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now, stat = time.perf_counter(), _schedstat()
        task_stats = self._tasks.read() if self._tasks else {}
        if now - self._last > self.largest:
            self.largest = now - self._last
            self.largest_on_cpu = stat[0] - self._stat[0]
            self.largest_waiting = stat[1] - self._stat[1]
            self.largest_threads = _busy_threads(self._task_stats, task_stats)
        self._last, self._stat, self._task_stats = now, stat, task_stats
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
    await window.demo.ready()
    window.listener_pane.start_button.click()
    await _until(lambda: window.listener_pane.state is ConnectionState.ONLINE, 30)
    window.sender_pane.connect_button.click()
    await _until(lambda: window.sender_pane.state is ConnectionState.ONLINE, 30)


def _accounted(model: Any, counter: Counter) -> int:
    model.flush()
    return int(model.rowCount() + model.trimmed_count + counter.dropped)


async def flood(
    count: int,
    size: int,
    data_dir: Path,
    *,
    automatic_gc: bool = False,
    threads: bool = False,
    emulator_nice: int = 0,
) -> int:
    """Run the flood; print figures; return the exit code."""
    from relaydesk.gui.app import collect_when_idle, freeze_startup_objects
    from relaydesk.gui.main_window import MainWindow

    window = MainWindow(demo_data_dir=data_dir)
    freeze_startup_objects()  # as the app's main coroutine does once the window is built
    collector = collect_when_idle(window)  # likewise
    if automatic_gc:
        collector.stop()  # the interpreter's own full collections, as before the idle collector
    await _prepare(window)
    listener = Counter(window.listener_bridge)
    sender = Counter(window.sender_bridge)
    emulator = window.demo.emulator
    emulator_pid = emulator.pid if emulator is not None else None
    if emulator_nice and emulator_pid is not None:
        _renice(emulator_pid, emulator_nice)
    tasks = None
    if threads:
        tasks = TaskStats()
        if emulator_pid is not None:
            tasks.pids["emulator"] = emulator_pid
    heartbeat = Heartbeat(tasks=tasks)
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
    collector.stop()
    await window.shutdown()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"messages: {count} × {size} B, echoed; finished={finished}")
    print(f"elapsed: {elapsed:.2f} s ({count / elapsed:,.0f} round trips/s)")
    print(
        f"largest GUI heartbeat gap: {heartbeat.largest * 1000:.1f} ms "
        f"(goal ≤ 50 ms; {heartbeat.ticks} ticks): {heartbeat.largest_on_cpu * 1000:.1f} ms "
        f"of it on a CPU, {heartbeat.largest_waiting * 1000:.1f} ms waiting for one"
    )
    for line in heartbeat.largest_threads:
        print(f"  in the largest gap, {line}")
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
    result = {
        "gap_ms": heartbeat.largest * 1000,
        "on_cpu_ms": heartbeat.largest_on_cpu * 1000,
        "waiting_ms": heartbeat.largest_waiting * 1000,
        "elapsed": elapsed,
        "peak_mib": peak_mib,
        "ok": ok,
        "threads": heartbeat.largest_threads,
    }
    print("RESULT " + json.dumps(result), flush=True)
    return 0 if ok else 1


def _renice(pid: int, increment: int) -> None:
    """Raise every thread's nice value of process ``pid`` by ``increment`` (POSIX).

    On Linux a nice value is a thread's own, so each thread in
    ``/proc/PID/task`` is set; elsewhere the process's.
    """
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        ids = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        ids = [pid]
    for tid in ids:
        with contextlib.suppress(ProcessLookupError):
            os.setpriority(os.PRIO_PROCESS, tid, min(19, ours + increment))


#: The event pumps' and the repeat loop's time slices (ms) before they were shortened.
OLD_SLICES = "5,1"

#: A busy loop for ``--load``: one core, bounded in time, ending with its parent.
SPIN = (
    "import os, time\n"
    "end = time.monotonic() + {seconds}\n"
    "while time.monotonic() < end and os.getppid() == {parent}:\n"
    "    pass\n"
)


@contextlib.contextmanager
def cpu_load(enabled: bool, *, apart: bool = False, seconds: float = 1800.0) -> Iterator[None]:
    """Keep one core busy in another process while the block runs.

    ``apart`` starts it in a session (so a scheduler autogroup) of its own.
    """
    if not enabled:
        yield
        return
    code = SPIN.format(seconds=seconds, parent=os.getpid())
    spinner = subprocess.Popen([sys.executable, "-c", code], start_new_session=apart)
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait(timeout=10)


def _variants(args: argparse.Namespace) -> dict[str, tuple[list[str], bool]]:
    """Name → (command, load on?) for each kind of round asked for."""
    base = [sys.executable, __file__, "--count", str(args.count), "--size", str(args.size)]
    if args.threads:
        base.append("--threads")
    gc_kinds = {"idle collector": [], "automatic gc": ["--automatic-gc"]}
    if not args.compare_gc:
        name = "automatic gc" if args.automatic_gc else "idle collector"
        gc_kinds = {name: gc_kinds[name]}
    nice = args.emulator_nice or (10 if args.compare_nice else 0)
    nice_kinds = {f"emulator nice +{nice}": [f"--emulator-nice={nice}"]}
    if args.compare_nice:
        nice_kinds["emulator at the app's priority"] = ["--emulator-nice=0"]
    slice_kinds = {f"slices {s} ms": [f"--slices={s}"] for s in args.slices}
    if args.compare_slices and OLD_SLICES not in args.slices:
        slice_kinds[f"slices {OLD_SLICES} ms"] = [f"--slices={OLD_SLICES}"]
    loads = [False, True] if args.compare_load else [args.load]
    loaded = "one core loaded" + (" apart" if args.load_apart else "")
    variants = {}
    for gc, gc_args in gc_kinds.items():
        for nice_name, nice_args in nice_kinds.items():
            for slices, slice_args in slice_kinds.items():
                for load in loads:
                    # Named by what varies between the rounds, and the load.
                    parts = [gc] if len(gc_kinds) > 1 else []
                    parts += [nice_name] if len(nice_kinds) > 1 else []
                    parts += [slices] if len(slice_kinds) > 1 else []
                    parts.append(loaded if load else "no load")
                    variants[", ".join(parts)] = ([*base, *gc_args, *nice_args, *slice_args], load)
    return variants


def rounds(args: argparse.Namespace) -> int:
    """Run ``args.rounds`` floods in fresh processes; print min/median/max.

    With ``--compare-gc`` every round runs with the idle collector and with
    Python's automatic full collections, with ``--compare-load`` without and
    with the load; the kinds alternate in order from round to round.
    """
    variants = _variants(args)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for number in range(1, args.rounds + 1):
        names = list(variants)
        for name in names if number % 2 else names[::-1]:
            command, load = variants[name]
            load_average = os.getloadavg()[0]
            with cpu_load(load, apart=args.load_apart):
                result = _one_round(command)
            if result is None:
                return 1
            results[name].append(result)
            print(
                f"  round {number} ({name}; load average {load_average:.1f}): largest gap "
                f"{result['gap_ms']:.1f} ms ({result['on_cpu_ms']:.1f} on a CPU, "
                f"{result['waiting_ms']:.1f} waiting for one), "
                f"{args.count / result['elapsed']:,.0f} round trips/s, "
                f"peak RSS {result['peak_mib']:.0f} MiB, accounted: {result['ok']}",
                flush=True,
            )
            for line in result.get("threads", []):
                print(f"    {line}", flush=True)
    for name, runs in results.items():
        gaps = [r["gap_ms"] for r in runs]
        print(
            f"largest GUI heartbeat gap, {name}, {args.rounds} rounds: min {min(gaps):.1f} / "
            f"median {statistics.median(gaps):.1f} / max {max(gaps):.1f} ms (goal ≤ 50 ms)"
        )
    return 0 if all(r["ok"] for runs in results.values() for r in runs) else 1


def _one_round(command: list[str]) -> dict[str, Any] | None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        print(done.stdout + done.stderr)
        return None
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=1, help="floods, each in a fresh process")
    parser.add_argument("--load", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument(
        "--load-apart",
        action="store_true",
        help="with --load/--compare-load: the spinner in a session (autogroup) of its own",
    )
    parser.add_argument(
        "--compare-load",
        action="store_true",
        help="each round twice: without and with one core loaded, alternating",
    )
    parser.add_argument(
        "--automatic-gc",
        action="store_true",
        help="leave full collections to Python, not to the app's idle collector (to compare)",
    )
    parser.add_argument(
        "--compare-gc",
        action="store_true",
        help="each round twice: idle collector and automatic gc, alternating",
    )
    parser.add_argument(
        "--emulator-nice",
        type=int,
        default=0,
        metavar="N",
        help="run the demo emulator child N nice levels below the app (POSIX)",
    )
    parser.add_argument(
        "--compare-nice",
        action="store_true",
        help="each round twice: the emulator at --emulator-nice (default 10) and at the app's",
    )
    parser.add_argument(
        "--slices",
        nargs="+",
        default=None,
        metavar="PUMP,REPEAT",
        help="the event pumps' and the repeat loop's time slices in ms (default: the app's); "
        "several: each round once with each",
    )
    parser.add_argument(
        "--compare-slices",
        action="store_true",
        help=f"each round also with the earlier slices, {OLD_SLICES} ms",
    )
    parser.add_argument(
        "--background",
        type=int,
        default=0,
        metavar="N",
        help="N more busy processes, each in a session of its own (other programs' load)",
    )
    parser.add_argument(
        "--threads",
        action="store_true",
        help="print what every thread of the app and the emulator did in the largest gap",
    )
    args = parser.parse_args()
    if args.rounds < 1 or args.count < 1:
        parser.error("--rounds and --count must be at least 1")
    if args.slices is None:
        from relaydesk.gui.bridges import sender_bridge, session

        args.slices = [f"{session.PUMP_SLICE * 1000:g},{sender_bridge.REPEAT_SLICE * 1000:g}"]
    with contextlib.ExitStack() as stack:
        for _ in range(args.background):
            stack.enter_context(cpu_load(True, apart=True))
        comparing = args.compare_gc or args.compare_load or args.compare_nice
        comparing = comparing or args.compare_slices or len(args.slices) > 1
        if args.rounds > 1 or comparing:
            return rounds(args)
        with cpu_load(args.load, apart=args.load_apart):
            return flood_here(args)


def flood_here(args: argparse.Namespace) -> int:
    """One flood in this process."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from relaydesk.gui.bridges import sender_bridge, session

    pump, repeat = (float(ms) / 1000 for ms in args.slices[0].split(","))
    session.PUMP_SLICE, sender_bridge.REPEAT_SLICE = pump, repeat

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RELAYDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)
        run = flood(
            args.count,
            args.size,
            Path(tmp) / "emulator",
            automatic_gc=args.automatic_gc,
            threads=args.threads,
            emulator_nice=args.emulator_nice,
        )
        return int(qasync.run(run))


if __name__ == "__main__":
    sys.exit(main())
