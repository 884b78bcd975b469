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

__all__ = ["ConnectionSection"]


class ConnectionSection(QWidget):
    """Summary line + expandable :class:`ConnectionForm`.

    The form sits in :attr:`form_area`, a scroll area that starts in this
    section's layout; the main window moves it into its vertical splitter, so
    the user can give the form room by dragging, and it scrolls when small.

    Signals:
        save_requested(): the form's Save was pressed and the form is valid.
        expanded_changed(bool): the form was shown or hidden.
    """

    save_requested = Signal()
    expanded_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionSection")
        self.form: Any = None
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
        # Made now (cheap), so it takes its place in the tab order after the
        # toggle; the form inside is built on first use.
        self.form_area = QScrollArea()
        self.form_area.setObjectName("connectionScroll")
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QFrame.Shape.NoFrame)
        self.form_area.setVisible(False)
        self._layout.addWidget(self.form_area)
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
            self.form_area.setWidget(self.form)
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
        self.form_area.setVisible(expanded)
        self.expanded_changed.emit(expanded)

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
