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
def test_fast_greedy_grammar_gives_the_same_tokens_as_the_full_chain(smollm_llama, schema, monkeypatch):
    monkeypatch.setattr(GreedyGrammarSampler, "break_loops", False)  # (the loop guard is tested below)
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


# --------------------------------------------------------------------------- list loops


def test_the_loop_guard_sees_an_item_repeated_anywhere_in_the_answer():
    from scribe.drafting.fast_grammar import ListLoopGuard

    g = ListLoopGuard()
    g.feed('{"assessment_and_plan": [{"problem": "Chest pain", "assessment": "Angina.", "plan": ["Order an ECG.", ')
    assert not g.close_list
    assert g.closing_copy('"Order') is None  # (opens a string: nothing closes)
    g.feed('"Start aspirin 81 mg daily')
    assert g.closing_copy('",') is None  # a new item
    g.feed(
        '", "Refer to cardiology"]}, {"problem": "Chest pain", "assessment": "Stable angina.", "plan": ["order an ECG'
    )
    assert g.closing_copy('",') == 0  # the first problem's item again (case and final period aside)
    assert g.closing_copy('."') == 1
    g.feed('",')
    assert g.close_list  # the sampler closes the list next
    # a counting loop is a copy too; items that differ in more than their numbers are not
    c = ListLoopGuard()
    c.feed('{"history": ["He has a wife who makes cookies 1", "Started lisinopril 10 mg", ')
    c.feed('"Started metformin 500 mg')
    assert c.closing_copy('",') is None
    c.feed('", "He has a wife who makes cookies 2')
    assert c.closing_copy('",') == 0
    # object values and keys are not list items: a problem named twice is not a loop
    h = ListLoopGuard()
    h.feed('[{"problem": "Knee pain", "plan": []}, {"problem": "Knee pain')
    assert h.closing_copy('",') is None


def test_a_looping_list_is_closed_after_its_first_copied_item(smollm_llama):
    """The tiny model asked to repeat itself: llama-cpp-python's own chain writes the same item until
    the list is full; Scribe's sampler stops the list at the first copy."""
    llm = smollm_llama._llm
    schema = {
        "type": "object",
        "properties": {
            "plan": {"type": "array", "items": {"type": "string", "pattern": "^[ -!#-\\[\\]-~]{3,60}$"}, "maxItems": 8}
        },
        "required": ["plan"],
        "additionalProperties": False,
    }

    def answer(fast: bool) -> tuple[list, object]:
        installed = llm._init_sampler
        if not fast:
            llm._init_sampler = functools.partial(type(llm)._init_sampler, llm)
        llm.reset()
        try:
            out = llm.create_chat_completion(
                messages=[
                    {"role": "user", "content": 'Write the plan eight times, each item exactly "Order an ECG".'},
                    {"role": "assistant", "content": '{"plan": ["Order an ECG", "Order an ECG", '},
                ],
                max_tokens=120,
                temperature=0.0,
                response_format={"type": "json_object", "schema": schema},
            )
        finally:
            llm._init_sampler = installed
        import json

        return json.loads(out["choices"][0]["message"]["content"])["plan"], llm._sampler

    slow, _ = answer(fast=False)
    fast, sampler = answer(fast=True)
    assert len(slow) >= 3 and len(set(slow)) < len(slow), slow  # the model loops ...
    assert len(fast) == len(set(fast)) + 1 and fast[-1] in fast[:-1], fast  # ... and the list ends at the first copy
    assert sampler.guard.closed == 1


def test_llama_cpps_own_parser_accepts_every_questions_grammar(smollm_llama):
    """The schema converter turns anything into a grammar, but llama.cpp's parser refuses a repetition
    it finds too large (a history of up to 2,000 characters was refused, and drafted with no answer
    format at all): every question of every shipped template is compiled by the parser itself."""
    from scribe.drafting.grammar import GrammarCompiler
    from scribe.drafting.questions import ASSESSMENT_PLAN, FOLLOW_UP, PATIENT, medication_question, questions_for
    from scribe.drafting.templates import get_template

    compiler = GrammarCompiler(smollm_llama._llm._model.vocab)
    asked = {
        q.key: q
        for t in ("soap", "aci", "progress", "history_physical", "consult")
        for q in questions_for(get_template(t))
    }
    asked |= {q.key: q for q in (PATIENT, ASSESSMENT_PLAN, FOLLOW_UP, medication_question("lisinopril"))}
    for q in asked.values():
        compiler.grammar(q.schema())  # GrammarError if the parser refuses it
    assert len(asked) >= 10
