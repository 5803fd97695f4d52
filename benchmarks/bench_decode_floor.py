"""What one decoded token costs the bundled model on this CPU, and which llama.cpp levers change it.

At Stop the assessment and plan (~566 tokens on the 10-minute benchmark visit) is decoded after a
~3,500-token prompt; its time is the floor of Stop -> complete draft. This measures, with llama.cpp's
own C API (no sampling, no grammar, no Python per token beyond the call), milliseconds per decoded
token:

* against the prompt length (attention reads the whole KV cache for every token);
* with flash attention on or off, and with the KV cache quantised to q8_0;
* with several sequences decoded together in one batch (sharing the prompt's KV cache), the way a
  note's questions could be answered in parallel.

    python benchmarks/bench_decode_floor.py                  # every row below, ~6 minutes on 2 cores
    python benchmarks/bench_decode_floor.py --contexts 3600 --parallel 1,2,4

Each configuration runs in its own process (a fresh context; the model file is read each time).
Token ids are synthetic: the cost of a decode step does not depend on which tokens they are.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _measure(model: str, n_prompt: int, flash: bool, kv: str, parallel: list[int], threads: int, steps: int) -> dict:
    import llama_cpp as L

    L.llama_backend_init()
    mp = L.llama_model_default_params()
    mp.use_mmap = False  # as the app loads it (scribe.drafting.runtimes)
    model_p = L.llama_model_load_from_file(model.encode(), mp)
    cp = L.llama_context_default_params()
    cp.n_ctx, cp.n_batch, cp.n_ubatch = 8192, 512, 512
    cp.n_seq_max, cp.kv_unified = max(parallel), True
    cp.n_threads = cp.n_threads_batch = threads
    cp.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash else L.LLAMA_FLASH_ATTN_TYPE_DISABLED
    if kv == "q8_0":
        cp.type_k = cp.type_v = L.GGML_TYPE_Q8_0
    ctx = L.llama_init_from_model(model_p, cp)
    mem = L.llama_get_memory(ctx)
    batch = L.llama_batch_init(512, 0, max(parallel))

    def add(token: int, pos: int, seq: int, logits: bool) -> None:
        i = batch.n_tokens
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = logits
        batch.n_tokens += 1

    tokens = [(i * 7919) % 20000 + 100 for i in range(n_prompt)]
    t0 = time.perf_counter()
    for start in range(0, n_prompt, 512):
        batch.n_tokens = 0
        chunk = tokens[start : start + 512]
        for k, tok in enumerate(chunk):
            add(tok, start + k, 0, start + k == n_prompt - 1)
        if L.llama_decode(ctx, batch) != 0:
            raise SystemExit("llama_decode failed during the prompt")
    prefill_s = time.perf_counter() - t0
    for seq in range(1, max(parallel)):
        L.llama_memory_seq_cp(mem, 0, seq, -1, -1)
    rows = []
    for n in parallel:
        t0 = time.perf_counter()
        for step in range(steps):
            batch.n_tokens = 0
            for seq in range(n):
                add(1000 + step + seq, n_prompt + step, seq, True)
            if L.llama_decode(ctx, batch) != 0:
                raise SystemExit("llama_decode failed while decoding")
        per_step = (time.perf_counter() - t0) / steps
        rows.append({"parallel": n, "ms_per_step": round(per_step * 1000, 1), "tok_per_s": round(n / per_step, 1)})
        for seq in range(max(parallel)):
            L.llama_memory_seq_rm(mem, seq, n_prompt, -1)
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    L.llama_model_free(model_p)
    return {"prompt": n_prompt, "flash_attn": flash, "kv": kv, "prefill_s": round(prefill_s, 1), "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contexts", default="1500,2600,3600", help="prompt lengths in tokens")
    ap.add_argument("--parallel", default="1,2,4,8", help="sequences decoded together (at the longest prompt)")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b", help="pack name or GGUF file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--out", type=Path, help="write the results as JSON")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        c = json.loads(args.child)
        print(json.dumps(_measure(**c)))
        return
    from scribe.packs import resolve_llm_model
    from scribe.settings import Settings

    model = str(resolve_llm_model(args.model, Settings().cache_path))
    contexts = [int(x) for x in args.contexts.split(",")]
    parallel = [int(x) for x in args.parallel.split(",")]
    configs = [dict(n_prompt=n, flash=False, kv="f16", parallel=[1]) for n in contexts[:-1]]
    configs += [
        dict(n_prompt=contexts[-1], flash=False, kv="f16", parallel=parallel),
        dict(n_prompt=contexts[-1], flash=True, kv="f16", parallel=[1]),
        dict(n_prompt=contexts[-1], flash=True, kv="q8_0", parallel=[1]),  # (a quantised V cache needs flash attention)
    ]
    results = []
    print(
        "| prompt tokens | flash attention | KV cache | prefill | sequences together | ms per step | tokens/s (all sequences) |"
    )
    print("|---|---|---|---|---|---|---|")
    for c in configs:
        child = dict(c, model=model, threads=args.threads, steps=args.steps)
        out = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(child)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            sys.exit(f"measuring {c} failed: {out.stderr.strip().splitlines()[-1:]}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        for row in r["rows"]:
            print(
                f"| {r['prompt']} | {'on' if r['flash_attn'] else 'off'} | {r['kv']} | {r['prefill_s']} s | "
                f"{row['parallel']} | {row['ms_per_step']} | {row['tok_per_s']} |",
                flush=True,
            )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
