"""Start the desktop app on a qasync event loop.

Placeholder until the desktop-app issue lands: opens a main window that says
so. This module is the only one that imports qasync.
"""

from __future__ import annotations

import argparse
import sys


def run_gui(args: argparse.Namespace) -> int:
    """Open the main window and run the Qt + asyncio loop until it closes."""
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("RelayDesk")
    window.setCentralWidget(QLabel("RelayDesk: the desktop app is being built."))
    window.resize(900, 600)
    window.show()
    if getattr(args, "self_test", False):
        if args.screenshot:
            window.grab().save(args.screenshot)
        return 0
    return int(app.exec())
