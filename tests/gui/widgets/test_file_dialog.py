"""show_file_dialog: non-modal, deleted when closed, the choice to the callback."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from relaydesk.gui.widgets import file_dialog
from tests.gui.conftest import FakeFileDialog

pytestmark = pytest.mark.gui


def test_the_dialog_never_blocks_and_hands_over_the_choice(  # type: ignore[no-untyped-def]
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_dialog, "QFileDialog", FakeFileDialog)
    parent = QWidget()
    qtbot.addWidget(parent)
    chosen: list[str] = []
    dialog = file_dialog.show_file_dialog(parent, "Pick", chosen.append, save=True)
    assert dialog is FakeFileDialog.instances[-1]
    assert dialog.shown and dialog.modality == Qt.WindowModality.NonModal  # type: ignore[attr-defined]
    assert dialog.delete_on_close  # type: ignore[attr-defined]
    dialog.fileSelected.emit("/tmp/x.har")
    assert chosen == ["/tmp/x.har"]
