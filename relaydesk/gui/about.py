"""Help → About: version, what the app is, and where to read more (non-modal)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

import relaydesk

__all__ = ["LINKS", "about_box", "about_text"]

LINKS = (
    (
        "Azure Relay Hybrid Connections",
        "https://learn.microsoft.com/azure/azure-relay/relay-what-is-it",
    ),
    (
        "The Hybrid Connections protocol",
        "https://learn.microsoft.com/azure/azure-relay/relay-hybrid-connections-protocol",
    ),
    (
        "Azure Relay roles for Entra ID apps",
        "https://learn.microsoft.com/azure/azure-relay/authenticate-application",
    ),
)


def about_text() -> str:
    """The About box's rich text."""
    links = "".join(f'<li><a href="{url}">{title}</a></li>' for title, url in LINKS)
    return (
        f"<h3>RelayDesk {relaydesk.__version__}</h3>"
        "<p>A desktop utility for Azure Relay Hybrid Connections: a listener and a sender "
        "side by side, Entra ID or SAS, live token expiry, and a local emulator for "
        "offline demos.</p>"
        f"<ul>{links}</ul>"
        "<p>MIT licence. Secrets stay in the OS keyring; the command line is "
        "<code>relaydesk --help</code>.</p>"
    )


def about_box(parent: QWidget) -> QMessageBox:
    """Make the About box; the caller shows it with ``show()`` (never ``exec()``)."""
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle("About RelayDesk")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text())
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    icon = parent.windowIcon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    return box
