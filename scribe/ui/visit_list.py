"""Today's and earlier visits with their state; double-click or Enter reopens one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .ops import BackgroundOp

STATE_LABELS = {
    "recording": "Recording",
    "interrupted": "Interrupted",
    "recorded": "Recorded",
    "transcribing": "Transcribing",
    "drafting": "Drafting",
    "draft": "Draft – to review",
    "approved": "Approved",
    "exported": "Exported",
}


def state_label(state: Any) -> str:
    value = getattr(state, "value", state)
    return STATE_LABELS.get(str(value), str(value).title())


def state_color(state: Any) -> QColor:
    c = theme.colors()
    value = str(getattr(state, "value", state))
    if value in ("recording", "interrupted"):
        return c.recording
    if value in ("draft", "transcribing", "drafting", "recorded"):
        return c.paused
    if value in ("approved", "exported"):
        return c.confirmed_fg
    return c.muted_fg


def _local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone()


class VisitListPanel(QFrame):
    open_requested = Signal(str)  # encounter id
    new_requested = Signal()

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("visitPanel")
        self.store = store
        self.records: list[Any] = []
        self._op: BackgroundOp | None = None
        self._again = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 6, 10)
        lay.setSpacing(8)
        self.new_button = QPushButton("+  New visit")
        self.new_button.setObjectName("primary")
        self.new_button.setToolTip("Start a new visit (Ctrl+N)")
        self.new_button.setMinimumHeight(36)
        self.new_button.clicked.connect(self.new_requested)
        lay.addWidget(self.new_button)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Search patient or MRN")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Search visits")
        self.filter.textChanged.connect(lambda _t: self.fill())
        lay.addWidget(self.filter)
        self.list = QListWidget()
        self.list.setObjectName("visitList")
        self.list.setAccessibleName("Visits")
        self.list.setUniformItemSizes(False)
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemDoubleClicked.connect(self._activated)
        lay.addWidget(self.list, 1)
        self.empty = QLabel("No visits yet.")
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.empty)
        self.current_id: str | None = None
        self.setMinimumWidth(230)

    def refresh(self) -> None:
        """Re-read the store on a worker (a network-mounted data folder can be slow)."""
        if self._op is not None and self._op.running:
            self._again = True
            return
        store = self.store
        self._op = BackgroundOp(lambda _c: store.list(), on_success=self._loaded, parent=self, name="list-visits")
        self._op.start()

    def _loaded(self, records: list) -> None:
        self.records = list(records)
        self.fill()
        if self._again:
            self._again = False
            self.refresh()

    def fill(self) -> None:
        """Show the visits read last that match the filter (the main window calls it to redraw)."""
        q = self.filter.text().strip().lower()
        self.list.clear()
        today = datetime.now().astimezone().date()
        groups: dict[str, list] = {"Today": [], "Earlier": []}
        for rec in self.records:
            enc = rec.encounter
            if (
                q
                and q not in enc.patient_name.lower()
                and q not in enc.patient_id.lower()
                and q not in enc.encounter_id.lower()
            ):
                continue
            when = _local(rec.created_at)
            groups["Today" if when.date() == today else "Earlier"].append(rec)
        bold = QFont(self.list.font())
        bold.setBold(True)
        for title, recs in groups.items():
            if not recs:
                continue
            header = QListWidgetItem(title.upper())
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            header.setForeground(theme.colors().muted_fg)
            f = QFont(self.list.font())
            f.setPointSizeF(max(8.0, f.pointSizeF() - 1))
            f.setBold(True)
            header.setFont(f)
            self.list.addItem(header)
            for rec in recs:
                enc = rec.encounter
                when = _local(rec.created_at)
                stamp = when.strftime("%H:%M") if title == "Today" else when.strftime("%d %b %Y, %H:%M")
                label = state_label(rec.state)
                item = QListWidgetItem(f"{enc.patient_name}\n{stamp} · MRN {enc.patient_id} · {label}")
                item.setData(Qt.ItemDataRole.UserRole, enc.encounter_id)
                item.setData(Qt.ItemDataRole.UserRole + 1, str(getattr(rec.state, "value", rec.state)))
                item.setToolTip(f"{enc.patient_name} — encounter {enc.encounter_id}\nState: {label}")
                self.list.addItem(item)
                if enc.encounter_id == self.current_id:
                    item.setSelected(True)
                    self.list.setCurrentItem(item)
        self.empty.setVisible(self.list.count() == 0)
        self.empty.setText(
            "No matching visits." if q and self.records else "No visits yet.\nPress “New visit” to start."
        )

    def set_current(self, encounter_id: str | None) -> None:
        self.current_id = encounter_id
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.data(Qt.ItemDataRole.UserRole) == encounter_id:
                self.list.setCurrentItem(it)

    def item_for(self, encounter_id: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.data(Qt.ItemDataRole.UserRole) == encounter_id:
                return it
        return None

    def _activated(self, item: QListWidgetItem) -> None:
        eid = item.data(Qt.ItemDataRole.UserRole)
        if eid:
            self.open_requested.emit(eid)
