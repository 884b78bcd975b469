"""The connection form: hybrid connection address, the two identities, the proxy.

The address is parsed as you type (``HybridConnectionAddress.parse``, §1) and
its normalised form shown ("✓ sb://127.0.0.1:50123/demo"). Every invalid
field is marked in place (``invalid`` property, reason underneath and in the
tooltip), using :func:`relaydesk.profiles.validation.validate` plus the secret rules of
``form_checks.py``. Save emits :attr:`ConnectionForm.save_requested` only when
everything is valid; the window then stores the profile and
:meth:`ConnectionForm.secrets` in the secret store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relaydesk.errors import InvalidAddress, InvalidField
from relaydesk.gui.models.form_checks import SESSION_LOCATION, form_problems
from relaydesk.gui.widgets.field_row import FieldRow
from relaydesk.gui.widgets.identity_editor import IdentityEditor
from relaydesk.gui.widgets.proxy_editor import ProxyEditor
from relaydesk.gui.widgets.repolish import status_colours
from relaydesk.profiles.model import PROXY_SECRET_SLOT, ROLES, Profile
from relaydesk.protocol.address import HybridConnectionAddress
from relaydesk.secrets import Secret, SecretStore, secret_key

_LOCAL_STYLE = """
QLineEdit[invalid="true"] {{ border: 2px solid {error}; border-radius: 3px; padding: 1px 2px; }}
QLabel#fieldError {{ color: {error}; }}
QLabel#secretLocation, QLabel#addressStatus {{ color: palette(placeholder-text); }}
"""
_ADDRESS_TIP = (
    "The hybrid connection: sb://namespace.servicebus.windows.net/name, "
    "https://…, wss://…/$hc/… or namespace/name"
)


class ConnectionForm(QWidget):
    """Edit a :class:`Profile` (without secrets) and the secrets that go with it.

    Signals:
        save_requested(): Save was pressed and everything is valid.
        changed(): any field was edited.
        validity_changed(bool): the form became valid or invalid.
    """

    save_requested = Signal()
    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, secret_store: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionForm")
        self._name = ""
        self._show_all = False
        self._touched: set[str] = set()
        self._valid: bool | None = None
        self._loading = False
        self._secret_store = secret_store
        store_desc = (secret_store.backend_name, secret_store.persistent)
        self.listener_editor = IdentityEditor("listener", *store_desc)
        self.sender_editor = IdentityEditor("sender", *store_desc)
        self.proxy_editor = ProxyEditor()
        self._make_controls()
        self._layout()
        self._connect()
        self.setStyleSheet(_LOCAL_STYLE.format(**status_colours(self)))
        self.revalidate()

    # --- public ------------------------------------------------------------------

    def set_profile(
        self, profile: Profile, secrets_status: Mapping[str, bool] | None = None
    ) -> None:
        """Show ``profile``; ``secrets_status`` says which roles' secrets are stored.

        Problems of a profile that has an address are shown at once; a blank
        new profile is marked field by field, once the user has changed or left
        a field, or everything on Save. Loading the profile touches nothing.
        """
        status = dict(secrets_status or {})
        self._name = profile.name
        self._loading = True
        try:
            self.address.setText(profile.address)
            self.listener_editor.set_identity(
                profile.listener, secret_stored=status.get("listener", False)
            )
            self.sender_editor.set_identity(
                profile.sender, secret_stored=status.get("sender", False)
            )
            self.same_as_listener.setChecked(profile.sender_same_as_listener)
            self._on_same_toggled(profile.sender_same_as_listener)
            self.proxy_editor.set_config(profile.proxy, password_stored=status.get("proxy", False))
        finally:
            self._loading = False
        self._show_locations()
        self._touched.clear()
        self._show_all = bool(profile.address.strip())
        self.revalidate()

    def draft(self) -> Profile:
        """Return the profile as typed, valid or not."""
        return Profile(
            name=self._name,
            address=self.address.text().strip(),
            listener=self.listener_editor.identity(),
            sender=self.sender_editor.identity(),
            sender_same_as_listener=self.same_as_listener.isChecked(),
            proxy=self.proxy_editor.config(),
        )

    def errors(self) -> list[InvalidField]:
        """Return every problem of the form (empty when it can be saved)."""
        entered: dict[str, bool] = {r: self._editor(r).secret() is not None for r in ROLES}
        stored: dict[str, bool] = {r: self._editor(r).secret_stored for r in ROLES}
        return form_problems(self.draft(), entered, stored)

    def profile(self) -> Profile:
        """Return the valid, normalised profile.

        Raises:
            InvalidField: the first problem (all are in :meth:`errors`).
        """
        problems = self.errors()
        if problems:
            raise problems[0]
        draft = self.draft()
        return replace(draft, address=HybridConnectionAddress.parse(draft.address).sb_uri)

    def secrets(self) -> dict[str, Secret]:
        """Return the secrets typed in the form by role (only those entered)."""
        result: dict[str, Secret] = {}
        for role in ROLES:
            if role == "sender" and self.same_as_listener.isChecked():
                continue
            secret = self._editor(role).secret()
            if secret is not None:
                result[role] = secret
        proxy_password = self.proxy_editor.secret()
        if proxy_password is not None:
            result[PROXY_SECRET_SLOT] = proxy_password
        return result

    def set_secret_store(self, secret_store: SecretStore) -> None:
        """Switch to another store (e.g. session-only after a keyring failure)."""
        self._secret_store = secret_store
        self._show_locations()

    def _show_locations(self) -> None:
        """Say under each secret field where its secret is kept.

        A secret the store holds for this session only (the demo's, minted by
        its emulator at every start) is said to be in memory, whatever the
        keyring is.
        """
        store = self._secret_store
        session_only = getattr(store, "session_only", None)
        for role in ROLES:
            if session_only is not None and session_only(secret_key(self._name, role)):
                self._editor(role).set_location(SESSION_LOCATION, True)
            else:
                self._editor(role).set_location(store.backend_name, store.persistent)

    def set_single_identity(self, single: bool) -> None:
        """One identity for both sides (first run): the sender's box goes away."""
        self.same_as_listener.setChecked(single or self.same_as_listener.isChecked())
        self.sender_box.setVisible(not single)
        self.listener_box.setTitle(
            "Identity (the listener's and the sender's)" if single else "Listener identity"
        )

    def fill_from_connection_string(self, text: str) -> None:
        """Fill the address and a SAS identity from a pasted connection string (§9.1).

        The key goes into the key field (as if typed), never into the profile.
        Without ``EntityPath`` the address is the namespace and the form asks
        for the hybrid connection's name.

        Raises:
            InvalidConnectionString: the text is not one; names the field.
            InvalidField: it holds only a fixed SharedAccessSignature (expires).
        """
        from relaydesk.protocol.connection_string import parse_connection_string

        parsed = parse_connection_string(text)
        if not parsed.key_name or not parsed.key:
            what = (
                "it holds a fixed SharedAccessSignature, which expires"
                if parsed.shared_access_signature
                else "it has no SharedAccessKeyName and SharedAccessKey"
            )
            raise InvalidField(
                "connection_string",
                f"{what}; copy a shared access policy's connection string from the portal",
            )
        self.address.setText(parsed.address().sb_uri if parsed.entity_path else parsed.endpoint)
        editor = self.listener_editor
        editor.kind_combo.setCurrentIndex(editor.kind_combo.findData("sas"))
        editor.sas_key_name.setText(parsed.key_name)
        editor.sas_key.setText(parsed.key)
        self.same_as_listener.setChecked(True)
        self._touched.update({"address", "listener.sas_key_name", "listener.sas_key"})
        self.revalidate()

    def field_error(self, field: str) -> str:
        """Return the reason shown for ``field`` (``"address"``, ``"listener.client_id"`` …)."""
        if field == "address":
            return self.address_row.error
        role, _, name = field.partition(".")
        row = self._editor(role).rows.get(name) if role in ROLES else None
        return row.error if row is not None else ""

    def is_valid(self) -> bool:
        """True when Save would emit :attr:`save_requested`."""
        return not self.errors()

    def request_save(self) -> bool:
        """Validate everything; emit :attr:`save_requested` if valid, else mark and focus."""
        self._show_all = True
        problems = self.revalidate()
        if problems:
            self._focus(problems[0].field)
            return False
        self.save_requested.emit()
        return True

    def revalidate(self) -> list[InvalidField]:
        """Re-check every field and update the marks; return the problems."""
        problems = self.errors()
        shown = [p for p in problems if self._show_all or p.field in self._touched]
        self._mark(shown)
        self._show_address_status()
        valid = not problems
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
        names = [p for p in problems if p.field == "name"]
        self.general_error.setText(f"⚠ {names[0].reason}" if names else "")
        self.general_error.setVisible(bool(names))
        return problems

    # --- construction ------------------------------------------------------------

    def _make_controls(self) -> None:
        self.address = QLineEdit()
        self.address.setObjectName("address")
        self.address.setAccessibleName("Hybrid connection address")
        self.address.setPlaceholderText("sb://namespace.servicebus.windows.net/hybrid-connection")
        self.address_status = QLabel()
        self.address_status.setObjectName("addressStatus")
        self.address_status.setAccessibleName("Normalised address")
        self.address_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address_row = FieldRow(self.address, tooltip=_ADDRESS_TIP)
        self.same_as_listener = QCheckBox("Same as listener")
        self.same_as_listener.setAccessibleName("Sender uses the listener's identity")
        self.same_as_listener.setToolTip("Use the listener's identity and secret for the sender")
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primaryAction")
        self.save_button.setAccessibleName("Save profile")
        self.save_button.setToolTip("Save the profile; secrets go to the secret store only")
        self.general_error = QLabel()
        self.general_error.setObjectName("fieldError")
        self.general_error.setVisible(False)

    def _layout(self) -> None:
        top = QFormLayout()
        top.addRow("Hybrid connection:", self.address_row)
        top.addRow("", self.address_status)
        listener_box = self.listener_box = QGroupBox("Listener identity")
        QVBoxLayout(listener_box).addWidget(self.listener_editor)
        sender_box = self.sender_box = QGroupBox("Sender identity")
        sender_layout = QVBoxLayout(sender_box)
        sender_layout.addWidget(self.same_as_listener)
        sender_layout.addWidget(self.sender_editor)
        sender_layout.addStretch(1)
        identities = QHBoxLayout()
        identities.addWidget(listener_box, 1)
        identities.addWidget(sender_box, 1)
        proxy_box = self.proxy_box = QGroupBox("Network: proxy")
        QVBoxLayout(proxy_box).addWidget(self.proxy_editor)
        buttons = QHBoxLayout()
        buttons.addWidget(self.general_error, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(identities)
        layout.addWidget(proxy_box)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def _connect(self) -> None:
        self.address.textChanged.connect(lambda _t: self._edited("address"))
        self.address.editingFinished.connect(lambda: self._edited("address"))
        for role in ROLES:
            editor = self._editor(role)
            editor.field_changed.connect(lambda name, r=role: self._edited(f"{r}.{name}"))
            editor.field_left.connect(lambda name, r=role: self._edited(f"{r}.{name}"))
        self.proxy_editor.field_changed.connect(lambda name: self._edited(f"proxy.{name}"))
        self.same_as_listener.toggled.connect(self._on_same_toggled)
        self.save_button.clicked.connect(self.request_save)
        self.address.returnPressed.connect(self.request_save)

    # --- behaviour -----------------------------------------------------------------

    def _editor(self, role: str) -> IdentityEditor:
        return self.listener_editor if role == "listener" else self.sender_editor

    def _edited(self, field: str) -> None:
        """The user changed or left ``field``: from now on its problems show."""
        if self._loading:
            return
        self._touched.add(field)
        self.revalidate()
        self.changed.emit()

    def _on_same_toggled(self, same: bool) -> None:
        self.sender_editor.setVisible(not same)
        if not self._loading:
            self.revalidate()
            self.changed.emit()

    def _mark(self, problems: list[InvalidField]) -> None:
        reasons = {p.field: p.reason for p in reversed(problems)}
        self.address_row.set_error(reasons.get("address", ""))
        for role in ROLES:
            editor = self._editor(role)
            for name in ["kind", *editor.rows]:
                editor.set_error(name, reasons.get(f"{role}.{name}", ""))
        for name in self.proxy_editor.rows:
            self.proxy_editor.set_error(name, reasons.get(f"proxy.{name}", ""))

    def _show_address_status(self) -> None:
        text = self.address.text()
        try:
            normalised = HybridConnectionAddress.parse(text).sb_uri
        except InvalidAddress:
            self.address_status.setText("")
            return
        self.address_status.setText(f"✓ {normalised}")

    def _focus(self, field: str) -> None:
        if field == "address":
            self.address.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        role, _, name = field.partition(".")
        if role in ROLES:
            editor = self._editor(role).field_editor(name)
            if editor is not None:
                editor.setFocus(Qt.FocusReason.OtherFocusReason)
