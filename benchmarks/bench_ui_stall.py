"""How long can the desktop app's UI thread stall while it transcribes and drafts?

A ``QTimer`` fires every 5 ms on the UI thread and records how late each tick is. The real main
window runs a real visit: a speech clip is replayed as the microphone at real-time pace (live
transcription on the ASR worker), then Stop drafts the note with the real language model (LLM
worker, statements streaming into the editor). The longest lateness is the longest moment the
window could not react to a click or repaint.

    python benchmarks/bench_ui_stall.py                       # tiny.en + smollm2-135m, short clip
    python benchmarks/bench_ui_stall.py --asr base --llm qwen2.5-coder-1.5b --clip assets/sample/visit.flac --seconds 60

Runs offscreen by default (QT_QPA_PLATFORM=offscreen); pass --platform xcb under a display.
A stall above ~100 ms is perceptible; above ~250 ms the app feels stuck.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--asr", default="tiny.en")
    ap.add_argument("--llm", default="smollm2-135m")
    ap.add_argument("--clip", default=str(REPO / "assets" / "sample" / "short_clip.flac"))
    ap.add_argument("--seconds", type=float, default=0.0, help="replay only this much of the clip (0: all)")
    ap.add_argument("--interval-ms", type=float, default=5.0)
    ap.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    ap.add_argument("--section-tokens", type=int, default=0, help="cap each drafted section (0: drafter default)")
    args = ap.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform

    from PySide6.QtCore import QSettings

    tmp = Path(tempfile.mkdtemp(prefix="scribe-bench-ui-"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp / "qs"))
    os.environ["SCRIBE_SETTINGS"] = str(tmp / "settings.toml")
    os.environ["SCRIBE_POLICY"] = str(tmp / "no-policy.toml")

    from scribe.asr.engine import FasterWhisperEngine
    from scribe.audio import SAMPLE_RATE, load_audio
    from scribe.domain import Encounter
    from scribe.drafting.drafter import NoteDrafter
    from scribe.drafting.runtimes import create_runtime
    from scribe.recording import FileReplaySource, InputDevice
    from scribe.settings import Settings
    from scribe.storage import VisitStore
    from scribe.ui.app import build_window, create_app
    from scribe.ui.models import ModelHub
    from scribe.ui.ops import wait_for_ops

    settings = Settings(asr_model=args.asr, llm_model=args.llm, data_dir=str(tmp / "data"))
    print(f"loading {args.asr} and {args.llm}…", flush=True)
    asr = FasterWhisperEngine(args.asr, settings)
    asr.load()
    llm = create_runtime(settings)
    llm.load()
    audio = load_audio(args.clip)
    if args.seconds:
        audio = audio[: int(args.seconds * SAMPLE_RATE)]

    app = create_app(["bench"])
    hub = ModelHub.preloaded(settings, asr, llm)
    store = VisitStore(tmp / "visits")
    mic = InputDevice(id=0, name="replay", is_default=True, channels=1, default_samplerate=16000)

    def drafter(runtime, template):
        kw = {"section_max_tokens": args.section_tokens} if args.section_tokens else {}
        return NoteDrafter(runtime, template, **kw)

    win = build_window(
        app,
        settings,
        store=store,
        models=hub,
        list_devices=lambda: [mic],
        make_source=lambda d: FileReplaySource(args.clip, realtime=True, audio=audio),
        make_drafter=drafter,
        warm_interval_s=0,
        check_recovery=False,
    )
    win.resize(1360, 860)
    win.show()

    from stall_meter import StallMeter

    interval = args.interval_ms
    meter = StallMeter(interval).start()
    samples, worst = meter.samples, meter.worst

    def pump(seconds: float, until=None) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            if until is not None and until():
                return
            time.sleep(0.001)

    pump(3.0)  # idle baseline (window shown, nothing running)
    from scribe.domain import new_id

    enc = Encounter(encounter_id=new_id("bench"), patient_name="Benchmark Patient", patient_id="B-1", clinician="bench")
    visit = store.create(enc, actor="bench", state="recorded")
    win._show_visit(visit, None, None)
    page = win.page
    session = win.session
    pump(1.0)
    print("recording…", flush=True)
    meter.phase = "recording + live ASR"
    t_rec = time.monotonic()
    page.recording.record_button.click()
    pump(len(audio) / SAMPLE_RATE + 2.0)
    rec_s = time.monotonic() - t_rec
    meter.phase = "finishing ASR"
    t_fin = time.monotonic()
    page.recording.stop_button.click()
    pump(600, until=lambda: page.editor.streaming or session.note is not None)
    fin_s = time.monotonic() - t_fin
    print("drafting…", flush=True)
    meter.phase = "drafting (streaming)"
    t_draft = time.monotonic()
    pump(1800, until=lambda: session.note is not None)
    draft_s = time.monotonic() - t_draft
    meter.phase = "review (idle)"
    pump(2.0)
    meter.stop()
    ok = session.note is not None
    segments = len(session.segments)
    statements = len(session.note.statements()) if ok else 0
    session.close(wait=True)
    wait_for_ops(30000)

    print()
    print(
        f"UI event-loop stalls (QTimer every {interval:g} ms; lateness of each tick) — "
        f"ASR {args.asr}, LLM {args.llm}, clip {Path(args.clip).name} ({len(audio) / SAMPLE_RATE:.1f} s), "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'phase':<24}{'seconds':>9}{'ticks':>8}{'max ms':>9}{'p99 ms':>9}{'p95 ms':>9}{'>50 ms':>8}{'>100 ms':>9}")
    durations = {"recording + live ASR": rec_s, "finishing ASR": fin_s, "drafting (streaming)": draft_s}
    for name in ("idle", "recording + live ASR", "finishing ASR", "drafting (streaming)", "review (idle)"):
        xs = samples.get(name, [])
        if not xs:
            continue
        q = statistics.quantiles(xs, n=100) if len(xs) >= 100 else [max(xs)] * 99
        dur = durations.get(name, len(xs) * interval / 1000)
        print(
            f"{name:<24}{dur:>9.1f}{len(xs):>8}{max(xs):>9.1f}{q[98]:>9.1f}{q[94]:>9.1f}"
            f"{sum(x > 50 for x in xs):>8}{sum(x > 100 for x in xs):>9}"
        )
    if worst:
        print(
            "stalls over 100 ms (ms @ s since start, phase): "
            + ", ".join(f"{late:.0f} @ {at:.1f} ({ph})" for late, ph, at in sorted(worst, reverse=True)[:8])
        )
    print(f"\ntranscript segments: {segments}; note statements: {statements}; note drafted: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
