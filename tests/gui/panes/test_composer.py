"""Composer: text, JSON (validated) and binary payloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from relaydesk.gui.panes.composer import MAX_FILE_BYTES, Composer
from tests.gui.conftest import FakeFileDialog

pytestmark = pytest.mark.gui


def test_text_payload(qtbot) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    composer.set_text("hello")
    assert composer.payload() == "hello"
    assert composer.send_button.isEnabled()
    assert composer.validation.text() == "text, 5 B"


def test_json_is_validated_before_sending(qtbot) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    composer.mode_combo.setCurrentText("JSON")
    composer.editor.setPlainText('{"a": 1')
    assert composer.payload() is None
    assert composer.validation.text().startswith("Not valid JSON")
    assert not composer.send_button.isEnabled()
    composer.editor.setPlainText('{"a": 1}')
    assert composer.payload() == '{"a": 1}'
    assert composer.send_button.isEnabled()


def test_binary_from_file(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    composer.mode_combo.setCurrentText("Binary file")
    assert composer.payload() is None  # no file yet
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)))
    composer.load_file(str(path))
    assert composer.payload() == bytes(range(256))
    assert "blob.bin (256 B)" in composer.file_label.text()


def test_unreadable_or_huge_file_is_refused(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    composer.mode_combo.setCurrentText("Binary file")
    composer.load_file(str(tmp_path / "missing.bin"))
    assert "Cannot read" in composer.file_label.text()
    assert composer.payload() is None
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)
    composer.load_file(str(big))
    assert "larger than" in composer.file_label.text()


def test_send_button_emits_the_intent(qtbot) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    with qtbot.waitSignal(composer.send_requested, timeout=1000):
        composer.send_button.click()


def test_choose_file_uses_a_non_modal_dialog(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt

    from relaydesk.gui.widgets import file_dialog

    monkeypatch.setattr(file_dialog, "QFileDialog", FakeFileDialog)
    composer = Composer()
    qtbot.addWidget(composer)
    composer.mode_combo.setCurrentText("Binary file")
    composer.file_button.click()
    dialog = FakeFileDialog.instances[-1]
    assert dialog.shown and dialog.modality == Qt.WindowModality.NonModal
    assert dialog.delete_on_close
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x01\x02")
    dialog.fileSelected.emit(str(path))
    dialog.finished.emit(0)
    assert composer.payload() == b"\x01\x02"
    assert composer._dialog is None
