"""Play the visit recording from a given moment ("Play from here" on a statement).

The audio is read through the visit (storage is the only module that opens patient files)
and played with sounddevice on a worker; nothing blocks the UI thread. Without an output
device the user gets a clear message instead of an exception.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..errors import AudioError
from .ops import BackgroundOp, OpContext

log = logging.getLogger(__name__)


def _sounddevice():
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        raise AudioError(f"Audio playback is unavailable on this computer ({exc}).") from None
    return sd


def check_output_device() -> None:
    sd = _sounddevice()
    try:
        sd.query_devices(kind="output")
    except Exception:  # noqa: BLE001 - PortAudioError / ValueError when there is none
        raise AudioError("There is no audio output device (speakers or headphones) to play the recording on.") from None


class AudioPlayer(QObject):
    started = Signal(float)  # start second
    stopped = Signal()

    def __init__(self, parent: QObject | None = None, max_seconds: float = 120.0):
        super().__init__(parent)
        self.max_seconds = max_seconds  # play a passage, not the whole visit
        self._op: BackgroundOp | None = None
        self.playing = False
        self.last_request: tuple[str, float] | None = None

    def play(self, visit: Any, start_s: float, parent_widget=None) -> None:
        self.last_request = (visit.encounter_id, float(start_s))
        self.stop()
        max_s = self.max_seconds

        def work(ctx: OpContext) -> float:
            check_output_device()
            samples, rate = visit.load_audio()
            a = int(max(0.0, start_s - 0.3) * rate)  # a little before, so the first word is whole
            clip = samples[a : a + int(max_s * rate)]
            if len(clip) == 0:
                raise AudioError("There is no recorded audio at that point of the visit.")
            sd = _sounddevice()
            sd.play(clip, rate)
            return start_s

        def ok(start: float) -> None:
            self.playing = True
            self.started.emit(start)

        self._op = BackgroundOp(work, on_success=ok, parent=parent_widget, name="play-audio").start()

    def stop(self) -> None:
        if self.playing:
            try:
                _sounddevice().stop()
            except Exception:  # noqa: BLE001
                log.debug("stopping playback failed", exc_info=True)
            self.playing = False
            self.stopped.emit()
