"""Window size rules: the default fits a laptop screen; bad saved state is not restored."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect

from relaydesk.gui.main_window import MainWindow
from relaydesk.gui.window_layout import default_size, fits, sections_fit

pytestmark = pytest.mark.gui

#: 1366×768 with a task bar leaves ~720 px; a window frame takes ~30 of them.
LAPTOP_USABLE = (1366, 720)


@pytest.mark.parametrize(
    ("screen", "limit"), [((1366, 720), (1366, 690)), ((1024, 738), (1024, 700))]
)
def test_the_default_size_fits_the_screen(screen: tuple[int, int], limit: tuple[int, int]) -> None:
    width, height = default_size(*screen)
    assert width <= limit[0] and height <= limit[1]
    assert default_size(2560, 1400) == (1280, 760)  # a big screen gets the preferred size


def test_fits_needs_the_whole_rect_inside() -> None:
    area = QRect(0, 0, 1366, 720)
    assert fits(QRect(40, 20, 1280, 680), area)
    assert not fits(QRect(0, 0, 1280, 820), area)  # the old default on a laptop
    assert not fits(QRect(3000, 0, 800, 600), area)  # on a screen that is gone


def test_the_minimum_size_fits_a_laptop_and_1024_px(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.demo_bar.setVisible(True)  # demo mode shows one more row
    win.check_section.setVisible(True)
    hint = win.minimumSizeHint()
    assert hint.width() <= 1024 - 16, hint
    assert hint.height() <= LAPTOP_USABLE[1] - 48, hint  # title bar and frame


def test_a_long_summary_or_identity_does_not_widen_the_window(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    before = win.minimumSizeHint().width()
    guid = "033092c1-81da-49fe-a327-b9e5f708b8ca"
    win.connection.summary.setText(f"sb://127.0.0.1:43861/demo · Listener: Entra app {guid} " * 3)
    win.listener_pane.token_badge.identity_label.setText(f"Entra ID app · {guid} {guid}")
    assert win.minimumSizeHint().width() == before
    assert win.connection.summary.toolTip().startswith("sb://127.0.0.1:43861/demo")


def test_a_collapsed_timeline_is_not_restored(qtbot, _isolated_config: Path) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.vertical.setChildrenCollapsible(True)
    first.vertical.setSizes([first.vertical.height(), 0])  # what an old version saved
    assert first.vertical.sizes()[1] == 0
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert sections_fit(second.vertical)
    timeline = second.vertical.sizes()[1]
    assert timeline >= second.bottom.minimumSizeHint().height()


def test_a_window_larger_than_the_screen_is_not_restored(qtbot) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(3000, 2400)  # saved on a bigger monitor
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    area = second.screen().availableGeometry()
    assert second.height() <= max(area.height(), second.minimumSizeHint().height())
    assert second.width() <= max(area.width(), second.minimumSizeHint().width())


def test_opening_the_check_neither_grows_the_window_nor_the_panes(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.resize(1280, 690)
    qtbot.wait(10)
    size, vertical = win.size(), win.vertical.sizes()
    win.run_check()  # no profile: shows why, in the check panel
    qtbot.wait(10)
    assert win.check_section.isVisible()
    assert win.size() == size
    assert win.vertical.sizes() == vertical  # the timeline keeps its rows
