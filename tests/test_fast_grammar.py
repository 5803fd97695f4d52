"""Greedy constrained decoding checks the model's favourite token first (scribe.drafting.fast_grammar).

It must give exactly the tokens llama-cpp-python's own sampler chain gives, for every schema Scribe
sends; benchmarks/bench_llm.py measures the speed."""

from __future__ import annotations

import functools

import pytest

from scribe.drafting.fast_grammar import GreedyGrammarSampler
from scribe.drafting.questions import ASSESSMENT_PLAN, BLOCK_QUESTIONS
from scribe.drafting.templates import Block

pytest.importorskip("llama_cpp")

DIALOGUE = (
    "[doctor] What brings you in today?\n[patient] A cough for two weeks, and my knee hurts.\n"
    "[doctor] Are you taking anything for it?\n[patient] Ibuprofen, 400 milligrams, twice a day.\n"
    "[doctor] Your lungs are clear. Blood pressure 128 over 80.\n"
    "[doctor] I'll start benzonatate 100 milligrams three times a day. Come back in two weeks."
)

MED_SCHEMA = {
    "type": "object",
    "properties": {
        "ibuprofen": {
            "type": "object",
            "properties": {
                "section": {"type": "string", "enum": ["subjective", "plan"]},
                "text": {"type": "string", "pattern": "^Ibuprofen[ -~]{3,80}$"},
            },
            "required": ["section", "text"],
            "additionalProperties": False,
        }
    },
    "required": ["ibuprofen"],
    "additionalProperties": False,
}


def _answer(llm, schema, fast: bool) -> tuple[str, object]:
    installed = llm._init_sampler
    if not fast:  # llama-cpp-python's own chain, as before install()
        llm._init_sampler = functools.partial(type(llm)._init_sampler, llm)
    llm.reset()  # the same (empty) cache before each answer: the same prompt logits
    try:
        out = llm.create_chat_completion(
            messages=[
                {"role": "system", "content": "You write clinical notes as JSON."},
                {"role": "user", "content": DIALOGUE + "\n\nWrite the note."},
            ],
            max_tokens=90,
            temperature=0.0,
            response_format={"type": "json_object", "schema": schema},
        )
    finally:
        llm._init_sampler = installed  # back to the installed shortcut
    return out["choices"][0]["message"]["content"], llm._sampler


@pytest.mark.parametrize(
    "schema",
    [
        BLOCK_QUESTIONS[Block.history_of_present_illness].schema(),
        BLOCK_QUESTIONS[Block.review_of_systems].schema(),
        ASSESSMENT_PLAN.schema(),
        MED_SCHEMA,
    ],
    ids=["history", "review-of-systems", "assessment-and-plan", "medication-pass"],
)
def test_fast_greedy_grammar_gives_the_same_tokens_as_the_full_chain(smollm_llama, schema):
    llm = smollm_llama._llm
    assert "_init_sampler" in vars(llm)  # the runtime installed the shortcut on load
    fast, sampler = _answer(llm, schema, fast=True)
    slow, chain = _answer(llm, schema, fast=False)
    assert isinstance(sampler, GreedyGrammarSampler) and not isinstance(chain, GreedyGrammarSampler)
    assert fast == slow and len(fast) > 20
    # both paths ran: the favourite token taken at once, and the vocabulary constrained when it broke the grammar
    assert sampler.fast > 0 and sampler.full > 0, (sampler.fast, sampler.full)


def test_sampling_requests_keep_llama_cpps_own_chain(smollm_llama):
    llm = smollm_llama._llm
    llm.create_chat_completion(
        messages=[{"role": "user", "content": "Say hi."}],
        max_tokens=3,
        temperature=0.7,
        response_format={"type": "json_object", "schema": MED_SCHEMA},
    )
    assert not isinstance(llm._sampler, GreedyGrammarSampler)
