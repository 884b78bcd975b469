"""The message log: a uniform-row table, follow-tail, trimmed counter, detail pane.

Stays smooth under floods: the model inserts once per ~50 ms batch, rows have
a fixed height, columns have fixed widths (no ResizeToContents, which would
measure every row), and there is no per-row widget.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.models.message_log import MessageLogModel

_COLUMN_CHARS = (13, 3, 12, 7, 9, 48, 9)  # Time … RTT, in average character widths


class MessageLogView(QWidget):
    """Show a :class:`MessageLogModel` with follow-tail and a detail pane.

    Follow-tail switches itself off when the user scrolls up or selects an
    older row, and back on when the user scrolls to the bottom.

    Signals:
        follow_tail_changed(bool): follow-tail was switched on or off.
    """

    follow_tail_changed = Signal(bool)

    def __init__(self, model: MessageLogModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageLogView")
        self._model = model
        self.table = self._make_table(model)
        self.follow_checkbox = QCheckBox("Follow newest")
        self.follow_checkbox.setChecked(True)
        self.follow_checkbox.setAccessibleName("Follow newest messages")
        self.follow_checkbox.setToolTip(
            "Keep the newest message in view; scrolling up switches this off"
        )
        self.trimmed_label = QLabel()
        self.trimmed_label.setObjectName("trimmedLabel")
        self.trimmed_label.setAccessibleName("Trimmed rows")
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("messageDetail")
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Selected message content")
        self.detail.setPlaceholderText("Select a message to see its full content")
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        # Two or three lines each at the least, so both panes fit a laptop's
        # 768 px screen next to the timeline; the splitter gives more.
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 3)
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 2 + 12)
        self._layout()
        self._connect()
        self._update_trimmed(model.trimmed_count)

    # --- public ------------------------------------------------------------------

    @property
    def model(self) -> MessageLogModel:
        """The model shown."""
        return self._model

    @property
    def follow_tail(self) -> bool:
        """True while the view keeps the newest row visible."""
        return self.follow_checkbox.isChecked()

    def set_follow_tail(self, follow: bool) -> None:
        """Switch follow-tail on (scrolls to the newest row now) or off."""
        self.follow_checkbox.setChecked(follow)

    # --- construction ------------------------------------------------------------

    def _make_table(self, model: MessageLogModel) -> QTableView:
        table = QTableView()
        table.setObjectName("messageTable")
        table.setModel(model)
        table.setAccessibleName("Messages")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 6)
        horizontal = table.horizontalHeader()
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        horizontal.setStretchLastSection(False)
        char = table.fontMetrics().averageCharWidth()
        for column, chars in enumerate(_COLUMN_CHARS):
            table.setColumnWidth(column, chars * char + 12)
        horizontal.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        return table

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.follow_checkbox)
        bar.addStretch(1)
        bar.addWidget(self.trimmed_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.setTabOrder(self.follow_checkbox, self.table)
        self.setTabOrder(self.table, self.detail)

    def _connect(self) -> None:
        self._model.rowsInserted.connect(self._on_rows_inserted)
        self._model.trimmed_changed.connect(self._update_trimmed)
        self._model.modelReset.connect(self._on_reset)
        self.table.verticalScrollBar().actionTriggered.connect(self._on_scroll_action)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.follow_checkbox.toggled.connect(self._on_follow_toggled)

    # --- behaviour -----------------------------------------------------------------

    def _on_rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if self.follow_checkbox.isChecked():
            self.table.scrollToBottom()

    def _on_scroll_action(self, _action: int) -> None:
        # actionTriggered fires for user scrolling (wheel, keys, drag) before the
        # value is applied; sliderPosition() is where the user is going.
        bar = self.table.verticalScrollBar()
        at_bottom = bar.sliderPosition() >= bar.maximum()
        if at_bottom != self.follow_checkbox.isChecked():
            self.follow_checkbox.setChecked(at_bottom)

    def _on_follow_toggled(self, follow: bool) -> None:
        if follow:
            self.table.scrollToBottom()
        self.follow_tail_changed.emit(follow)

    def _update_trimmed(self, count: int) -> None:
        self.trimmed_label.setText(f"{count:,} older rows trimmed" if count else "")
        self.trimmed_label.setVisible(count > 0)
        self.trimmed_label.setToolTip(
            f"Only the newest {self._model.cap:,} messages are kept; older ones were removed"
        )

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.detail.setPlainText(self._model.row_detail(rows[0].row()) if rows else "")
        if rows and rows[0].row() < self._model.rowCount() - 1:
            # Inspecting an older row pauses following, so it does not scroll away.
            self.follow_checkbox.setChecked(False)

    def _on_reset(self) -> None:
        self.detail.clear()


__all__ = ["MessageLogView"]
