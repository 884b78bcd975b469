"""LazyTab: a tab's page is made when the tab is selected or the page asked for."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QTabWidget

from relaydesk.gui.widgets.lazy_tab import LazyTab

pytestmark = pytest.mark.gui


def _tabs(qtbot) -> tuple[QTabWidget, LazyTab[QLabel], list[QLabel]]:  # type: ignore[no-untyped-def]
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("first"), "First")
    made: list[QLabel] = []

    def make() -> QLabel:
        made.append(QLabel("second"))
        return made[-1]

    lazy = LazyTab(tabs, "Second", make)
    tabs.addTab(QLabel("third"), "Third")
    tabs.show()
    return tabs, lazy, made


def test_the_label_is_there_and_the_page_is_made_on_selection(qtbot) -> None:  # type: ignore[no-untyped-def]
    tabs, lazy, made = _tabs(qtbot)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["First", "Second", "Third"]
    assert not lazy.made and lazy.page_if_made is None and made == []
    seen: list[int] = []
    tabs.currentChanged.connect(seen.append)
    tabs.setCurrentIndex(1)
    assert made and tabs.widget(1) is made[0] and tabs.currentWidget() is made[0]
    assert made[0].isVisible()
    assert seen == [1]  # no detour through a neighbouring tab while the page swaps in
    assert tabs.count() == 3 and tabs.tabText(1) == "Second"
    tabs.setCurrentIndex(0)
    tabs.setCurrentIndex(1)
    assert len(made) == 1  # made once


def test_asking_for_the_page_makes_it_without_selecting_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    tabs, lazy, made = _tabs(qtbot)
    tabs.setCurrentIndex(2)
    page = lazy.page()
    assert page is made[0] and lazy.page_if_made is page and lazy.made
    assert tabs.currentIndex() == 2 and tabs.widget(1) is page
    tabs.setCurrentWidget(page)
    assert tabs.currentIndex() == 1 and len(made) == 1
