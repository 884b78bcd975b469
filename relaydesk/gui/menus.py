"""The main window's menu bar: File (Quit), Profile, Help (About).

Desktop conventions a presenter's fingers expect: Ctrl+Q (Cmd+Q on macOS,
where Qt maps Ctrl to Command and moves Quit and About into the application
menu by their roles) quits through the same path as closing the window, so
connections still close cleanly. The Profile menu repeats the profile bar's
buttons by clicking them, so each action is wired in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

__all__ = ["Menus", "build_menus"]

_PROFILE_ITEMS = (
    ("new", "&New profile", "Ctrl+N"),
    ("duplicate", "&Duplicate", ""),
    ("rename", "&Rename…", "F2"),
    ("delete", "De&lete…", ""),
    ("import", "&Import connection string…", ""),
    ("export", "E&xport…", ""),
)


@dataclass(frozen=True)
class Menus:
    """The menus and the actions tests and the window reach for."""

    file: QMenu
    profile: QMenu
    help: QMenu
    quit: QAction
    edit_connection: QAction
    about: QAction


def build_menus(window: Any) -> Menus:
    """Add File, Profile and Help to ``window``'s menu bar and return them."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    quit_action = QAction("&Quit", window)
    quit_action.setShortcut(QKeySequence("Ctrl+Q"))
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    quit_action.setStatusTip("Close the connections and quit RelayDesk")
    quit_action.triggered.connect(window.close)
    file_menu.addAction(quit_action)
    window.addAction(quit_action)  # the shortcut works while the menu bar is hidden too

    profile_menu = bar.addMenu("&Profile")
    buttons = window.profile_bar.buttons
    for key, text, keys in _PROFILE_ITEMS:
        action = profile_menu.addAction(text)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(buttons[key].click)
        buttons[key].installEventFilter(_EnabledMirror(action, buttons[key], window))
        action.setEnabled(buttons[key].isEnabled())
    profile_menu.addSeparator()
    edit = profile_menu.addAction("&Edit connection…")
    edit.setShortcut(QKeySequence("Ctrl+E"))
    edit.triggered.connect(lambda: window.connection.set_expanded(True))
    demo = profile_menu.addAction("Start &demo (built-in emulator)")
    demo.triggered.connect(buttons["demo"].click)
    check = profile_menu.addAction("Run &check")
    check.triggered.connect(buttons["check"].click)

    help_menu = bar.addMenu("&Help")
    about = QAction("&About RelayDesk", window)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(window.show_about)
    help_menu.addAction(about)
    return Menus(file_menu, profile_menu, help_menu, quit_action, edit, about)


class _EnabledMirror(QObject):
    """Keep a menu action enabled exactly when its profile-bar button is."""

    def __init__(self, action: QAction, button: Any, parent: QObject) -> None:
        super().__init__(parent)
        self._action = action
        self._button = button

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Mirror the button's enabled state; never consume the event."""
        if event.type() == QEvent.Type.EnabledChange:
            self._action.setEnabled(self._button.isEnabled())
        return False
