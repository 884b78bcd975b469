"""A one-line label that shortens its text with "…" instead of widening the window.

A plain QLabel's minimum width is its whole text, so one long line (an
address, a GUID) sets the window's minimum width: at 1024 px the header was
cut off. This label asks for a few characters only, draws the text elided to
the room it gets, and keeps the full text in its tooltip and accessible
description.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

__all__ = ["ElidedLabel"]

#: Characters the label asks for at least (the rest is elided).
_MINIMUM_CHARS = 12


class ElidedLabel(QLabel):
    """A QLabel whose text is elided on the right when it does not fit."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._own_tip = ""
        self._elide = True
        self.setText(text)

    def set_elide(self, elide: bool) -> None:
        """Elide on one line (the default), or wrap over several lines (e.g. an error to read)."""
        self._elide = elide
        self.setWordWrap(not elide)
        self.updateGeometry()
        self.update()

    def setText(self, text: str) -> None:
        """Set the full text; the tooltip shows it whole (unless one was set)."""
        super().setText(text)
        super().setToolTip(self._own_tip or text)
        self.setAccessibleDescription(text)
        self.update()

    def setToolTip(self, tip: str) -> None:
        """Use ``tip`` instead of the full text as the tooltip."""
        self._own_tip = tip
        super().setToolTip(tip or self.text())

    def minimumSizeHint(self) -> QSize:
        """A few characters wide: the window's minimum width must not follow the text."""
        metrics = self.fontMetrics()
        return QSize(metrics.averageCharWidth() * _MINIMUM_CHARS, metrics.height())

    def displayed_text(self) -> str:
        """The text as drawn at the current width (tests and screenshots check it)."""
        room = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Draw the elided text in the label's colour and alignment."""
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()), self.displayed_text())
