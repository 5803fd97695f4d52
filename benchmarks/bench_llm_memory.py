"""Peak memory of the bundled LLM in llama.cpp, per load option, on a long visit's prompt.

Why: the model worker was most of the app's peak memory (issue 11's ≤ 3 GB target). Each option
runs in a fresh subprocess that loads the GGUF, prefills the 10-minute sample visit (~2,500 tokens,
about the longest prompt a question sends), generates 40 tokens, and prints its VmHWM, prefill
seconds and decode speed, so the rows compare like with like.

    python benchmarks/bench_llm_memory.py                       # the default options below
    python benchmarks/bench_llm_memory.py --threads 2 --options '[{"use_mmap": false}]'

``use_mmap`` false is what Scribe's runtime uses (``scribe/drafting/runtimes.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

DEFAULT_OPTIONS = [
    {"use_mmap": True},
    {"use_mmap": True, "flash_attn": True},
    {"use_mmap": True, "n_ubatch": 256},
    {"use_mmap": False},
    {"use_mmap": False, "flash_attn": True},
]

CHILD = r"""
import json, sys, time
import llama_cpp
opts, gguf, script, threads, n_ctx = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
lines = [l for l in open(script, encoding="utf-8") if l.strip() and not l.startswith("#")]
t0 = time.perf_counter()
llm = llama_cpp.Llama(model_path=gguf, n_ctx=n_ctx, n_batch=512, n_threads=threads, n_threads_batch=threads, verbose=False, **opts)
t1 = time.perf_counter()
tokens = llm.tokenize(("Transcript:\n" + "".join(lines)).encode())[: n_ctx - 100]
llm.eval(tokens)
t2 = time.perf_counter()
for _ in range(40):
    llm.eval([llm.sample(temp=0.0)])
t3 = time.perf_counter()
status = {l.split(":")[0]: int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(("VmHWM", "VmRSS"))}
print(json.dumps({"options": opts, "load_s": round(t1 - t0, 2), "prompt_tokens": len(tokens),
                  "prefill_s": round(t2 - t1, 1), "decode_tok_s": round(40 / (t3 - t2), 1),
                  "peak_rss_gb": round(status["VmHWM"] / 1e6, 2)}))
"""


def main() -> int:
    from scribe.packs import resolve_llm_model
    from scribe.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b", help="pack name or GGUF file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--context", type=int, default=8192, help="n_ctx (Scribe's default llm_context)")
    ap.add_argument("--script", type=Path, default=ROOT / "assets" / "sample" / "visit10_script.txt")
    ap.add_argument("--options", help="JSON list of llama_cpp.Llama keyword sets (default: the table's)")
    args = ap.parse_args()
    gguf = resolve_llm_model(args.model, Settings().cache_path)
    options = json.loads(args.options) if args.options else DEFAULT_OPTIONS
    print(f"{gguf.name}, n_ctx {args.context}, {args.threads} threads, prompt from {args.script.name}")
    print(f"{'options':<44} {'peak RSS':>9} {'load':>6} {'prefill':>8} {'decode':>9}")
    for opts in options:
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                json.dumps(opts),
                str(gguf),
                str(args.script),
                str(args.threads),
                str(args.context),
            ],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            print(
                f"{json.dumps(opts):<44} failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}"
            )
            continue
        row = json.loads(r.stdout.strip().splitlines()[-1])
        print(
            f"{json.dumps(opts):<44} {row['peak_rss_gb']:>7.2f} GB {row['load_s']:>5.2f}s {row['prefill_s']:>7.1f}s "
            f"{row['decode_tok_s']:>5.1f} tok/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
