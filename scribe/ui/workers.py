"""Long-lived workers that stream results to the UI (after Buzz's transcriber workers).

:class:`TranscriptionWorker` is a ``QObject`` moved to its own ``QThread``. The recorder's
audio thread hands it chunks through :meth:`push` (thread-safe, never blocks); the worker
feeds them to the core's incremental recogniser and emits each batch of newly final segments
with a queued signal. The UI thread never calls into the recogniser.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..asr.live import PreviewPacer
from ..audio import SAMPLE_RATE

log = logging.getLogger(__name__)

_END = object()


class TranscriptionWorker(QObject):
    """Incremental ASR on a worker thread.

    ``engine_provider(timeout)`` returns the loaded speech model, blocking (on the worker) up to
    ``timeout`` seconds (``None``: until loaded), and raises if it is not ready or failed;
    ``transcriber_factory(engine)`` returns an object with ``feed(chunk) -> [Segment]`` and
    ``finish() -> [Segment]`` (the core's ``StreamingTranscriber``). ``on_segments`` is called
    on the worker thread with the segments so far (used to save the partial transcript).
    """

    # object, not list: a Python list would be converted to a QVariantList and copied by Qt
    # outside the GIL on its way across threads
    segments_ready = Signal(object)  # newly final segments (list)
    preview_ready = Signal(object)  # provisional segments for the not-yet-final tail (list; replaces the last)
    finished = Signal(object)  # the segments that ``finish()`` flushed (list)
    failed = Signal(object, str)
    waiting_for_model = Signal()

    def __init__(
        self,
        engine_provider: Callable[[float | None], Any],
        transcriber_factory: Callable[[Any], Any],
        on_segments: Callable[[list], None] | None = None,
        max_batch_seconds: float = 8.0,
        segment_offset: float = 0.0,
        preview_interval_s: float = 2.0,
    ):
        super().__init__()
        self._engine_provider = engine_provider
        self._factory = transcriber_factory
        self._on_segments = on_segments
        self._queue: queue.Queue[Any] = queue.Queue()
        self._max_batch = int(max_batch_seconds * SAMPLE_RATE)
        self._abort = threading.Event()
        self.all_segments: list = []
        self.fed_seconds = 0.0
        self.busy_seconds = 0.0  # time spent inside the recogniser (for the benchmark)
        self._pacer = PreviewPacer(preview_interval_s)  # live preview of the not-yet-final tail

    # ---- any thread
    def push(self, chunk: np.ndarray) -> None:
        """Recorder listener: called on the audio thread, returns at once."""
        self._queue.put(chunk)

    def end(self) -> None:
        """No more audio: flush and finish."""
        self._queue.put(_END)

    def abort(self) -> None:
        self._abort.set()
        self._queue.put(_END)

    @property
    def backlog_seconds(self) -> float:
        return self._queue.qsize() * 0.1  # rough: recorder chunks are ~100 ms

    # ---- worker thread
    @Slot()
    def run(self) -> None:
        import time

        from .ops import lower_thread_priority

        lower_thread_priority()  # speech recognition must not starve the UI or the audio threads
        try:
            try:
                engine = self._engine_provider(0.0)
            except Exception:  # noqa: BLE001 - still loading (or failed: raised again below)
                self.waiting_for_model.emit()
                engine = self._engine_provider(None)
            transcriber = self._factory(engine)
            ended = False
            while not ended and not self._abort.is_set():
                item = self._queue.get()
                parts = []
                if item is _END:
                    ended = True
                else:
                    parts.append(item)
                # Drain what is already queued (keeps up after a pause in processing).
                size = sum(len(p) for p in parts)
                while size < self._max_batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _END:
                        ended = True
                        break
                    parts.append(nxt)
                    size += len(nxt)
                if parts and not self._abort.is_set():
                    chunk = parts[0] if len(parts) == 1 else np.concatenate(parts)
                    t0 = time.perf_counter()
                    new = list(transcriber.feed(np.asarray(chunk, dtype=np.float32)))
                    self.busy_seconds += time.perf_counter() - t0
                    self.fed_seconds += len(chunk) / SAMPLE_RATE
                    if new:
                        self._publish(new)
                        self._pacer.soon()  # show the still-open tail again soon
                if not ended and self._queue.empty() and not self._abort.is_set():
                    self._maybe_preview(transcriber)
            if self._abort.is_set():
                self.finished.emit([])
                return
            t0 = time.perf_counter()
            tail = list(transcriber.finish())
            self.busy_seconds += time.perf_counter() - t0
            if tail:
                self.all_segments.extend(tail)
                if self._on_segments:
                    self._on_segments(list(self.all_segments))
            self.finished.emit(tail)
        except BaseException as exc:  # noqa: BLE001 - reported to the UI thread
            log.exception("transcription worker failed")
            self.failed.emit(exc, traceback.format_exc())

    def _maybe_preview(self, transcriber: Any) -> None:
        """Decode the open tail for the live view when due (only when caught up with the audio)."""
        spent = self._pacer.seconds
        segments = self._pacer.run(transcriber)
        self.busy_seconds += self._pacer.seconds - spent
        if segments is not None:
            self.preview_ready.emit(segments)

    def _publish(self, new: list) -> None:
        self.all_segments.extend(new)
        if self._on_segments:
            try:
                self._on_segments(list(self.all_segments))
            except Exception:  # noqa: BLE001 - saving a partial transcript must not stop ASR
                log.exception("saving the partial transcript failed")
        self.segments_ready.emit(new)


_RUNNING: set[WorkerThread] = set()  # a QThread must outlive its run: keep it until it has finished


class WorkerThread:
    """Owns a QThread running one worker's ``run`` slot.

    The thread quits when the worker reports ``finished`` or ``failed``; the object keeps
    itself alive until the QThread has really stopped (destroying a running QThread aborts).
    """

    def __init__(self, worker: TranscriptionWorker, name: str):
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        worker.finished.connect(self.thread.quit)
        worker.failed.connect(self.thread.quit)
        self.thread.finished.connect(lambda: _RUNNING.discard(self))

    def start(self) -> None:
        _RUNNING.add(self)
        self.thread.start()

    def quit(self, wait_ms: int = 0) -> bool:
        self.thread.quit()
        if wait_ms:
            return self.thread.wait(wait_ms)
        return True

    def is_running(self) -> bool:
        return self.thread.isRunning()
