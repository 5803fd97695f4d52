"""Stop-to-note latency: a naive post-visit pipeline vs Scribe's incremental one, side by side.

A 10-minute two-voice visit (``assets/sample/visit10_script.txt``, rendered with espeak-ng by
``synth_visit.py`` and cached under ``~/.cache/scribe/bench``) is replayed through

(a) **naive**: after Stop, faster-whisper (base, int8, beam 1, VAD) on the whole file, then one
    transformers ``generate`` (the same GGUF, dequantised fp32, 2 threads) with one plain SOAP
    prompt on the whole transcript. Models are loaded *before* Stop (their load time is printed
    apart), so the comparison is the best case for (a).
(b) **Scribe**: the real desktop app (offscreen Qt, real main window and visit session) with the
    default models and runtime (Whisper base, Qwen2.5-Coder-1.5B on llama.cpp); the audio is
    replayed as the microphone at ``--speed`` times real time (a simulated clock: the in-visit
    timers run ``--speed`` times faster too). Live ASR, the warm prompt and the rolling note (the
    questions about history, medications, exam and results answered during the visit) are the app's
    own; Stop is pressed the moment the last audio is in.

For each: Stop -> final transcript, Stop -> first draft words on screen, Stop -> complete draft,
peak RSS of the whole process tree (the app and its model worker processes, sampled by
``tree_memory.py``; PSS and the sum of each process's own peak beside it), the longest UI event-loop stall (a 5 ms QTimer, as in
``bench_ui_stall.py``), and the ratio (b)/(a). Also: window visible after launch, llama.cpp vs
transformers on the same GGUF and prompt, and the grounding of Scribe's incremental draft vs a
from-scratch draft of the same transcript (cold, whole transcript, same drafter).

    python benchmarks/bench_visit.py                      # everything, ~25 min at --speed 1
    python benchmarks/bench_visit.py --reuse-naive        # reuse the cached naive run (it takes ~10 min)
    python benchmarks/bench_visit.py --seconds 180 --speed 3 --skip-naive --skip-scratch   # quick check

Each part runs in its own subprocess so peak memory and load times are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_CACHE = Path(os.environ.get("SCRIBE_BENCH_CACHE", Path.home() / ".cache" / "scribe" / "bench"))
SCRIPT = ROOT / "assets" / "sample" / "visit10_script.txt"
NAIVE_SYSTEM = "You are a careful medical scribe. You write accurate, concise clinical notes from visit transcripts."


def visit_audio() -> Path:
    """The 10-minute visit, rendered once (deterministic) and cached."""
    out = BENCH_CACHE / "visit10.flac"
    if not out.is_file():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from synth_visit import parse_script, synthesize

        out.parent.mkdir(parents=True, exist_ok=True)
        synthesize(parse_script(SCRIPT.read_text(encoding="utf-8")), out, source=SCRIPT.name)
    return out


# ----------------------------------------------------------------------------------- children


def child_naive(job: dict) -> dict:
    """(a): models loaded first; the clock starts at Stop."""
    import torch
    from faster_whisper import WhisperModel
    from tree_memory import TreeMemory

    from scribe.drafting.runtimes import TransformersRuntime
    from scribe.packs import resolve_asr_model, resolve_llm_model
    from scribe.settings import Settings

    memory = TreeMemory().start()
    settings = Settings()
    threads = job["threads"]
    t0 = time.perf_counter()
    whisper = WhisperModel(
        str(resolve_asr_model("base", settings.cache_path)),
        device="cpu",
        compute_type="int8",
        cpu_threads=threads,
        local_files_only=True,
    )
    asr_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    llm = TransformersRuntime(
        resolve_llm_model(settings.llm_model, settings.cache_path),
        n_threads=threads,
        n_ctx=8192,
        cache_dir=settings.cache_path,
        model_name=settings.llm_model,
    )
    llm.load()
    llm_load = time.perf_counter() - t0
    torch.set_num_threads(threads)

    stop = time.perf_counter()  # Stop: the recording is complete
    segments, _ = whisper.transcribe(job["audio"], language="en", beam_size=1, vad_filter=True)
    text = [s.text.strip() for s in segments]
    t_transcript = time.perf_counter() - stop
    user = (
        "Write a SOAP note (Subjective, Objective, Assessment, Plan) for this doctor-patient visit. Use short "
        "bullet points, include every medication with its dose, and only state what the transcript supports."
        "\n\nTranscript:\n" + "\n".join(text)
    )
    messages = [{"role": "system", "content": NAIVE_SYSTEM}, {"role": "user", "content": user}]
    first = None
    pieces = []
    t1 = time.perf_counter()
    for piece in llm.stream_chat(messages, max_tokens=job["max_tokens"], temperature=0.0):
        if first is None:
            first = time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    note = "".join(pieces)
    out_tokens = llm.count_tokens(note)
    return {
        "pipeline": "naive",
        "asr_load_s": asr_load,
        "llm_load_s": llm_load,
        "stop_to_transcript_s": t_transcript,
        "stop_to_first_words_s": first - stop,
        "stop_to_complete_s": end - stop,
        "llm_first_token_s": first - t1,
        "llm_total_s": end - t1,
        "prompt_tokens": llm.count_tokens(user),
        "output_tokens": out_tokens,
        "decode_tok_s": (out_tokens - 1) / (end - first) if end > first else 0.0,
        **memory.stop(),
        "transcript": text,
        "note": note,
        "messages": messages,
        "max_tokens": job["max_tokens"],
        "ui_stall_ms": None,
    }


def child_launch(job: dict) -> dict:
    """Process start -> main window painted, with the real ``scribe.ui.app.main``; then wait for
    the models (they load behind the window) and quit."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from scribe.ui import app as app_module

    marks: dict = {}
    build = app_module.build_window

    class Watch(QObject):
        def eventFilter(self, obj, ev):  # noqa: N802 - Qt API
            if ev.type() == QEvent.Type.Paint and "painted" not in marks:
                marks["painted"] = time.monotonic()
            return False

    def build_window(app, settings=None, **kw):
        win = build(app, settings, **kw)
        watch = Watch(win)
        win.installEventFilter(watch)
        hub = win.ctx.models

        def done():
            marks["models"] = time.monotonic()
            QTimer.singleShot(100, QApplication.instance().quit)

        hub.all_done.connect(done)
        QTimer.singleShot(300_000, QApplication.instance().quit)
        return win

    app_module.build_window = build_window
    app_module.main(["scribe-bench"])
    return {k: v for k, v in marks.items()}


def child_live(job: dict) -> dict:
    """(b): the real app, offscreen, replaying the visit as the microphone."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication  # noqa: F401

    tmp = Path(tempfile.mkdtemp(prefix="scribe-bench-visit-"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp / "qs"))
    os.environ["SCRIBE_SETTINGS"] = str(tmp / "settings.toml")
    os.environ["SCRIBE_POLICY"] = str(tmp / "no-policy.toml")

    from tree_memory import TreeMemory

    from scribe.audio import SAMPLE_RATE, load_audio
    from scribe.domain import Encounter, new_id
    from scribe.recording import FileReplaySource, InputDevice
    from scribe.settings import Settings
    from scribe.storage import VisitStore
    from scribe.ui.app import build_window, create_app
    from scribe.ui.models import ModelHub, load_asr_engine, load_llm_runtime, warm_checks
    from scribe.ui.ops import wait_for_ops

    memory = TreeMemory().start()  # the app and its model worker processes
    settings = Settings(data_dir=str(tmp / "data"))  # the defaults: Whisper base, Qwen2.5-Coder-1.5B, llama.cpp
    quiet = lambda *_: None  # noqa: E731
    t0 = time.perf_counter()
    asr = load_asr_engine(settings, quiet)
    llm = load_llm_runtime(settings, quiet)
    warm_checks()  # as the app's model loading does
    load_s = time.perf_counter() - t0
    audio = load_audio(job["audio"])
    if job["seconds"]:
        audio = audio[: int(job["seconds"] * SAMPLE_RATE)]
    speed = job["speed"]

    app = create_app(["bench"])
    hub = ModelHub.preloaded(settings, asr, llm)
    store = VisitStore(tmp / "visits")
    mic = InputDevice(id=0, name="replay", is_default=True, channels=1, default_samplerate=16000)
    sources = []

    def make_source(_device):
        sources.append(FileReplaySource(job["audio"], realtime=True, speed=speed, audio=audio))
        return sources[-1]

    win = build_window(
        app,
        settings,
        store=store,
        models=hub,
        list_devices=lambda: [mic],
        make_source=make_source,
        warm_interval_s=job["warm_interval_s"] / speed,
        check_recovery=False,
    )
    win.resize(1360, 860)
    win.show()

    from stall_meter import StallMeter

    meter = StallMeter(5.0).start(sample_over_ms=25.0)

    def pump(seconds: float, until=None) -> None:
        """Run the event loop (idle, like the real app's) until ``until()`` or the time is up."""
        loop = QEventLoop()
        end = time.monotonic() + seconds
        check = QTimer()
        check.timeout.connect(lambda: loop.quit() if time.monotonic() >= end or (until and until()) else None)
        check.start(2)
        loop.exec()
        check.stop()

    started = time.perf_counter()

    def status() -> None:
        s = (
            session.workflow.live_drafter.stats
            if session is not None and session.workflow.live_drafter is not None
            else None
        )
        print(
            f"  [{time.perf_counter() - started:6.0f} s] {meter.phase}: {len(session.segments) if session else 0} segments"
            + (
                f"; live: {s.answers} answers ({s.answer_s:.0f} s), {s.warms} warm steps ({s.warm_s:.0f} s)"
                if s
                else ""
            ),
            file=sys.stderr,
            flush=True,
        )

    session = None
    ticker = QTimer()
    ticker.timeout.connect(status)
    ticker.start(30_000)
    pump(2.0)
    enc = Encounter(encounter_id=new_id("bench"), patient_name="Benchmark Patient", patient_id="B-1", clinician="bench")
    visit = store.create(enc, actor="bench", state="recorded")
    win._show_visit(visit, None, None)
    page, session = win.page, win.session
    marks: dict[str, float] = {}
    session.draft_statement.connect(lambda *_: marks.setdefault("first_statement", time.perf_counter()))
    session.draft_tokens.connect(lambda *_: marks.setdefault("first_tokens", time.perf_counter()))
    pump(0.5)
    meter.phase = "recording"
    page.recording.record_button.click()
    pump(5.0, until=lambda: bool(sources))
    t_rec = time.perf_counter()
    pump(len(audio) / SAMPLE_RATE / speed + 60, until=lambda: sources[0].finished.is_set())
    live = session.workflow.live_drafter  # kept for its statistics (the session hands it to the draft at Stop)
    segments_before_stop = len(session.segments)
    meter.phase = "stop: finishing ASR"
    stop = time.perf_counter()
    page.recording.stop_button.click()
    pump(600, until=lambda: session.transcript is not None)
    t_transcript = time.perf_counter() - stop
    meter.phase = "stop: drafting"
    # complete = the grounded note on screen (the core holds it a moment before the editor shows it)
    pump(1800, until=lambda: session.note is not None and page.editor.shown_note is session.note)
    t_complete = time.perf_counter() - stop
    meter.phase = "review"
    pump(1.0)
    meter.stop()
    note = session.note
    result = {
        "pipeline": "scribe",
        "speed": speed,
        "audio_s": len(audio) / SAMPLE_RATE,
        "load_s": load_s,
        "recording_wall_s": stop - t_rec,
        "segments_before_stop": segments_before_stop,
        "segments": len(session.segments),
        "stop_to_transcript_s": t_transcript,
        "stop_to_first_words_s": (marks["first_statement"] - stop) if "first_statement" in marks else None,
        "stop_to_first_tokens_s": (marks["first_tokens"] - stop) if "first_tokens" in marks else None,
        "stop_to_complete_s": t_complete,
        **memory.stop(),
        "ui_stall_ms": max(meter.max_by_phase().values()),
        "ui_stall_by_phase_ms": meter.max_by_phase(),
        "ui_stall_culprits": meter.culprits(),
        "ui_stall_other_threads": meter.other_threads(),
        "note_ok": note is not None,
        "load_average": os.getloadavg()[0],
    }
    if live is not None:
        s = live.stats
        result["live"] = {
            "updates": s.updates,
            "warms": s.warms,
            "warm_s": s.warm_s,
            "stop_prompt_tokens": s.stop_prompt_tokens,
            "stop_threads": s.stop_threads,
            "draft_first_event_s": s.first_event_s,
            "stop_mode": s.stop_mode,
            "answers": s.answers,
            "answer_s": s.answer_s,
            "aborted": s.aborted,
            "rolling": [q.key for q in live.rolling],
            "stop_update_from": s.stop_update_from,
            "stop_asked": s.stop_asked,
            "stop_wait_s": s.stop_wait_s,
            "stop_cold_tokens": s.stop_cold_tokens,
            "caught_up": s.caught_up,
            "draft_total_s": s.total_s,
            "attempts": s.attempts,
        }
        if session.transcript is not None:
            result["prepared_transcript"] = json.loads(live.prepare(session.transcript).model_dump_json())
    if note is not None:
        result["note"] = json.loads(note.model_dump_json())
    session.close(wait=True)
    wait_for_ops(30000)
    return result


def child_scratch(job: dict) -> dict:
    """The same labelled transcript drafted cold, in one go (Scribe's drafter without the visit-time work)."""
    from scribe.domain import NoteDraft, Transcript
    from scribe.drafting.drafter import NoteDrafter
    from scribe.drafting.incremental import draft_from_scratch
    from scribe.drafting.runtimes import create_runtime
    from scribe.drafting.templates import get_template
    from scribe.settings import Settings

    settings = Settings()
    transcript = Transcript.model_validate(job["prepared_transcript"])
    runtime = create_runtime(settings)
    runtime.load()
    threads = runtime.free_threads()  # as the app's draft at Stop
    runtime.set_threads(threads)
    drafter = NoteDrafter(runtime, get_template(settings.template))
    t0 = time.perf_counter()
    note: NoteDraft = draft_from_scratch(drafter, transcript)
    total = time.perf_counter() - t0
    return {
        "draft_s": total,
        "note": json.loads(note.model_dump_json()),
        "prompt_tokens": drafter.stats.prompt_tokens,
        "threads": threads,
        "first_token_s": drafter.stats.first_token_s,
    }


def child_llamacpp(job: dict) -> dict:
    """llama.cpp on the naive pipeline's exact prompt (for the runtime comparison)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_llm import measure_runtime

    from scribe.threads import free_cores

    threads = free_cores(job["threads"])  # 2 threads next to another program's busy core crawl (see free_cores)
    r = measure_runtime(
        "llama.cpp", "qwen2.5-coder-1.5b", job["messages"], job["max_tokens"], threads=threads, n_ctx=8192
    )
    r.pop("text", None)
    r["threads"] = threads
    return r


CHILDREN = {
    "naive": child_naive,
    "launch": child_launch,
    "live": child_live,
    "scratch": child_scratch,
    "llamacpp": child_llamacpp,
}


def run_child(kind: str, job: dict, timeout: float = 7200, env: dict | None = None) -> dict:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        **(env or {}),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    job = dict(job, out=str(out))
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind],
        input=json.dumps(job),
        text=True,
        timeout=timeout,
        env=env,
        stdout=subprocess.DEVNULL,
    )  # stderr: progress
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} run failed (exit {proc.returncode}); see its messages above")
    result = json.loads(out.read_text())
    out.unlink()
    result["_spawned_at"] = t0
    return result


# ----------------------------------------------------------------------------------- report


def grounding_summary(note: dict) -> dict:
    from scribe.domain import NoteDraft

    n = NoteDraft.model_validate(note)
    sts = n.statements()
    unsupported = [s for s in sts if s.status.value == "unsupported"]
    return {
        "statements": len(sts),
        "unsupported": len(unsupported),
        "unsupported_rate": len(unsupported) / len(sts) if sts else 0.0,
        "issues": sorted({str(i) for s in unsupported for i in (getattr(s, "issues", None) or [])})[:12],
        "by_section": {sec.key: len(sec.statements) for sec in n.sections},
    }


def fmt(x, unit="s", digits=1) -> str:
    if x is None:
        return "—"
    return f"{x:.{digits}f} {unit}".strip()


def report(
    naive: dict | None, live: dict, launch: dict | None, rt: dict | None, scratch: dict | None, load_avg: tuple, args
) -> str:
    lines = []
    lines.append(
        f"Visit: {live['audio_s']:.0f} s of audio ({live['audio_s'] / 60:.1f} min), replayed at {live['speed']:g}x; "
        f"{os.cpu_count()} CPUs; load average {load_avg[0]:.2f} at start, {load_avg[1]:.2f} at end"
        + (
            " (other jobs were running at the start: times are inflated)"
            if load_avg[0] > 0.8
            else " (the load at the end is the benchmark's own)"
        )
    )
    lines.append("")
    lines.append("| measure | (a) naive post-visit | (b) Scribe incremental | ratio (b)/(a) | target |")
    lines.append("|---|---|---|---|---|")

    def row(label, key, target, unit="s", digits=1):
        a = naive.get(key) if naive else None
        b = live.get(key)
        ratio = f"{b / a:.3f}" if a and b is not None else "—"
        lines.append(f"| {label} | {fmt(a, unit, digits)} | {fmt(b, unit, digits)} | {ratio} | {target} |")

    row("Stop → final transcript", "stop_to_transcript_s", "≤ 3 s")
    row("Stop → first draft words on screen", "stop_to_first_words_s", "≤ 3 s")
    row("Stop → complete draft", "stop_to_complete_s", "≤ 25 s; ratio ≤ 0.15")
    row("peak RSS (app + model workers)", "peak_rss_gb", "≤ 3 GB", "GB", 2)
    lines.append(f"| longest UI stall | — (no UI) | {fmt(live.get('ui_stall_ms'), 'ms', 0)} | — | ≤ 50 ms |")
    if launch:
        lines.append(
            f"| window visible after launch | — | {fmt(launch.get('painted_s'), 's', 2)} "
            f"(models ready {fmt(launch.get('models_s'), 's', 1)}) | — | ≤ 2 s |"
        )
    if naive:
        lines.append("")
        lines.append(
            f"(a) loads its models before Stop (not counted above): faster-whisper base {naive['asr_load_s']:.1f} s, "
            f"transformers fp32 {naive['llm_load_s']:.1f} s. Its note: {naive['output_tokens']} tokens "
            f"(max_new_tokens {naive['max_tokens']}), prompt {naive['prompt_tokens']} tokens."
        )
    lv = live.get("live") or {}
    if lv:
        lines.append(
            f"(b) during the visit: rolling note, {lv['answers']} answers to the questions "
            f"{', '.join(lv['rolling'])} ({lv['answer_s']:.0f} s of model time, {lv['aborted']} "
            f"abandoned at Stop), {lv['warms']} warm-ups ({lv['warm_s']:.0f} s); at Stop ({lv['stop_mode']}) the draft "
            f"waited {lv.get('stop_wait_s', 0):.1f} s for background work to yield, the answers kept covered the lines "
            f"before [{lv['stop_update_from']}], and {', '.join(lv.get('stop_asked') or ['?'])} were asked about a "
            f"{lv['stop_prompt_tokens']}-token prompt on {lv.get('stop_threads')} thread(s), of which "
            f"{lv.get('stop_cold_tokens', '?')} transcript tokens were not warm; "
            f"{live['segments_before_stop']} of {live['segments']} segments were final before Stop."
        )
    if live.get("hwm_sum_gb"):
        lines.append(
            f"(b) memory of the process tree: peak RSS {live['peak_rss_gb']:.2f} GB (sampled sum; shared libraries "
            f"counted once per process), peak PSS {fmt(live.get('peak_pss_gb'), 'GB', 2)}, sum of each process's "
            f"own peak {live['hwm_sum_gb']:.2f} GB ("
            + ", ".join(f"{k} {v:.2f}" for k, v in (live.get("hwm_by_process_gb") or {}).items())
            + ")."
        )
    st = live.get("ui_stall_by_phase_ms") or {}
    if st:
        lines.append("(b) longest UI stall by phase: " + ", ".join(f"{k} {v:.0f} ms" for k, v in st.items()))
    for count, stack in live.get("ui_stall_culprits") or []:
        lines.append(f"    UI thread during {count} stall(s) over 25 ms: {stack}")
    for count, stack in live.get("ui_stall_other_threads") or []:
        lines.append(f"    meanwhile, in {count} of them, thread {stack}")
    if rt and naive:
        lines.append("")
        lines.append(
            "Runtimes on the same GGUF (Qwen2.5-Coder-1.5B Q4_K_M), the same naive prompt, greedy; "
            f"transformers on {args.threads} threads, llama.cpp on {rt.get('threads')} (the cores free then):"
        )
        lines.append("")
        lines.append("| runtime | load s | first token s | decode tok/s | peak RSS GB | prompt tok | output tok |")
        lines.append("|---|---|---|---|---|---|---|")
        lines.append(
            f"| llama.cpp | {rt['load_s']:.1f} | {rt['first_token_s']:.1f} | {rt['decode_tok_s']:.1f} | "
            f"{rt['peak_rss_gb']:.2f} | {rt['prompt_tokens']} | {rt['output_tokens']} |"
        )
        lines.append(
            f"| transformers (fp32) | {naive['llm_load_s']:.1f} | {naive['llm_first_token_s']:.1f} | "
            f"{naive['decode_tok_s']:.2f} | {naive['peak_rss_gb']:.2f} (with Whisper) | {naive['prompt_tokens']} | "
            f"{naive['output_tokens']} |"
        )
    if scratch and live.get("note"):
        g_live, g_scr = grounding_summary(live["note"]), grounding_summary(scratch["note"])
        lines.append("")
        lines.append("Grounding, same labelled transcript, same drafter and model (llama.cpp, default settings):")
        lines.append("")
        lines.append("| draft | statements | unsupported | unsupported rate | S / O / A / P statements |")
        lines.append("|---|---|---|---|---|")
        for label, g in (
            ("incremental (during the visit + tail at Stop)", g_live),
            (
                f"from scratch after Stop (cold, whole transcript, {scratch.get('threads')} thread(s); "
                f"{scratch['draft_s']:.0f} s)",
                g_scr,
            ),
        ):
            secs = " / ".join(str(v) for v in g["by_section"].values())
            lines.append(f"| {label} | {g['statements']} | {g['unsupported']} | {g['unsupported_rate']:.1%} | {secs} |")
    return "\n".join(lines)


def plot(naive: dict | None, live: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["final transcript", "first draft words", "complete draft"]
    keys = ["stop_to_transcript_s", "stop_to_first_words_s", "stop_to_complete_s"]
    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=120)
    y = range(len(labels))
    if naive:
        ax.barh(
            [i + 0.2 for i in y],
            [naive[k] for k in keys],
            height=0.38,
            color="#b0b0b0",
            label="(a) naive: whole-file Whisper + transformers after Stop",
        )
    ax.barh(
        [i - 0.2 for i in y],
        [live[k] or 0 for k in keys],
        height=0.38,
        color="#2a7ab0",
        label="(b) Scribe: incremental ASR + draft during the visit",
    )
    for i, k in enumerate(keys):
        if naive:
            ax.text(naive[k], i + 0.2, f" {naive[k]:.0f} s", va="center", fontsize=8)
        if live[k] is not None:
            ax.text(live[k], i - 0.2, f" {live[k]:.1f} s", va="center", fontsize=8)
    ax.set_yticks(list(y), [f"Stop → {label}" for label in labels])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("seconds after Stop (log scale)")
    ax.axvline(3, color="#d08000", lw=0.8, ls="--")
    ax.axvline(25, color="#c03030", lw=0.8, ls="--")
    ax.set_title(f"{live['audio_s'] / 60:.1f}-minute visit, 2-core CPU, bundled models", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> int:
    # the app's data key on a machine without an OS keyring: a passphrase from the environment, as IT sets
    # for unattended runs, instead of the prompt that would wait for a person (docs/security.md)
    os.environ.setdefault("SCRIBE_DATA_PASSPHRASE", "scribe benchmark passphrase")
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--child":
        job = json.loads(sys.stdin.read())
        result = CHILDREN[sys.argv[2]](job)
        Path(job["out"]).write_text(json.dumps(result))
        os._exit(0)  # skip interpreter teardown (Qt/llama.cpp destructors) once the result is written
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speed", type=float, default=1.0, help="replay speed of the visit for (b) (simulated clock)")
    ap.add_argument("--seconds", type=float, default=0.0, help="replay only this much of the visit (0: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=800, help="(a)'s max_new_tokens")
    ap.add_argument("--warm-interval", type=float, default=15.0, help="(b)'s in-visit update interval, visit seconds")
    ap.add_argument("--reuse-naive", action="store_true", help=f"reuse {BENCH_CACHE}/naive.json if present")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-scratch", action="store_true", help="skip the from-scratch grounding comparison")
    ap.add_argument("--skip-runtimes", action="store_true", help="skip the llama.cpp run on the naive prompt")
    ap.add_argument("--json", type=Path, default=BENCH_CACHE / "bench_visit.json")
    ap.add_argument("--plot", type=Path, default=None, help="write the PNG plot here (e.g. docs/performance.png)")
    ap.add_argument("--from-json", type=Path, help="only print the report (and plot) of a saved run")
    args = ap.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        print(
            report(
                saved.get("naive"),
                saved["live"],
                saved.get("launch"),
                saved.get("runtimes"),
                saved.get("scratch"),
                tuple(saved.get("load_average") or (float("nan"), float("nan"))),
                args,
            )
        )
        if args.plot:
            plot(saved.get("naive"), saved["live"], args.plot)
        return 0

    audio = str(visit_audio())
    load0 = os.getloadavg()[0]
    job = {
        "audio": audio,
        "threads": args.threads,
        "max_tokens": args.max_tokens,
        "speed": args.speed,
        "seconds": args.seconds,
        "warm_interval_s": args.warm_interval,
    }
    naive = None
    naive_cache = BENCH_CACHE / "naive.json"
    if not args.skip_naive:
        if args.reuse_naive and naive_cache.is_file():
            naive = json.loads(naive_cache.read_text())
            print(f"(a) reused from {naive_cache}", file=sys.stderr)
        else:
            print("(a) naive pipeline (~10 min)…", file=sys.stderr, flush=True)
            naive = run_child("naive", job)
            naive["load_average"] = os.getloadavg()[0]
            naive_cache.write_text(json.dumps(naive, indent=1))
    print("window launch…", file=sys.stderr, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="scribe-bench-launch-"))
    (tmp / "settings.toml").write_text(f'data_dir = "{tmp / "data"}"\n')
    launch_env = {
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "SCRIBE_SETTINGS": str(tmp / "settings.toml"),
        "SCRIBE_POLICY": str(tmp / "no-policy.toml"),
    }
    t_spawn = time.monotonic()
    marks = run_child("launch", job, env=launch_env, timeout=600)
    launch = {
        "painted_s": marks.get("painted", 0) - t_spawn if "painted" in marks else None,
        "models_s": marks.get("models", 0) - t_spawn if "models" in marks else None,
    }
    print(f"(b) Scribe incremental, real app, {args.speed:g}x…", file=sys.stderr, flush=True)
    live = run_child("live", job)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"naive": naive, "live": live, "launch": launch}, indent=1)
    )  # in case a later step fails
    scratch = None
    if not args.skip_scratch and live.get("prepared_transcript"):
        print("from-scratch draft of the same transcript…", file=sys.stderr, flush=True)
        scratch = run_child("scratch", {"prepared_transcript": live["prepared_transcript"]})
        args.json.write_text(json.dumps({"naive": naive, "live": live, "launch": launch, "scratch": scratch}, indent=1))
    rt = None
    if naive and not args.skip_runtimes:
        print("llama.cpp on the naive prompt…", file=sys.stderr, flush=True)
        rt = run_child(
            "llamacpp", {"messages": naive["messages"], "max_tokens": args.max_tokens, "threads": args.threads}
        )
    load1 = os.getloadavg()[0]
    text = report(naive, live, launch, rt, scratch, (load0, load1), args)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "naive": naive,
                "live": live,
                "launch": launch,
                "runtimes": rt,
                "scratch": scratch,
                "load_average": [load0, load1],
                "report": text,
            },
            indent=1,
        )
    )
    if args.plot:
        plot(naive, live, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
