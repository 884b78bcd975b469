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

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1280, 820)
window.show()
app.processEvents()
print("SHOWN", flush=True)
"""

RELAYDESK = """
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
    QTimer.singleShot(0, self.close)

main_window.MainWindow.show = show
main_window.MainWindow.build = build
from relaydesk.cli import main
sys.exit(main([]))
"""


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
    child.wait(timeout=30)
    if "SHOWN" not in marks:
        raise RuntimeError(f"the child exited with {child.returncode} before showing a window")
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["RELAYDESK_CONFIG_DIR"] = tmp
        time_child(BARE, env)  # warm the file and bytecode caches for both
        time_child(RELAYDESK, env)
        bare: list[float] = []
        shown: list[float] = []
        ready: list[float] = []
        for _ in range(args.runs):
            bare.append(time_child(BARE, env)["SHOWN"])
            marks = time_child(RELAYDESK, env)
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
        f"target: window shown ≤ 1.5× the bare window; {args.runs} runs each, alternating; "
        "profiles and the keyring load in the background after 'ready'"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
