"""A form field with its error label underneath (marked in place, not by colour alone).

The error line is always there, one line high and empty while the field is
valid, so fields never move as messages come and go (a click aimed at the
next field would otherwise land between two); a long reason is elided, whole
in the tooltip. The editor never gets less than its own minimum height.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from relaydesk.gui.widgets.elided_label import ElidedLabel
from relaydesk.gui.widgets.repolish import set_style_property


class FieldRow(QWidget):
    """Wrap ``editor`` (plus trailing widgets, an optional note) with an error label below.

    :meth:`set_error` sets the dynamic property ``invalid`` on the editor
    (for ``*[invalid="true"]`` in the stylesheet), shows the reason under it
    and puts it in the editor's tooltip.
    """

    def __init__(
        self,
        editor: QWidget,
        *trailing: QWidget,
        tooltip: str = "",
        note: QWidget | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self._tooltip = tooltip
        self._error = ""
        self.error_label = ElidedLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setFixedHeight(self.error_label.fontMetrics().height())
        self.error_label.setAccessibleName(f"{editor.accessibleName()} problem")
        editor.setMinimumHeight(editor.sizeHint().height())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(editor, 1)
        for widget in trailing:
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(row)
        if note is not None:
            layout.addWidget(note)
        layout.addWidget(self.error_label)
        editor.setToolTip(tooltip)
        editor.setProperty("invalid", False)

    @property
    def error(self) -> str:
        """The reason shown, or ``""`` when the field is valid."""
        return self._error

    def set_error(self, reason: str) -> None:
        """Mark the field invalid with ``reason`` (``""`` clears the mark)."""
        self._error = reason
        set_style_property(self.editor, "invalid", bool(reason))
        self.error_label.setText(f"⚠ {reason}" if reason else "")
        tip = f"{self._tooltip}\n⚠ {reason}" if reason and self._tooltip else reason
        self.editor.setToolTip(tip or self._tooltip)
        self.editor.setAccessibleDescription(reason)
