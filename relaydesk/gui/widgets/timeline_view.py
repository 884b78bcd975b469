"""The protocol timeline table with side and severity filters and an Export… button.

The Export… button only emits :attr:`TimelineView.export_requested`; the window
opens a non-modal ``QFileDialog`` (never a blocking ``exec()``) and calls
:func:`relaydesk.gui.models.timeline.export_jsonl`. :meth:`open_export_dialog`
is offered as a ready-made non-modal dialog for that.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relaydesk.gui.models.timeline import TimelineFilterProxy, TimelineModel
from relaydesk.gui.models.timeline_entries import Severity

SIDES = (("Both sides", "both"), ("Listener", "listener"), ("Sender", "sender"))
SEVERITIES = (
    ("All", Severity.INFO),
    ("Warnings and errors", Severity.WARNING),
    ("Errors only", Severity.ERROR),
)
_COLUMN_CHARS = (10, 9, 11, 60)


class TimelineView(QWidget):
    """Show a :class:`TimelineModel` through a :class:`TimelineFilterProxy`.

    Signals:
        export_requested(): the user pressed Export….
        export_path_chosen(str): a path was picked in :meth:`open_export_dialog`.
    """

    export_requested = Signal()
    export_path_chosen = Signal(str)

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self._model = model
        self.proxy = TimelineFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.side_combo = _combo(SIDES, "Timeline side", "Show events of one side or of both")
        self.severity_combo = _combo(
            SEVERITIES, "Minimum severity", "Hide events less severe than this"
        )
        self.export_button = QPushButton("Export…")
        self.export_button.setAccessibleName("Export session")
        self.export_button.setToolTip(
            "Save the whole session as JSON Lines, with tokens and keys redacted"
        )
        self.table = self._make_table()
        self._dialog: QFileDialog | None = None
        self._layout()
        self.side_combo.currentIndexChanged.connect(self._on_side)
        self.severity_combo.currentIndexChanged.connect(self._on_severity)
        self.export_button.clicked.connect(self.export_requested)
        model.rowsInserted.connect(self._on_rows_inserted)

    @property
    def model(self) -> TimelineModel:
        """The source model."""
        return self._model

    def set_side(self, side: str) -> None:
        """Select ``"both"``, ``"listener"`` or ``"sender"`` in the side filter."""
        self.side_combo.setCurrentIndex(self.side_combo.findData(side))

    def set_min_severity(self, severity: Severity | str) -> None:
        """Select the minimum severity in the severity filter."""
        self.severity_combo.setCurrentIndex(self.severity_combo.findData(Severity(severity)))

    def open_export_dialog(self, directory: str = "") -> QFileDialog:
        """Open a non-modal save dialog; the chosen path is emitted as ``export_path_chosen``."""
        if self._dialog is None:
            dialog = QFileDialog(self, "Export session", directory, "JSON Lines (*.jsonl)")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix("jsonl")
            dialog.setWindowModality(Qt.WindowModality.NonModal)
            dialog.fileSelected.connect(self.export_path_chosen)
            self._dialog = dialog
        self._dialog.show()
        return self._dialog

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("timelineTable")
        table.setModel(self.proxy)
        table.setAccessibleName("Protocol timeline")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        vertical = table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 6)
        char = table.fontMetrics().averageCharWidth()
        for column, chars in enumerate(_COLUMN_CHARS):
            table.setColumnWidth(column, chars * char + 12)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for text, combo in (("Side:", self.side_combo), ("Show:", self.severity_combo)):
            label = QLabel(text)
            label.setBuddy(combo)
            bar.addWidget(label)
            bar.addWidget(combo)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.setTabOrder(self.side_combo, self.severity_combo)
        self.setTabOrder(self.severity_combo, self.export_button)
        self.setTabOrder(self.export_button, self.table)

    def _on_side(self, _index: int) -> None:
        self.proxy.set_side(str(self.side_combo.currentData()))

    def _on_severity(self, _index: int) -> None:
        self.proxy.set_min_severity(self.severity_combo.currentData())

    def _on_rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        bar = self.table.verticalScrollBar()
        if bar.value() >= bar.maximum() - 2 * self.table.verticalHeader().defaultSectionSize():
            self.table.scrollToBottom()


def _combo(items: tuple[tuple[str, object], ...], name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    combo.setAccessibleName(name)
    combo.setToolTip(tip)
    return combo
