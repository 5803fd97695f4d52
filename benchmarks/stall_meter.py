"""The UI-stall measure shared by the benchmarks: how late a fast timer's ticks arrive.

A ``PreciseTimer`` asks to tick every ``interval_ms``; any lateness beyond that is time the event
loop could not run (the UI was frozen). Each tick's lateness is recorded under the current
``phase``; ticks later than ``worst_over_ms`` are also kept with when they happened.
"""

from __future__ import annotations


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

    def start(self) -> "StallMeter":
        self._clock.start()
        self._last = self._clock.nsecsElapsed() / 1e6
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        late = max(0.0, now - self._last - self.interval)
        self._last = now
        self.samples.setdefault(self.phase, []).append(late)
        if late > self.worst_over:
            self.worst.append((late, self.phase, now / 1000))

    def max_by_phase(self) -> dict[str, float]:
        return {phase: max(xs) for phase, xs in self.samples.items() if xs}
