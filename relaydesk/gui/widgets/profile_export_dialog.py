"""The non-modal "Export profile" save dialog (the window's, never blocking the loop)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

__all__ = ["open_profile_export_dialog"]


def open_profile_export_dialog(parent: QWidget, name: str) -> QFileDialog:
    """Show a save dialog for profile ``name``'s JSON; the caller connects ``fileSelected``."""
    dialog = QFileDialog(parent, f"Export profile '{name}'", f"{name}.json", "Profile (*.json)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("json")
    dialog.setWindowModality(Qt.WindowModality.NonModal)  # never blocks the loop
    # Deleted when closed, not later with its parent: a file dialog torn down
    # together with the window has crashed Qt (its file-system model thread).
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
