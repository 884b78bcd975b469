"""A person signing in: progress, the device code shown large, Cancel.

Shown in its own non-modal window while an Entra ID user signs in (never an
``exec()`` dialog): "waiting for the browser" with a busy bar, or the device
code in large type with a Copy button and the verification link, and a
Cancel button that ends the sign-in. It holds no secret: the code is single
use, short lived and meant to be read out.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["SignInPanel"]


class SignInPanel(QWidget):
    """Follows one sign-in (:class:`relaydesk.auth.user_provider.SignInProgress`).

    Signals:
        cancel_requested(): the person pressed Cancel.
        close_requested(): the sign-in is over and the person pressed Close.
    """

    cancel_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInPanel")
        self.setWindowTitle("Sign in — RelayDesk")
        layout = QVBoxLayout(self)
        # The window grows with what it shows (the code appears after "started").
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.setSpacing(10)
        self.title = QLabel("Signing in…")
        self.title.setObjectName("signInTitle")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Sign-in status")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # busy: no percentage to show
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Signing in")
        self.code = QLabel()
        self.code.setObjectName("deviceCode")
        self.code.setAccessibleName("Device code")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        code_font = QFont("monospace")
        code_font.setStyleHint(QFont.StyleHint.Monospace)
        code_font.setPointSizeF(max(24.0, self.font().pointSizeF() * 2.6))
        code_font.setBold(True)
        code_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self.code.setFont(code_font)
        self.link = QLabel()
        self.link.setObjectName("verificationLink")
        self.link.setAccessibleName("Where to enter the code")
        self.link.setOpenExternalLinks(True)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.link.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.copy_button = QPushButton("Copy code")
        self.copy_button.setAccessibleName("Copy the device code")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the sign-in")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.cancel_button)
        for widget in (self.title, self.status, self.busy, self.code, self.link):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.copy_button.clicked.connect(self.copy_code)
        self.cancel_button.clicked.connect(self._on_cancel)
        self._over = False
        self._show_code(None)

    def show_progress(self, progress: Any) -> None:
        """Show ``progress`` (a ``SignInProgress``)."""
        who = "in your browser" if progress.flow == "browser" else "with a code on any device"
        if progress.stage == "started":
            self._over = False
            self.title.setText("Signing in…")
            self.status.setText(f"Sign in {who}. RelayDesk waits here; Cancel stops it.")
            self._show_code(None)
        elif progress.stage == "device_code" and progress.prompt is not None:
            prompt = progress.prompt
            minutes = max(1, round(prompt.expires_in / 60))
            self.title.setText("Enter this code to sign in")
            self.status.setText(
                f"Open the page below on any device, enter the code and sign in "
                f"(valid {minutes} min)."
            )
            self._show_code(prompt.user_code, prompt.verification_uri)
        elif progress.stage == "finished":
            self._finish("Signed in", "You are signed in; later starts renew silently.")
        elif progress.stage == "failed":
            self._finish("Sign-in did not finish", progress.error or "The sign-in ended.")

    def copy_code(self) -> None:
        """Put the device code on the clipboard."""
        if self.code.text():
            QGuiApplication.clipboard().setText(self.code.text())
            self.copy_button.setText("Copied")

    def _show_code(self, code: str | None, uri: str = "") -> None:
        self.code.setText(code or "")
        self.code.setVisible(bool(code))
        self.copy_button.setVisible(bool(code))
        self.copy_button.setText("Copy code")
        self.link.setText(f"<a href='{uri}'>{uri}</a>" if uri else "")
        self.link.setVisible(bool(uri))
        self.busy.setVisible(True)
        self.cancel_button.setText("Cancel")

    def _finish(self, title: str, text: str) -> None:
        self._over = True
        self.title.setText(title)
        self.status.setText(text)
        self._show_code(None)
        self.busy.setVisible(False)
        self.cancel_button.setText("Close")

    def _on_cancel(self) -> None:
        if self._over:
            self.close_requested.emit()
        else:
            self.cancel_requested.emit()
