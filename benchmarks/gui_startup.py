"""Start-up: process start → main window shown, RelayDesk vs a bare PySide6 window.

Both are measured the same way in the same run, alternating, in fresh
processes: the parent notes the time, starts the child, and reads the
child's markers. "shown" is printed right after ``show()`` and one
``processEvents()`` (the first paint) in both children. The RelayDesk child
goes through the real entry point (``relaydesk.cli.main([])`` → ``run_gui``),
which shows the window's frame first and then builds the panes on the
running loop; it also prints "ready" once ``MainWindow.build()`` has
composed every pane and the result is painted, then closes the window so
the app runs its normal shutdown. Targets: "shown" ≤ 1.5× the bare window,
"ready" ≤ 2×. Ratios are given of the medians and of the minimums (the
fastest run is the least disturbed by other work on a shared machine).

Idle memory: ``--rss-runs`` rounds, alternating, of a bare window and of
``relaydesk --demo``, each idling ``--idle-seconds`` after it is shown; the
resident memory of the window process and of its child processes (the
demo's emulator) is read from /proc, and the heavy libraries the idle demo
window has loaded are listed. Target: the demo window process ≤ 100 MiB.

Bytecode is written and reused as an installed app's would be (``pip``
compiles on install; the bundle ships ``.pyc``): ``PYTHONDONTWRITEBYTECODE``
is removed from the children's environment and one warm-up run of each
fills the caches.

``--baseline DIR`` times another checkout's RelayDesk (e.g. ``git worktree
add /tmp/old main``) in the same rounds, alternating bare, baseline and this
checkout, so old and new see the same machine; the baseline child runs with
its working directory in DIR, whose ``relaydesk`` package then comes first on
``sys.path`` (each child prints where its package came from, and a mix-up
stops the run).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_startup.py [--runs N] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

#: Printed by the children after idling: resident memory now, in bytes, of
#: the process itself and (summed) of its child processes — the demo's
#: emulator runs in one. Linux's /proc only.
RSS = """
def print_rss():
    import glob, os
    def rss(pid):
        try:
            with open("/proc/%s/statm" % pid) as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return 0
    children = set()
    for path in glob.glob("/proc/self/task/*/children"):
        with open(path) as listing:
            children.update(listing.read().split())
    print("RSS", rss("self"), flush=True)
    print("CHILDREN", sum(rss(pid) for pid in children), len(children), flush=True)
    heavy = ("aiohttp", "websockets", "msal", "requests", "jwt", "keyring", "secretstorage",
             "jeepney", "cryptography")
    loaded = sorted(set(heavy) & set(name.split(".")[0] for name in sys.modules))
    print("LOADED", ",".join(loaded) or "-", flush=True)
"""

BARE = (
    RSS
    + """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1280, 820)
window.show()
app.processEvents()
print("SHOWN", flush=True)
IDLE_MS = {idle_ms}
if IDLE_MS:
    QTimer.singleShot(IDLE_MS, lambda: (print_rss(), app.quit()))
    app.exec()
"""
)

RELAYDESK = (
    RSS
    + """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from relaydesk.gui import main_window

_show = main_window.MainWindow.show
_build = main_window.MainWindow.build

import relaydesk
print("FROM", relaydesk.__file__, flush=True)

def show(self):
    _show(self)
    QApplication.processEvents()
    print("SHOWN", flush=True)

def build(self):
    _build(self)
    QApplication.processEvents()
    print("READY", flush=True)
    IDLE_MS = {idle_ms}
    QTimer.singleShot(IDLE_MS, lambda: (IDLE_MS and print_rss(), self.close()))

main_window.MainWindow.show = show
main_window.MainWindow.build = build
from relaydesk.cli import main
sys.exit(main({argv!r}))
"""
)


def time_child(
    code: str, env: dict[str, str], cwd: str | None = None, package: str | None = None
) -> dict[str, float]:
    """Seconds from spawning ``python -c code`` (in ``cwd``) until each marker it prints.

    ``package``: the directory the child's ``relaydesk`` package must come from.
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    marks: dict[str, float] = {}
    for line in child.stdout:
        word = line.strip()
        if word in ("SHOWN", "READY"):
            marks[word] = time.perf_counter() - started
        elif word.startswith("FROM "):
            where = os.path.dirname(os.path.realpath(word[5:]))
            if package is not None and where != os.path.realpath(package):
                child.kill()
                raise RuntimeError(f"the child ran {where}, not {package}")
        elif word.startswith("RSS "):
            marks["RSS"] = int(word.split()[1])
        elif word.startswith("CHILDREN "):
            marks["CHILDREN"] = int(word.split()[1])
            marks["CHILD_COUNT"] = int(word.split()[2])
        elif word.startswith("LOADED "):
            loaded[:] = word.split()[1].split(",")
    child.wait(timeout=60)
    if "SHOWN" not in marks:
        raise RuntimeError(f"the child exited with {child.returncode} before showing a window")
    return marks


#: The heavy libraries the last idle demo window had loaded (its LOADED line).
loaded: list[str] = []


def spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    """``median M (min A, max B)`` of ``values`` times ``scale``."""
    low, median, high = (f(values) * scale for f in (min, statistics.median, max))
    return f"median {median:5.0f}{unit} (min {low:.0f}, max {high:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=5.0,
        help="how long the bare window and the demo window idle before their RSS is read",
    )
    parser.add_argument("--rss-runs", type=int, default=3, help="rounds of idle memory (0: none)")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="another checkout whose RelayDesk is timed in the same rounds (alternating)",
    )
    args = parser.parse_args()
    idle_ms = int(args.idle_seconds * 1000)
    bare_code = BARE.format(idle_ms=0)
    relaydesk_code = RELAYDESK.format(idle_ms=0, argv=[])
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sides = [("RelayDesk", here)]
    if args.baseline:
        sides.insert(0, ("baseline", os.path.abspath(args.baseline)))
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["RELAYDESK_CONFIG_DIR"] = tmp
        time_child(bare_code, env)  # warm the file and bytecode caches for all
        for _name, root in sides:
            time_child(relaydesk_code, env, root, os.path.join(root, "relaydesk"))
        bare: list[float] = []
        shown: dict[str, list[float]] = {name: [] for name, _root in sides}
        ready: dict[str, list[float]] = {name: [] for name, _root in sides}
        for _ in range(args.runs):
            bare.append(time_child(bare_code, env)["SHOWN"])
            for name, root in sides:
                marks = time_child(relaydesk_code, env, root, os.path.join(root, "relaydesk"))
                shown[name].append(marks["SHOWN"])
                ready[name].append(marks["READY"])
    rows = [("bare PySide6 window: shown", bare)]
    for name, _root in sides:
        rows += [(f"{name}: window shown", shown[name]), (f"{name}: panes ready", ready[name])]
    for name, times in rows:
        print(
            f"{name:30s} {spread(times, 1000, ' ms')} ratio "
            f"{statistics.median(times) / statistics.median(bare):.2f}× of medians, "
            f"{min(times) / min(bare):.2f}× of minimums"
        )
    print(
        f"target: window shown ≤ 1.5× the bare window, panes ready ≤ 2×; {args.runs} runs "
        "each, alternating; profiles load in the background after 'ready', the OS keyring "
        "when a secret outside the demo's is needed"
    )
    if idle_ms and args.rss_runs > 0:
        idle_rss(env, idle_ms, args.idle_seconds, args.rss_runs)
    return 0


def idle_rss(env: dict[str, str], idle_ms: int, seconds: float, runs: int) -> None:
    """Resident memory of a bare window and of ``relaydesk --demo`` after idling."""
    bare: list[float] = []
    demo: list[float] = []
    children: list[float] = []
    count = 0.0
    for _ in range(runs):
        bare.append(time_child(BARE.format(idle_ms=idle_ms), env)["RSS"] / 2**20)
        marks = time_child(RELAYDESK.format(idle_ms=idle_ms, argv=["--demo"]), env)
        demo.append(marks["RSS"] / 2**20)
        children.append(marks.get("CHILDREN", 0) / 2**20)
        count = marks.get("CHILD_COUNT", 0)
    print(f"idle RSS {seconds:.0f} s after showing, {runs} rounds each, alternating:")
    print(f"  bare PySide6 window              {spread(bare, unit=' MiB')}")
    print(
        f"  relaydesk --demo window process  {spread(demo, unit=' MiB')} ratio "
        f"{statistics.median(demo) / statistics.median(bare):.2f}× (goal ≤ 100 MiB)"
    )
    print(
        f"  + its {count:.0f} child process(es) (the emulator) {spread(children, unit=' MiB')}; "
        "RSS counts shared library pages in each process"
    )
    print(f"  heavy libraries the idle demo window has loaded: {', '.join(loaded)}")


if __name__ == "__main__":
    sys.exit(main())
