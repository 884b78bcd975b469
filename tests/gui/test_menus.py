"""The menu bar: Ctrl+Q quits through the window's close path; Help → About; Profile items."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

import relaydesk
from relaydesk.gui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_ctrl_q_closes_the_window_and_asks_the_app_to_quit(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    assert win.menus.quit.shortcut() == QKeySequence("Ctrl+Q")
    assert win.menus.quit.menuRole() == QAction.MenuRole.QuitRole  # Cmd+Q on macOS
    with qtbot.waitSignal(win.close_requested, timeout=2000):
        qtbot.keyClick(win, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not win.isVisible()


def test_about_shows_the_version_and_links_without_blocking(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    win.menus.about.trigger()
    box = win.about_box
    assert box.isVisible() and not box.isModal()
    assert relaydesk.__version__ in box.text()
    assert "https://learn.microsoft.com/azure/azure-relay/" in box.text()
    box.close()


def test_profile_menu_mirrors_the_bar(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    items = {a.text().replace("&", ""): a for a in win.menus.profile.actions() if a.text()}
    assert not items["Rename…"].isEnabled()  # no profile yet, like the bar's button
    win.profile_bar.set_profiles(["Orders"], "Orders")
    assert items["Rename…"].isEnabled()
    items["Rename…"].trigger()
    assert win.profile_bar.editor_mode == "rename"
    items["Edit connection…"].trigger()
    assert win.connection.editor.isVisible()
    win.connection.set_expanded(False)
