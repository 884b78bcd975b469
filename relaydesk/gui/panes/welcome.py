"""The first-run page: two ways in, one screen deep.

Shown instead of the panes while there is no profile. "Try it offline"
starts the built-in emulator with a listener/sender pair (messages can flow
at once). "Connect to my Azure Relay" opens, on this same page, the address,
one identity for both sides (an Entra app, or a SAS rule, or a pasted
connection string that fills both) and "Save and check": the profile is
saved, the round-trip check runs next to the form, and a pass ends on a
working listener/sender pair, a failure on the failing step's cause and
remedy, with the form still there to fix it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relaydesk.errors import InvalidInput
from relaydesk.gui.panes.check_section import CheckSection
from relaydesk.gui.widgets.elided_label import ElidedLabel

__all__ = ["FIRST_PROFILE", "WelcomePage"]

#: The name of the profile the Azure path saves.
FIRST_PROFILE = "My Azure Relay"

_STYLE = """
#welcomeTitle { font-size: 22px; font-weight: bold; }
#welcomeSubtitle { font-size: 13px; }
QFrame#welcomeCard {
    border: 1px solid palette(mid); border-radius: 6px; background: palette(base);
}
QFrame#welcomeCard QPushButton { min-height: 34px; font-size: 14px; }
"""
_OFFLINE_TEXT = (
    "A local Azure Relay and Entra ID emulator starts with the app: a listener and a "
    "sender connect at once, each with its own app identity. No Azure account needed."
)
_AZURE_TEXT = (
    "Your hybrid connection's address and an identity allowed to listen and send: an "
    "Entra ID app (Azure Relay Owner, or Listener + Sender) or a SAS rule."
)


class WelcomePage(QScrollArea):
    """The greeting and the first connection.

    Signals:
        offline_requested(): "Try it offline" was pressed.
        save_and_check_requested(): the form is valid and "Save and check" was pressed.
    """

    offline_requested = Signal()
    save_and_check_requested = Signal()

    def __init__(self, check_bridge: Any, form: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.form = form
        self.check = CheckSection(check_bridge)
        # The page's own results, always shown; "Save and check" runs it.
        self.check.hide_button.setVisible(False)
        self.check.again_button.setVisible(False)
        self._make_controls()
        self.setWidget(self._layout())
        self._connect()
        form.set_single_identity(True)
        self.setup.setVisible(False)
        self.setStyleSheet(_STYLE)
        self.set_icon(None)

    # --- public ---------------------------------------------------------------------

    def set_icon(self, icon: Any) -> None:
        """Show the app icon next to the title (when there is one)."""
        from PySide6.QtGui import QGuiApplication

        icon = icon if icon is not None and not icon.isNull() else QGuiApplication.windowIcon()
        self.icon.setVisible(not icon.isNull())
        if not icon.isNull():
            self.icon.setPixmap(icon.pixmap(56, 56))

    def open_setup(self) -> None:
        """Show the Azure form (the second way in) and focus its first field."""
        for index in (0, self.body_layout.count() - 1):  # no centring: the form needs the room
            item = self.body_layout.itemAt(index)
            spacer = item.spacerItem() if item is not None else None
            if spacer is not None:
                spacer.changeSize(0, 0)
        self.body_layout.invalidate()
        for label in self._card_texts:  # the two ways in shrink to their buttons
            label.setVisible(False)
        self.more.setVisible(False)
        self.subtitle.setVisible(False)
        self.setup.setVisible(True)
        self.check.setVisible(True)  # the steps to come, then their results
        self.azure_button.setChecked(True)
        self.form.address.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_busy(self, text: str) -> None:
        """Say what is happening (``""``: nothing) and disable the buttons meanwhile."""
        self.status.setText(text)
        for button in (self.offline_button, self.save_button):
            button.setEnabled(not text)

    # --- construction -----------------------------------------------------------------

    def _make_controls(self) -> None:
        self.title = QLabel("Welcome to RelayDesk")
        self.title.setObjectName("welcomeTitle")
        self.subtitle = QLabel(
            "Azure Relay Hybrid Connections: a listener and a sender side by side, "
            "with live tokens, messages and every refusal explained."
        )
        self.subtitle.setObjectName("welcomeSubtitle")
        self.subtitle.setWordWrap(True)
        self.icon = QLabel()
        self.icon.setAccessibleName("RelayDesk")
        self.more = QLabel(
            "Later: Profile → New for more connections, Import… for a connection string, "
            "and Help → About."
        )
        self.more.setObjectName("hint")
        self.offline_button = QPushButton("Try it offline (built-in emulator)")
        self.offline_button.setObjectName("primaryAction")
        self.offline_button.setAccessibleName("Try it offline with the built-in emulator")
        self.azure_button = QPushButton("Connect to my Azure Relay")
        self.azure_button.setCheckable(True)
        self.azure_button.setAccessibleName("Connect to my Azure Relay")
        self.paste = QLineEdit()
        self.paste.setEchoMode(QLineEdit.EchoMode.Password)  # it holds a key
        self.paste.setAccessibleName("Connection string")
        self.paste.setPlaceholderText(
            "Optional: paste a connection string (Endpoint=sb://…;SharedAccessKeyName=…;…)"
        )
        self.paste.setToolTip("Fills the address and a SAS identity; the key goes to the store")
        self.paste_button = QPushButton("Use")
        self.paste_button.setToolTip("Fill the form from the connection string")
        self.paste_error = ElidedLabel()
        self.paste_error.setObjectName("fieldError")
        self.paste_error.setAccessibleName("Connection string problem")
        self.paste_error.setFixedHeight(self.paste_error.fontMetrics().height())
        self.save_button = self.form.save_button
        self.save_button.setText("Save and check")
        self.save_button.setAccessibleName("Save and check the connection")
        self.save_button.setToolTip("Save the profile, then run the round-trip check")
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setAccessibleName("First connection progress")

    def _card(self, button: QPushButton, text: str) -> QFrame:
        card = QFrame()
        card.setObjectName("welcomeCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        label = QLabel(text)
        label.setWordWrap(True)
        self._card_texts.append(label)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        layout.addWidget(button)
        layout.addWidget(label)
        return card

    def _layout(self) -> QWidget:
        self._card_texts: list[QLabel] = []
        cards = QHBoxLayout()
        cards.addWidget(self._card(self.offline_button, _OFFLINE_TEXT), 1)
        cards.addWidget(self._card(self.azure_button, _AZURE_TEXT), 1)
        paste_row = QHBoxLayout()
        paste_row.addWidget(self.paste, 1)
        paste_row.addWidget(self.paste_button)
        left = QVBoxLayout()
        left.addLayout(paste_row)
        left.addWidget(self.paste_error)
        left.addWidget(self.form, 1)
        actions = QHBoxLayout()  # beside the form, so it never scrolls away
        actions.addWidget(self.status, 1)
        actions.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(actions)
        right.addWidget(self.form.general_error)
        right.addWidget(self.check)
        right.addStretch(1)
        self.setup = QWidget()
        columns = QHBoxLayout(self.setup)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        heading = QHBoxLayout()
        heading.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        heading.addLayout(titles, 1)
        body = QWidget()
        body.setObjectName("welcomeBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(32, 16, 32, 12)
        layout.setSpacing(12)
        layout.addStretch(1)  # centred until the form opens (see open_setup)
        layout.addLayout(heading)
        layout.addLayout(cards)
        layout.addWidget(self.setup, 1)
        layout.addWidget(self.more)
        layout.addStretch(1)
        self.body_layout = layout
        return body

    def _connect(self) -> None:
        self.offline_button.clicked.connect(self.offline_requested)
        self.azure_button.clicked.connect(self.open_setup)
        self.paste_button.clicked.connect(self._use_paste)
        self.paste.returnPressed.connect(self._use_paste)
        self.form.save_requested.connect(self.save_and_check_requested)

    def _use_paste(self) -> None:
        try:
            self.form.fill_from_connection_string(self.paste.text())
        except InvalidInput as exc:
            self.paste_error.setText(f"⚠ {exc.reason}")
            return
        self.paste_error.setText("")
        self.paste.clear()  # the key now sits in the form's key field only
