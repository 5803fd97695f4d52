"""The UI-stall measure shared by the benchmarks: how late a fast timer's ticks arrive.

A ``PreciseTimer`` asks to tick every ``interval_ms``; any lateness beyond that is time the event
loop could not run (the UI was frozen). Each tick's lateness is recorded under the current
``phase``; ticks later than ``worst_over_ms`` are also kept with when they happened.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import Counter


class StallMeter:
    def __init__(self, interval_ms: float = 5.0, worst_over_ms: float = 100.0):
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.interval = interval_ms
        self.worst_over = worst_over_ms
        self.phase = "idle"
        self.samples: dict[str, list[float]] = {}
        self.worst: list[tuple[float, str, float]] = []  # (lateness ms, phase, seconds since start)
        self._clock = QElapsedTimer()
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(int(interval_ms))
        self._timer.timeout.connect(self._tick)

    def start(self, sample_over_ms: float = 0.0) -> StallMeter:
        """``sample_over_ms``: also record what the UI thread was doing whenever a tick is that late
        (a watcher thread reads its Python stack; see :meth:`culprits`)."""
        self._clock.start()
        self._last = self._clock.nsecsElapsed() / 1e6
        self._beat = time.perf_counter()
        self._timer.start()
        if sample_over_ms > 0:
            self._ui = threading.get_ident()
            self._stacks: Counter = Counter()
            self._others: Counter = Counter()
            self._watching = True
            threading.Thread(target=self._watch, args=(sample_over_ms / 1000,), daemon=True, name="stall-watch").start()
        return self

    def stop(self) -> None:
        self._timer.stop()
        self._watching = False

    def _watch(self, over_s: float) -> None:
        """Every 5 ms: if the UI thread's last tick is ``over_s`` old, note its stack (once per stall)."""
        noted = None
        while self._watching:
            time.sleep(0.005)
            beat = self._beat
            if time.perf_counter() - beat > over_s and noted != beat:
                frame = sys._current_frames().get(self._ui)
                if frame is not None:
                    # the innermost frames of our own code (not the import machinery or the stdlib)
                    stack = [
                        f
                        for f in traceback.extract_stack(frame)
                        if "/scribe/" in f.filename or "benchmarks" in f.filename or f.filename.startswith("<")
                    ][-8:]
                    self._stacks[
                        " < ".join(f"{f.name} ({f.filename.rsplit('/', 1)[-1]}:{f.lineno})" for f in reversed(stack))
                    ] += 1
                    # a UI thread waiting inside Qt shows no Python frame of its own: what the other
                    # threads run then is the likely cause (one of them held the GIL)
                    names = {t.ident: t.name for t in threading.enumerate()}
                    me = threading.get_ident()
                    for ident, other in sys._current_frames().items():
                        if ident in (self._ui, me):
                            continue
                        own = [
                            f
                            for f in traceback.extract_stack(other)
                            if "/scribe/" in f.filename or "benchmarks" in f.filename
                        ][-3:]
                        if own:
                            where = " < ".join(
                                f"{f.name} ({f.filename.rsplit('/', 1)[-1]}:{f.lineno})" for f in reversed(own)
                            )
                            self._others[f"{names.get(ident, ident)}: {where}"] += 1
                noted = beat

    def culprits(self, n: int = 5) -> list[tuple[int, str]]:
        """The UI thread's most frequent stacks during stalls: (count, innermost frame first)."""
        return [(c, s) for s, c in getattr(self, "_stacks", Counter()).most_common(n)]

    def other_threads(self, n: int = 8) -> list[tuple[int, str]]:
        """What the other threads were running during those stalls: (count, "thread: innermost frames")."""
        return [(c, s) for s, c in getattr(self, "_others", Counter()).most_common(n)]

    def _tick(self) -> None:
        self._beat = time.perf_counter()
        now = self._clock.nsecsElapsed() / 1e6
        late = max(0.0, now - self._last - self.interval)
        self._last = now
        self.samples.setdefault(self.phase, []).append(late)
        if late > self.worst_over:
            self.worst.append((late, self.phase, now / 1000))

    def max_by_phase(self) -> dict[str, float]:
        return {phase: max(xs) for phase, xs in self.samples.items() if xs}
