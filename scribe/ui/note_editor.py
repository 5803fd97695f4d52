"""The note editor: one editable text block per section, one line per statement.

Each line is a statement of the draft. A gutter icon and a tint show what the grounding check
found: a red "!" on amber for a *safety flag* (hover for the reason), a thin amber ring for a
*review hint* (weak evidence for a paraphrase; it never blocks approval), a green check for
*confirmed* by the physician, a small grey dot for *supported*. Moving the cursor onto a line
selects that statement: the transcript highlights its evidence and the inspector below offers
"Confirm as written" and "Play from here".

Editing is free-form text with undo/redo. The widget never decides what an edit means for the
note: after a short pause it reports the changed lines as :class:`~scribe.note_lines.LineChange`
items (the line diff of ``scribe.note_lines``), the session applies them through the core, and
the editor receives the re-grounded note back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPainterPath, QPen, QShortcut, QTextBlockFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ..note_lines import LineChange, LineInfo, diff_changes, match_lines
from . import theme

GUTTER = 28


def draw_status_icon(p: QPainter, rect: QRectF, status: str) -> None:
    c = theme.colors()
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = min(rect.width(), rect.height())
    r = QRectF(rect.center().x() - s / 2, rect.center().y() - s / 2, s, s)
    if status == "unsupported":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c.unsupported_fg)
        p.drawEllipse(r)
        pen = QPen(QColor("white"), max(1.6, s / 8), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawLine(QPointF(r.center().x(), r.top() + s * 0.22), QPointF(r.center().x(), r.top() + s * 0.58))
        p.drawPoint(QRectF(r.center().x(), r.top() + s * 0.76, 0, 0).topLeft())
    elif status == "confirmed":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c.confirmed_fg)
        p.drawEllipse(r)
        pen = QPen(
            QColor("white"), max(1.6, s / 8), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
        )
        p.setPen(pen)
        path = QPainterPath()
        path.moveTo(r.left() + s * 0.27, r.top() + s * 0.52)
        path.lineTo(r.left() + s * 0.44, r.top() + s * 0.68)
        path.lineTo(r.left() + s * 0.74, r.top() + s * 0.34)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
    elif status == "review":  # a quiet hint: a thin amber ring
        ring = QColor(c.unsupported_fg)
        ring.setAlpha(150)
        p.setPen(QPen(ring, max(1.3, s / 12)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(r.adjusted(s * 0.22, s * 0.22, -s * 0.22, -s * 0.22))
    elif status == "pending":
        p.setPen(QPen(c.muted_fg, 1.2, Qt.PenStyle.DotLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(r.adjusted(s * 0.2, s * 0.2, -s * 0.2, -s * 0.2))
    else:  # supported
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c.supported_fg)
        d = s * 0.36
        p.drawEllipse(QRectF(r.center().x() - d / 2, r.center().y() - d / 2, d, d))
    p.restore()


def status_tooltip(info: LineInfo | None, starts: dict[int, float]) -> str:
    from .transcript_view import format_time

    if info is None:
        return "New statement: it is checked against the transcript when you pause typing."
    if info.status == "unsupported":
        reasons = "".join(f"<li>{_esc(r)}</li>" for r in info.issues) or "<li>not supported by the transcript</li>"
        return (
            f"<b>Not supported by the transcript</b><ul style='margin:2px 0 2px -20px'>{reasons}</ul>"
            "Edit the statement or confirm it as written (Ctrl+Shift+C) before approval."
        )
    if info.status == "review":
        hints = "".join(f"<li>{_esc(r)}</li>" for r in info.hints)
        return (
            f"<b>A hint to review</b> (it does not block approval)<ul style='margin:2px 0 2px -20px'>{hints}</ul>"
            "The facts that matter (drugs, doses, numbers, sides, negations) are checked and back it."
        )
    if info.status == "confirmed":
        return "<b>Confirmed by the clinician</b> as written, although the transcript does not fully support it."
    if info.status == "pending":
        return "Not yet checked against the transcript."
    times = ", ".join(format_time(starts[i]) for i in info.evidence if i in starts)
    return f"<b>Supported by the transcript</b>{' at ' + times if times else ''}."


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Gutter(QWidget):
    def __init__(self, editor: SectionEdit):
        super().__init__(editor)
        self.editor = editor
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(GUTTER, 0)

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        ed = self.editor
        offset = ed.verticalScrollBar().value()
        layout = ed.document().documentLayout()
        top_margin = ed.viewport().geometry().top() - self.geometry().top()
        block = ed.document().begin()
        n = 0
        while block.isValid():
            info = ed.line_info(n)
            if block.text().strip():
                r = layout.blockBoundingRect(block)
                line_h = ed.fontMetrics().height()
                y = r.top() - offset + top_margin + ed.document().documentMargin() * 0 + (line_h - 16) / 2 + 1
                status = info.status if info is not None else "pending"
                if ed.dirty_line(n):
                    status = "pending"
                draw_status_icon(p, QRectF(6, y + 2, 16, 16), status)
            block = block.next()
            n += 1
        p.end()

    def event(self, e) -> bool:  # tooltips on the icons too
        if e.type() == e.Type.ToolTip:
            pos = self.editor.viewport().mapFromGlobal(e.globalPos())
            self.editor.show_tooltip_at(QPoint(4, pos.y()), e.globalPos())
            return True
        return super().event(e)


class SectionEdit(QTextEdit):
    """One section's text: grows with its content so the whole note scrolls as one page."""

    current_changed = Signal(object)  # LineInfo | None
    edited = Signal()  # text changed by the user (debounced by the NoteEditor)
    focused = Signal(object)  # self

    def __init__(self, key: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.title = title
        self.setObjectName(f"section_{key}")
        self.setAccessibleName(f"{title} section")
        self.setAcceptRichText(False)
        self.setTabChangesFocus(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setViewportMargins(GUTTER, 0, 0, 0)
        self.setPlaceholderText("(nothing documented — type to add)")
        self.document().setDocumentMargin(6)
        f = self.font()
        f.setPointSizeF(max(10.5, f.pointSizeF() + 0.5))
        self.setFont(f)
        self.baseline: list[LineInfo] = []
        self._mapped: list[LineInfo | None] = []
        self._setting = False
        self._gutter = _Gutter(self)
        self.starts: dict[int, float] = {}
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self.textChanged.connect(self._text_changed)
        self.cursorPositionChanged.connect(self._cursor_signal)
        self._last_current: str | None = "__none__"
        self.active = False
        self._fit_height()

    # ------------------------------------------------------------------ content
    def lines(self) -> list[str]:
        return self.toPlainText().split("\n") if self.toPlainText() else []

    def set_statements(self, infos: list[LineInfo], keep_text: bool = False) -> None:
        """Show ``infos``; with ``keep_text`` only re-attach them if the text already matches
        (after the core applied this editor's own edits), preserving cursor and undo history."""
        self.baseline = list(infos)
        current = [ln.strip() for ln in self.lines() if ln.strip()]
        if not (keep_text and current == [i.text.strip() for i in infos]):
            self._setting = True
            self.setPlainText("\n".join(i.text for i in infos))
            self._format_blocks()
            self._setting = False
        self._remap()

    def _format_blocks(self) -> None:
        """Air between statements. Done right after setPlainText (which resets the undo history
        anyway) with undo off, so it never shows up as an undoable edit; new lines typed later
        inherit the format of the line they are split from."""
        doc = self.document()
        doc.setUndoRedoEnabled(False)
        cur = QTextCursor(doc)
        cur.select(QTextCursor.SelectionType.Document)
        fmt = QTextBlockFormat()
        fmt.setBottomMargin(3)
        fmt.setLineHeight(112, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        cur.mergeBlockFormat(fmt)
        doc.setUndoRedoEnabled(True)

    def append_statements(self, infos: list[LineInfo]) -> None:
        """Add statements at the end, formatting the section once for all of them."""
        if not infos:
            return
        self._setting = True
        cur = QTextCursor(self.document())
        cur.movePosition(QTextCursor.MoveOperation.End)
        cur.beginEditBlock()
        has_text = bool(self.toPlainText())
        for i, info in enumerate(infos):
            self.baseline.append(info)
            if has_text or i:
                cur.insertBlock()
            cur.insertText(info.text)
        cur.endEditBlock()
        self._format_blocks()
        self._setting = False
        self._remap()

    def line_info(self, n: int) -> LineInfo | None:
        return self._mapped[n] if 0 <= n < len(self._mapped) else None

    def dirty_line(self, n: int) -> bool:
        info = self.line_info(n)
        lines = self.lines()
        return info is not None and n < len(lines) and lines[n].strip() != info.text.strip()

    def changes(self) -> list[LineChange]:
        return diff_changes(self.key, self.baseline, self.lines())

    def current_info(self) -> LineInfo | None:
        return self.line_info(self.textCursor().blockNumber())

    def select_statement(self, statement_id: str) -> bool:
        for n, info in enumerate(self._mapped):
            if info is not None and info.id == statement_id:
                cur = QTextCursor(self.document().findBlockByNumber(n))
                self.focused.emit(self)
                self.setTextCursor(cur)
                self.setFocus(Qt.FocusReason.OtherFocusReason)
                self._cursor_moved()
                return True
        return False

    def line_of(self, statement_id: str) -> int:
        for n, info in enumerate(self._mapped):
            if info is not None and info.id == statement_id:
                return n
        return -1

    # ------------------------------------------------------------------ internals
    def _remap(self) -> None:
        self._mapped, _ = match_lines(self.baseline, self.lines())
        self._paint_marks()
        self._gutter.update()
        self._cursor_moved()

    def _text_changed(self) -> None:
        if self._setting:
            return
        self._remap()
        self.edited.emit()

    def _cursor_signal(self) -> None:
        # The user moved the caret here (click, keys, typing): this section holds the selection,
        # whether or not the window is active (hasFocus() is False in an inactive window).
        if not self._setting:
            self.focused.emit(self)
        self._cursor_moved()

    def mousePressEvent(self, e) -> None:  # noqa: N802
        self.focused.emit(self)
        super().mousePressEvent(e)

    def _cursor_moved(self) -> None:
        self._paint_marks()
        if not (self.active or self.hasFocus()):
            return
        info = self.current_info()
        key = info.id if info is not None else None
        if key != self._last_current:
            self._last_current = key
            self.current_changed.emit(info)

    def set_active(self, active: bool) -> None:
        """The section holding the selected statement (highlighted even without focus)."""
        self.active = active
        if not active:
            self._last_current = "__none__"
        self._paint_marks()

    def _paint_marks(self) -> None:
        self.viewport().update()
        self._gutter.update()

    def line_backgrounds(self) -> dict[int, QColor]:
        """Line number -> background tint: flagged statements, and the selected one."""
        c = theme.colors()
        cur_block = self.textCursor().blockNumber() if self.active else -1
        out: dict[int, QColor] = {}
        for n in range(self.document().blockCount()):
            info = self.line_info(n)
            if info is not None and info.status == "unsupported" and not self.dirty_line(n):
                out[n] = c.unsupported_current_bg if n == cur_block else c.unsupported_bg
            elif n == cur_block:
                out[n] = c.current_bg
        return out

    def paintEvent(self, e) -> None:  # noqa: N802
        # Tints under the text, edge to edge across every wrapped line of the statement. Painted
        # here rather than as document formats so they never enter the undo history.
        tints = self.line_backgrounds()
        if tints:
            p = QPainter(self.viewport())
            layout = self.document().documentLayout()
            dy = self.verticalScrollBar().value()
            w = self.viewport().width()
            for n, color in tints.items():
                r = layout.blockBoundingRect(self.document().findBlockByNumber(n))
                p.fillRect(QRectF(0, r.top() - dy, w, r.height()), color)
            p.end()
        super().paintEvent(e)
        self._gutter.update()

    def marked_lines(self) -> dict[int, str]:
        """Line number -> status shown (for tests and accessibility)."""
        return {
            n: (i.status if not self.dirty_line(n) else "pending") for n, i in enumerate(self._mapped) if i is not None
        }

    def _fit_height(self, *_args) -> None:
        h = int(self.document().size().height()) + 2 * self.frameWidth() + 2
        line = self.fontMetrics().height() + 14
        self.setFixedHeight(max(h, line))

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        cr = self.contentsRect()
        self._gutter.setGeometry(cr.left(), cr.top(), GUTTER, cr.height())
        self._fit_height()

    def focusInEvent(self, e) -> None:  # noqa: N802
        super().focusInEvent(e)
        self.focused.emit(self)
        self._cursor_moved()

    def focusOutEvent(self, e) -> None:  # noqa: N802
        super().focusOutEvent(e)
        self._paint_marks()

    def show_tooltip_at(self, viewport_pos: QPoint, global_pos: QPoint) -> None:
        n = self.cursorForPosition(viewport_pos).blockNumber()
        block = self.document().findBlockByNumber(n)
        if not block.text().strip():
            QToolTip.hideText()
            return
        info = self.line_info(n)
        if info is not None and self.dirty_line(n):
            info = LineInfo(info.id, info.text, "pending")
        QToolTip.showText(global_pos, status_tooltip(info, self.starts), self)

    def event(self, e) -> bool:
        if e.type() == e.Type.ToolTip:
            self.show_tooltip_at(self.viewport().mapFromGlobal(e.globalPos()), e.globalPos())
            return True
        return super().event(e)


class StatementInspector(QFrame):
    """Below the note: what the selected statement rests on, and what can be done with it."""

    confirm_requested = Signal(str)
    play_requested = Signal(str)
    next_flagged_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        lay.addWidget(self.icon)
        self.label = QLabel("Select a statement to see the transcript passages that support it.")
        self.label.setObjectName("inspectorText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.label, 1)
        self.next_button = QPushButton("Next flagged")
        self.next_button.setObjectName("nextFlaggedButton")
        self.next_button.setToolTip("Go to the next statement that needs your attention (F8)")
        self.next_button.clicked.connect(self.next_flagged_requested)
        self.confirm_button = QPushButton("Confirm as written")
        self.confirm_button.setObjectName("confirmButton")
        self.confirm_button.setToolTip(
            "Take responsibility for this statement although the transcript does not support it (Ctrl+Shift+C)"
        )
        self.play_button = QPushButton("▶  Play from here")
        self.play_button.setObjectName("playButton")
        self.play_button.setToolTip("Play the recording from the first supporting passage (Ctrl+Shift+P)")
        for b in (self.next_button, self.confirm_button, self.play_button):
            lay.addWidget(b)
        self.confirm_button.clicked.connect(lambda: self._emit_for_shown(self.confirm_requested))
        self.play_button.clicked.connect(lambda: self._emit_for_shown(self.play_requested))
        self.info: LineInfo | None = None
        self.locked = False
        self.show_info(None, {})

    def _emit_for_shown(self, signal: SignalInstance) -> None:
        if self.info is not None and self.info.id:
            signal.emit(self.info.id)

    def show_info(self, info: LineInfo | None, starts: dict[int, float]) -> None:
        from .transcript_view import format_time

        self.info = info
        status = info.status if info else ""
        pm = _status_pixmap(status) if info else None
        self.icon.setPixmap(pm) if pm is not None else self.icon.clear()
        if info is None:
            self.label.setText("Select a statement to see the transcript passages that support it.")
        elif info.status == "unsupported":
            reasons = "; ".join(_esc(r) for r in info.issues) or "not supported by the transcript"
            self.label.setText(f"<b>Needs your review:</b> {reasons}.")
        elif info.status == "review":
            hints = "; ".join(_esc(r) for r in info.hints)
            self.label.setText(f"<b>Hint:</b> {hints}. It does not block approval.")
        elif info.status == "confirmed":
            self.label.setText("<b>Confirmed by you</b> as written.")
        elif info.status == "pending":
            self.label.setText("Being written or not yet checked against the transcript.")
        else:
            times = ", ".join(format_time(starts[i]) for i in info.evidence if i in starts)
            self.label.setText(
                f"<b>Supported</b> by the transcript at {times}." if times else "<b>Supported</b> by the transcript."
            )
        self.confirm_button.setEnabled(bool(info and info.status == "unsupported" and not self.locked))
        self.play_button.setEnabled(bool(info and info.evidence))


def _status_pixmap(status: str):
    from PySide6.QtGui import QPixmap

    pm = QPixmap(40, 40)
    pm.fill(Qt.GlobalColor.transparent)
    pm.setDevicePixelRatio(2.0)
    p = QPainter(pm)
    draw_status_icon(p, QRectF(1, 1, 18, 18), status or "supported")
    p.end()
    return pm


STREAM_BATCH_MS = 40


class NoteEditor(QWidget):
    """All sections of the note in one scrollable page, plus the statement inspector."""

    statement_selected = Signal(object)  # LineInfo | None
    changes_ready = Signal(object)  # [LineChange]
    confirm_requested = Signal(str)
    play_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, debounce_ms: int = 700):
        super().__init__(parent)
        self.setObjectName("noteEditor")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(8)
        self.status_label = QLabel("")
        self.status_label.setObjectName("muted")
        self.status_label.setWordWrap(True)
        outer.addWidget(self.status_label)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("noteScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.page = QWidget()
        self.page.setObjectName("notePage")
        self.page_layout = QVBoxLayout(self.page)
        self.page_layout.setContentsMargins(2, 2, 8, 2)
        self.page_layout.setSpacing(4)
        self.page_layout.addStretch(1)
        self.scroll_area.setWidget(self.page)
        outer.addWidget(self.scroll_area, 1)
        self.inspector = StatementInspector()
        outer.addWidget(self.inspector)
        self.inspector.confirm_requested.connect(self.confirm_requested)
        self.inspector.play_requested.connect(self.play_requested)
        self.inspector.next_flagged_requested.connect(self.go_to_next_flagged)

        self.sections: dict[str, SectionEdit] = {}
        self._titles: dict[str, QLabel] = {}
        self.locked = False
        self.streaming = False
        self.shown_note: Any = (
            None  # the NoteDraft last put on screen (tests wait for it; the core's note may be ahead)
        )
        self.starts: dict[int, float] = {}
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self.commit)
        self._pending = False
        # Streamed statements are laid out in batches: the rolling note arrives as a burst at Stop,
        # and laying out each one on its own (re-formatting the section every time) stalled the
        # UI for 399 ms on a burst of ~75 (bench_visit).
        self._incoming: list[tuple[str, Any]] = []
        self._incoming_timer = QTimer(self)
        self._incoming_timer.setSingleShot(True)
        self._incoming_timer.setInterval(STREAM_BATCH_MS)
        self._incoming_timer.timeout.connect(self._flush_incoming)

        QShortcut(
            QKeySequence("F8"), self, self.go_to_next_flagged, context=Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        QShortcut(
            QKeySequence("Ctrl+Shift+C"),
            self,
            self.inspector.confirm_button.click,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        QShortcut(
            QKeySequence("Ctrl+Shift+P"),
            self,
            self.inspector.play_button.click,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.set_placeholder("The note is drafted here when you stop the recording.")

    # ------------------------------------------------------------------ building
    def _clear(self) -> None:
        for w in list(self.sections.values()) + list(self._titles.values()):
            w.setParent(None)
            w.deleteLater()
        self.sections.clear()
        self._titles.clear()

    def set_placeholder(self, text: str) -> None:
        self._clear()
        self.status_label.setText(text)
        self.status_label.setVisible(True)
        self.inspector.show_info(None, self.starts)

    def _ensure_section(self, key: str, title: str) -> SectionEdit:
        if key in self.sections:
            return self.sections[key]
        label = QLabel(title)
        label.setObjectName("sectionTitle")
        ed = SectionEdit(key, title)
        label.setBuddy(ed)
        ed.starts = self.starts
        ed.current_changed.connect(self._current_changed)
        ed.edited.connect(self._edited)
        ed.focused.connect(self._activate)
        ed.setReadOnly(self.locked or self.streaming)
        ed.setProperty("locked", "true" if self.locked else "false")
        at = self.page_layout.count() - 1  # before the stretch
        self.page_layout.insertWidget(at, label)
        self.page_layout.insertWidget(at + 1, ed)
        self._titles[key] = label
        self.sections[key] = ed
        return ed

    def set_transcript_starts(self, starts: dict[int, float]) -> None:
        self.starts.clear()
        self.starts.update(starts)

    def begin_stream(self, sections: list[tuple[str, str]]) -> None:
        """Drafting started: empty read-only sections in template order."""
        self._incoming_timer.stop()
        self._incoming.clear()
        self._clear()
        self.streaming = True
        for key, title in sections:
            self._ensure_section(key, title)
        self.status_label.setText("Writing the note…")
        self.status_label.setVisible(True)

    def stream_statement(self, section_key: str, statement: Any) -> None:
        """A statement of a note being drafted: shown (pending) within STREAM_BATCH_MS."""
        self._incoming.append((section_key, statement))
        if not self._incoming_timer.isActive():
            self._incoming_timer.start()

    def _flush_incoming(self) -> None:
        batch, self._incoming = self._incoming, []
        by_section: dict[str, list[LineInfo]] = {}
        for key, statement in batch:
            info = LineInfo.of(statement)
            info.status = "pending"
            by_section.setdefault(key, []).append(info)
        ed = None
        for key, infos in by_section.items():
            ed = self.sections.get(key) or self._ensure_section(key, key.replace("_", " ").title())
            ed.append_statements(infos)
        if ed is not None:
            self.scroll_area.ensureWidgetVisible(ed, 0, 40)

    def set_note(self, note: Any, message: str = "", keep_text: bool = False) -> None:
        """Show ``note`` (a NoteDraft); ``keep_text`` after the core applied our own edits."""
        self._incoming_timer.stop()
        self._incoming.clear()  # statements still on their way are in the note
        self.streaming = False
        self.shown_note = note
        self._debounce.stop()
        self._pending = False
        current = self.current_info()
        keys = [s.key for s in note.sections]
        if list(self.sections) != keys:
            self._clear()
            keep_text = False
        for sec in note.sections:
            ed = self._ensure_section(sec.key, sec.title)
            ed.set_statements([LineInfo.of(st) for st in sec.statements], keep_text=keep_text)
        self.set_locked(bool(note.approval), note)
        if message or not keep_text:
            self.status_label.setText(message)
        self.status_label.setVisible(bool(self.status_label.text()))
        new_current = self.current_info()
        if current is not None and new_current is None:
            self.inspector.show_info(None, self.starts)
        else:
            self._current_changed(new_current)

    def set_locked(self, locked: bool, note: Any = None) -> None:
        self.locked = locked
        self.inspector.locked = locked
        for ed in self.sections.values():
            ed.setReadOnly(locked or self.streaming)
            ed.setProperty("locked", "true" if locked else "false")
            ed.style().unpolish(ed)
            ed.style().polish(ed)
        self.inspector.show_info(self.inspector.info, self.starts)

    # ------------------------------------------------------------------ queries
    def _activate(self, section: SectionEdit) -> None:
        for ed in self.sections.values():
            if ed is not section and ed.active:
                ed.set_active(False)
        if not section.active:
            section.set_active(True)

    def active_section(self) -> SectionEdit | None:
        return next((ed for ed in self.sections.values() if ed.active), None)

    def current_info(self) -> LineInfo | None:
        ed = self.active_section()
        return ed.current_info() if ed is not None else None

    def text(self) -> str:
        return "\n\n".join(f"{self._titles[k].text()}\n{ed.toPlainText()}" for k, ed in self.sections.items())

    def has_pending_edits(self) -> bool:
        return self._pending

    def select_statement(self, statement_id: str) -> bool:
        for ed in self.sections.values():
            if ed.select_statement(statement_id):
                self.scroll_area.ensureWidgetVisible(ed, 0, 40)
                info = ed.current_info()
                self._current_changed(info)
                return True
        return False

    # ------------------------------------------------------------------ editing
    def _edited(self) -> None:
        if self.locked or self.streaming:
            return
        self._pending = True
        self._debounce.start()

    def commit(self) -> None:
        """Report the edits made since the last commit (the session applies them)."""
        self._debounce.stop()
        if not self._pending:
            return
        self._pending = False
        changes = [c for ed in self.sections.values() for c in ed.changes()]
        if changes:
            self.changes_ready.emit(changes)

    def _current_changed(self, info: LineInfo | None) -> None:
        self.inspector.show_info(info, self.starts)
        self.statement_selected.emit(info)

    def go_to_next_flagged(self) -> None:
        ids = [st.id for ed in self.sections.values() for st in ed.baseline if st.status == "unsupported" and st.id]
        if not ids:
            self.status_label.setText("No statements need review.")
            return
        cur = self.current_info()
        nxt = ids[0]
        if cur is not None and cur.id in ids:
            nxt = ids[(ids.index(cur.id) + 1) % len(ids)]
        self.select_statement(nxt)
