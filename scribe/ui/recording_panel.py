"""The recording strip: microphone, level meter, elapsed time, record / pause / stop.

Pure view: it shows what the :class:`~scribe.ui.session.VisitSession` reports and emits what
the user asked for. The microphone list is refreshed on a timer and whenever the combo box
opens, on a worker (PortAudio device enumeration can take a moment).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .ops import BackgroundOp


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


DONE_TEXT = "Recording finished and saved. The transcript and the note are below."


class LevelMeter(QWidget):
    """Horizontal input level in dBFS (-60..0), green / amber / red, with a peak hold."""

    FLOOR = -60.0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("levelMeter")
        self.setMinimumSize(160, 14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.level_db = self.FLOOR
        self._peak = self.FLOOR
        self.setAccessibleName("Microphone level")

    def sizeHint(self) -> QSize:
        return QSize(240, 14)

    def set_level(self, db: float | None) -> None:
        if db is None or not math.isfinite(db):
            db = self.FLOOR
        db = max(self.FLOOR, min(0.0, float(db)))
        self.level_db = db
        self._peak = max(db, self._peak - 1.0)  # peak falls ~20 dB/s at the 50 ms tick
        self.setToolTip(f"Input level {db:.0f} dBFS")
        self.update()

    def _frac(self, db: float) -> float:
        return (db - self.FLOOR) / -self.FLOOR

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        c = theme.colors()
        track = QColor("#2a3039") if c.dark else QColor("#eaecf0")
        path = QPainterPath()
        path.addRoundedRect(r, 4, 4)
        p.fillPath(path, track)
        p.setClipPath(path)
        width = r.width() * self._frac(self.level_db)
        if width > 0:
            color = QColor("#12b76a")
            if self.level_db > -6:
                color = c.recording
            elif self.level_db > -18:
                color = QColor("#f79009")
            p.fillRect(QRectF(r.left(), r.top(), width, r.height()), color)
        px = r.left() + r.width() * self._frac(self._peak)
        if self._peak > self.FLOOR:
            p.fillRect(QRectF(px - 1, r.top(), 2, r.height()), c.muted_fg)
        p.end()


class RecordingIndicator(QWidget):
    """Unmistakable state: a pulsing red dot with "RECORDING", amber "PAUSED", or grey."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recordingIndicator")
        self.state = "idle"
        self._on = True
        self._blink = QTimer(self)
        self._blink.setInterval(600)
        self._blink.timeout.connect(self._toggle)
        self.setMinimumSize(170, 36)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    @property
    def text(self) -> str:
        return {"recording": "RECORDING", "paused": "PAUSED", "lost": "MIC LOST", "done": "RECORDED"}.get(
            self.state, "NOT RECORDING"
        )

    def sizeHint(self) -> QSize:
        return QSize(190, 36)

    def set_state(self, state: str) -> None:
        self.state = state
        self._on = True
        if state == "recording":
            self._blink.start()
        else:
            self._blink.stop()
        self.setAccessibleName(self.text)
        self.update()

    def _toggle(self) -> None:
        self._on = not self._on
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        c = theme.colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        if self.state == "recording":
            fill, fg = c.recording, QColor("white")
        elif self.state in ("paused", "lost"):
            fill, fg = c.paused, QColor("white")
        else:
            fill, fg = (QColor("#2a3039") if c.dark else QColor("#eaecf0")), c.muted_fg
        path = QPainterPath()
        path.addRoundedRect(r, r.height() / 2, r.height() / 2)
        p.fillPath(path, fill)
        d = r.height() * 0.42
        dot = QRectF(r.left() + r.height() * 0.35, r.center().y() - d / 2, d, d)
        if self.state == "recording":
            p.setBrush(QColor("white") if self._on else QColor(255, 255, 255, 90))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(dot)
        elif self.state == "paused":
            p.setBrush(QColor("white"))
            p.setPen(Qt.PenStyle.NoPen)
            w = d / 3
            p.drawRect(QRectF(dot.left(), dot.top(), w, d))
            p.drawRect(QRectF(dot.right() - w, dot.top(), w, d))
        else:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(fg)
            p.drawEllipse(dot)
        f = self.font()
        f.setBold(True)
        f.setPointSizeF(max(9.0, f.pointSizeF()))
        p.setFont(f)
        p.setPen(fg)
        p.drawText(
            r.adjusted(dot.right() - r.left() + 8, 0, 0, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.text,
        )
        p.end()


class MicrophoneCombo(QComboBox):
    """Input devices, refreshed every few seconds and when opened (on a worker)."""

    def __init__(self, list_devices: Callable[[], list[Any]], parent: QWidget | None = None, interval_ms: int = 3000):
        super().__init__(parent)
        self.setObjectName("microphoneCombo")
        self.setAccessibleName("Microphone")
        self.setMinimumContentsLength(22)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._list_devices = list_devices
        self._op: BackgroundOp | None = None
        self._preferred: Any | None = None
        self._signature: tuple = ()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def set_preferred(self, device_name: str | None) -> None:
        self._preferred = device_name
        i = self.findData(device_name)
        if i >= 0:
            self.setCurrentIndex(i)

    def current_device(self) -> str | None:
        """The chosen input device's name (what SoundDeviceSource accepts), or None."""
        return self.currentData()

    def showPopup(self) -> None:  # noqa: N802
        self.refresh()
        super().showPopup()

    def refresh(self) -> None:
        if self._op is not None and self._op.running:
            return
        if self.count() and not self.isVisible() and self.sender() is self._timer:
            return  # a hidden list (closed window, banner not shown) does not poll PortAudio
        self._op = BackgroundOp(
            lambda _ctx: list(self._list_devices()),
            on_success=self._fill,
            on_failure=self._failed,
            parent=self,
            name="list-microphones",
        )
        self._op.start()

    def _failed(self, _exc: BaseException) -> None:
        self._fill([])

    def _fill(self, devices: list[Any]) -> None:
        signature = tuple((getattr(d, "id", None), getattr(d, "name", str(d))) for d in devices)
        if signature == self._signature and self.count():
            return
        self._signature = signature
        keep = self.currentData() if self.count() and self.currentData() is not None else self._preferred
        self.blockSignals(True)
        self.clear()
        default_index = 0
        for d in devices:
            name = getattr(d, "name", str(d))
            if getattr(d, "is_default", False):
                name += "  (system default)"
            self.addItem(name, getattr(d, "name", str(d)))  # names survive PortAudio re-scans, indices do not
            if getattr(d, "is_default", False):
                default_index = self.count() - 1
        if not devices:
            self.addItem("No microphone found", None)
        i = self.findData(keep) if keep is not None else -1
        self.setCurrentIndex(i if i >= 0 else default_index)
        self.blockSignals(False)
        if keep is not None and i < 0:
            self.currentIndexChanged.emit(self.currentIndex())

    def stop_refreshing(self) -> None:
        self._timer.stop()

    def resume_refreshing(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def after_refresh(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once no device scan is in flight (a scan re-initialises PortAudio, which
        must not overlap with opening the microphone)."""
        if self._op is not None and self._op.running:
            self._op.finished.connect(fn)
        else:
            fn()


class RecordingPanel(QFrame):
    record_requested = Signal()  # start or resume
    pause_requested = Signal()
    stop_requested = Signal()

    def __init__(self, list_devices: Callable[[], list[Any]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.state = "disabled"
        lay = QHBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 10)
        lay.setSpacing(14)

        self.indicator = RecordingIndicator()
        lay.addWidget(self.indicator)

        self.elapsed = QLabel("00:00")
        self.elapsed.setObjectName("elapsed")
        self.elapsed.setAccessibleName("Elapsed recording time")
        self.elapsed.setMinimumWidth(110)
        lay.addWidget(self.elapsed)

        mid = QVBoxLayout()
        mid.setSpacing(4)
        row = QHBoxLayout()
        self.mic_label = mic_label = QLabel("&Microphone")
        mic_label.setObjectName("muted")
        row.addWidget(mic_label)
        self.microphones = MicrophoneCombo(list_devices)
        mic_label.setBuddy(self.microphones)
        self.done_label = QLabel(DONE_TEXT)
        self.done_label.setObjectName("muted")
        row.addWidget(self.done_label, 1)
        row.addWidget(self.microphones, 1)
        mid.addLayout(row)
        self.meter = LevelMeter()
        mid.addWidget(self.meter)
        lay.addLayout(mid, 1)

        self.record_button = QPushButton("Record")
        self.record_button.setObjectName("record")
        self.record_button.setToolTip("Start recording (Ctrl+Shift+R)")
        self.record_button.clicked.connect(self._record_clicked)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.pause_button.setToolTip("Pause or resume (Ctrl+Shift+R)")
        self.pause_button.clicked.connect(self._pause_clicked)
        self.stop_button = QPushButton("Stop && draft note")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("End the recording and write the note (Ctrl+Shift+E)")
        self.stop_button.clicked.connect(self.stop_requested)
        for b in (self.record_button, self.pause_button, self.stop_button):
            b.setMinimumHeight(34)
            lay.addWidget(b)
        self.set_state("disabled")

    # ------------------------------------------------------------------ view state
    def set_state(self, state: str) -> None:
        """``disabled`` (no visit) | ``idle`` | ``recording`` | ``paused`` | ``lost`` | ``done``."""
        self.state = state
        self.indicator.set_state(state if state in ("recording", "paused", "lost", "done") else "idle")
        for w in (self.mic_label, self.microphones, self.meter):
            w.setVisible(state != "done")
        self.done_label.setVisible(state == "done")
        self.record_button.setVisible(state in ("disabled", "idle"))
        self.record_button.setEnabled(state == "idle")
        self.pause_button.setVisible(state in ("recording", "paused", "lost"))
        self.pause_button.setEnabled(state in ("recording", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("recording", "paused", "lost"))
        self.stop_button.setVisible(state not in ("done",))
        self.microphones.setEnabled(state in ("idle", "disabled", "paused", "lost"))
        if state in ("idle", "disabled"):
            self.microphones.resume_refreshing()
        else:  # no PortAudio re-scan while a microphone is open or opening
            self.microphones.stop_refreshing()
        if state in ("idle", "disabled", "done"):
            self.meter.set_level(None)

    def set_progress(self, level_db: float | None, elapsed_s: float) -> None:
        self.meter.set_level(level_db)
        self.elapsed.setText(format_elapsed(elapsed_s))

    # ------------------------------------------------------------------ input
    def _record_clicked(self) -> None:
        if self.state == "idle":
            self.record_requested.emit()

    def _pause_clicked(self) -> None:
        if self.state == "recording":
            self.pause_requested.emit()
        elif self.state == "paused":
            self.record_requested.emit()

    def toggle(self) -> None:
        """The record/pause shortcut."""
        if self.state == "idle":
            self.record_requested.emit()
        elif self.state == "recording":
            self.pause_requested.emit()
        elif self.state == "paused":
            self.record_requested.emit()
