"""What the process boundary costs: the models in worker processes (the default) vs in the app's process.

    python benchmarks/bench_boundary.py [--rounds 3] [--threads 2] [--tokens 120]

Each round runs the same job twice, in fresh subprocesses, once with ``isolate_models`` off (the
runtimes in-process, as before issue 11) and once on (scribe.workers), alternating which goes first:
load Whisper base and Qwen2.5-Coder-1.5B, transcribe the 24 s sample clip, count the tokens of 400
transcript lines (twice: the proxy remembers counts), warm the drafting prompt of a 60-line visit,
then draft its plan section under the section's grammar (time to the first token after ``warm()``,
decode speed). Peak memory is over the process tree (tree_memory.py). A last line measures the
pipe alone: items per second streamed from a child that does nothing else. Medians over the rounds;
the load average is printed with them (timings on a shared machine are only comparable within a run).
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


def child(job: dict) -> dict:
    from tree_memory import TreeMemory

    from scribe.drafting.drafter import build_messages, section_schema
    from scribe.drafting.runtimes import create_runtime
    from scribe.drafting.templates import get_template
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
    transcript = asr.transcribe_file(asset("sample", "short_clip.flac"))
    out["asr_clip_s"] = time.perf_counter() - t0
    out["asr_segments"] = len(transcript.segments)

    lines = _lines(400 if job["count_lines"] else 60)
    lines = (lines * (400 // len(lines) + 1))[:400]
    lines = [f"{line} ({i})" for i, line in enumerate(lines)]  # 400 distinct texts
    t0 = time.perf_counter()
    for line in lines:
        llm.count_tokens(line)
    out["count_cold_us"] = (time.perf_counter() - t0) / len(lines) * 1e6
    t0 = time.perf_counter()
    for line in lines:
        llm.count_tokens(line)
    out["count_again_us"] = (time.perf_counter() - t0) / len(lines) * 1e6

    soap = get_template("soap")
    visit = _lines(60)
    t0 = time.perf_counter()
    llm.warm(build_messages(soap, visit, closing=False, sectioned=True))
    out["warm_s"] = time.perf_counter() - t0
    messages = build_messages(soap, visit, section="plan", sectioned=True)
    schema = section_schema(soap, "plan", False)
    t0 = time.perf_counter()
    first = None
    pieces = []
    for piece in llm.stream_chat(messages, json_schema=schema, max_tokens=job["tokens"], temperature=0.0):
        if first is None:
            first = time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    n = llm.count_tokens("".join(pieces))
    out["first_token_after_warm_s"] = first - t0
    out["output_tokens"] = n
    out["decode_tok_s"] = (n - 1) / (end - first) if end > first else 0.0
    out["answer"] = "".join(pieces)
    out.update(memory.stop())
    out["load_average"] = os.getloadavg()[0]
    llm.close()
    close = getattr(asr, "close", None)
    if callable(close):
        close()
    return out


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


def run_child(job: dict) -> dict:
    with tempfile.NamedTemporaryFile("w+", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child"],
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


ROWS = [
    ("load Whisper base", "asr_load_s", "s", 2),
    ("load Qwen2.5-Coder-1.5B", "llm_load_s", "s", 2),
    ("transcribe the 24 s clip", "asr_clip_s", "s", 2),
    ("count_tokens, new text (per call)", "count_cold_us", "µs", 0),
    ("count_tokens, same text again (per call)", "count_again_us", "µs", 1),
    ("warm() a 60-line visit prompt", "warm_s", "s", 2),
    ("first token after warm()", "first_token_after_warm_s", "s", 3),
    ("decode, plan section under its grammar", "decode_tok_s", "tok/s", 2),
    ("peak RSS, process tree (sampled sum)", "peak_rss_gb", "GB", 2),
    ("peak PSS, process tree", "peak_pss_gb", "GB", 2),
    ("sum of each process's own peak RSS", "hwm_sum_gb", "GB", 2),
]


def report(runs: list[dict], pipe: dict, load: tuple[float, float], args) -> str:
    inproc = [r for r in runs if not r["isolated"]]
    worker = [r for r in runs if r["isolated"]]

    def med(rs, key):
        vals = [r[key] for r in rs if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    lines = [
        f"{len(inproc)} round(s), {args.threads} LLM threads, {args.tokens} answer tokens at most; "
        f"{os.cpu_count()} CPUs; load average {load[0]:.2f} at start, {load[1]:.2f} at end.",
        "",
        "| measure | in-process | worker processes | difference |",
        "|---|---|---|---|",
    ]
    for label, key, unit, digits in ROWS:
        a, b = med(inproc, key), med(worker, key)
        if a is None or b is None:
            continue
        diff = f"{b - a:+.{digits}f} {unit}" + (f" ({(b - a) / a:+.0%})" if a else "")
        lines.append(f"| {label} | {a:.{digits}f} {unit} | {b:.{digits}f} {unit} | {diff} |")
    same = all(r["answer"] == runs[0]["answer"] for r in runs)
    lines.append("")
    lines.append(f"Same plan section in every run: {'yes' if same else 'NO'} ({runs[0]['output_tokens']} tokens).")
    lines.append(
        f"The pipe alone: {pipe['us_per_item']:.0f} µs per streamed item (pulled one by one), "
        f"{pipe['us_per_call']:.0f} µs per quick call (round trip)."
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    if argv is None and len(sys.argv) == 2 and sys.argv[1] == "--child":
        job = json.loads(sys.stdin.read())
        Path(job["out"]).write_text(json.dumps(child(job)))
        os._exit(0)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=120)
    ap.add_argument("--json", type=Path, help="save the runs here")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]
    runs = []
    for i in range(args.rounds):
        order = (False, True) if i % 2 == 0 else (True, False)
        for isolated in order:
            print(f"round {i + 1}: {'worker processes' if isolated else 'in-process'}…", file=sys.stderr, flush=True)
            runs.append(
                run_child({"isolated": isolated, "threads": args.threads, "tokens": args.tokens, "count_lines": True})
            )
    pipe = pipe_only()
    text = report(runs, pipe, (load0, os.getloadavg()[0]), args)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "pipe": pipe, "report": text}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
