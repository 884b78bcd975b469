"""Drive the real app on the current (X11) display, save screenshots, report the geometry.

Run by ``tests/gui/test_screens_on_x11.py`` in a child process on Xvfb:
``python -m tests.gui.screens_on_x11 OUTDIR``. It goes through what a
presenter shows (the first-run greeting, the Azure form, "Try it offline"
with messages flowing, the Check results, the connection editor), grabs the
whole screen after each, and writes ``report.json`` with what the test
asserts: window and screen geometry, splitter sizes around the Check, and
the inputs that are shorter than their minimum while every error shows.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QWidget

from relaydesk.relay.events import ConnectionState

_STEP_TIMEOUT = 60.0


async def _until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + _STEP_TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _rect(rect: QRect) -> list[int]:
    return [rect.x(), rect.y(), rect.width(), rect.height()]


async def _shot(out: Path, name: str) -> None:
    await asyncio.sleep(0.4)  # let the last rows and the countdown paint
    QApplication.processEvents()
    screen = QGuiApplication.primaryScreen()
    screen.grabWindow(0).save(str(out / f"{name}.png"))


def _short_inputs(root: QWidget) -> list[str]:
    """Visible inputs shorter than their own minimum height (e.g. squeezed to 10 px)."""
    short = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, QLineEdit | QComboBox | QAbstractSpinBox):
            continue
        if widget.isVisibleTo(root) and widget.height() < widget.minimumSizeHint().height():
            short.append(f"{widget.accessibleName()} {widget.height()}px")
    return short


async def _first_run(window: Any, out: Path, report: dict[str, Any]) -> None:
    page = window.first_run.page
    await _until(lambda: window.first_run.showing, "the welcome page")
    await _shot(out, "first-run")
    page.azure_button.click()
    await _shot(out, "first-run-azure")
    report["first_run_short_inputs"] = _short_inputs(page)
    page.offline_button.click()
    await _until(
        lambda: (
            window.listener_pane.state is ConnectionState.ONLINE
            and window.sender_pane.state is ConnectionState.ONLINE
        ),
        "the offline pair",
    )


async def _demo(window: Any, out: Path) -> None:
    sender = window.sender_pane
    for text in ("hello from the stage", '{"order": 42, "status": "shipped"}', "ping"):
        sender.composer.set_text(text)
        sender.composer.send_button.click()
        await asyncio.sleep(0.1)
    tab = sender.http_tab
    sender.tabs.setCurrentWidget(tab)
    tab.method_combo.setCurrentText("POST")
    tab.suffix_edit.setText("orders/42")
    tab.body_edit.setPlainText('{"order": 42}')
    tab.send_button.click()
    await _until(lambda: tab.status_label.text().startswith("200"), "the HTTP answer")
    sender.tabs.setCurrentIndex(0)
    await _shot(out, "demo")


async def _check(window: Any, out: Path, report: dict[str, Any]) -> None:
    before = (window.size().height(), window.vertical.sizes())
    finished: list[Any] = []
    window.check_bridge.finished.connect(finished.append)
    window.profile_bar.buttons["check"].click()
    await _until(lambda: bool(finished), "the check")
    report["check_passed"] = bool(finished[0].passed)
    report["check_before"] = before
    report["check_after"] = (window.size().height(), window.vertical.sizes())
    report["timeline_height"] = window.timeline_view.height()
    report["timeline_row_height"] = window.timeline_view.table.verticalHeader().defaultSectionSize()
    await _shot(out, "check")


async def _editor(window: Any, out: Path, report: dict[str, Any]) -> None:
    section = window.connection
    window.profile_bar.buttons["new"].click()
    await _until(lambda: section.editor is not None and section.editor.isVisible(), "the editor")
    form = section.form
    form.same_as_listener.setChecked(False)
    sender = form.sender_editor
    sender.kind_combo.setCurrentIndex(sender.kind_combo.findData("sas"))
    form.request_save()  # every problem shows
    await asyncio.sleep(0.3)
    report["editor_errors"] = len(form.errors())
    report["editor_short_inputs"] = _short_inputs(section.editor)
    report["editor_geometry"] = _rect(section.editor.frameGeometry())
    await _shot(out, "editor-errors")
    section.set_expanded(False)
    window.workspace.select("Local demo")
    await _until(lambda: window.workspace.profile.name == "Local demo", "the demo profile")
    section.set_expanded(True)
    await _shot(out, "editor")
    section.set_expanded(False)


async def _run(out: Path) -> dict[str, Any]:
    from relaydesk.gui.main_window import MainWindow

    report: dict[str, Any] = {}
    window = MainWindow()
    window.show()
    window.load_profiles()
    try:
        await _first_run(window, out, report)
        area = window.screen().availableGeometry()
        report["screen"] = _rect(area)
        report["window"] = _rect(window.frameGeometry())
        hint = window.minimumSizeHint()
        report["minimum"] = [hint.width(), hint.height()]
        check = window.profile_bar.buttons["check"]
        report["header_right"] = check.mapTo(window, check.rect().topRight()).x()
        await _demo(window, out)
        await _check(window, out, report)
        await _editor(window, out, report)
    finally:
        await window.shutdown()
        window.dispose()
    return report


def main() -> int:
    """Run the tour; write ``report.json`` next to the PNGs."""
    import qasync

    from relaydesk.gui.resources import app_icon

    out = Path(sys.argv[1])
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())  # type: ignore[arg-type]  # the window has the stylesheet
    report = qasync.run(_run(out))
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
