"""Side-by-side numbers for the headless pipeline on one visit (the bundled sample by default).

Prints two markdown tables:

1. speech recognition per model — load time, real-time factor (RTF = processing time / audio
   length; lower is better), peak RSS and word error rate against the visit's script;
2. note drafting per LLM runtime on the *real* drafting prompt (the drafter's own messages for
   this visit) — load time, time to first token, decode tokens/s, peak RSS — with the ratio to
   the anchor runtime (transformers, the naive choice) side by side.

Each measurement runs in a fresh subprocess so load times are cold and peak RSS is its own.

    python benchmarks/bench_pipeline.py                          # base + tiny.en; llama.cpp + transformers
    python benchmarks/bench_pipeline.py --runtimes llama.cpp,openai --asr-models base
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scribe.eval.wer import wer  # noqa: E402

_ASR_CHILD = r"""
import json, resource, sys, time
from scribe.asr.engine import FasterWhisperEngine
from scribe.settings import load_settings
from scribe.audio import load_audio
model, path = sys.argv[1], sys.argv[2]
audio = load_audio(path)
eng = FasterWhisperEngine(model, load_settings())
t0 = time.perf_counter(); eng.load(); load_s = time.perf_counter() - t0
t0 = time.perf_counter(); tr = eng.transcribe_file(path); run_s = time.perf_counter() - t0
print(json.dumps({"model": model, "load_s": load_s, "run_s": run_s, "audio_s": len(audio) / 16000,
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
                  "text": tr.text}))
"""


def script_text(script: Path) -> str:
    return " ".join(
        re.sub(r"^\[[a-z]+\]\s*", "", line)
        for line in script.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


def bench_asr(models: list[str], audio: Path, script: Path) -> list[dict]:
    ref = script_text(script)
    rows = []
    for m in models:
        proc = subprocess.run(
            [sys.executable, "-c", _ASR_CHILD, m, str(audio)],
            capture_output=True,
            text=True,
            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
        )
        if proc.returncode:
            raise SystemExit(f"ASR {m} failed:\n{proc.stderr[-2000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["rtf"] = r["run_s"] / r["audio_s"]
        r["wer"] = wer(ref, r.pop("text"))
        rows.append(r)
    return rows


def bench_llm(runtimes: list[str], model: str, script: Path, max_tokens: int, threads: int) -> list[dict]:
    from bench_llm import measure_runtime

    from scribe.drafting.questions import BLOCK_QUESTIONS, build_messages, format_transcript_lines
    from scribe.drafting.templates import Block
    from scribe.transcript_io import load_transcript

    question = BLOCK_QUESTIONS[Block.history_of_present_illness]  # the longest answer of a draft
    messages = build_messages(format_transcript_lines(load_transcript(script)), question)
    rows = []
    for rt in runtimes:
        r = measure_runtime(rt, model, messages, max_tokens, threads=threads, n_ctx=4096)
        r.pop("text", None)
        rows.append(r)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", type=Path, default=ROOT / "assets/sample/visit.flac")
    ap.add_argument("--script", type=Path, default=ROOT / "assets/sample/visit_script.txt")
    ap.add_argument("--asr-models", default="base,tiny.en")
    ap.add_argument("--runtimes", default="llama.cpp,transformers")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--max-tokens", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = ap.parse_args(argv)

    asr = bench_asr([m for m in args.asr_models.split(",") if m], args.audio, args.script) if args.asr_models else []
    if asr:
        print(f"\n### Speech recognition on {args.audio.name} ({asr[0]['audio_s']:.0f} s of audio, int8 CPU, beam 1)\n")
        print("| model | load s | transcribe s | RTF | peak RSS GB | WER vs script |")
        print("|---|---|---|---|---|---|")
        for r in asr:
            print(
                f"| {r['model']} | {r['load_s']:.1f} | {r['run_s']:.1f} | {r['rtf']:.3f} | {r['peak_rss_gb']:.2f} | {r['wer'] * 100:.1f} % |"
            )

    llm = (
        bench_llm([r for r in args.runtimes.split(",") if r], args.model, args.script, args.max_tokens, args.threads)
        if args.runtimes
        else []
    )
    if llm:
        anchor = next((r for r in llm if r["runtime"].startswith("transformers")), None)
        print(
            f"\n### Note drafting, {args.model}, the drafter's real prompt for this visit "
            f"({llm[0]['prompt_tokens']} tokens in, up to {args.max_tokens} out, {args.threads} threads)\n"
        )
        print(
            "| runtime | load s | first token s | decode tok/s | peak RSS GB | speed vs transformers | memory vs transformers |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in llm:
            speed = f"{r['decode_tok_s'] / anchor['decode_tok_s']:.1f}×" if anchor else "—"
            mem = f"{anchor['peak_rss_gb'] / r['peak_rss_gb']:.1f}× less" if anchor and r is not anchor else "—"
            print(
                f"| {r['runtime']} | {r['load_s']:.1f} | {r['first_token_s']:.1f} | {r['decode_tok_s']:.1f} "
                f"| {r['peak_rss_gb']:.2f} | {speed} | {mem} |"
            )
    if args.json:
        args.json.write_text(json.dumps({"asr": asr, "llm": llm}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
