"""Window size rules: a default that fits the screen, and saved state worth restoring.

A laptop's 1366×768 screen with a task bar leaves ~720 px; the window frame
takes ~30 of them. The default size therefore leaves room for both, and a
saved geometry or splitter state is restored only when it still fits: a
window larger than its screen puts the status bar below the task bar, and a
splitter section saved below its minimum (the old 0 px timeline) would hide a
part of the app until the user finds the handle.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_HEIGHT", "DEFAULT_WIDTH", "default_size", "fits", "sections_fit"]

#: The preferred window size when the screen has room for it.
DEFAULT_WIDTH = 1280
DEFAULT_HEIGHT = 760
#: Room kept free on the screen: window frame and title bar.
_FRAME_ALLOWANCE = (16, 48)


def default_size(available_width: int, available_height: int) -> tuple[int, int]:
    """Return the default window size for a screen's available area."""
    slack_w, slack_h = _FRAME_ALLOWANCE
    return (
        max(1, min(DEFAULT_WIDTH, available_width - slack_w)),
        max(1, min(DEFAULT_HEIGHT, available_height - slack_h)),
    )


def fits(rect: Any, area: Any) -> bool:
    """True when the QRect ``rect`` lies inside the QRect ``area`` (a screen's available part)."""
    return bool(
        rect.width() <= area.width()
        and rect.height() <= area.height()
        and area.contains(rect.center())
    )


def sections_fit(splitter: Any) -> bool:
    """True when every visible section of ``splitter`` has at least its minimum size."""
    from PySide6.QtCore import Qt

    horizontal = splitter.orientation() == Qt.Orientation.Horizontal
    for index, size in enumerate(splitter.sizes()):
        widget = splitter.widget(index)
        if widget is None or widget.isHidden():
            continue
        hint = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        if size < (hint.width() if horizontal else hint.height()):
            return False
    return True
