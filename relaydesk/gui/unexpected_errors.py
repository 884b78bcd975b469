"""The "Something went wrong" dialog and the reporter behind it.

Unexpected exceptions (``sys.excepthook`` and the asyncio loop's exception
handler) are logged with their traceback and shown in a non-modal dialog
whose "Copy details" button puts the report on the clipboard. Nothing is
swallowed silently, and no dialog is ever ``exec()``-ed (it would nest an
event loop under the running coroutine; see the platform notes).

Kept apart from :mod:`relaydesk.gui.errors` (the wording of *expected*
failures, which needs the relay package) because the app installs the
reporter before its first paint: this module imports only Qt and the
standard library, so start-up does not pay for the relay core.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relaydesk import __version__

if TYPE_CHECKING:
    import asyncio

__all__ = ["ErrorDialog", "UnexpectedErrorReporter"]

log = logging.getLogger(__name__)


class ErrorDialog(QDialog):
    """Non-modal "Something went wrong" with the details and "Copy details"."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        from PySide6.QtCore import Qt  # not at the top: its first use costs ~20 ms

        super().__init__(parent)
        self.setWindowTitle("RelayDesk — something went wrong")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.details = details
        self._build_ui(summary)

    def _build_ui(self, summary: str) -> None:
        layout = QVBoxLayout(self)
        head = QLabel(
            f"<b>Something went wrong.</b><br>{_escape(summary)}<br>"
            "RelayDesk keeps running; please copy the details into a bug report."
        )
        head.setWordWrap(True)
        layout.addWidget(head)
        text = QPlainTextEdit(self.details)
        text.setReadOnly(True)
        text.setAccessibleName("Error details")
        text.setMinimumSize(520, 200)
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setToolTip("Copy the error report to the clipboard")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        """Put the report on the clipboard."""
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(self.details)


def _escape(text: str) -> str:
    """Escape text for a rich-text label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class UnexpectedErrorReporter:
    """Route unexpected exceptions to the log and a non-modal dialog.

    Installed by ``gui/app.py`` as ``sys.excepthook`` and as the asyncio loop's
    exception handler. ``reports`` keeps every summary (tests and the
    self-test read it to fail on unexpected errors).
    """

    def __init__(self, parent: Callable[[], QWidget | None] = lambda: None) -> None:
        self._parent = parent
        self.reports: list[str] = []
        self.show_dialogs = True
        self.dialogs: list[ErrorDialog] = []  # keeps parentless dialogs alive
        self._previous_hook: Callable[..., Any] | None = None

    def set_parent(self, parent: Callable[[], QWidget | None]) -> None:
        """Say which window the dialogs belong to."""
        self._parent = parent

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Become ``sys.excepthook`` (and the loop's exception handler)."""
        self._previous_hook = sys.excepthook
        sys.excepthook = self.excepthook
        if loop is not None:
            loop.set_exception_handler(self.loop_exception_handler)

    def uninstall(self) -> None:
        """Restore the previous ``sys.excepthook``."""
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        """Handle an exception that escaped a Qt slot or the main code."""
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.report(f"{exc_type.__name__}: {exc}", details)

    def loop_exception_handler(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        """Handle an exception asyncio could not deliver to anyone."""
        exc = context.get("exception")
        message = str(context.get("message", "asyncio error"))
        if isinstance(exc, BaseException):
            details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            summary = f"{type(exc).__name__}: {exc}"
        else:
            details, summary = message, message
        self.report(summary, f"{message}\n{details}")

    def report(self, summary: str, details: str) -> None:
        """Log the error and show the dialog (never modal)."""
        full = f"RelayDesk {__version__} on Python {sys.version.split()[0]}\n{details}"
        log.error("unexpected error: %s\n%s", summary, details)
        self.reports.append(summary)
        if not self.show_dialogs:
            return
        try:
            dialog = ErrorDialog(summary, full, self._parent())
            self.dialogs.append(dialog)
            dialog.finished.connect(lambda _result: self._forget(dialog))
            dialog.show()
        except Exception:
            log.exception("could not show the error dialog")

    def _forget(self, dialog: ErrorDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)
