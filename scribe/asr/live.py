"""Pacing of live previews: how often the open tail of a recording is re-decoded for display.

A preview costs one decode of up to ~27 s of audio. Run too often it starves the recogniser
(which must keep up with the microphone) and the language model warming up for the draft;
run too rarely the transcript trails speech. The rule: at most every ``interval_s``, and the
next preview waits at least as long as the last one took, so previews never take more than
about half of the recogniser's thread. Shared by the desktop app's worker and the benchmark so
what is measured is what runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class PreviewPacer:
    def __init__(self, interval_s: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.interval = max(0.0, interval_s)
        self.clock = clock
        self._next = 0.0
        self.calls = 0
        self.seconds = 0.0  # time spent decoding previews

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def due(self) -> bool:
        return self.enabled and self.clock() >= self._next

    def soon(self) -> None:
        """New final text was shown: the rest of the tail may be previewed at once."""
        self._next = 0.0

    def run(self, transcriber) -> list | None:
        """Preview if due; returns the provisional segments, or ``None`` if nothing was decoded."""
        preview = getattr(transcriber, "preview", None)
        if preview is None or not self.due():
            return None
        t0 = time.perf_counter()
        segments = preview()
        if segments is None:
            return None
        cost = time.perf_counter() - t0
        self.calls += 1
        self.seconds += cost
        self._next = self.clock() + max(self.interval, cost)
        return list(segments)


def display_lags(events: list[tuple[float, list]], words: list, tolerance_s: float = 0.3) -> list[float]:
    """For each word, how long after its end the view first showed text reaching it.

    ``events`` are ``(time, segments on screen then)`` in time order, with time on the audio's
    clock (seconds since the recording started, or of audio fed); ``words`` are the final
    transcript's words. Used by the tests and ``benchmarks/bench_live_transcript.py``.
    """
    lags = []
    for w in words:
        for when, segments in events:
            if any(x.end >= w.end - tolerance_s for seg in segments for x in seg.words):
                lags.append(when - w.end)
                break
    return lags
