"""Drafting during the visit (scribe.drafting.incremental): mechanics, not speed.

The scripted extractive stand-in model (tests/scripted_llm.py) makes the incremental result
comparable statement by statement with a from-scratch draft; a small real llama.cpp model checks
that warming during the visit really leaves only the transcript's tail to prefill at Stop.
benchmarks/bench_visit.py measures the speed and the grounding of real drafts.
"""

from __future__ import annotations

import threading
import time

import pytest
from scripted_llm import KeywordRuntime
from test_long_visit import PROBLEMS, SOAP_RULES, long_visit_script

from scribe.domain import SpeakerRole, Transcript
from scribe.drafting.drafter import NoteDrafter
from scribe.drafting.incremental import LiveDrafter, draft_from_scratch
from scribe.drafting.templates import get_template
from scribe.transcript_io import parse_dialogue


class PrefixCache(KeywordRuntime):
    """The stand-in with a one-slot prefix cache like llama.cpp's: counts the words each call must
    prefill (the prompt minus what it shares with the previous call's prompt)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.cached: list[str] = []
        self.prefilled: list[int] = []  # per stream_chat call
        self.warmed: list[int] = []  # per warm call

    def _prefill(self, messages) -> int:
        words = "\n".join(m["content"] for m in messages).split()
        n = 0
        for a, b in zip(self.cached, words):
            if a != b:
                break
            n += 1
        self.cached = words
        return len(words) - n

    def warm(self, messages) -> None:
        self.warmed.append(self._prefill(messages))

    def stream_chat(self, messages, **kw):
        self.prefilled.append(self._prefill(messages))
        yield from super().stream_chat(messages, **kw)


MEDS = {"meloxicam", "ofloxacin", *(m for _, _, m, _ in PROBLEMS)}


def grow(transcript: Transcript, every: int = 6):
    """The transcript as the recogniser finalises it: a few segments at a time."""
    segs = transcript.segments
    for n in range(every, len(segs), every):
        yield transcript.model_copy(update={"segments": segs[:n]})


@pytest.fixture(scope="module")
def visit() -> Transcript:
    return parse_dialogue(long_visit_script(fillers_per_problem=3, closing_fillers=4))


def statements(note):
    return {sec.key: [(st.text, st.status) for st in sec.statements] for sec in note.sections}


def test_live_draft_equals_a_from_scratch_draft_and_leaves_only_the_tail_for_stop(visit):
    rt = PrefixCache(SOAP_RULES, context_window=100_000)
    live = LiveDrafter(NoteDrafter(rt, get_template("soap"), medications=MEDS), part_tokens=400, parts=True)
    for partial in grow(visit):
        live.update(partial)
    assert live.stats.parts >= 3 and live.stats.warms > 0
    n_before_stop = len(rt.prompts)
    note = live.draft(visit)
    stop_prompts = rt.prompts[n_before_stop:]
    assert len(stop_prompts) == 4  # one request per SOAP section, for the last part only

    reference = draft_from_scratch(
        NoteDrafter(KeywordRuntime(SOAP_RULES, context_window=100_000), get_template("soap"), medications=MEDS),
        live.prepare(visit),
    )
    # same statements in the same order, same grounding verdicts
    assert statements(note) == statements(reference)
    assert note.grounding.model_dump(exclude={"checked_at"}) == reference.grounding.model_dump(exclude={"checked_at"})
    assert all(st.status.value == "supported" for st in note.statements())

    # at Stop the model only had to read the tail: the last part's lines, and each section's prompt
    # re-read little more than its closing line (the prefix was warm)
    full_words = sum(len(s.text.split()) for s in visit.segments)
    stop_prefill = rt.prefilled[n_before_stop:]
    assert max(stop_prefill) < full_words / 10, (stop_prefill, full_words)


def test_a_short_visit_is_drafted_exactly_like_the_plain_drafter_from_a_warm_prefix():
    visit = parse_dialogue(
        "\n".join(
            [
                "[doctor] What brings you in today?",
                "[patient] I've had a cough for two weeks.",
                "[doctor] Blood pressure is 128 over 80 today.",
                "[doctor] I think this is a viral bronchitis.",
                "[doctor] I'll start benzonatate 100 milligrams three times a day and follow up in two weeks.",
                "[patient] Thank you.",
            ]
        )
    )
    rt = PrefixCache(SOAP_RULES, context_window=100_000)
    live = LiveDrafter(NoteDrafter(rt, get_template("soap")))
    for n in (2, 4, 5):
        live.update(visit.model_copy(update={"segments": visit.segments[:n]}))
    assert live.stats.parts == 0 and live.stats.warms == 3
    # each warm prefilled only what was new since the last one
    assert rt.warmed[1] < rt.warmed[0] and rt.warmed[2] < rt.warmed[0]
    before = len(rt.prompts)
    note = live.draft(visit)
    plain = NoteDrafter(KeywordRuntime(SOAP_RULES, context_window=100_000), get_template("soap"), label_speakers=False)
    reference = plain.draft(live.prepare(visit))
    assert rt.prompts[before:] == plain.runtime.prompts  # the very same requests
    assert statements(note) == statements(reference)
    # the first Stop request prefilled only the last line and the closing cue
    assert rt.prefilled[-4] < 60


def test_rolling_note_drafts_the_first_sections_during_the_visit_and_only_the_rest_at_stop(visit):
    rt = PrefixCache(SOAP_RULES, context_window=100_000)
    live = LiveDrafter(NoteDrafter(rt, get_template("soap"), medications=MEDS), refresh_tokens=150)
    assert live.rolling_keys == ["subjective", "objective", "assessment"] and not live.parts_enabled
    for partial in grow(visit):
        live.update(partial)
    assert live.stats.section_drafts >= 6 and set(live.sections) == set(live.rolling_keys)
    n_before = len(rt.prompts)
    events = list(live.stream(visit))
    assert live.stats.stop_mode == "rolling" and "plan" in live.stats.stop_redrafted
    kept = [k for k in live.rolling_keys if k not in live.stats.stop_redrafted]
    assert kept  # the visit was followed closely enough that some sections needed no work at Stop
    prepared = live.prepare(visit)
    plain = NoteDrafter(
        KeywordRuntime(SOAP_RULES, context_window=100_000), get_template("soap"), medications=MEDS, label_speakers=False
    )
    reference = plain.draft(prepared)
    keys = get_template("soap").section_keys()
    # at Stop, the very requests a from-scratch draft makes for the redrafted sections, and no others
    redrafted = [plain.runtime.prompts[keys.index(k)] for k in live.stats.stop_redrafted]
    assert rt.prompts[n_before : n_before + len(redrafted)] == redrafted
    # the kept sections were on screen before the model was asked anything at Stop
    kinds = [ev.kind for ev in events]
    assert kinds.index("statement") < kinds.index("token")
    note = events[-1].note
    for key in live.stats.stop_redrafted:
        assert statements(note)[key] == statements(reference)[key]
    # a kept section is what a from-scratch draft of the transcript up to its last line says
    for key in kept:
        d = live.sections[key]
        upto = prepared.model_copy(update={"segments": [s for s in prepared.segments if s.id <= d.last_id]})
        ref = NoteDrafter(
            KeywordRuntime(SOAP_RULES, context_window=100_000),
            get_template("soap"),
            label_speakers=False,
            cover_medications=False,
        ).draft(upto)
        assert [st.text for st in d.statements] == [st.text for st in ref.section(key).statements]
        assert [st.text for st in note.section(key).statements][: len(d.statements)] == [st.text for st in d.statements]
        # and it has not missed much: less than stale_tokens of the transcript came after it
        assert sum(len(s.text.split()) + 3 for s in prepared.segments if s.id > d.last_id) < live.stale_tokens
    assert all(st.status.value == "supported" for st in note.statements())


def test_a_rolling_section_that_fell_behind_is_drafted_again_at_stop(visit):
    rt = PrefixCache(SOAP_RULES, context_window=100_000)
    live = LiveDrafter(NoteDrafter(rt, get_template("soap"), medications=MEDS), refresh_tokens=150, stale_tokens=1)
    for partial in grow(visit):
        live.update(partial)
    note = live.draft(visit)
    assert live.stats.stop_mode == "rolling" and live.stats.stop_redrafted == get_template("soap").section_keys()
    reference = NoteDrafter(
        KeywordRuntime(SOAP_RULES, context_window=100_000), get_template("soap"), medications=MEDS, label_speakers=False
    ).draft(live.prepare(visit))
    assert statements(note) == statements(reference)


def test_stop_abandons_a_rolling_section_in_flight_and_still_drafts_the_whole_note(visit):
    class Slow(KeywordRuntime):
        pieces = 0

        def stream_chat(self, messages, **kw):
            for piece in super().stream_chat(messages, **kw):
                self.pieces += 1
                yield piece

    rt = Slow(SOAP_RULES, context_window=100_000)
    live = LiveDrafter(NoteDrafter(rt, get_template("soap")), refresh_tokens=150)
    live.hold()  # Stop is pressed while the first section is being drafted
    worker = threading.Thread(target=live.update, args=(visit.model_copy(update={"segments": visit.segments[:60]}),))
    worker.start()
    time.sleep(0.3)
    assert rt.pieces <= 1
    note = live.draft(visit)
    worker.join(5)
    assert not worker.is_alive()
    assert live.stats.aborted_sections == 1 and live.stats.stop_mode == "full"
    assert all(sec.statements for sec in note.sections)


def test_lines_said_while_a_section_is_drafted_are_warmed_by_the_same_update(visit):
    """A section takes ~30 s on one thread; what is said meanwhile is offered and warmed before the
    update ends, so it is not left for Stop (it was most of Stop's prefill)."""
    first, later = (
        visit.model_copy(update={"segments": visit.segments[:60]}),
        visit.model_copy(update={"segments": visit.segments[:72]}),
    )

    class Speaking(PrefixCache):  # the recogniser finalises 12 more segments while the section is drafted
        def stream_chat(self, messages, **kw):
            live.offer(later)
            yield from super().stream_chat(messages, **kw)

    rt = Speaking(SOAP_RULES, context_window=100_000)
    live = LiveDrafter(NoteDrafter(rt, get_template("soap")), refresh_tokens=150)
    live.offer(first)
    assert live.update() == "section"
    assert live.stats.section_drafts == 1 and live.stats.caught_up == 1
    assert live._cold_tokens(live.drafter.preamble, _lines(live, later)) == 0  # all of it is warm
    # without offers, the update warms only what it was given: the 12 segments stay cold
    rt2 = PrefixCache(SOAP_RULES, context_window=100_000)
    live2 = LiveDrafter(NoteDrafter(rt2, get_template("soap")), refresh_tokens=150)
    assert live2.update(first) == "section"
    assert live2._cold_tokens(live2.drafter.preamble, _lines(live2, later)) > 100


def _lines(live, transcript):
    from scribe.drafting.drafter import format_transcript_lines

    return format_transcript_lines(live.prepare(transcript))


def test_settled_speaker_labels_do_not_change_as_the_transcript_grows():
    untagged = parse_dialogue(
        "\n".join(
            [
                "How long have you had the cough?",
                "About two weeks now, doc.",
                "Any fever or chills?",
                "No fever. I feel tired though.",
                "Let me listen to your lungs.",
                "My chest feels tight at night.",
                "Your lungs are clear today.",
                "Thank you, doctor.",
                "I'll start an inhaler, two puffs as needed.",
                "Okay, I will use it.",
                "Any questions?",
                "No, that's all.",
            ]
            * 2
        )
    )
    assert all(s.speaker == SpeakerRole.unknown for s in untagged.segments)
    live = LiveDrafter(NoteDrafter(KeywordRuntime(SOAP_RULES), get_template("soap")), settle_segments=4)
    seen: dict[int, SpeakerRole] = {}
    for n in range(3, len(untagged.segments) + 1):
        prepared = live.prepare(untagged.model_copy(update={"segments": untagged.segments[:n]}))
        for s in prepared.segments[: n - 4]:
            assert seen.setdefault(s.id, s.speaker) == s.speaker, s.id


def test_hold_pauses_background_drafting_until_stop(visit):
    gate = threading.Event()

    class Slow(KeywordRuntime):
        def stream_chat(self, messages, **kw):
            for piece in super().stream_chat(messages, **kw):
                self.pieces += 1
                yield piece

    rt = Slow(SOAP_RULES, context_window=100_000)
    rt.pieces = 0
    live = LiveDrafter(NoteDrafter(rt, get_template("soap")), part_tokens=400, parts=True)
    live.hold()
    partial = visit.model_copy(update={"segments": visit.segments[:60]})
    worker = threading.Thread(target=lambda: (live.update(partial), gate.set()))
    worker.start()
    time.sleep(0.3)
    assert not gate.is_set() and rt.pieces <= 1  # paused before its first token was used
    note = live.draft(visit)  # Stop: releases the paused part, then drafts the rest
    worker.join(5)
    assert gate.is_set() and live.stats.parts == 1 and note.statements()


def test_llama_threads_switch_mid_answer_and_warm_leaves_only_the_tail(smollm_gguf):
    pytest.importorskip("llama_cpp")
    from scribe.drafting.runtimes import LlamaCppRuntime

    rt = LlamaCppRuntime(smollm_gguf, n_ctx=2048, n_threads=2, model_name="smollm2-135m")
    rt.load()
    stream = pieces = None
    try:
        evaluated: list[int] = []
        real_eval = rt._llm.eval
        rt._llm.eval = lambda tokens: (evaluated.append(len(tokens)), real_eval(tokens))[1]
        visit = parse_dialogue(long_visit_script(fillers_per_problem=0, closing_fillers=2))
        segs = visit.segments
        live = LiveDrafter(NoteDrafter(rt, get_template("soap"), section_max_tokens=24, max_attempts=1), rolling=False)
        live.update(visit.model_copy(update={"segments": segs[:-3]}))
        assert rt._threads_now == 1  # background warm-up ran on one thread
        warm_tokens = sum(evaluated)
        evaluated.clear()
        stream = live.stream(visit)
        next(stream)
        # the final draft has every thread again, less the cores other programs keep busy right now
        assert rt._threads_now == live.stats.stop_threads and 1 <= live.stats.stop_threads <= 2
        first_prefill = evaluated[0]
        tail = sum(rt.count_tokens(s.text) + 4 for s in segs[-3:]) + 120  # new lines + closing cue + template
        assert first_prefill <= tail < warm_tokens / 3, (first_prefill, tail, warm_tokens)
        stream.close()  # the rest of the note is not the point (and 2 threads crawl on a busy CI box)
        # set_threads from another thread applies between tokens of a running answer
        rt.set_threads(1)
        pieces = rt.stream_chat([{"role": "user", "content": "Count to twenty."}], max_tokens=12)
        next(pieces)
        assert rt._threads_now == 1
        rt.set_threads(None)
        next(pieces)
        assert rt._threads_now == 2
    finally:
        for gen in (stream, pieces):  # a generator still running holds the runtime's lock
            if gen is not None:
                gen.close()
        rt.close()
