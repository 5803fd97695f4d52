"""How far behind speech the live transcript runs, with and without the provisional preview.

Replays a visit at real-time pace (a feeder thread stands in for the microphone, 100 ms chunks)
through the same pieces the desktop app's transcription worker uses — the core's
``StreamingTranscriber`` and ``PreviewPacer`` — and measures, for every word of the final
transcript, the wall-clock time from the moment it was said (its end in the audio) until the view
first showed text reaching it: once counting final text only (what Scribe showed before the
preview) and once counting previews too. Also prints Stop -> final transcript and how busy the
recogniser thread was. Wall-clock numbers depend on what else runs: the load average is printed.

    python benchmarks/bench_live_transcript.py                      # whole sample visit, base
    python benchmarks/bench_live_transcript.py --seconds 120 --asr-model tiny.en
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scribe.asr.engine import FasterWhisperEngine, StreamingTranscriber  # noqa: E402
from scribe.asr.live import PreviewPacer, display_lags  # noqa: E402
from scribe.audio import SAMPLE_RATE, load_audio  # noqa: E402
from scribe.settings import load_settings  # noqa: E402

CHUNK = SAMPLE_RATE // 10


def replay(engine, audio: np.ndarray, interval_s: float) -> dict:
    """One real-time run; returns final/preview events on the audio clock plus costs."""
    chunks: queue.Queue = queue.Queue()
    stream = StreamingTranscriber(engine)
    pacer = PreviewPacer(interval_s)
    t0 = time.monotonic()

    def feeder():
        for i in range(0, len(audio), CHUNK):
            wait = t0 + (i + CHUNK) / SAMPLE_RATE - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            chunks.put(audio[i : i + CHUNK])
        chunks.put(None)

    threading.Thread(target=feeder, daemon=True).start()
    finals, shown, busy = [], [], 0.0
    preview: list = []
    ended = False
    while not ended:
        parts = [chunks.get()]
        while not chunks.empty():
            parts.append(chunks.get_nowait())
        if parts[-1] is None:
            ended, parts = True, parts[:-1]
        if parts:
            t = time.perf_counter()
            new = stream.feed(np.concatenate(parts))
            busy += time.perf_counter() - t
            if new:
                preview = []
                pacer.soon()
                now = time.monotonic() - t0
                finals.append((now, stream.segments))
                shown.append((now, stream.segments))
        if not ended and chunks.empty():
            t = time.perf_counter()
            segs = pacer.run(stream)
            busy += time.perf_counter() - t
            if segs is not None:
                preview = segs
                shown.append((time.monotonic() - t0, stream.segments + preview))
    stop = time.monotonic()
    stream.finish()
    stop_to_final = time.monotonic() - stop
    return {
        "finals": finals,
        "shown": shown,
        "segments": stream.segments,
        "stop_to_final_s": stop_to_final,
        "busy": busy + stop_to_final,
        "wall": time.monotonic() - t0,
        "previews": pacer.calls,
        "preview_s": pacer.seconds,
    }


def stats(lags: list[float]) -> str:
    if not lags:
        return "— | — | —"
    a = np.array(lags)
    return f"{np.median(a):.1f} | {np.percentile(a, 90):.1f} | {a.max():.1f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", type=Path, default=ROOT / "assets/sample/visit.flac")
    ap.add_argument("--seconds", type=float, default=0.0, help="only the first N seconds (0: all)")
    ap.add_argument("--asr-model", default="base")
    ap.add_argument("--interval", type=float, default=2.0, help="preview interval (the asr_live_preview_s setting)")
    args = ap.parse_args(argv)

    audio = load_audio(args.audio)
    if args.seconds:
        audio = audio[: int(args.seconds * SAMPLE_RATE)]
    engine = FasterWhisperEngine(args.asr_model, load_settings())
    engine.load()
    load_before = os.getloadavg()[0]
    r = replay(engine, audio, args.interval)
    words = [w for s in r["segments"] for w in s.words]
    finals_only = display_lags(r["finals"], words)
    with_preview = display_lags(r["shown"], words)
    # Words only finalised at Stop appear after the replay's end: count them at that moment.
    end_s = len(audio) / SAMPLE_RATE
    missing_f = len(words) - len(finals_only)
    missing_p = len(words) - len(with_preview)
    finals_only += [end_s + r["stop_to_final_s"] - w.end for w in words[len(words) - missing_f :]]
    with_preview += [end_s + r["stop_to_final_s"] - w.end for w in words[len(words) - missing_p :]]

    print(
        f"\n### Live transcript lag — {args.audio.name}, {end_s:.0f} s at real-time pace, {args.asr_model}, "
        f"{len(words)} words (load average {load_before:.1f} → {os.getloadavg()[0]:.1f}, 2 cores)\n"
    )
    print("| what the view shows | median lag s | p90 s | max s |")
    print("|---|---|---|---|")
    print(f"| final text only (before the preview) | {stats(finals_only)} |")
    print(f"| with the live preview every {args.interval:g} s | {stats(with_preview)} |")
    ratio = np.median(with_preview) / max(1e-9, np.median(finals_only))
    print(
        f"\nmedian lag ratio preview / finals-only: {ratio:.2f}; previews: {r['previews']} "
        f"({r['preview_s']:.0f} s of decoding); recogniser thread busy {100 * r['busy'] / r['wall']:.0f} % "
        f"of the visit; Stop → final transcript {r['stop_to_final_s']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
