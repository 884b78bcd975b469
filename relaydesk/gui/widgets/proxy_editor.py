"""The proxy part of a profile: mode, proxy URL, user name and password.

Three modes (see :mod:`relaydesk.proxy`): System (``HTTPS_PROXY``/``NO_PROXY``,
else the OS settings), a proxy of the user's choosing, or none. The password
goes to the secret store with the profile's other secrets, never into the
profile, and is never shown back: a stored one shows as a placeholder.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget

from relaydesk.gui.widgets.field_row import FieldRow
from relaydesk.profiles.model import ProxyConfig
from relaydesk.secrets import Secret

__all__ = ["ProxyEditor"]

_MODES = (
    ("system", "System"),
    ("explicit", "This proxy"),
    ("none", "No proxy (direct)"),
)
_URL_TIP = "http://proxy.example.com:3128 or socks5://host:1080; no user or password here"


class ProxyEditor(QWidget):
    """Edit a :class:`ProxyConfig` and the proxy password.

    Signals:
        field_changed(str): a field was edited (``mode``, ``url``, ``username``, ``password``).
    """

    field_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("proxyEditor")
        self.mode_combo = QComboBox()
        self.mode_combo.setAccessibleName("Proxy mode")
        for value, label in _MODES:
            self.mode_combo.addItem(label, value)
        self.url = QLineEdit()
        self.url.setAccessibleName("Proxy URL")
        self.url.setPlaceholderText("http://proxy.example.com:3128")
        self.username = QLineEdit()
        self.username.setAccessibleName("Proxy user name")
        self.username.setPlaceholderText("only if the proxy asks for one")
        self.password = QLineEdit()
        self.password.setAccessibleName("Proxy password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.rows = {
            "mode": FieldRow(self.mode_combo),
            "url": FieldRow(self.url, tooltip=_URL_TIP),
            "username": FieldRow(self.username),
            "password": FieldRow(self.password),
        }
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for row, pairs in enumerate(
            (
                (("Mode:", "mode"), ("Proxy:", "url")),
                (("User:", "username"), ("Password:", "password")),
            )
        ):
            for column, (label, name) in enumerate(pairs):
                caption = QLabel(label)
                caption.setMinimumHeight(self.rows[name].editor.sizeHint().height())
                layout.addWidget(caption, row, column * 2, Qt.AlignmentFlag.AlignTop)
                layout.addWidget(self.rows[name], row, column * 2 + 1)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 2)
        self.mode_combo.currentIndexChanged.connect(lambda _i: self._changed("mode"))
        self.url.textEdited.connect(lambda _t: self._changed("url"))
        self.username.textEdited.connect(lambda _t: self._changed("username"))
        self.password.textEdited.connect(lambda _t: self._changed("password"))
        self._password_stored = False
        self._enable()

    def set_config(self, config: ProxyConfig, *, password_stored: bool = False) -> None:
        """Show ``config``; a stored password shows as a placeholder, never its value."""
        index = self.mode_combo.findData(config.mode)
        self.mode_combo.setCurrentIndex(max(index, 0))
        self.url.setText(config.url or "")
        self.username.setText(config.username or "")
        self.password.clear()
        self._password_stored = password_stored
        self.password.setPlaceholderText("stored in the secret store" if password_stored else "")
        self._enable()

    def config(self) -> ProxyConfig:
        """The configuration as typed (validated with the profile)."""
        mode = str(self.mode_combo.currentData())
        url = self.url.text().strip() if mode == "explicit" else ""
        user = self.username.text().strip() if mode != "none" else ""
        return ProxyConfig(mode=mode, url=url or None, username=user or None)

    def secret(self) -> Secret | None:
        """The password typed now (``None`` when left empty)."""
        text = self.password.text()
        return Secret(text) if text and self.config().username else None

    def set_error(self, name: str, reason: str) -> None:
        row = self.rows.get(name)
        if row is not None:
            row.set_error(reason)

    def _changed(self, name: str) -> None:
        self._enable()
        self.field_changed.emit(name)

    def _enable(self) -> None:
        mode = self.mode_combo.currentData()
        self.url.setEnabled(mode == "explicit")
        self.username.setEnabled(mode != "none")
        self.password.setEnabled(mode != "none" and bool(self.username.text().strip()))
        notes = {
            "system": "HTTPS_PROXY / ALL_PROXY and NO_PROXY, else the OS settings; "
            "set NO_PROXY=127.0.0.1,localhost to reach a local emulator directly",
            "explicit": "Every connection (Entra sign-in, listener, sender) goes through it",
            "none": "Connections go direct, whatever the environment says",
        }
        self.mode_combo.setToolTip(notes.get(str(mode), ""))
