"""Long visits are asked about in parts, never truncated.

These tests are about mechanics — splitting to the window, covering every line, one note from the
facts of all parts, grounding it — so they use the scripted extractive stand-in model
(``tests/scripted_llm.py``) with a small window instead of a real LLM: a real 1.5B model needs
minutes per part on a 2-core CPU. What a real model writes is covered by the scorecard
(``docs/quality.md``).
"""

import re

import pytest
from scripted_llm import KeywordRuntime

from scribe.domain import NoteDraft, StatementStatus
from scribe.drafting.drafter import NoteDrafter
from scribe.drafting.long_visit import split_for_window
from scribe.drafting.templates import get_template
from scribe.errors import DraftingError
from scribe.transcript_io import parse_dialogue

# what each answer field of the drafter's questions copies from the transcript
FIELD_RULES = {
    "chief_complaint": r"\bwe have a lot to go through\b",
    "history_of_present_illness": r"\b(I've had|I have had)\b",
    "physical_exam": r"\bon exam\b",
    "vital_signs": r"\bblood pressure is\b",
    "assessment_and_plan": r"\b(?:For the|I think this is) ([a-z ]+?)(?:,| of)",
    "assessment": r"\bI think this is\b",
    "plan": r"\bI'll start\b",
    "medications": r"\bI'll start\b",
    "follow_up": r"\bfollow up in\b",
}

PROBLEMS = [
    ("knee", "aching in my right knee", "meloxicam", 15),
    ("back", "stiffness in my lower back", "cyclobenzaprine", 5),
    ("sleep", "trouble falling asleep", "trazodone", 50),
    ("stomach", "heartburn after dinner", "omeprazole", 20),
    ("sugar", "a lot of thirst at night", "metformin", 500),
    ("pressure", "headaches in the morning", "lisinopril", 10),
    ("mood", "feeling down most days", "sertraline", 25),
    ("allergies", "a runny nose every spring", "cetirizine", 10),
    ("cholesterol", "worry about my cholesterol", "atorvastatin", 40),
    ("gout", "swelling in my big toe", "allopurinol", 100),
    ("thyroid", "feeling cold all the time", "levothyroxine", 50),
    ("bladder", "getting up to pee at night", "tamsulosin", 4),
]
FILLER_PATIENT = (
    "Well, it's hard to say exactly, we have been so busy with the grandkids and the garden this year, and I "
    "honestly have not kept a diary of every single day, but overall it has felt about the same as before."
)
FILLER_DOCTOR = "Okay, that is helpful, thank you for walking me through all of that so carefully."


def long_visit_script(fillers_per_problem: int = 9, closing_fillers: int = 14) -> str:
    """A synthetic 45-minute visit: twelve problems, then a new complaint, exam, assessment and plan
    in the last ten minutes (parse_dialogue times speech at ~155 words a minute)."""
    lines = ["[doctor] Good morning, it's been a while. We have a lot to go through today."]
    for area, symptom, med, dose in PROBLEMS:
        lines.append(f"[doctor] Let's talk about your {area} now.")
        lines.append(f"[patient] I've had {symptom} for a few months now.")
        for _ in range(fillers_per_problem):
            lines += [f"[doctor] {FILLER_DOCTOR}", f"[patient] {FILLER_PATIENT}"]
        lines.append(f"[doctor] For the {area}, I'll start {med} {dose} milligrams once a day.")
    for _ in range(closing_fillers):
        lines += [f"[doctor] {FILLER_DOCTOR}", f"[patient] {FILLER_PATIENT}"]
    lines += [
        "[patient] One more thing before I go. I've had ringing in my left ear for three days.",
        "[doctor] Let me look. On exam, your left ear canal is red and swollen, and your blood pressure is 132 over 84.",
        "[doctor] I think this is otitis externa of the left ear.",
        "[doctor] For the otitis externa, I'll start ofloxacin ear drops, five drops twice a day, and follow up in two weeks.",
        "[patient] Thank you, see you then.",
    ]
    return "\n".join(lines)


MEDICATIONS = {"ofloxacin", *(m for _, _, m, _ in PROBLEMS)}


@pytest.fixture(scope="module")
def long_transcript():
    t = parse_dialogue(long_visit_script())
    assert t.duration >= 45 * 60, t.duration
    return t


def last_ten_minutes(transcript) -> set[int]:
    return {s.id for s in transcript.segments if s.start >= transcript.duration - 600}


def test_45_minute_visit_yields_every_section_with_facts_from_its_last_ten_minutes(long_transcript):
    rt = KeywordRuntime(FIELD_RULES, context_window=3000)
    drafter = NoteDrafter(rt, get_template("soap"), medications=MEDICATIONS)
    # the whole visit does not fit this window: without parts it would have been refused or cut
    assert not drafter.fits(drafter.prompt_tokens(drafter.messages(long_transcript)))
    events = list(drafter.stream(long_transcript))
    note: NoteDraft = events[-1].note
    assert drafter.stats.extra["parts"] >= 3

    # every prompt fitted the window (the stand-in raises like llama.cpp otherwise) and together
    # the parts showed the model every line of the transcript
    seen = {int(i) for p in rt.prompts for i in re.findall(r"^\[(\d+)\]", p, re.M)}
    assert seen == {s.id for s in long_transcript.segments}

    late = last_ten_minutes(long_transcript)
    facts = {
        "subjective": "ringing in the patient's left ear",  # "I've had ringing in my left ear", in the third person
        "objective": "132/84",
        "assessment": "otitis externa",
        "plan": "ofloxacin ear drops",
    }
    for key, fact in facts.items():
        sec = note.section(key)
        hits = [st for st in sec.statements if fact in st.text]
        assert hits, (key, [s.text for s in sec.statements])
        assert set(hits[0].evidence) & late, (key, hits[0].evidence)
    plan = [s.text for s in note.section("plan").statements]
    assert plan[-2] == "Otitis externa: Start ofloxacin ear drops, five drops twice a day, and follow up in 2 weeks."
    assert (
        plan[-1].startswith("Follow-up:") and "follow up in 2 weeks" in plan[-1]
    )  # the doctor's "I'll start": the order

    # nothing from the middle was lost either: all twelve medications are in the plan, once each, under
    # their problem, and none of them is listed as a medication the patient already took
    plan = [s.text for s in note.section("plan").statements]
    for area, _, med, dose in PROBLEMS:
        # spoken doses are charted as digits
        assert [t for t in plan if med in t] == [f"{area.capitalize()}: Start {med} {dose} mg once a day."]
    assert [s.text.rstrip(".") for s in note.section("assessment").statements][:12] == [
        a.capitalize() for a, *_ in PROBLEMS
    ]
    assert not any("Medications:" in s.text for s in note.section("subjective").statements)
    # statements streamed as they were written, then the grounded note; a statement that says more than
    # a problem's name is supported by the transcript
    assert any(e.kind == "statement" and e.section_key == "plan" for e in events)
    assert note.grounding.statements == len(note.statements())
    assert all(st.status == StatementStatus.supported for st in note.statements() if " " in st.text), [
        (s.text, [i.detail for i in s.issues]) for s in note.statements() if s.status != StatementStatus.supported
    ]


def test_parts_are_balanced_overlapping_and_cover_everything(long_transcript):
    drafter = NoteDrafter(KeywordRuntime(FIELD_RULES, context_window=3000), get_template("soap"))
    parts = split_for_window(drafter, long_transcript)
    ids = [[s.id for s in p.segments] for p in parts]
    assert ids[0][0] == 0 and ids[-1][-1] == long_transcript.segments[-1].id
    for a, b in zip(ids, ids[1:]):
        assert 0 < a[-1] - b[0] + 1 <= 3  # consecutive parts share a few lines
    sizes = [len(i) for i in ids]
    assert max(sizes) - min(sizes) <= max(sizes) * 0.35  # no full part followed by a scrap


def test_a_single_segment_longer_than_the_window_is_a_clear_error():
    t = parse_dialogue("[patient] " + "word " * 5000)
    with pytest.raises(DraftingError, match="too long.*segment 0"):
        NoteDrafter(KeywordRuntime(FIELD_RULES, context_window=2048), get_template("soap")).draft(t)
