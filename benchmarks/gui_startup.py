"""Start-up: process start → main window shown, RelayDesk vs a bare PySide6 window.

Both are measured the same way in the same run, alternating, in fresh
processes: the parent notes the time, starts the child, and reads the
child's markers. "shown" is printed right after ``show()`` and one
``processEvents()`` (the first paint) in both children. The RelayDesk child
goes through the real entry point (``relaydesk.cli.main([])`` → ``run_gui``),
which shows the window's frame first and then builds the panes on the
running loop; it also prints "ready" once ``MainWindow.build()`` has
composed every pane and the result is painted, then closes the window so
the app runs its normal shutdown. Target: "shown" ≤ 1.5× the bare window;
"ready" is printed too, so nobody mistakes one for the other.

Bytecode is written and reused as an installed app's would be (``pip``
compiles on install; the bundle ships ``.pyc``): ``PYTHONDONTWRITEBYTECODE``
is removed from the children's environment and one warm-up run of each
fills the caches.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_startup.py [--runs N]
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


def time_child(code: str, env: dict[str, str]) -> dict[str, float]:
    """Seconds from spawning ``python -c code`` until each marker it prints."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
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
        elif word.startswith("RSS "):
            marks["RSS"] = int(word.split()[1])
        elif word.startswith("CHILDREN "):
            marks["CHILDREN"] = int(word.split()[1])
            marks["CHILD_COUNT"] = int(word.split()[2])
    child.wait(timeout=60)
    if "SHOWN" not in marks:
        raise RuntimeError(f"the child exited with {child.returncode} before showing a window")
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=5.0,
        help="how long the bare window and the demo window idle before their RSS is read",
    )
    args = parser.parse_args()
    idle_ms = int(args.idle_seconds * 1000)
    bare_code = BARE.format(idle_ms=0)
    relaydesk_code = RELAYDESK.format(idle_ms=0, argv=[])
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["RELAYDESK_CONFIG_DIR"] = tmp
        time_child(bare_code, env)  # warm the file and bytecode caches for both
        time_child(relaydesk_code, env)
        bare: list[float] = []
        shown: list[float] = []
        ready: list[float] = []
        for _ in range(args.runs):
            bare.append(time_child(bare_code, env)["SHOWN"])
            marks = time_child(relaydesk_code, env)
            shown.append(marks["SHOWN"])
            ready.append(marks["READY"])
    base = statistics.median(bare)
    for name, times in (
        ("bare PySide6 window: shown", bare),
        ("RelayDesk: window shown", shown),
        ("RelayDesk: panes ready", ready),
    ):
        median = statistics.median(times)
        print(
            f"{name:28s} median {median * 1000:5.0f} ms (min {min(times) * 1000:.0f}, "
            f"max {max(times) * 1000:.0f}) ratio {median / base:.2f}×"
        )
    print(
        f"target: window shown ≤ 1.5× the bare window, panes ready ≤ 2×; {args.runs} runs "
        "each, alternating; profiles and the keyring load in the background after 'ready'"
    )
    if idle_ms:
        idle_rss(env, idle_ms, args.idle_seconds)
    return 0


def idle_rss(env: dict[str, str], idle_ms: int, seconds: float) -> None:
    """Resident memory of a bare window and of ``relaydesk --demo`` after idling."""
    bare = time_child(BARE.format(idle_ms=idle_ms), env)["RSS"] / 2**20
    marks = time_child(RELAYDESK.format(idle_ms=idle_ms, argv=["--demo"]), env)
    demo = marks["RSS"] / 2**20
    children = marks.get("CHILDREN", 0) / 2**20
    print(
        f"idle RSS {seconds:.0f} s after showing: bare PySide6 window {bare:.0f} MiB, "
        f"relaydesk --demo window process {demo:.0f} MiB, ratio {demo / bare:.2f}× "
        "(goal ≤ 100 MiB)"
    )
    print(
        f"  + its {marks.get('CHILD_COUNT', 0):.0f} child process(es) (the demo's emulator) "
        f"{children:.0f} MiB: {demo + children:.0f} MiB together (RSS counts shared "
        "library pages in each process)"
    )


if __name__ == "__main__":
    sys.exit(main())
