"""Constrained decoding speed: llama-cpp-python's sampler chain vs Scribe's greedy shortcut.

    python benchmarks/bench_grammar.py [--model qwen2.5-coder-1.5b] [--threads 2] [--tokens 200]

Every note section is decoded under a JSON-schema grammar. The chain constrains the whole
vocabulary before each token; scribe.drafting.fast_grammar checks the model's favourite token
first. Each request runs from the same cache state with each sampler, and the table says whether
the answers are identical (they must be) and the decode speed of each (the anchor: the chain).

A second table prices the check every grammar now gets before use (scribe.drafting.grammar: the
schema converted and compiled by llama.cpp's parser), the first time and once cached, for the
schemas above and a medication pass asking for multi-word drugs.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scribe.drafting.questions import ASSESSMENT_PLAN, BLOCK_QUESTIONS  # noqa: E402
from scribe.drafting.templates import Block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=200)
    args = ap.parse_args(argv)

    from scribe.drafting.runtimes import LlamaCppRuntime
    from scribe.packs import resolve_llm_model
    from scribe.settings import Settings

    rt = LlamaCppRuntime(resolve_llm_model(args.model, Settings().cache_path), n_threads=args.threads, n_ctx=4096)
    rt.load()
    llm = rt._llm
    installed = llm._init_sampler
    chain = functools.partial(type(llm)._init_sampler, llm)
    dialogue = (ROOT / "assets/sample/visit10_script.txt").read_text()[:3000]
    messages = [
        {"role": "system", "content": "You write clinical notes as JSON."},
        {"role": "user", "content": dialogue + "\n\nWrite the note section as JSON, one statement per item."},
    ]
    schemas = {
        "history of present illness": BLOCK_QUESTIONS[Block.history_of_present_illness].schema(),
        "assessment and plan": ASSESSMENT_PLAN.schema(),
    }

    def answer(schema, sampler) -> tuple[str, float, int]:
        llm._init_sampler = sampler
        llm.create_chat_completion(messages=messages, max_tokens=3)  # the same cache state before each
        pieces, first = [], None
        for chunk in llm.create_chat_completion(
            messages=messages,
            max_tokens=args.tokens,
            temperature=0.0,
            stream=True,
            response_format={"type": "json_object", "schema": schema},
        ):
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                pieces.append(piece)
                first = first or time.perf_counter()
        elapsed = time.perf_counter() - first
        text = "".join(pieces)
        n = len(llm.tokenize(text.encode(), add_bos=False))
        return text, (n - 1) / elapsed, n

    print(f"{args.model}, {args.threads} threads, greedy, up to {args.tokens} tokens per answer\n")
    print("| schema | tokens | chain tok/s (anchor) | fast tok/s | speed-up | same answer |")
    print("|---|---|---|---|---|---|")
    for name, schema in schemas.items():
        a, ra, n = answer(schema, chain)
        b, rb, _ = answer(schema, installed)
        print(f"| {name} | {n} | {ra:.1f} | {rb:.1f} | {rb / ra:.2f}x | {'yes' if a == b else 'NO'} |")
    llm._init_sampler = installed

    from scribe.drafting.grammar import GrammarCompiler
    from scribe.drafting.questions import medication_question

    # the medication pass names the drug in the question, never in the schema (the grammar is the same for
    # every drug); its schema is priced with the others
    schemas["medication pass (potassium chloride)"] = medication_question("potassium chloride").schema()
    print("\n| schema | grammar kB | convert + compile, first time ms | again (cached) ms |")
    print("|---|---|---|---|")
    for name, schema in schemas.items():
        compiler = GrammarCompiler(llm._model.vocab)
        t0 = time.perf_counter()
        gbnf = compiler.grammar(schema)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(20):
            rt.grammar(schema)
        again = (time.perf_counter() - t0) / 20
        print(f"| {name} | {len(gbnf) / 1000:.1f} | {first * 1000:.1f} | {again * 1000:.3f} |")
    rt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
