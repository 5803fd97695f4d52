"""The "Said but not in the note" panel under the note.

It only presents :func:`scribe.omissions.uncovered`: one row per must-chart fact the visit said and
the note leaves out (a dose change, a referral, a follow-up, a red-flag instruction ...). Clicking a
row shows its lines in the transcript; its "Add" button asks the session to chart it
(:func:`scribe.omissions.chart_fact`, attributed and audited like every edit). The rows are computed
off the UI thread by the visit page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from . import theme

MAX_ROWS = 12  # a long visit can list many; the rest are counted, the physician adds them by hand


class _Row(QFrame):
    clicked = Signal()

    def __init__(self, kind: str, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("omissionRow")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 4, 2)
        lay.setSpacing(8)
        self.kind = QLabel(kind)
        self.kind.setObjectName("muted")
        self.kind.setMinimumWidth(118)
        self.text = QLabel(label)
        self.text.setWordWrap(True)
        self.add = QPushButton("Add")
        self.add.setObjectName("addOmission")
        lay.addWidget(self.kind)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.add)

    def mousePressEvent(self, e) -> None:  # noqa: N802
        self.clicked.emit()
        super().mousePressEvent(e)


class OmissionsPanel(QFrame):
    """Facts said in the visit that the note does not carry, each one click from the note."""

    add_requested = Signal(object)  # scribe.omissions.MustChart
    segments_requested = Signal(object)  # [segment id] to show in the transcript

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 6, 10, 6)
        outer.setSpacing(2)
        head = QHBoxLayout()
        self.toggle = QToolButton()
        self.toggle.setObjectName("omissionsToggle")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self._toggled)
        self.title = QLabel("Said but not in the note")
        self.title.setObjectName("omissionsTitle")
        head.addWidget(self.toggle)
        head.addWidget(self.title, 1)
        outer.addLayout(head)
        self.body = QWidget()
        self.rows_layout = QVBoxLayout(self.body)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(1)
        outer.addWidget(self.body)
        self.items: list[Any] = []
        self.rows: list[_Row] = []
        self.locked = False
        self.set_items([])

    def set_items(self, items: list[Any]) -> None:
        from ..omissions import KIND_LABEL

        self.items = list(items)
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        for item in self.items[:MAX_ROWS]:
            row = _Row(KIND_LABEL.get(item.kind, str(item.kind)), item.label)
            row.add.setToolTip(f'Add "{item.statement}" to the note, citing what was said')
            row.add.clicked.connect(lambda _=False, it=item: self.add_requested.emit(it))
            row.clicked.connect(lambda it=item: self.segments_requested.emit(list(it.segments)))
            row.add.setVisible(not self.locked)
            self.rows_layout.addWidget(row)
            self.rows.append(row)
        more = len(self.items) - len(self.rows)
        n = len(self.items)
        c = theme.colors()
        self.title.setText(
            f"<b>Said but not in the note</b> · {n}" + (f" (first {len(self.rows)} shown)" if more > 0 else "")
            if n
            else "<span>Said but not in the note · nothing missing</span>"
        )
        self.title.setStyleSheet(f"color: {c.muted_fg.name()};" if not n else "")
        self.setVisible(True)

    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        for row in self.rows:
            row.add.setVisible(not locked)

    def _toggled(self, open_: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.body.setVisible(open_)

    def labels(self) -> list[str]:
        """The rows shown (for tests and accessibility)."""
        return [row.text.text() for row in self.rows]
