"""User-facing wording for errors, and the "Something went wrong" dialog.

Expected failures (a 403, an expired secret, no keyring) arrive from the core
as :class:`~relaydesk.relay.events.ErrorInfo` (cause + remedy) and are shown
where they happen: the pane's state badge and the timeline. This module maps
an exception to such an ``ErrorInfo`` when the GUI itself catches one, and
handles the *unexpected*: ``sys.excepthook`` and the asyncio loop's exception
handler both log the traceback and open a non-modal dialog whose "Copy
details" button puts the report on the clipboard. Nothing is swallowed
silently, and no dialog is ever ``exec()``-ed (it would nest an event loop
under the running coroutine; see the platform notes).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
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
from relaydesk.errors import (
    AuthError,
    ConnectionClosed,
    HandshakeFailed,
    InvalidInput,
    RelayDeskError,
    RelayUnreachable,
    SecretStoreUnavailable,
    TokenRejected,
)
from relaydesk.relay.events import ErrorInfo, ErrorOccurred, Event, StateChanged

__all__ = [
    "ErrorDialog",
    "UnexpectedErrorReporter",
    "error_info",
    "format_error",
    "tailor",
    "tailor_event",
]

log = logging.getLogger(__name__)

_CLOSE_REMEDIES = {
    1008: "The token expired or was rejected; RelayDesk fetches a new one and reconnects.",
    1011: "The service had an internal error; RelayDesk reconnects.",
    1006: "The connection dropped without a close frame; RelayDesk reconnects.",
}


def error_info(exc: BaseException) -> ErrorInfo:
    """Return a display-safe cause + remedy for an exception.

    The relay package's own mapping (``relaydesk.relay.failures.error_info``)
    is used when it gives a remedy, so the CLI and GUI word things alike; this function
    covers the rest of the tree and anything unexpected.
    """
    core = _core_error_info(exc)
    if core is not None:
        return core
    kind = type(exc).__name__
    if isinstance(exc, HandshakeFailed):
        return ErrorInfo(kind, str(exc), exc.remedy, exc.status, exc.tracking_id)
    if isinstance(exc, TokenRejected):
        return ErrorInfo(kind, str(exc), "", exc.status)
    if isinstance(exc, AuthError):
        return ErrorInfo(kind, str(exc), exc.remedy, getattr(exc, "http_status", None))
    if isinstance(exc, ConnectionClosed):
        return ErrorInfo(kind, str(exc), _CLOSE_REMEDIES.get(exc.code, ""), exc.code)
    if isinstance(exc, SecretStoreUnavailable):
        remedy = "Secrets are kept in memory for this session only."
        return ErrorInfo(kind, str(exc) or "No system keyring available.", remedy)
    if isinstance(exc, RelayUnreachable):
        remedy = "Check the namespace host name, the network and any proxy or firewall."
        return ErrorInfo(kind, str(exc), remedy)
    if isinstance(exc, InvalidInput):
        return ErrorInfo(kind, str(exc), f"Correct the {exc.field} field.")
    if isinstance(exc, RelayDeskError):
        return ErrorInfo(kind, str(exc))
    if isinstance(exc, OSError):
        return ErrorInfo(kind, str(exc) or kind, "Check the network connection.")
    return ErrorInfo(kind, str(exc) or kind, "This looks like a bug in RelayDesk.")


def _core_error_info(exc: BaseException) -> ErrorInfo | None:
    """Use the relay package's mapping for our own errors, so CLI and GUI agree."""
    if not isinstance(exc, RelayDeskError):
        return None
    try:
        from relaydesk.relay.failures import error_info as relay_error_info
    except ImportError:  # the relay package is optional for this module
        return None
    info = relay_error_info(exc)
    if info.remedy:
        return info
    return None


_ROLE_REMEDIES = {
    "listener": (
        "Assign the Azure Relay Listener role (or use a SAS rule with Listen) to this "
        "identity on this hybrid connection or its namespace; role assignments can take "
        "up to 5 minutes to apply."
    ),
    "sender": (
        "Assign the Azure Relay Sender role (or use a SAS rule with Send) to this identity "
        "on this hybrid connection or its namespace; role assignments can take up to "
        "5 minutes to apply."
    ),
}


def tailor(info: ErrorInfo, side: str) -> ErrorInfo:
    """Make a generic remedy specific to the side it happened on.

    The core cannot know whether a 403 hit the listener or the sender; the
    pane can, so "Listener/Sender role" becomes the one role that is missing.
    """
    remedy = _ROLE_REMEDIES.get(side)
    if remedy and info.status == 403 and info.kind in ("Forbidden", "TokenRejected"):
        return replace(info, remedy=remedy)
    return info


def tailor_event(event: Event) -> Event:
    """Return ``event`` with its error's remedy tailored to ``event.side``."""
    if isinstance(event, ErrorOccurred):
        tailored = tailor(event.error, event.side)
        return event if tailored is event.error else replace(event, error=tailored)
    if isinstance(event, StateChanged) and event.error is not None:
        tailored = tailor(event.error, event.side)
        return event if tailored is event.error else replace(event, error=tailored)
    return event


def format_error(info: ErrorInfo) -> str:
    """Return one line: cause, status and TrackingId (remedy not included)."""
    text = info.message
    if info.status is not None and str(info.status) not in text:
        text = f"{info.status} · {text}"
    if info.tracking_id:
        text += f" (TrackingId {info.tracking_id})"
    return text


class ErrorDialog(QDialog):
    """Non-modal "Something went wrong" with the details and "Copy details"."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
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
