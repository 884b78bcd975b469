"""The connection editor: a window of its own for the address and the two identities.

Editing gets its own non-modal window (``show()``, never ``exec()``) rather
than a section of the main window: inside the main window the form competed
with the listener/sender panes and the timeline for height (the timeline was
squeezed to 0 px and that state was saved), and the form itself sat in a
~230 px scroll box. A window of its own keeps the panes and the timeline
exactly as they were, so a presenter can edit while messages still flow and
the audience sees the same screen afterwards; it is sized to fit the screen
it opens on, the fields scroll inside it, and Save / Close stay in a fixed
row at the bottom, always on screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ConnectionEditor", "fitted_size"]

#: Room left around the editor on its screen (window frame, task bar slack).
_SCREEN_MARGIN = 60


def fitted_size(
    wanted_width: int, wanted_height: int, screen_width: int, screen_height: int
) -> tuple[int, int]:
    """Return ``wanted`` shrunk to fit a screen of the given size, less a margin."""
    return (
        max(1, min(wanted_width, screen_width - _SCREEN_MARGIN)),
        max(1, min(wanted_height, screen_height - _SCREEN_MARGIN)),
    )


class ConnectionEditor(QDialog):
    """A non-modal window around a :class:`ConnectionForm`.

    The form's Save button and its general error move into the footer, next
    to Close, so they never scroll away.

    Signals:
        closed(): the window was closed (Close, Escape or the title bar).
    """

    closed = Signal()

    def __init__(self, form: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionEditor")
        self.setWindowTitle("Connection — RelayDesk")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.form = form
        self.title = QLabel()
        self.title.setObjectName("paneTitle")
        self.title.setAccessibleName("Profile being edited")
        self.secret_note = QLabel()
        self.secret_note.setObjectName("hint")
        self.secret_note.setAccessibleName("Where secrets are kept")
        self.secret_note.setWordWrap(True)
        self.secret_note.setVisible(False)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("connectionScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(form)
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close the connection editor")
        self.close_button.setToolTip("Close without saving (Esc)")
        footer = QHBoxLayout()
        footer.addWidget(form.general_error, 1)
        footer.addStretch(1)
        footer.addWidget(form.save_button)
        footer.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.secret_note)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(footer)
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)

    def set_title(self, text: str) -> None:
        """Say which profile is being edited."""
        self.title.setText(text)

    def open_fitted(self) -> None:
        """Show (non-modally) at the form's size, shrunk to the screen's available area.

        Measured again once shown: rows the profile just revealed (Advanced)
        count only after the layouts have run.
        """
        self._fit()
        self.show()
        self.raise_()
        self.activateWindow()
        QTimer.singleShot(0, self._fit)

    def _fit(self) -> None:
        form_hint = self.form.sizeHint()
        chrome = sum(
            widget.sizeHint().height()
            for widget in (self.title, self.secret_note, self.close_button)
            if not widget.isHidden()
        )
        width = form_hint.width() + 40  # margins and the scroll bar
        height = form_hint.height() + chrome + 48  # margins and spacing
        screen = (self.parentWidget() or self).screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        width, height = fitted_size(width, height, area.width(), area.height())
        self.resize(width, height)
        frame = self.frameGeometry()
        if not area.contains(frame):  # keep it on the screen, e.g. after growing
            x = min(max(frame.x(), area.x()), area.right() - frame.width())
            y = min(max(frame.y(), area.y()), area.bottom() - frame.height())
            self.move(max(area.x(), x), max(area.y(), y))

    def done(self, result: int) -> None:
        """Close, Escape or the title bar (QDialog's closeEvent rejects): hide, tell."""
        super().done(result)
        self.closed.emit()
