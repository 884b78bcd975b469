"""Re-apply the stylesheet after a dynamic property changed (the napari trick)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """Set a dynamic property used by QSS selectors and re-polish when it changed.

    A widget that was never polished (built but not shown yet, e.g. the hidden
    check panel at start-up) gets the property only: Qt polishes it, with the
    property in place, when it is first shown. Re-polishing it here would only
    cost start-up time.
    """
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        return
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def status_colours(widget: QWidget) -> dict[str, str]:
    """Return readable ok/warn/error text colours for the widget's palette (light or dark).

    Only text colours: backgrounds always come from the palette, and state is
    always spelled out in words as well.
    """
    dark = widget.palette().color(QPalette.ColorRole.Window).lightness() < 128
    if dark:
        return {"ok": "#81c784", "warn": "#ffb74d", "error": "#ff8a80"}
    return {"ok": "#2e7d32", "warn": "#a35400", "error": "#c62828"}
