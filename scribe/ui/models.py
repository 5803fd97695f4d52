"""Loading the speech and language models in the background, with progress.

The main window opens at once; :class:`ModelHub` loads the speech model first (needed
soonest, for the live transcript) and then the language model, on a worker, reporting
``(fraction, message)`` to the status bar. Workers that need a model before it is ready
(a visit recorded in the first seconds after launch) wait on it with :meth:`wait_asr` /
:meth:`wait_llm`; the audio is safe on disk meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..errors import ModelError
from ..settings import Settings
from ..threads import lower_thread_priority
from .ops import BackgroundOp, OpContext

log = logging.getLogger(__name__)

Loader = Callable[[Settings, Callable[[float, str], None]], Any]


def load_asr_engine(settings: Settings, progress: Callable[[float, str], None]) -> Any:
    from ..workers.asr import create_asr_engine

    engine = create_asr_engine(settings.asr_model, settings)
    engine.load(progress)
    return engine


def load_llm_runtime(settings: Settings, progress: Callable[[float, str], None]) -> Any:
    from ..drafting.runtimes import create_runtime

    runtime = create_runtime(settings, progress)
    runtime.load(progress)
    # What the visit session drafts with, imported here, off the UI thread: imported by the first
    # in-visit update instead, it froze the window for 55-95 ms (benchmarks/bench_visit.py).
    from ..drafting import drafter, incremental  # noqa: F401

    return runtime


class _Slot:
    """One model: the loaded object or the error, and an event set when either is known."""

    def __init__(self, label: str):
        self.label = label
        self.value: Any = None
        self.error: BaseException | None = None
        self.event = threading.Event()

    def wait(self, timeout: float | None) -> Any:
        if not self.event.wait(timeout):
            raise ModelError(f"The {self.label} is still loading; try again in a moment.")
        if self.error is not None:
            raise self.error
        return self.value

    def reset(self) -> None:
        self.value, self.error = None, None
        self.event.clear()


def warm_checks() -> None:
    """Build the drug dictionary every check uses (on first use it costs ~0.8 s of Python and a 0.1 s
    pickle load that holds the GIL). Built while the app loads its models, it no longer competes
    with the window at Stop (a 56 ms UI stall measured there)."""
    from ..lexicon import default_medications

    default_medications()


class ModelHub(QObject):
    progress = Signal(float, str)  # overall fraction, message
    asr_ready = Signal()
    llm_ready = Signal()
    failed = Signal(str, object)  # "asr" | "llm", exception
    all_done = Signal()

    def __init__(
        self,
        settings: Settings,
        asr_loader: Loader = load_asr_engine,
        llm_loader: Loader = load_llm_runtime,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.settings = settings
        self._asr_loader = asr_loader
        self._llm_loader = llm_loader
        self._asr = _Slot("speech model")
        self._llm = _Slot("language model")
        self._op: BackgroundOp | None = None

    @classmethod
    def preloaded(cls, settings: Settings, asr: Any = None, llm: Any = None, parent: QObject | None = None) -> ModelHub:
        """A hub whose models are already loaded (tests, benchmarks, an embedding app)."""
        hub = cls(settings, parent=parent)
        for slot, value in ((hub._asr, asr), (hub._llm, llm)):
            if value is not None:
                slot.value = value
                slot.event.set()
        return hub

    # ------------------------------------------------------------------ state
    @property
    def asr(self) -> Any:
        return self._asr.value

    @property
    def llm(self) -> Any:
        return self._llm.value

    @property
    def loading(self) -> bool:
        return self._op is not None and self._op.running

    def wait_asr(self, timeout: float | None = None) -> Any:
        """Worker threads only: block until the speech model is loaded (or raise its error)."""
        return self._asr.wait(timeout)

    def wait_llm(self, timeout: float | None = None) -> Any:
        return self._llm.wait(timeout)

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        """Start loading both models (no-op if a load is running)."""
        if self.loading:
            return
        for slot in (self._asr, self._llm):
            if slot.error is not None or slot.value is None:
                slot.reset()
        asr_slot, llm_slot = self._asr, self._llm
        settings = self.settings
        asr_loader, llm_loader = self._asr_loader, self._llm_loader

        def work(ctx: OpContext) -> None:
            lower_thread_priority()  # and the model threads created while loading inherit it
            for i, (kind, slot, loader) in enumerate((("asr", asr_slot, asr_loader), ("llm", llm_slot, llm_loader))):
                if slot.value is not None:
                    continue

                def prog(frac: float, msg: str, _i: int = i) -> None:
                    ctx.report(("progress", (_i + max(0.0, min(1.0, frac))) / 2, msg))

                prog(0.0, f"Loading the {slot.label}…")
                try:
                    slot.value = loader(settings, prog)
                except BaseException as exc:  # noqa: BLE001 - handed to the UI
                    log.exception("loading the %s failed", slot.label)
                    slot.error = exc
                    slot.event.set()
                    ctx.report(("failed", kind, exc))
                    continue
                slot.event.set()
                ctx.report(("ready", kind))
            warm_checks()

        def on_progress(item: tuple) -> None:
            if item[0] == "progress":
                self.progress.emit(item[1], item[2])
            elif item[0] == "ready":
                (self.asr_ready if item[1] == "asr" else self.llm_ready).emit()
            elif item[0] == "failed":
                self.failed.emit(item[1], item[2])

        self._op = BackgroundOp(
            work, on_progress=on_progress, on_success=lambda _: self.all_done.emit(), name="load-models"
        )
        self._op.start()
