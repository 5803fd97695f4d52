"""Compare the chat runtimes on one note-drafting-sized prompt (~1,000 tokens in, ~300 out).

Each runtime runs in a fresh subprocess, so its load time is cold-process and its peak RSS
(the child's ``ru_maxrss``) is its own, not the sum of everything loaded before it. The
``openai`` runtime is measured against ``--server-url`` if given; otherwise a local
``python -m llama_cpp.server`` is started on the same GGUF and its peak RSS (VmHWM) is added
to the client's, so the row compares like with like.

    python benchmarks/bench_llm.py                       # default 1.5B model, llama.cpp + transformers
    python benchmarks/bench_llm.py --model smollm2-135m --runtimes llama.cpp,transformers,openai

``measure_runtime`` is importable for other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

SYSTEM = "You are a careful medical scribe. You write accurate, concise clinical notes from visit transcripts."


def note_prompt(transcript_file: Path | None = None) -> list[dict]:
    """The sample visit (about 1,000 tokens) with SOAP instructions: what drafting really sends."""
    path = transcript_file or ROOT / "assets" / "sample" / "visit_script.txt"
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    user = (
        "Write a SOAP note (Subjective, Objective, Assessment, Plan) for this visit. Use short bullet points, "
        "include every medication with its dose, and only state what the transcript supports.\n\nTranscript:\n"
        + "\n".join(lines)
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def _peak_rss_bytes() -> int:
    """This process's peak resident set size."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB
    except ImportError:  # Windows
        import psutil

        info = psutil.Process().memory_info()
        return getattr(info, "peak_wset", info.rss)


def _vm_hwm_bytes(pid: int) -> int:
    """Peak RSS of another process (Linux /proc; falls back to its current RSS)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import psutil

    return psutil.Process(pid).memory_info().rss


def _first_token_s(runtime, messages: list[dict]) -> float:
    t0 = time.perf_counter()
    for _ in runtime.stream_chat(messages, max_tokens=1, temperature=0.0):
        break
    return time.perf_counter() - t0


def _child_prefix(job: dict) -> dict:
    """Cold first token vs first token after ``warm()`` of everything but the transcript's last line."""
    from scribe.drafting.runtimes import create_runtime
    from scribe.settings import Settings

    settings = Settings(
        llm_model=job["model"],
        llm_runtime=job["runtime"],
        llm_threads=job["threads"],
        llm_context=job["n_ctx"],
        llm_server_url=job.get("server_url", ""),
        llm_server_model=job.get("server_model", ""),
        cache_dir=job.get("cache_dir", ""),
    )
    full = job["messages"]
    head, _, last = full[-1]["content"].rpartition("\n")
    partial = full[:-1] + [{"role": full[-1]["role"], "content": head}]
    runtime = create_runtime(settings)
    runtime.load()
    cold = _first_token_s(runtime, full)
    # Evict: a different first message shares (almost) no prefix with the prompt.
    _first_token_s(runtime, [{"role": "user", "content": "Unrelated question?"}])
    t0 = time.perf_counter()
    runtime.warm(partial)
    warm_s = time.perf_counter() - t0
    warmed = _first_token_s(runtime, full)
    result = {
        "runtime": runtime.name,
        "prompt_tokens": sum(runtime.count_tokens(m["content"]) for m in full),
        "tail_tokens": runtime.count_tokens(last),
        "cold_first_token_s": cold,
        "warm_call_s": warm_s,
        "warm_first_token_s": warmed,
    }
    runtime.close()
    return result


def _child(job: dict) -> dict:
    """Runs inside the fresh subprocess: load, stream one answer, time it."""
    if job.get("kind") == "prefix":
        return _child_prefix(job)
    from scribe.drafting.runtimes import create_runtime
    from scribe.packs import resolve_llm_model
    from scribe.settings import Settings

    settings = Settings(
        llm_model=job["model"],
        llm_runtime=job["runtime"],
        llm_threads=job["threads"],
        llm_context=job["n_ctx"],
        llm_server_url=job.get("server_url", ""),
        llm_server_model=job.get("server_model", ""),
        cache_dir=job.get("cache_dir", ""),
        isolate_models=False,  # the runtime itself, in this process: its peak RSS below is all of it
    )
    messages = job["messages"]
    t0 = time.perf_counter()
    runtime = create_runtime(settings)
    runtime.load()
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    first: float | None = None
    pieces = []
    for piece in runtime.stream_chat(messages, max_tokens=job["max_tokens"], temperature=0.0):
        if first is None:
            first = time.perf_counter() - t1
        pieces.append(piece)
    total = time.perf_counter() - t1
    rss = _peak_rss_bytes()
    text = "".join(pieces)
    if runtime.name == "openai":  # the API has no tokenizer: count with the GGUF's own vocabulary
        import llama_cpp

        gguf = resolve_llm_model(job["model"], settings.cache_path)
        vocab = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
        count = lambda s: len(vocab.tokenize(s.encode(), add_bos=False, special=False))  # noqa: E731
    else:
        count = runtime.count_tokens
    out_tokens = count(text)
    prompt_tokens = sum(count(m["content"]) for m in messages)
    runtime.close()
    return {
        "runtime": runtime.name,
        "model": job["model"],
        "load_s": load_s,
        "first_token_s": first,
        "total_s": total,
        "prompt_tokens": prompt_tokens,
        "output_tokens": out_tokens,
        "decode_tok_s": (out_tokens - 1) / (total - first)
        if first is not None and total > first and out_tokens > 1
        else 0.0,
        "peak_rss_gb": rss / 1e9,
        "text": text,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(model: str, threads: int, n_ctx: int, cache_dir: str) -> tuple[subprocess.Popen, str, float]:
    """Start llama_cpp.server on loopback; return (process, base URL, seconds until it answered)."""
    import httpx

    from scribe.drafting.runtimes import physical_cores
    from scribe.packs import resolve_llm_model
    from scribe.settings import Settings

    gguf = resolve_llm_model(model, Settings(cache_dir=cache_dir).cache_path)
    port = _free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--model_alias",
            model,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(n_ctx),
            "--n_threads",
            str(threads or physical_cores()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/models", timeout=1.0, trust_env=False).status_code == 200:
                return proc, url, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        if time.perf_counter() - t0 > 300:
            os.kill(proc.pid, signal.SIGTERM)
            raise RuntimeError("llama_cpp.server not ready after 300 s")
        time.sleep(0.2)


def measure_runtime(
    runtime_name: str,
    model: str,
    prompt_messages: list[dict],
    max_tokens: int,
    *,
    threads: int = 0,
    n_ctx: int = 4096,
    server_url: str = "",
    server_model: str = "",
    cache_dir: str = "",
    timeout: float = 1800,
) -> dict:
    """Load ``model`` with ``runtime_name`` in a fresh subprocess and time one streamed answer.

    Returns load_s, first_token_s, decode_tok_s, peak_rss_gb, prompt/output token counts and
    the text. For ``openai`` without ``server_url`` a local llama_cpp.server is started and
    stopped; its start-up counts as load time and its peak RSS is included.
    """
    job = dict(
        runtime=runtime_name,
        model=model,
        messages=prompt_messages,
        max_tokens=max_tokens,
        threads=threads,
        n_ctx=n_ctx,
        server_url=server_url,
        server_model=server_model,
        cache_dir=cache_dir,
    )
    server = None
    server_load = 0.0
    if runtime_name == "openai" and not server_url:
        server, job["server_url"], server_load = _start_server(model, threads, n_ctx, cache_dir)
        job["server_model"] = model
    try:
        result = _run_child(job, timeout)
        if server is not None:
            result["load_s"] += server_load
            result["peak_rss_gb"] += _vm_hwm_bytes(server.pid) / 1e9
            result["runtime"] = "openai (llama_cpp.server)"
        return result
    finally:
        if server is not None:
            os.kill(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def measure_prefix_cache(
    runtime_name: str,
    model: str,
    prompt_messages: list[dict],
    *,
    threads: int = 0,
    n_ctx: int = 4096,
    cache_dir: str = "",
    timeout: float = 1800,
) -> dict:
    """First-token latency of the full prompt cold vs after ``warm()`` of all but its last line.

    That is the visit-time pattern: the transcript grows at its end, the prompt is kept warm,
    and pressing Stop leaves only the new tail to prefill.
    """
    job = dict(
        kind="prefix",
        runtime=runtime_name,
        model=model,
        messages=prompt_messages,
        threads=threads,
        n_ctx=n_ctx,
        cache_dir=cache_dir,
    )
    return _run_child(job, timeout)


def _run_child(job: dict, timeout: float) -> dict:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{job['runtime']} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown_table(results: list[dict]) -> str:
    rows = [
        "| runtime | load s | first token s | decode tok/s | peak RSS GB | prompt tok | output tok |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['runtime']} | {r['load_s']:.1f} | {r['first_token_s']:.1f} | {r['decode_tok_s']:.1f} "
            f"| {r['peak_rss_gb']:.2f} | {r['prompt_tokens']} | {r['output_tokens']} |"
        )
    return "\n".join(rows)


def ratios(fast: dict, slow: dict) -> str:
    """How much better ``fast`` is than ``slow`` on each measure (x times)."""

    def x(a: float, b: float) -> str:
        return f"{a / b:.1f}x" if b else "n/a"

    return (
        f"{fast['runtime']} vs {slow['runtime']}: load {x(slow['load_s'], fast['load_s'])} faster, "
        f"first token {x(slow['first_token_s'], fast['first_token_s'])} sooner, "
        f"decode {x(fast['decode_tok_s'], slow['decode_tok_s'])} faster, "
        f"peak RSS {x(slow['peak_rss_gb'], fast['peak_rss_gb'])} smaller"
    )


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:] == ["--child"]:
        print(json.dumps(_child(json.loads(sys.stdin.read()))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b", help="pack name or GGUF path (default: %(default)s)")
    ap.add_argument(
        "--runtimes", default="llama.cpp,transformers", help="comma list of llama.cpp, transformers, openai"
    )
    ap.add_argument("--max-tokens", type=int, default=300)
    ap.add_argument("--threads", type=int, default=0, help="0 = physical cores")
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--server-url", default="", help="for openai: an existing server (default: start llama_cpp.server)")
    ap.add_argument("--server-model", default="")
    ap.add_argument("--cache-dir", default="", help="Scribe cache (default: the user's)")
    ap.add_argument(
        "--prefix-cache",
        action="store_true",
        help="also measure cold vs warm() first-token latency (llama.cpp and transformers)",
    )
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--show-text", action="store_true", help="print each runtime's answer")
    args = ap.parse_args(argv)

    messages = note_prompt()
    results = []
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for name in [n.strip() for n in args.runtimes.split(",") if n.strip()]:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        r = measure_runtime(
            name,
            args.model,
            messages,
            args.max_tokens,
            threads=args.threads,
            n_ctx=args.n_ctx,
            server_url=args.server_url,
            server_model=args.server_model,
            cache_dir=args.cache_dir,
        )
        results.append(r)
        if args.show_text:
            print(f"--- {r['runtime']} ---\n{r['text']}\n", file=sys.stderr)
    prefix = []
    if args.prefix_cache:
        for name in [r["runtime"] for r in results if r["runtime"] in ("llama.cpp", "transformers")]:
            print(f"measuring prefix cache of {name} ...", file=sys.stderr, flush=True)
            prefix.append(
                measure_prefix_cache(
                    name, args.model, messages, threads=args.threads, n_ctx=args.n_ctx, cache_dir=args.cache_dir
                )
            )
    print(f"Model: {args.model}; max_tokens {args.max_tokens}; greedy; {args.threads or 'physical-core'} threads")
    if load_before is not None:  # other work on the machine skews every number; say so
        print(
            f"System load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
            f"({os.cpu_count()} logical CPUs)"
        )
    print()
    print(markdown_table(results))
    by = {r["runtime"]: r for r in results}
    if "llama.cpp" in by and "transformers" in by:
        print("\n" + ratios(by["llama.cpp"], by["transformers"]))
    if prefix:
        print("\n| runtime | prompt tok | tail tok | cold first token s | warm() s | first token after warm() s |")
        print("|---|---|---|---|---|---|")
        for p in prefix:
            print(
                f"| {p['runtime']} | {p['prompt_tokens']} | {p['tail_tokens']} | {p['cold_first_token_s']:.2f} "
                f"| {p['warm_call_s']:.2f} | {p['warm_first_token_s']:.2f} |"
            )
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "prefix_cache": prefix}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
