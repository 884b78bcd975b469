"""The one way RelayDesk opens a file dialog: non-modal, deleted when closed.

Widgets never block the loop (no ``exec()``/``open()``), so the dialog is
shown non-modally and its choice arrives through ``fileSelected``. It is
deleted when closed, not later with its parent: a file dialog torn down
together with the window has crashed Qt (its file-system model thread).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

__all__ = ["show_file_dialog"]


def show_file_dialog(
    parent: QWidget,
    title: str,
    on_selected: Callable[[str], object],
    *,
    save: bool = False,
    name_filters: tuple[str, ...] = (),
    default_suffix: str = "",
) -> QFileDialog:
    """Show a dialog for an existing file (or, with ``save``, a file to write).

    Returns the dialog, for callers that watch ``finished``.
    """
    dialog = QFileDialog(parent, title)
    if save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    if name_filters:
        dialog.setNameFilters(list(name_filters))
    if default_suffix:
        dialog.setDefaultSuffix(default_suffix)
    dialog.fileSelected.connect(on_selected)
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
