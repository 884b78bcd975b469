"""set_style_property: QSS property selectors apply before and after the first show."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from relaydesk.gui.widgets.repolish import set_style_property

pytestmark = pytest.mark.gui

QSS = (
    'QLabel[status="failed"] { background: #ff0000; } QLabel[status="ok"] { background: #00ff00; }'
)


def _centre(label: QLabel) -> QColor:
    image: QImage = label.grab().toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2)


def test_property_set_before_first_show_is_styled(qtbot: QtBot) -> None:
    label = QLabel("   ")
    label.setAutoFillBackground(True)
    label.setStyleSheet(QSS)
    qtbot.addWidget(label)
    set_style_property(label, "status", "failed")  # not polished yet: property only
    assert label.property("status") == "failed"
    label.show()
    qtbot.waitExposed(label)
    assert _centre(label) == QColor("#ff0000")


def test_property_change_after_show_repolishes(qtbot: QtBot) -> None:
    label = QLabel("   ")
    label.setStyleSheet(QSS)
    qtbot.addWidget(label)
    set_style_property(label, "status", "failed")
    label.show()
    qtbot.waitExposed(label)
    set_style_property(label, "status", "ok")
    assert _centre(label) == QColor("#00ff00")
