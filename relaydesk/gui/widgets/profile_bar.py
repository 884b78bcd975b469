"""The profile bar: pick a profile and ask for profile actions.

Everything is an intent signal; the window does the work. Rename, delete
confirmation and connection-string import use an inline editor strip under
the buttons, never a blocking dialog (architecture §4.7).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

_BUTTONS = (
    ("new", "New", "Create a new profile"),
    ("duplicate", "Duplicate", "Copy the selected profile under a new name"),
    ("rename", "Rename…", "Rename the selected profile"),
    ("delete", "Delete…", "Delete the selected profile and its stored secrets"),
    ("import", "Import…", "Import a connection string: creates a SAS profile from it"),
    ("export", "Export…", "Save the selected profile (never its secrets) to a file"),
    ("demo", "Demo", "Start the local emulator and a demo profile: no Azure needed"),
    ("check", "Check", "Run the round-trip connectivity check for this profile"),
)

_ACCESSIBLE = {"import": "Import connection string", "export": "Export profile"}


class ProfileBar(QWidget):
    """Profile combo plus actions.

    Signals:
        profile_selected(str): the user picked a profile.
        new_requested(), duplicate_requested(), demo_requested(), check_requested()
        rename_requested(str old, str new): confirmed in the inline editor.
        delete_requested(str): confirmed in the inline editor.
        import_requested(str): a connection string was entered (treat as secret).
        export_requested(str): export the named profile.
    """

    profile_selected = Signal(str)
    new_requested = Signal()
    duplicate_requested = Signal()
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)
    import_requested = Signal(str)
    export_requested = Signal(str)
    demo_requested = Signal()
    check_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profileBar")
        self._mode = ""
        self.combo = QComboBox()
        self.combo.setObjectName("profileCombo")
        self.combo.setAccessibleName("Profile")
        self.combo.setToolTip("The connection profile in use")
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip in _BUTTONS:
            button = QPushButton(text)
            button.setObjectName(f"profile_{key}")
            button.setAccessibleName(_ACCESSIBLE.get(key, text.rstrip("…")))
            button.setToolTip(tip)
            self.buttons[key] = button
        self.buttons["check"].setObjectName("primaryAction")
        self._make_editor()
        self._layout()
        self._connect()
        self._update_enabled()

    # --- public ------------------------------------------------------------------

    def set_profiles(self, names: Iterable[str], current: str | None = None) -> None:
        """Replace the list of profile names; select ``current`` (no signal)."""
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(list(names))
        if current is not None:
            self.combo.setCurrentIndex(self.combo.findText(current))
        self.combo.blockSignals(False)
        self._update_enabled()

    def current_profile(self) -> str:
        """Return the selected profile name ('' when none)."""
        return self.combo.currentText() if self.combo.currentIndex() >= 0 else ""

    def set_current(self, name: str) -> None:
        """Select ``name`` without emitting ``profile_selected``."""
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(self.combo.findText(name))
        self.combo.blockSignals(False)
        self._update_enabled()

    def set_busy(self, busy: bool) -> None:
        """Disable profile switching and Check while a check or connection runs."""
        self.combo.setEnabled(not busy)
        self.buttons["check"].setEnabled(not busy and bool(self.current_profile()))

    @property
    def editor_mode(self) -> str:
        """``""`` (closed), ``"rename"``, ``"delete"`` or ``"import"``."""
        return self._mode

    def start_rename(self) -> None:
        """Open the inline rename editor for the selected profile."""
        name = self.current_profile()
        if name:
            self._open_editor("rename", f"Rename '{name}' to:", name, "Rename")

    def start_delete(self) -> None:
        """Open the inline delete confirmation for the selected profile."""
        name = self.current_profile()
        if name:
            self._open_editor(
                "delete", f"Delete profile '{name}' and its stored secrets?", None, "Delete"
            )

    def start_import(self) -> None:
        """Open the inline connection-string editor (input hidden like a password)."""
        self._open_editor("import", "Connection string:", "", "Import")

    def confirm_editor(self) -> None:
        """Act on the inline editor (Enter or the confirm button)."""
        mode, name, text = self._mode, self.current_profile(), self.editor_input.text().strip()
        if mode == "rename" and text and text != name:
            self.rename_requested.emit(name, text)
        elif mode == "delete" and name:
            self.delete_requested.emit(name)
        elif mode == "import" and text:
            self.import_requested.emit(text)
        elif mode:
            return  # nothing valid entered: keep the editor open
        self.cancel_editor()

    def cancel_editor(self) -> None:
        """Close the inline editor and forget what was typed."""
        self._mode = ""
        self.editor_input.clear()
        self.editor.setVisible(False)

    # --- construction ------------------------------------------------------------

    def _make_editor(self) -> None:
        self.editor = QFrame()
        self.editor.setObjectName("profileEditor")
        self.editor_label = QLabel()
        self.editor_input = QLineEdit()
        self.editor_input.setAccessibleName("Profile editor input")
        self.editor_label.setBuddy(self.editor_input)
        self.editor_confirm = QPushButton("OK")
        self.editor_cancel = QPushButton("Cancel")
        self.editor_cancel.setAccessibleName("Cancel")
        row = QHBoxLayout(self.editor)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.editor_label)
        row.addWidget(self.editor_input, 1)
        row.addWidget(self.editor_confirm)
        row.addWidget(self.editor_cancel)
        self.editor.setVisible(False)

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        label = QLabel("Profile:")
        label.setBuddy(self.combo)
        top.addWidget(label)
        top.addWidget(self.combo)
        for key in ("new", "duplicate", "rename", "delete", "import", "export"):
            top.addWidget(self.buttons[key])
        top.addStretch(1)
        top.addWidget(self.buttons["demo"])
        top.addWidget(self.buttons["check"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.editor)
        previous: QWidget = self.combo
        for key, _text, _tip in _BUTTONS:
            self.setTabOrder(previous, self.buttons[key])
            previous = self.buttons[key]
        for widget in (self.editor_input, self.editor_confirm, self.editor_cancel):
            self.setTabOrder(previous, widget)
            previous = widget

    def _connect(self) -> None:
        self.combo.currentTextChanged.connect(self._on_selected)
        self.buttons["new"].clicked.connect(self.new_requested)
        self.buttons["duplicate"].clicked.connect(self.duplicate_requested)
        self.buttons["rename"].clicked.connect(self.start_rename)
        self.buttons["delete"].clicked.connect(self.start_delete)
        self.buttons["import"].clicked.connect(self.start_import)
        self.buttons["export"].clicked.connect(self._on_export)
        self.buttons["demo"].clicked.connect(self.demo_requested)
        self.buttons["check"].clicked.connect(self.check_requested)
        self.editor_input.returnPressed.connect(self.confirm_editor)
        self.editor_confirm.clicked.connect(self.confirm_editor)
        self.editor_cancel.clicked.connect(self.cancel_editor)

    # --- behaviour -----------------------------------------------------------------

    def _open_editor(self, mode: str, label: str, text: str | None, confirm: str) -> None:
        self._mode = mode
        self.editor_label.setText(label)
        self.editor_input.setVisible(text is not None)
        self.editor_input.setText(text or "")
        secret = mode == "import"
        self.editor_input.setEchoMode(
            QLineEdit.EchoMode.Password if secret else QLineEdit.EchoMode.Normal
        )
        self.editor_input.setPlaceholderText(
            "Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…;EntityPath=…" if secret else ""
        )
        self.editor_confirm.setText(confirm)
        self.editor_confirm.setAccessibleName(confirm)
        self.editor.setVisible(True)
        focus = self.editor_input if text is not None else self.editor_confirm
        focus.setFocus(Qt.FocusReason.OtherFocusReason)
        if text:
            self.editor_input.selectAll()

    def _on_selected(self, name: str) -> None:
        self.cancel_editor()
        self._update_enabled()
        if name:
            self.profile_selected.emit(name)

    def _on_export(self) -> None:
        name = self.current_profile()
        if name:
            self.export_requested.emit(name)

    def _update_enabled(self) -> None:
        has = bool(self.current_profile())
        for key in ("duplicate", "rename", "delete", "export", "check"):
            self.buttons[key].setEnabled(has)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape closes the inline editor."""
        if event.key() == Qt.Key.Key_Escape and self._mode:
            self.cancel_editor()
            return
        super().keyPressEvent(event)
