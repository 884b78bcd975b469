"""One identity (listener or sender) in the connection form.

Entra ID app (tenant, client id, client secret, cloud, advanced: authority
host, trusted CA file, scope), Entra ID user signing in with the browser or a
device code (tenant, optional client id, cloud, advanced; no secret at all),
SAS key (rule name + key) or, for senders only, anonymous. Secrets are typed
into password-mode fields and handed out as :class:`~relaydesk.secrets.Secret`;
they are never put into the profile.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from relaydesk.gui.models.form_checks import secret_location
from relaydesk.gui.widgets.elided_label import ElidedLabel
from relaydesk.gui.widgets.field_row import FieldRow
from relaydesk.profiles.model import IdentityConfig, IdentityKind
from relaydesk.protocol.clouds import CLOUDS, DEFAULT_CLOUD
from relaydesk.secrets import Secret

#: (label, combo data): a person signing in is kind "user" with its sign-in after ":".
KINDS: tuple[tuple[str, str], ...] = (
    ("Entra ID app", "entra"),
    ("Entra ID user: sign in with the browser", "user:browser"),
    ("Entra ID user: sign in with a device code", "user:device_code"),
    ("SAS key", "sas"),
    ("Anonymous sender", "anonymous"),
)
_ENTRA_ROWS = ("tenant_id", "client_id", "client_secret", "cloud", "advanced")
_USER_ROWS = ("tenant_id", "client_id", "cloud", "advanced")
_DEFAULT_CLIENT_HINT = "optional: default is the Azure CLI public client"
_SAS_ROWS = ("sas_key_name", "sas_key")
_ADVANCED_ROWS = ("authority_host", "ca_file", "scope")
_TIPS = {
    "tenant_id": "Directory (tenant) ID: a GUID or a domain such as contoso.onmicrosoft.com",
    "client_id": "Application (client) ID of the app registration",
    "client_secret": "The app registration's client secret (kept in the OS keyring)",
    "sas_key_name": "Shared access policy name, e.g. RootManageSharedAccessKey",
    "sas_key": "The policy's primary or secondary key (kept in the OS keyring)",
    "authority_host": "Leave empty for the cloud's default, e.g. https://login.microsoftonline.com",
    "ca_file": "An extra CA certificate (PEM) to trust, e.g. the local emulator's",
    "scope": "Leave empty for the default https://relay.azure.net/.default",
}


class IdentityEditor(QWidget):
    """Edit one :class:`IdentityConfig` and its secret.

    Signals:
        changed(): any field was edited.
        field_changed(str): the named field (``"tenant_id"``, ``"kind"`` …) changed.
        field_left(str): the user left the named field (focus out or Enter).
    """

    changed = Signal()
    field_changed = Signal(str)
    field_left = Signal(str)

    def __init__(
        self,
        role: str,
        backend_name: str = "memory",
        persistent: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{role}Identity")
        self.role = role
        self.rows: dict[str, FieldRow] = {}
        self._stored = False
        self._store_desc = (backend_name, persistent)
        self._dialog: QFileDialog | None = None
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self._make_kind()
        self.tenant_id = self._line("tenant_id", "Tenant ID")
        self.client_id = self._line("client_id", "Client ID")
        self.client_secret = self._secret("client_secret", "Client secret")
        self._make_cloud()
        self._make_advanced()
        self.sas_key_name = self._line("sas_key_name", "SAS key name")
        self.sas_key = self._secret("sas_key", "SAS key")
        self._on_kind()
        self._update_notes()

    # --- public ------------------------------------------------------------------

    def kind(self) -> IdentityKind:
        """The selected identity kind."""
        kind: IdentityKind = str(self.kind_combo.currentData()).split(":")[0]  # type: ignore[assignment]
        return kind

    def sign_in(self) -> str:
        """How a ``"user"`` signs in (``"browser"`` or ``"device_code"``)."""
        _, _, how = str(self.kind_combo.currentData()).partition(":")
        return how or "browser"

    def identity(self) -> IdentityConfig:
        """Return the identity as typed (not validated; empty optional fields → None)."""
        return IdentityConfig(
            kind=self.kind(),
            tenant_id=self.tenant_id.text().strip(),
            client_id=self.client_id.text().strip(),
            cloud=str(self.cloud_combo.currentData()),
            authority_host=_optional(self.authority_host),
            ca_file=_optional(self.ca_file),
            scope=_optional(self.scope),
            sas_key_name=self.sas_key_name.text().strip(),
            sign_in=self.sign_in(),
        )

    def set_identity(self, identity: IdentityConfig, *, secret_stored: bool) -> None:
        """Show ``identity``; the secret fields are cleared (a stored one is kept)."""
        data = f"user:{identity.sign_in}" if identity.kind == "user" else identity.kind
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(data)))
        self.tenant_id.setText(identity.tenant_id)
        self.client_id.setText(identity.client_id)
        self.cloud_combo.setCurrentIndex(max(0, self.cloud_combo.findData(identity.cloud)))
        self.authority_host.setText(identity.authority_host or "")
        self.ca_file.setText(identity.ca_file or "")
        self.scope.setText(identity.scope or "")
        self.sas_key_name.setText(identity.sas_key_name)
        self.client_secret.clear()
        self.sas_key.clear()
        self.set_secret_stored(secret_stored)
        has_advanced = any((identity.authority_host, identity.ca_file, identity.scope))
        self.advanced_button.setChecked(has_advanced)

    def set_secret_stored(self, stored: bool) -> None:
        """Say whether the store already holds this identity's secret (empty field keeps it)."""
        self._stored = stored
        hint = "•••••• stored; type to replace" if stored else ""
        self.client_secret.setPlaceholderText(hint)
        self.sas_key.setPlaceholderText(hint)
        self._update_notes()

    @property
    def secret_stored(self) -> bool:
        """True when the store already holds this identity's secret."""
        return self._stored

    def secret(self) -> Secret | None:
        """Return the secret typed for the selected kind, or ``None``."""
        field = {"entra": self.client_secret, "sas": self.sas_key}.get(self.kind())
        text = field.text() if field is not None else ""
        return Secret(text) if text else None

    def set_location(self, backend_name: str, persistent: bool) -> None:
        """Say which secret store Save uses (the notes under the secret fields)."""
        self._store_desc = (backend_name, persistent)
        self._update_notes()

    def _update_notes(self) -> None:
        backend, persistent = self._store_desc
        for name, edit in (("client_secret", self.client_secret), ("sas_key", self.sas_key)):
            label = self.rows[name].findChild(QLabel, "secretLocation")
            if label is not None:
                label.setText(
                    secret_location(
                        backend, persistent, stored=self._stored, typed=bool(edit.text())
                    )
                )

    def set_error(self, field: str, reason: str) -> None:
        """Mark ``field`` (``"tenant_id"`` …) invalid with ``reason``; ``""`` clears it."""
        if field == "kind":
            self.kind_error.setText(f"⚠ {reason}" if reason else "")
        elif field in self.rows:
            self.rows[field].set_error(reason)
            if reason and field in _ADVANCED_ROWS:
                self.advanced_button.setChecked(True)

    def field_editor(self, field: str) -> QWidget | None:
        """Return the editor widget of ``field`` (for focusing the first problem)."""
        if field == "kind":
            return self.kind_combo
        row = self.rows.get(field)
        return row.editor if row is not None else None

    def allow_anonymous(self, allowed: bool) -> None:
        """Offer "Anonymous sender" only for the sender."""
        index = self.kind_combo.findData("anonymous")
        if allowed and index < 0:
            self.kind_combo.addItem(*KINDS[-1])
        elif not allowed and index >= 0:
            self.kind_combo.removeItem(index)

    # --- construction ------------------------------------------------------------

    def _make_kind(self) -> None:
        self.kind_combo = QComboBox()
        for text, kind in KINDS:
            self.kind_combo.addItem(text, kind)
        self.kind_combo.setAccessibleName(f"{self.role} authentication")
        self.kind_combo.setToolTip("How this side authenticates to Azure Relay")
        self.kind_error = ElidedLabel()  # always one line: the fields below never move
        self.kind_error.setObjectName("fieldError")
        self.kind_error.setFixedHeight(self.kind_error.fontMetrics().height())
        self.form.addRow("Authentication:", self.kind_combo)
        self.form.addRow("", self.kind_error)
        self.kind_combo.currentIndexChanged.connect(self._on_kind)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self.field_changed.emit("kind"))
        self.allow_anonymous(self.role == "sender")

    def _line(
        self, name: str, label: str, *trailing: QWidget, note: QWidget | None = None
    ) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(f"{self.role} {label}")
        row = FieldRow(edit, *trailing, tooltip=_TIPS.get(name, ""), note=note)
        self.rows[name] = row
        self.form.addRow(f"{label}:", row)
        edit.textChanged.connect(lambda _t: self.field_changed.emit(name))
        edit.textChanged.connect(self.changed)
        edit.editingFinished.connect(lambda: self.field_left.emit(name))
        return edit

    def _secret(self, name: str, label: str) -> QLineEdit:
        note = QLabel()
        note.setObjectName("secretLocation")
        note.setAccessibleName(f"{label} storage")
        edit = self._line(name, label, note=note)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.textChanged.connect(self._update_notes)
        return edit

    def _make_cloud(self) -> None:
        self.cloud_combo = QComboBox()
        for cloud in CLOUDS.values():
            self.cloud_combo.addItem(cloud.title, cloud.name)
        self.cloud_combo.setCurrentIndex(self.cloud_combo.findData(DEFAULT_CLOUD))
        self.cloud_combo.setAccessibleName(f"{self.role} cloud")
        self.cloud_combo.setToolTip("Which Azure cloud issues the tokens")
        row = FieldRow(self.cloud_combo)
        self.rows["cloud"] = row
        self.form.addRow("Cloud:", row)
        self.cloud_combo.currentIndexChanged.connect(self.changed)
        self.cloud_combo.currentIndexChanged.connect(lambda _i: self.field_changed.emit("cloud"))

    def _make_advanced(self) -> None:
        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setAccessibleName(f"{self.role} advanced settings")
        self.advanced_button.setToolTip("Authority host, trusted CA file and scope")
        self.form.addRow("", self.advanced_button)
        self.authority_host = self._line("authority_host", "Authority host")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setAccessibleName(f"{self.role} browse for CA file")
        self.browse_button.setToolTip("Pick a PEM certificate file")
        self.ca_file = self._line("ca_file", "Trusted CA file", self.browse_button)
        self.scope = self._line("scope", "Scope")
        self.advanced_button.toggled.connect(self._on_advanced)
        self.browse_button.clicked.connect(self.open_ca_dialog)
        self._on_advanced(False)

    # --- behaviour -----------------------------------------------------------------

    def open_ca_dialog(self) -> QFileDialog:
        """Open a non-modal file dialog; the chosen file goes into the CA field."""
        if self._dialog is None:
            dialog = QFileDialog(self, "Trusted CA certificate", "", "PEM (*.pem *.crt);;All (*)")
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.setWindowModality(Qt.WindowModality.NonModal)
            dialog.fileSelected.connect(self.ca_file.setText)
            self._dialog = dialog
        self._dialog.show()
        return self._dialog

    def _on_kind(self, _index: int = 0) -> None:
        kind = self.kind()
        for name in _ENTRA_ROWS:
            self._set_row_visible(name, kind == "entra" or (kind == "user" and name in _USER_ROWS))
        self.client_id.setPlaceholderText(_DEFAULT_CLIENT_HINT if kind == "user" else "")
        for name in _SAS_ROWS:
            self._set_row_visible(name, kind == "sas")
        self._on_advanced(self.advanced_button.isChecked())
        self.changed.emit()

    def _on_advanced(self, shown: bool) -> None:
        self.advanced_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        visible = shown and self.kind() in ("entra", "user")
        for name in _ADVANCED_ROWS:
            self._set_row_visible(name, visible)

    def _set_row_visible(self, name: str, visible: bool) -> None:
        if name == "advanced":
            self.form.setRowVisible(self.advanced_button, visible)
            return
        self.form.setRowVisible(self.rows[name], visible)


def _optional(edit: QLineEdit) -> str | None:
    text = edit.text().strip()
    return text or None
