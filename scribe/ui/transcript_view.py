"""The live transcript: one line per segment with time and speaker, following the speech.

Segments arrive in batches while recording; the view stays pinned to the bottom unless the
physician scrolled up to read something. Words not yet final (the live preview) are shown after
them in grey italics and replaced by each newer preview and by the final text. Evidence for the selected note statement is
highlighted (and scrolled into view) without touching the text itself. Words the recogniser's dictionary
check corrected ("lisinopril" for a heard "list in April", :mod:`scribe.asr.correction`) are underlined
with a dotted line, and their tooltip says what was heard, so the physician can judge every correction.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QMenu, QTextEdit, QToolTip, QWidget

from . import theme


def format_time(seconds: float) -> str:
    seconds = max(0, int(seconds))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def speaker_label(speaker) -> str:
    value = getattr(speaker, "value", speaker) or "unknown"
    return {"clinician": "Clinician", "patient": "Patient"}.get(str(value), "Speaker")


def corrected_tooltip(original: str) -> str:
    return f"Corrected by the medical dictionary; heard as \u201c{original}\u201d"


def _corrected_format() -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setFontUnderline(True)
    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
    fmt.setUnderlineColor(theme.colors().accent)
    return fmt


def _block_format() -> QTextBlockFormat:
    fmt = QTextBlockFormat()
    fmt.setBottomMargin(5)  # a little air between passages
    fmt.setLineHeight(115, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
    return fmt


class TranscriptView(QTextEdit):
    segment_activated = Signal(int)  # double-click / "Play from here" on a segment
    play_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("transcriptView")
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setAccessibleName("Transcript")
        self.setPlaceholderText(
            "The transcript appears here a few seconds behind the conversation once you press Record."
        )
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.document().setDocumentMargin(10)
        self._block_of: dict[int, int] = {}  # segment id -> block number
        self._segment_at: list[int] = []  # block number -> segment id
        self._starts: dict[int, float] = {}
        self.highlighted: list[int] = []
        self._tinted: set[int] = set()
        self._follow = True
        self._preview_pos: int | None = None  # where the provisional text starts
        self.preview_text = ""
        self.corrected: list[tuple[int, str, str]] = []  # (segment id, word shown, what was heard), as marked
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        f = QFont(self.font())
        f.setPointSizeF(max(10.5, f.pointSizeF() + 0.5))
        self.setFont(f)

    # ------------------------------------------------------------------ content
    def clear_segments(self) -> None:
        self.clear()
        self._preview_pos = None
        self.preview_text = ""
        self._block_of.clear()
        self._segment_at.clear()
        self._starts.clear()
        self.highlighted = []
        self._tinted = set()
        self.corrected = []
        self._follow = True

    def set_segments(self, segments: Iterable) -> None:
        self.clear_segments()
        self.append_segments(list(segments))

    def set_preview(self, segments: list) -> None:
        """Show provisional (not yet final) words after the final passages; [] removes them."""
        self._remove_preview()
        text = " ".join(t for t in ((seg.text or "").strip() for seg in segments) if t)
        if not text:
            return
        sb = self.verticalScrollBar()
        follow = self._follow or sb.value() >= sb.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._preview_pos = cursor.position()
        if self._segment_at:
            cursor.insertBlock(_block_format())
        else:
            cursor.setBlockFormat(_block_format())
        fmt = QTextCharFormat()
        fmt.setForeground(theme.colors().muted_fg)
        fmt.setFontItalic(True)
        time_fmt = QTextCharFormat(fmt)
        time_fmt.setFontFixedPitch(True)
        cursor.insertText(f"{format_time(segments[0].start)}  ", time_fmt)
        cursor.insertText(text + " …", fmt)
        self.preview_text = text
        if follow:
            sb.setValue(sb.maximum())
            self._follow = True

    def _remove_preview(self) -> None:
        if self._preview_pos is None:
            return
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._preview_pos)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if not self._segment_at:
            cursor.setBlockFormat(_block_format())
            cursor.setCharFormat(QTextCharFormat())
        self._preview_pos = None
        self.preview_text = ""

    def append_segments(self, segments: list) -> None:
        if not segments:
            return
        self._remove_preview()
        sb = self.verticalScrollBar()
        follow = self._follow or sb.value() >= sb.maximum() - 4
        c = theme.colors()
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        time_fmt = QTextCharFormat()
        time_fmt.setForeground(c.muted_fg)
        time_fmt.setFontFixedPitch(True)
        text_fmt = QTextCharFormat()
        for seg in segments:
            text = (seg.text or "").strip()
            if not text or seg.id in self._block_of:
                continue
            if self._segment_at:
                cursor.insertBlock(_block_format())
            else:
                cursor.setBlockFormat(_block_format())
            self._block_of[seg.id] = cursor.blockNumber()
            self._segment_at.append(seg.id)
            self._starts[seg.id] = float(seg.start)
            cursor.insertText(f"{format_time(seg.start)}  ", time_fmt)
            who = speaker_label(seg.speaker)
            spk_fmt = QTextCharFormat()
            spk_fmt.setFontWeight(QFont.Weight.DemiBold)
            spk_fmt.setForeground(
                c.accent if who == "Clinician" else (c.confirmed_fg if who == "Patient" else c.muted_fg)
            )
            if who != "Speaker":
                cursor.insertText(f"{who}: ", spk_fmt)
            words = getattr(seg, "words", None) or []
            if any(getattr(w, "original", None) for w in words):
                self._insert_words(cursor, words, text_fmt, seg.id)
            else:
                cursor.insertText(text, text_fmt)
        if follow:
            sb.setValue(sb.maximum())
            self._follow = True
        self._apply_highlight(scroll=False)

    def _insert_words(self, cursor: QTextCursor, words: list, text_fmt: QTextCharFormat, seg_id: int) -> None:
        """A segment word by word, corrected words marked (their text is the segment's text)."""
        for i, w in enumerate(words):
            if i:
                cursor.insertText(" ", text_fmt)
            if w.original:
                fmt = _corrected_format()
                fmt.setToolTip(corrected_tooltip(w.original))
                cursor.insertText(w.word, fmt)
                self.corrected.append((seg_id, w.word, w.original))
            else:
                cursor.insertText(w.word, text_fmt)

    @property
    def segment_ids(self) -> list[int]:
        return list(self._segment_at)

    def plain_text(self) -> str:
        return self.toPlainText()

    def segment_start(self, seg_id: int) -> float | None:
        return self._starts.get(seg_id)

    # ------------------------------------------------------------------ evidence
    def highlight(self, segment_ids: Iterable[int]) -> None:
        self.highlighted = [i for i in segment_ids if i in self._block_of]
        self._apply_highlight(scroll=True)

    def _apply_highlight(self, scroll: bool) -> None:
        # A block background (not an extra selection) so every wrapped line of a passage is
        # tinted edge to edge. The view is read-only, so changing formats touches no undo stack.
        color = theme.colors().evidence_bg
        wanted = {self._block_of[sid] for sid in self.highlighted}
        for n in self._tinted | wanted:
            block = self.document().findBlockByNumber(n)
            if not block.isValid():
                continue
            fmt = _block_format()
            if n in wanted:
                fmt.setBackground(color)
            else:
                fmt.clearBackground()
            QTextCursor(block).setBlockFormat(fmt)
        self._tinted = wanted
        if scroll and self.highlighted:
            self._follow = False
            self.scroll_to_segment(self.highlighted[0])

    def scroll_to_segment(self, seg_id: int) -> None:
        """Bring a segment to the upper third of the view (with some context above it)."""
        block = self.document().findBlockByNumber(self._block_of[seg_id])
        top = self.document().documentLayout().blockBoundingRect(block).top()
        sb = self.verticalScrollBar()
        sb.setValue(int(max(0, min(sb.maximum(), top - self.viewport().height() / 4))))

    def highlight_colors(self) -> list[QColor]:
        """Background colour of each tinted passage (what the user sees as highlighted)."""
        return [self.document().findBlockByNumber(n).blockFormat().background().color() for n in sorted(self._tinted)]

    # ------------------------------------------------------------------ interaction
    def segment_at_block(self, block_number: int) -> int | None:
        if 0 <= block_number < len(self._segment_at):
            return self._segment_at[block_number]
        return None

    def _segment_under(self, pos) -> int | None:
        return self.segment_at_block(self.cursorForPosition(pos).blockNumber())

    def _scrolled(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 4

    def tooltip_at(self, pos) -> str:
        """The tooltip of the text under a viewport position (what was heard, over a corrected word)."""
        cursor = self.cursorForPosition(pos)
        tip = cursor.charFormat().toolTip()
        if not tip and not cursor.atBlockEnd():
            cursor.movePosition(QTextCursor.MoveOperation.Right)
            tip = cursor.charFormat().toolTip()
        return tip

    def viewportEvent(self, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            tip = self.tooltip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        sid = self._segment_under(event.position().toPoint())
        if sid is not None:
            self.segment_activated.emit(sid)
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        menu: QMenu = self.createStandardContextMenu()
        sid = self._segment_under(event.pos())
        if sid is not None:
            act = QAction(f"Play from {format_time(self._starts[sid])}", menu)
            act.triggered.connect(lambda: self.play_requested.emit(sid))
            if menu.actions():
                menu.insertAction(menu.actions()[0], act)
            else:
                menu.addAction(act)
            menu.insertSeparator(menu.actions()[1])
        menu.exec(event.globalPos())
