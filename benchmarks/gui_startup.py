"""Start-up: process start → main window shown, RelayDesk vs a bare PySide6 window.

Both are measured the same way in the same run, alternating, in fresh
processes: the parent notes the time, starts the child, and stops the clock
when the child prints ``SHOWN`` right after ``show()``. The RelayDesk child
goes through the real entry point (``relaydesk.cli.main([])`` → ``run_gui``),
with ``MainWindow.show`` wrapped to print the marker and then close the
window, so the app also runs its normal shutdown. Target: ≤ 1.5× the bare
window.

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
print("SHOWN", flush=True)
"""

RELAYDESK = """
import sys
from PySide6.QtCore import QTimer
from relaydesk.gui import main_window

_show = main_window.MainWindow.show

def show(self):
    _show(self)
    print("SHOWN", flush=True)
    QTimer.singleShot(0, self.close)

main_window.MainWindow.show = show
from relaydesk.cli import main
sys.exit(main([]))
"""

#: The same, entering at gui/app.py (skips the CLI's parser and its imports).
RELAYDESK_DIRECT = RELAYDESK.replace(
    "from relaydesk.cli import main\nsys.exit(main([]))",
    "import argparse\nfrom relaydesk.gui.app import run_gui\n"
    "sys.exit(run_gui(argparse.Namespace(demo=False, self_test=False, screenshot=None,"
    " token_lifetime=None, profile=None)))",
)


def time_child(code: str, env: dict[str, str]) -> float:
    """Seconds from spawning ``python -c code`` until it prints SHOWN."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("SHOWN"):
            elapsed = time.perf_counter() - started
            break
    else:
        child.wait(timeout=30)
        raise RuntimeError(f"the child exited with {child.returncode} before showing a window")
    child.wait(timeout=30)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        env["RELAYDESK_CONFIG_DIR"] = tmp
        time_child(BARE, env)  # warm the file cache for both
        time_child(RELAYDESK, env)
        bare: list[float] = []
        app: list[float] = []
        direct: list[float] = []
        for _ in range(args.runs):
            bare.append(time_child(BARE, env))
            app.append(time_child(RELAYDESK, env))
            direct.append(time_child(RELAYDESK_DIRECT, env))
    base = statistics.median(bare)
    for name, times in (
        ("bare PySide6 window", bare),
        ("RelayDesk (relaydesk command)", app),
        ("RelayDesk (gui.app.run_gui)", direct),
    ):
        median = statistics.median(times)
        print(
            f"{name:30s} median {median * 1000:5.0f} ms (min {min(times) * 1000:.0f}, "
            f"max {max(times) * 1000:.0f}) ratio {median / base:.2f}×"
        )
    print(f"target: ≤ 1.5× the bare window; {args.runs} runs each, alternating")
    return 0


if __name__ == "__main__":
    sys.exit(main())
