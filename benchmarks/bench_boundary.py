"""What the process boundary costs: the models in worker processes (the default) vs in the app's process.

    python benchmarks/bench_boundary.py [--rounds 3] [--pairs 4] [--threads 1] [--tokens 60]

Two parts, because on a shared machine only measurements taken side by side compare:

* **Load and memory**, each variant in a fresh subprocess (``isolate_models`` off: the runtimes
  in-process, as before issue 11; on: scribe.workers), alternating which goes first, ``--rounds``
  times: load Whisper base and Qwen2.5-Coder-1.5B, transcribe the 24 s sample clip, peak memory of
  the process tree (tree_memory.py).
* **Speed, paired**: one subprocess holds both variants at once (an in-process runtime and engine,
  and the same in worker processes) and alternates them request by request, so a load spike hits
  both: decoding a 24 s speech window, counting the tokens of new lines and of lines counted
  before, warming the drafting prompt by two more lines of a visit (as the rolling note does), the
  first token after that ``warm()``, and decoding the plan section under its grammar.

A last line measures the pipe alone: items per second streamed from a child that does nothing
else. Medians; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Echo:
    """Hosted in a child for the pipe-only measure: streams ``n`` short strings as fast as it can."""

    def stream(self, n: int):
        for i in range(n):
            yield f"tok{i % 10}"

    def count(self, text: str) -> int:
        return len(text)


def _lines(n: int) -> list[str]:
    script = (ROOT / "assets/sample/visit10_script.txt").read_text(encoding="utf-8").splitlines()
    talk = [line for line in script if line.startswith("[")]
    out = []
    for i, line in enumerate(talk[:n]):
        who, text = line[1:].split("]", 1)
        out.append(f"[{i}] {'Doctor' if who == 'doctor' else 'Patient'}: {text.strip()}")
    return out


def child_memory(job: dict) -> dict:
    """Load both models in one variant, transcribe the clip: load times and the tree's peak memory."""
    from tree_memory import TreeMemory

    from scribe.drafting.runtimes import create_runtime
    from scribe.resources import asset
    from scribe.settings import Settings
    from scribe.workers.asr import create_asr_engine

    memory = TreeMemory().start()
    settings = Settings(isolate_models=job["isolated"], llm_threads=job["threads"], asr_model="base")
    out: dict = {"isolated": job["isolated"]}
    t0 = time.perf_counter()
    asr = create_asr_engine(settings.asr_model, settings)
    asr.load()
    out["asr_load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    llm = create_runtime(settings)
    llm.load()
    out["llm_load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["asr_segments"] = len(asr.transcribe_file(asset("sample", "short_clip.flac")).segments)
    out["asr_clip_s"] = time.perf_counter() - t0
    llm.warm([{"role": "user", "content": " ".join(_lines(60))}])  # the KV cache in use, as in a visit
    out.update(memory.stop())
    out["load_average"] = os.getloadavg()[0]
    return out


def _answer(llm, messages, schema, tokens: int) -> tuple[float, float, int, str]:
    """(first token s, decode s per token, tokens, text) of one constrained answer."""
    t0 = time.perf_counter()
    first, pieces = None, []
    for piece in llm.stream_chat(messages, json_schema=schema, max_tokens=tokens, temperature=0.0):
        first = first or time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    text = "".join(pieces)
    n = llm.count_tokens(text)
    return first - t0, (end - first) / max(1, n - 1), n, text


def child_paired(job: dict) -> dict:
    """Both variants in this process, alternated request by request."""
    from scribe.audio import SAMPLE_RATE, load_audio
    from scribe.drafting.drafter import build_messages, section_schema
    from scribe.drafting.runtimes import create_runtime
    from scribe.drafting.templates import get_template
    from scribe.resources import asset
    from scribe.settings import Settings
    from scribe.workers.asr import create_asr_engine

    variants = {}
    for name, isolated in (("in-process", False), ("worker", True)):
        settings = Settings(isolate_models=isolated, llm_threads=job["threads"], asr_model="base")
        asr = create_asr_engine(settings.asr_model, settings)
        asr.load()
        llm = create_runtime(settings)
        llm.load()
        variants[name] = (asr, llm)
    window = load_audio(asset("sample", "short_clip.flac"))[: 24 * SAMPLE_RATE]
    soap = get_template("soap")
    schema = section_schema(soap, "plan", False)
    visit = _lines(40)
    lines = [f"{line} ({i})" for i, line in enumerate(_lines(100) * 4)]  # 400 distinct texts
    samples: dict[str, dict[str, list]] = {name: {} for name in variants}

    def add(name, key, value):
        samples[name].setdefault(key, []).append(value)

    for _asr, llm in variants.values():  # the shared start of the prompt, warm in both
        llm.warm(build_messages(soap, visit[:20], closing=False, sectioned=True))
    for k in range(job["pairs"]):
        order = list(variants) if k % 2 == 0 else list(reversed(variants))
        for name in order:
            asr, llm = variants[name]
            t0 = time.perf_counter()
            segs = list(asr.decode_window(window))
            add(name, "asr_window_s", time.perf_counter() - t0)
            add(name, "asr_text", " ".join(s.text for s in segs))
            batch = lines[k * 100 : (k + 1) * 100]
            t0 = time.perf_counter()
            for line in batch:
                llm.count_tokens(line)
            add(name, "count_new_us", (time.perf_counter() - t0) / len(batch) * 1e6)
            t0 = time.perf_counter()
            for line in batch:
                llm.count_tokens(line)
            add(name, "count_again_us", (time.perf_counter() - t0) / len(batch) * 1e6)
            upto = visit[: 22 + 2 * k]  # two more lines said since the last update
            t0 = time.perf_counter()
            llm.warm(build_messages(soap, upto, closing=False, sectioned=True))
            add(name, "warm_step_s", time.perf_counter() - t0)
            first, per_token, n, text = _answer(
                llm, build_messages(soap, upto, section="plan", sectioned=True), schema, job["tokens"]
            )
            add(name, "first_token_after_warm_s", first)
            add(name, "decode_ms_per_token", per_token * 1000)
            add(name, "answer", text)
    for asr, llm in variants.values():
        llm.close()
        getattr(asr, "close", lambda: None)()
    return {"samples": samples, "load_average": os.getloadavg()[0]}


def pipe_only(n: int = 5000) -> dict:
    from scribe.errors import DraftingCrashed
    from scribe.workers.process import Spec, WorkerProcess

    worker = WorkerProcess("bench", Spec("bench_boundary", "Echo", sys_path=(str(HERE),)), DraftingCrashed)
    try:
        worker.call("count", "warm up")
        t0 = time.perf_counter()
        got = sum(1 for _ in worker.stream("stream", n))
        stream_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(1000):
            worker.call("count", f"line {i}", quick=True)
        call_s = time.perf_counter() - t0
    finally:
        worker.close()
    return {"items": got, "us_per_item": stream_s / got * 1e6, "us_per_call": call_s / 1000 * 1e6}


def run_child(kind: str, job: dict) -> dict:
    with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind],
        input=json.dumps(dict(job, out=str(out))),
        text=True,
        env=env,
        stdout=subprocess.DEVNULL,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed (exit {proc.returncode})")
    result = json.loads(out.read_text())
    out.unlink()
    return result


MEMORY_ROWS = [
    ("load Whisper base", "asr_load_s", "s", 2),
    ("load Qwen2.5-Coder-1.5B", "llm_load_s", "s", 2),
    ("transcribe the 24 s clip (load included neither)", "asr_clip_s", "s", 2),
    ("peak RSS, process tree (sampled sum)", "peak_rss_gb", "GB", 2),
    ("peak PSS, process tree", "peak_pss_gb", "GB", 2),
    ("sum of each process's own peak RSS", "hwm_sum_gb", "GB", 2),
]
PAIRED_ROWS = [
    ("decode a 24 s speech window", "asr_window_s", "s", 2),
    ("count_tokens, a new line (per call)", "count_new_us", "µs", 0),
    ("count_tokens, a line counted before (per call)", "count_again_us", "µs", 1),
    ("warm() two more lines of the visit", "warm_step_s", "s", 2),
    ("first token after warm()", "first_token_after_warm_s", "s", 3),
    ("decode under the plan's grammar (per token)", "decode_ms_per_token", "ms", 1),
]


def _row(label: str, a: float | None, b: float | None, unit: str, digits: int) -> str:
    if a is None or b is None:
        return ""
    diff = f"{b - a:+.{digits}f} {unit}" + (f" ({(b - a) / a:+.0%})" if a else "")
    return f"| {label} | {a:.{digits}f} {unit} | {b:.{digits}f} {unit} | {diff} |"


def report(runs: list[dict], paired: dict, pipe: dict, load: tuple[float, float], args) -> str:
    med = statistics.median
    lines = [
        f"{os.cpu_count()} CPUs, {args.threads} LLM thread(s), load average {load[0]:.2f} at start, {load[1]:.2f} at end.",
        "",
        f"Load and memory: each variant in its own process, {args.rounds} round(s), medians.",
        "",
        "| measure | in-process | worker processes | difference |",
        "|---|---|---|---|",
    ]
    for label, key, unit, digits in MEMORY_ROWS:
        a = [r[key] for r in runs if not r["isolated"] and r.get(key) is not None]
        b = [r[key] for r in runs if r["isolated"] and r.get(key) is not None]
        if a and b:
            lines.append(_row(label, med(a), med(b), unit, digits))
    inproc, worker = paired["samples"]["in-process"], paired["samples"]["worker"]
    lines += [
        "",
        f"Speed: both variants in one process, alternated request by request, {args.pairs} pairs, medians.",
        "",
        "| measure | in-process | worker processes | difference |",
        "|---|---|---|---|",
    ]
    for label, key, unit, digits in PAIRED_ROWS:
        lines.append(_row(label, med(inproc[key]), med(worker[key]), unit, digits))
    same = inproc["answer"] == worker["answer"] and inproc["asr_text"] == worker["asr_text"]
    lines.append("")
    lines.append(f"Same answers and the same transcript both ways, every pair: {'yes' if same else 'NO'}.")
    lines.append(
        f"The pipe alone: {pipe['us_per_item']:.0f} µs per streamed item (pulled one by one), "
        f"{pipe['us_per_call']:.0f} µs per quick call (round trip)."
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--child":
        job = json.loads(sys.stdin.read())
        result = (child_paired if sys.argv[2] == "paired" else child_memory)(job)
        Path(job["out"]).write_text(json.dumps(result))
        os._exit(0)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="load-and-memory runs of each variant")
    ap.add_argument("--pairs", type=int, default=4, help="paired speed measurements")
    ap.add_argument("--threads", type=int, default=1, help="LLM threads (1 is robust on a busy machine)")
    ap.add_argument("--tokens", type=int, default=60)
    ap.add_argument("--json", type=Path, help="save the runs here")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    runs = []
    for i in range(args.rounds):
        for isolated in (False, True) if i % 2 == 0 else (True, False):
            print(f"memory {i + 1}: {'worker processes' if isolated else 'in-process'}…", file=sys.stderr, flush=True)
            runs.append(run_child("memory", {"isolated": isolated, "threads": args.threads}))
    print("paired speed…", file=sys.stderr, flush=True)
    paired = run_child("paired", {"threads": args.threads, "tokens": args.tokens, "pairs": args.pairs})
    pipe = pipe_only()
    text = report(runs, paired, pipe, (load0, os.getloadavg()[0]), args)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "paired": paired, "pipe": pipe, "report": text}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
