"""The connection line of the main window: a one-line summary and "Edit connection…".

The summary reads like the product sketch ("sb://127.0.0.1:50123/demo ·
Listener: Entra app … · Sender: …"), elided to the window's width. The
:class:`ConnectionForm` lives in a window of its own
(:class:`~relaydesk.gui.panes.connection_editor.ConnectionEditor`), built the
first time it is needed (it pulls in the secrets module and keyring), so the
main window appears as fast as a bare one and editing never takes the room of
the panes or the timeline.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from relaydesk.gui.widgets.elided_label import ElidedLabel

__all__ = ["ConnectionSection"]

_NO_PROFILE = "No profile selected: press Demo, or New to create one"
_SESSION_NOTE = (
    "No system keyring available: secrets are kept for this session only (never written to disk)."
)


class ConnectionSection(QWidget):
    """Summary line + the button that opens the connection editor.

    Signals:
        save_requested(object, object): the form's Save was pressed and the form is
            valid: its :class:`Profile` and its secrets (role → Secret).
        expanded_changed(bool): the editor was shown or closed.
    """

    save_requested = Signal(object, object)
    expanded_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionSection")
        self.form: Any = None
        self.editor: Any = None
        self._store: Any = None
        self._profile: Any = None
        self._secrets_status: dict[str, bool] | None = None
        self.toggle = QPushButton("Edit connection…")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName("Edit the connection")
        self.toggle.setToolTip(
            "Edit the hybrid connection address and the two identities (in their own window)"
        )
        self.summary = ElidedLabel(_NO_PROFILE)
        self.summary.setObjectName("connectionSummary")
        self.summary.setAccessibleName("Connection summary")
        head = QHBoxLayout(self)
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.toggle)
        head.addWidget(self.summary, 1)
        self.toggle.toggled.connect(self.set_expanded)

    # --- public -----------------------------------------------------------------------

    @property
    def expanded(self) -> bool:
        """True while the editor window is open."""
        return self.toggle.isChecked()

    @property
    def form_area(self) -> Any:
        """The editor's scroll area around the form (``None`` until first opened)."""
        return self.editor.scroll_area if self.editor is not None else None

    @property
    def secret_note(self) -> Any:
        """The editor's "kept for this session only" note (builds the editor)."""
        self.ensure_form()
        return self.editor.secret_note

    def set_secret_store(self, store: Any) -> None:
        """Use ``store`` for the form; the editor says when secrets are session-only."""
        self._store = store
        if self.form is not None:
            self.form.set_secret_store(store)
            self._show_store_note()

    def ensure_form(self) -> Any:
        """Build the form and its editor window on first use and return the form."""
        if self.form is None:
            from relaydesk.gui.panes.connection_editor import ConnectionEditor
            from relaydesk.gui.widgets.connection_form import ConnectionForm
            from relaydesk.secrets import MemorySecretStore

            self.form = ConnectionForm(self._store or MemorySecretStore())
            self.form.save_requested.connect(self._on_save)
            self.editor = ConnectionEditor(self.form, self.window())
            self.editor.closed.connect(lambda: self.set_expanded(False))
            self._show_store_note()
            if self._profile is not None:
                self.form.set_profile(self._profile, self._secrets_status)
                self.editor.set_title(f"Profile '{self._profile.name}'")
        return self.form

    def set_expanded(self, expanded: bool) -> None:
        """Open or close the editor window (non-modal)."""
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)
            return
        if expanded:
            self.ensure_form()
            if not self.editor.isVisible():
                self.editor.open_fitted()
            else:
                self.editor.raise_()
        elif self.editor is not None and self.editor.isVisible():
            self.editor.hide()
        self.expanded_changed.emit(expanded)

    def show_profile(self, profile: Any, secrets_status: dict[str, bool] | None = None) -> None:
        """Summarise ``profile`` and load it into the form (if built)."""
        self._profile, self._secrets_status = profile, secrets_status
        if profile is None:
            self.summary.setText(_NO_PROFILE)
            return
        if self.form is not None:
            self.form.set_profile(profile, secrets_status)
            self.editor.set_title(f"Profile '{profile.name}'")
        if not profile.address:
            self.summary.setText(f"'{profile.name}': fill in the connection and press Save")
            return
        listener = profile.identity("listener").describe()
        sender = profile.identity("sender").describe()
        self.summary.setText(f"{profile.address}  ·  Listener: {listener}  ·  Sender: {sender}")

    # --- internals -----------------------------------------------------------------------

    def _on_save(self) -> None:
        self.save_requested.emit(self.form.profile(), self.form.secrets())

    def _show_store_note(self) -> None:
        persistent = self._store is None or self._store.persistent
        self.editor.secret_note.setText("" if persistent else _SESSION_NOTE)
        self.editor.secret_note.setVisible(not persistent)
