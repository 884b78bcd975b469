"""The collapsible connection area: a one-line summary and the connection form.

The summary reads like the product sketch ("Connection: sb://127.0.0.1:50123/demo ✓
Listener: Entra app … · Sender: …"). The :class:`ConnectionForm` is built the
first time it is needed (it pulls in the secrets module and keyring), so the
window appears as fast as a bare one.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["FORM_MAX_HEIGHT", "ConnectionSection"]

#: Pixels the expanded form may take before it scrolls.
FORM_MAX_HEIGHT = 360


class ConnectionSection(QWidget):
    """Summary line + expandable :class:`ConnectionForm`.

    Signals:
        save_requested(): the form's Save was pressed and the form is valid.
    """

    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionSection")
        self.form: Any = None
        self.scroll: Any = None  # QScrollArea around the form, once built
        self._store: Any = None
        self._profile: Any = None
        self._secrets_status: dict[str, bool] | None = None
        self.toggle = QToolButton()
        self.toggle.setText("Connection")
        self.toggle.setCheckable(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAccessibleName("Show the connection form")
        self.toggle.setToolTip("Edit the hybrid connection address and the two identities")
        self.summary = QLabel("No profile selected: press Demo, or New to create one")
        self.summary.setObjectName("connectionSummary")
        self.summary.setAccessibleName("Connection summary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.secret_note = QLabel()
        self.secret_note.setObjectName("hint")
        self.secret_note.setAccessibleName("Where secrets are kept")
        self.secret_note.setVisible(False)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.toggle)
        head.addWidget(self.summary, 1)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addLayout(head)
        self._layout.addWidget(self.secret_note)
        self.toggle.toggled.connect(self.set_expanded)

    # --- public -----------------------------------------------------------------------

    def set_secret_store(self, store: Any) -> None:
        """Use ``store`` for the form; say when secrets are session-only."""
        self._store = store
        if self.form is not None:
            self.form.set_secret_store(store)
        if not store.persistent:
            self.secret_note.setText(
                "No system keyring available: secrets are kept for this session only "
                "(never written to disk)."
            )
        self.secret_note.setVisible(not store.persistent)

    def ensure_form(self) -> Any:
        """Build the form on first use and return it."""
        if self.form is None:
            from relaydesk.gui.widgets.connection_form import ConnectionForm
            from relaydesk.secrets import MemorySecretStore

            self.form = ConnectionForm(self._store or MemorySecretStore())
            self.form.save_requested.connect(self.save_requested)
            # A long form scrolls instead of pushing the window past the screen.
            self.scroll = QScrollArea()
            self.scroll.setObjectName("connectionScroll")
            self.scroll.setWidgetResizable(True)
            self.scroll.setFrameShape(QFrame.Shape.NoFrame)
            self.scroll.setMaximumHeight(FORM_MAX_HEIGHT)
            self.scroll.setWidget(self.form)
            self.scroll.setVisible(self.toggle.isChecked())
            self._layout.addWidget(self.scroll)
            if self._profile is not None:
                self.form.set_profile(self._profile, self._secrets_status)
        return self.form

    def set_expanded(self, expanded: bool) -> None:
        """Show or hide the form."""
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)
            return
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if expanded:
            self.ensure_form()
            self.scroll.setVisible(True)
        elif self.form is not None:
            self.scroll.setVisible(False)

    def show_profile(self, profile: Any, secrets_status: dict[str, bool] | None = None) -> None:
        """Summarise ``profile`` and load it into the form (if built)."""
        self._profile, self._secrets_status = profile, secrets_status
        if profile is None:
            self.summary.setText("No profile selected: press Demo, or New to create one")
            return
        if not profile.address:
            self.summary.setText(f"'{profile.name}': fill in the form below and press Save")
            if self.form is not None:
                self.form.set_profile(profile, secrets_status)
            return
        listener = profile.identity("listener").describe()
        sender = profile.identity("sender").describe()
        self.summary.setText(f"{profile.address}  ·  Listener: {listener}  ·  Sender: {sender}")
        self.summary.setToolTip(f"Profile '{profile.name}'")
        if self.form is not None:
            self.form.set_profile(profile, secrets_status)
