"""Long visits are drafted in parts and merged, never truncated.

These tests are about mechanics — splitting to the window, covering every line, merging,
grounding the merged note — so they use the scripted extractive stand-in model
(``tests/scripted_llm.py``) with a small window instead of a real LLM: a real 1.5B model needs
minutes per part on a 2-core CPU. What a real model writes is covered by the scorecard
(``docs/quality.md``).
"""

import pytest
from scripted_llm import KeywordRuntime

from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.drafting.drafter import NoteDrafter
from scribe.drafting.long_visit import merge_parts, split_for_window
from scribe.drafting.templates import get_template
from scribe.errors import DraftingError
from scribe.transcript_io import parse_dialogue

SOAP_RULES = {
    "subjective": r"\b(I've had|I have had)\b",
    "objective": r"\b(on exam|blood pressure is)\b",
    "assessment": r"\bI think this is\b",
    "plan": r"\b(I'll start|follow up in)\b",
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
        "[doctor] I'll start ofloxacin ear drops, five drops twice a day, and follow up in two weeks.",
        "[patient] Thank you, see you then.",
    ]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def long_transcript():
    t = parse_dialogue(long_visit_script())
    assert t.duration >= 45 * 60, t.duration
    return t


def last_ten_minutes(transcript) -> set[int]:
    return {s.id for s in transcript.segments if s.start >= transcript.duration - 600}


@pytest.mark.parametrize("sectioned", [True, False])
def test_45_minute_visit_yields_every_section_with_facts_from_its_last_ten_minutes(long_transcript, sectioned):
    rt = KeywordRuntime(SOAP_RULES, context_window=3000)
    drafter = NoteDrafter(
        rt,
        get_template("soap"),
        sectioned=sectioned,
        max_tokens=600,
        medications={"meloxicam", "ofloxacin", *(m for _, _, m, _ in PROBLEMS)},
    )
    # the whole visit does not fit this window: without parts it would have been refused or cut
    assert not drafter.fits(drafter.prompt_tokens(drafter.messages(long_transcript)))
    events = list(drafter.stream(long_transcript))
    note: NoteDraft = events[-1].note
    assert drafter.stats.extra["parts"] >= 3

    # every prompt fitted the window (the stand-in raises like llama.cpp otherwise) and together
    # the parts showed the model every line of the transcript
    seen = {int(i) for p in rt.prompts for i in __import__("re").findall(r"^\[(\d+)\]", p, __import__("re").M)}
    assert seen == {s.id for s in long_transcript.segments}

    late = last_ten_minutes(long_transcript)
    facts = {
        "subjective": "ringing in my left ear",
        "objective": "132/84",
        "assessment": "otitis externa",
        "plan": "ofloxacin",
    }
    for key, fact in facts.items():
        sec = note.section(key)
        assert sec.statements, key
        hits = [st for st in sec.statements if fact in st.text]
        assert hits, (key, [s.text for s in sec.statements])
        assert set(hits[0].evidence) & late, (key, hits[0].evidence)

    # nothing from the middle was lost either: all twelve medications are in the plan, once each
    plan_text = note.section("plan").text
    for _, _, med, dose in PROBLEMS:
        assert plan_text.count(f"{med} {dose} mg") == 1, med  # spoken doses are charted as digits
    # statements streamed as they were written, then the grounded note
    assert any(e.kind == "statement" and e.section_key == "plan" for e in events)
    assert note.grounding.statements == len(note.statements())
    assert all(st.status == StatementStatus.supported for st in note.statements())


def test_parts_are_balanced_overlapping_and_cover_everything(long_transcript):
    drafter = NoteDrafter(KeywordRuntime(SOAP_RULES, context_window=3000), get_template("soap"), sectioned=True)
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
        NoteDrafter(KeywordRuntime(SOAP_RULES, context_window=2048), get_template("soap")).draft(t)


def test_merge_keeps_a_repeated_fact_once_with_both_citations():
    tpl = get_template("soap")

    def note(*texts_ids):
        return NoteDraft(
            sections=[
                Section(key="plan", title="Plan", statements=[Statement(text=t, evidence=i) for t, i in texts_ids])
            ]
        )

    merged = merge_parts(
        [
            note(("Start lisinopril 10 mg daily.", [4]), ("Order an ECG.", [5])),
            note(("Start lisinopril 10 mg once daily.", [41]), ("Follow up in two weeks.", [60])),
        ],
        tpl,
    )
    plan = merged.section("plan").statements
    assert [s.text for s in plan] == ["Start lisinopril 10 mg once daily.", "Order an ECG.", "Follow up in two weeks."]
    assert plan[0].evidence == [4, 41]
    assert [s.key for s in merged.sections] == tpl.section_keys()
