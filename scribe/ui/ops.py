"""Run core work off the UI thread and hear back on it (after Anki's ``QueryOp``).

The UI thread only ever *starts* work and *receives* results. A callable runs on a worker
thread of a :class:`QThreadPool`; its result, its exception, and anything it reports along the
way travel back as queued Qt signals and are delivered to plain Python callbacks on the UI
thread::

    BackgroundOp(
        lambda ctx: store.list(),
        on_success=self.show_visits,
        parent=self,
    ).start()

The callable gets an :class:`OpContext`: ``ctx.report(obj)`` sends progress (anything: a
``(fraction, message)`` tuple, a stream event…) to ``on_progress`` on the UI thread, and
``ctx.cancelled`` turns true when the UI called :meth:`BackgroundOp.cancel`.

Errors: a :class:`~scribe.errors.ScribeError` is meant for the user and is shown verbatim;
anything else is a bug, logged with its traceback and shown as a short generic message. Pass
``on_failure`` to handle either yourself.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ..errors import ScribeError

log = logging.getLogger(__name__)

_POOL: QThreadPool | None = None
_LIVE: set[BackgroundOp] = set()  # keeps running ops (and their callbacks) alive
_BOXES: set = set()  # error boxes on screen


def op_pool() -> QThreadPool:
    """The pool all UI background work runs on (model loads, drafting, exports, file reads)."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setObjectName("scribe-ops")
        _POOL.setMaxThreadCount(4)
    return _POOL


_SERIAL: QThreadPool | None = None


def serial_pool() -> QThreadPool:
    """One worker thread: storage writes and recorder control run here in the order asked."""
    global _SERIAL
    if _SERIAL is None:
        _SERIAL = QThreadPool()
        _SERIAL.setObjectName("scribe-serial")
        _SERIAL.setMaxThreadCount(1)
    return _SERIAL


def wait_for_ops(timeout_ms: int = 30000) -> bool:
    """Block until background ops are done (for shutdown and tests, never mid-session)."""
    ok = serial_pool().waitForDone(timeout_ms)
    return op_pool().waitForDone(timeout_ms) and ok


class OpContext:
    """What the worker callable sees: a way to report progress and to notice cancellation."""

    def __init__(self, emit: Callable[[object], None], cancel_flag: threading.Event):
        self._emit = emit
        self._cancel = cancel_flag

    def report(self, value: Any) -> None:
        self._emit(value)

    def progress(self, fraction: float, message: str = "") -> None:
        """Adapter matching the core's ``Progress = Callable[[float, str], None]``."""
        self._emit((float(fraction), message))

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Bus(QObject):
    """One long-lived sender for every op. Workers emit ``(op id, payload)``; the bus lives on
    the UI thread, so its receivers run there (queued). No per-op QObject is ever created,
    touched or destroyed on a worker thread."""

    progressed = Signal(int, object)
    succeeded = Signal(int, object)
    failed = Signal(int, object, str)

    @Slot(int, object)
    def _on_progress(self, op_id: int, value: object) -> None:
        op = _BY_ID.get(op_id)
        if op is not None:
            op._progress(value)

    @Slot(int, object)
    def _on_success(self, op_id: int, value: object) -> None:
        op = _BY_ID.get(op_id)
        if op is not None:
            op._success(value)

    @Slot(int, object, str)
    def _on_failure(self, op_id: int, exc: BaseException, tb: str) -> None:
        op = _BY_ID.get(op_id)
        if op is not None:
            op._failure(exc, tb)


_BUS: _Bus | None = None
_BY_ID: dict[int, BackgroundOp] = {}
_NEXT_ID = iter(range(1, 1 << 62))


def _bus() -> _Bus:
    global _BUS
    if _BUS is None:  # created by the first op, on the UI thread
        _BUS = _Bus()
        _BUS.progressed.connect(_BUS._on_progress, Qt.ConnectionType.QueuedConnection)
        _BUS.succeeded.connect(_BUS._on_success, Qt.ConnectionType.QueuedConnection)
        _BUS.failed.connect(_BUS._on_failure, Qt.ConnectionType.QueuedConnection)
    return _BUS


def _job(op_id: int, fn: Callable[[OpContext], Any], cancel: threading.Event, bus: _Bus) -> Callable[[], None]:
    def run() -> None:  # worker thread: touch no widget here
        ctx = OpContext(lambda value: bus.progressed.emit(op_id, value), cancel)
        try:
            result = fn(ctx)
        except BaseException as exc:  # noqa: BLE001 - reported to the UI thread
            bus.failed.emit(op_id, exc, traceback.format_exc())
        else:
            bus.succeeded.emit(op_id, result)

    return run


class BackgroundOp(QObject):
    """One piece of work on the pool, with callbacks delivered on the UI thread."""

    finished = Signal()

    def __init__(
        self,
        fn: Callable[[OpContext], Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        parent: QWidget | None = None,
        name: str = "",
    ):
        super().__init__(None)  # not parented: it outlives a closed dialog until it finishes
        self._fn = fn
        self._on_success = on_success
        self._on_failure = on_failure
        self._on_progress = on_progress
        self._parent_widget = parent
        self.name = name or getattr(fn, "__name__", "op")
        self._cancel = threading.Event()
        self.id = next(_NEXT_ID)
        self.running = False
        self.done = False

    def start(self, pool: QThreadPool | None = None) -> BackgroundOp:
        _LIVE.add(self)
        _BY_ID[self.id] = self
        self.running = True
        # QThreadPool.start(callable): Qt owns the runnable wrapper, Python owns nothing a worker
        # thread could free.
        (pool or op_pool()).start(_job(self.id, self._fn, self._cancel, _bus()))
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # ---- UI thread from here on (called by the bus)
    def _progress(self, value: object) -> None:
        if self._on_progress is not None and not self.done:
            self._guard(self._on_progress, value)

    def _success(self, result: object) -> None:
        self._finish()
        if self._on_success is not None:
            self._guard(self._on_success, result)

    def _failure(self, exc: BaseException, tb: str) -> None:
        self._finish()
        if not isinstance(exc, ScribeError):
            log.error("background op %r failed:\n%s", self.name, tb)
            try:
                exc._scribe_logged = True  # type: ignore[attr-defined]
            except AttributeError:
                pass
        if self._on_failure is not None:
            self._guard(self._on_failure, exc)
        elif _alive(self._parent_widget):
            show_error(self._parent_widget, exc)

    def _finish(self) -> None:
        self.running = False
        self.done = True
        _LIVE.discard(self)
        _BY_ID.pop(self.id, None)
        self.finished.emit()

    def _guard(self, cb: Callable[[Any], None], arg: Any) -> None:
        # The window or widget that asked may have been closed meanwhile: then nobody listens.
        if not _alive(self._parent_widget) or not _alive(getattr(cb, "__self__", None)):
            log.debug("op %r finished after its receiver was deleted", self.name)
            return
        # An exception escaping a slot would be printed and swallowed by Qt; make it visible.
        try:
            cb(arg)
        except Exception as exc:  # noqa: BLE001
            log.exception("callback of op %r failed", self.name)
            show_error(self._parent_widget, exc)


def _alive(obj: Any) -> bool:
    if obj is None or not isinstance(obj, QObject):
        return True
    import shiboken6

    return shiboken6.isValid(obj)


def lower_thread_priority(nice: int = 5) -> None:
    """Make the calling worker thread (and the threads it starts, e.g. llama.cpp's or
    CTranslate2's) yield the CPU to the UI thread and the audio threads when cores are busy.

    Linux applies nice values per thread; elsewhere this does nothing. Never call it on the UI
    thread or on a thread that starts audio capture.
    """
    if not hasattr(os, "setpriority") or threading.current_thread() is threading.main_thread():
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), nice))
    except OSError:
        pass


def error_text(exc: BaseException) -> str:
    """What the user reads: a ScribeError's own sentence, or a generic line for bugs."""
    if isinstance(exc, ScribeError):
        return str(exc)
    return (
        "Something went wrong inside Scribe and the action could not be completed. "
        "Your recorded audio and saved notes are not affected. "
        f"(Technical detail for IT: {type(exc).__name__}; see the log file.)"
    )


def show_error(parent: QWidget | None, exc: BaseException, title: str = "Scribe") -> None:
    """Show an error to the user. Non-Scribe exceptions must already be logged by the caller."""
    if not isinstance(exc, ScribeError) and not getattr(exc, "_scribe_logged", False):
        log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if isinstance(exc, ScribeError) else QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(error_text(exc))
    box.setObjectName("errorBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _BOXES.add(box)  # a parentless box would otherwise be garbage-collected at once
    box.finished.connect(lambda _r, b=box: _BOXES.discard(b))
    box.open()  # window-modal, does not spin a nested event loop
