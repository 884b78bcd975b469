"""The sender's message composer: text, JSON (validated) or binary from a file.

The composer only builds the payload and says when it is not valid; the
pane decides what to do with it. The file chooser is a non-modal
``QFileDialog.open()`` (no blocking ``exec()`` while the loop runs).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.models.formatting import format_size
from relaydesk.gui.widgets.file_dialog import show_file_dialog

__all__ = ["MAX_FILE_BYTES", "Composer"]

MAX_FILE_BYTES = 16 * 1024 * 1024
_MODES = ("Text", "JSON", "Binary file")


class Composer(QWidget):
    """Compose one WebSocket message and the repeat settings.

    Signals:
        send_requested(): the user pressed Send (or Ctrl+Enter in the editor).
    """

    send_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._file_data: bytes | None = None
        self._dialog: QFileDialog | None = None
        self._build_ui()
        self._connect()
        self._mode_changed()

    def _build_ui(self) -> None:
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(list(_MODES))
        self.mode_combo.setAccessibleName("Message kind")
        self.mode_combo.setToolTip("Send text, JSON (checked before sending) or a file's bytes")
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("messageEditor")
        self.editor.setAccessibleName("Message")
        self.editor.setPlaceholderText("Message text")
        self.editor.setMaximumHeight(64)
        self.file_button = QPushButton("Choose file…")
        self.file_button.setToolTip("Send the bytes of a file as one binary message")
        self.file_label = QLabel("No file chosen")
        self.file_label.setAccessibleName("Chosen file")
        self.validation = QLabel()
        self.validation.setObjectName("validation")
        self.validation.setAccessibleName("Message validation")
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("primaryAction")
        self.send_button.setToolTip("Send the message (Ctrl+Enter)")
        self.repeat_spin = QSpinBox()
        self.repeat_spin.setRange(1, 1_000_000)
        self.repeat_spin.setPrefix("× ")
        self.repeat_spin.setAccessibleName("Repeat count")
        self.repeat_spin.setToolTip("Send the message this many times")
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(0, 60_000)
        self.interval_spin.setSuffix(" ms")
        self.interval_spin.setAccessibleName("Repeat interval")
        self.interval_spin.setToolTip("Pause between repeated messages (0 = back to back)")
        self._layout()

    def _layout(self) -> None:
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_button)
        file_row.addWidget(self.file_label, 1)
        send_row = QHBoxLayout()
        send_row.addWidget(self.mode_combo)
        send_row.addWidget(self.validation, 1)
        send_row.addWidget(self.repeat_spin)
        send_row.addWidget(self.interval_spin)
        send_row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        layout.addLayout(file_row)
        layout.addLayout(send_row)
        self._file_row = file_row

    def _connect(self) -> None:
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.editor.textChanged.connect(self.validate)
        self.file_button.clicked.connect(self.choose_file)
        self.send_button.clicked.connect(self.send_requested)

    # --- public --------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``"Text"``, ``"JSON"`` or ``"Binary file"``."""
        return self.mode_combo.currentText()

    def set_text(self, text: str) -> None:
        """Put ``text`` in the editor (text mode)."""
        self.mode_combo.setCurrentIndex(0)
        self.editor.setPlainText(text)

    def payload(self) -> str | bytes | None:
        """Return the message to send, or None when it is not valid (reason shown)."""
        if not self.validate():
            return None
        if self.mode == "Binary file":
            return self._file_data
        return self.editor.toPlainText()

    def validate(self) -> bool:
        """Check the input for the current mode and say what is wrong."""
        problem = self._problem()
        self.validation.setText(problem or self._summary())
        self.validation.setProperty("invalid", bool(problem))
        self.send_button.setEnabled(problem is None)
        return problem is None

    def load_file(self, path: str) -> None:
        """Load a file's bytes as the binary payload."""
        try:
            size = Path(path).stat().st_size
            if size > MAX_FILE_BYTES:
                raise OSError(f"the file is larger than {format_size(MAX_FILE_BYTES)}")
            self._file_data = Path(path).read_bytes()
        except OSError as exc:
            self._file_data = None
            self.file_label.setText(f"Cannot read {Path(path).name}: {exc.strerror or exc}")
        else:
            self.file_label.setText(f"{Path(path).name} ({format_size(len(self._file_data))})")
        self.validate()

    def choose_file(self) -> None:
        """Open a non-modal file dialog; the choice arrives through ``fileSelected``."""
        dialog = show_file_dialog(self, "Send a file as a binary message", self.load_file)
        dialog.finished.connect(self._forget_dialog)
        self._dialog = dialog

    # --- internals -----------------------------------------------------------------

    def _mode_changed(self) -> None:
        binary = self.mode == "Binary file"
        self.editor.setVisible(not binary)
        self.file_button.setVisible(binary)
        self.file_label.setVisible(binary)
        placeholder = '{"hello": "relay"}' if self.mode == "JSON" else "Message text"
        self.editor.setPlaceholderText(placeholder)
        self.validate()

    def _problem(self) -> str | None:
        if self.mode == "Binary file":
            return None if self._file_data is not None else "Choose a file to send"
        text = self.editor.toPlainText()
        if self.mode == "JSON":
            try:
                json.loads(text)
            except ValueError as exc:
                return f"Not valid JSON: {exc}"
        return None

    def _summary(self) -> str:
        if self.mode == "Binary file":
            return f"binary, {format_size(len(self._file_data or b''))}"
        size = len(self.editor.toPlainText().encode("utf-8"))
        return f"{self.mode.lower()}, {format_size(size)}"

    def _forget_dialog(self, *_result: object) -> None:
        self._dialog = None
