"""A tab whose page is made the first time it is shown or asked for.

A hidden tab page costs as much to build and polish as a visible one, and at
start-up nobody can see it (the HTTP inspector, the sender's HTTP tab: ~40
widgets each, and the modules behind them). The tab shows its label at once
over an empty placeholder; the page is made when the tab is selected, or when
code asks for it (:meth:`LazyTab.page`, e.g. to load a replayed request), and
then takes the placeholder's place, so afterwards the page *is* the tab's
widget (``tabs.currentWidget() is page``) as if it had been added directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QTabWidget, QWidget

__all__ = ["LazyTab"]

Page = TypeVar("Page", bound=QWidget)


class LazyTab(Generic[Page]):
    """One page of ``tabs``, labelled ``label``, made by ``make`` when first needed."""

    def __init__(self, tabs: QTabWidget, label: str, make: Callable[[], Page]) -> None:
        self._tabs = tabs
        self._make = make
        self._page: Page | None = None
        self._placeholder: QWidget | None = QWidget()
        tabs.addTab(self._placeholder, label)
        tabs.currentChanged.connect(self._on_current)

    @property
    def made(self) -> bool:
        """Whether the page exists (it was shown or asked for)."""
        return self._page is not None

    @property
    def page_if_made(self) -> Page | None:
        """The page, or ``None`` while nobody has needed it."""
        return self._page

    def page(self) -> Page:
        """The page, made now if it was not yet, in the placeholder's place."""
        if self._page is None:
            self._page = self._make()
            self._swap_in(self._page)
        return self._page

    def _on_current(self, index: int) -> None:
        if self._page is None and self._tabs.widget(index) is self._placeholder:
            self.page()

    def _swap_in(self, page: QWidget) -> None:
        """Put ``page`` where the placeholder is, keeping the selection as it was.

        The tab widget's own signals are held while the two swap, so listeners
        see no switch to a neighbouring tab and back.
        """
        tabs, placeholder = self._tabs, self._placeholder
        assert placeholder is not None
        self._placeholder = None
        tabs.currentChanged.disconnect(self._on_current)
        index = tabs.indexOf(placeholder)
        selected = tabs.currentIndex() == index
        blocker = QSignalBlocker(tabs)
        try:
            tabs.insertTab(index, page, tabs.tabText(index))
            tabs.setTabToolTip(index, tabs.tabToolTip(index + 1))
            if selected:
                tabs.setCurrentIndex(index)
            tabs.removeTab(index + 1)
        finally:
            blocker.unblock()
        placeholder.deleteLater()
