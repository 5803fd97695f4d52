"""Patient instructions (after-visit summary): drafted like the note, grounded like the note.

Mechanics (sections, streaming, grounding of what the model wrote, rendering) use the scripted
stand-in model from ``tests/scripted_llm.py``; one slow test checks what the real default model
writes for a short visit.
"""

import json

import pytest
from scripted_llm import KeywordRuntime

from scribe.approval import approve
from scribe.domain import StatementStatus
from scribe.drafting.instructions import InstructionsWriter, instructions_template, render_instructions
from scribe.errors import ApprovalError
from scribe.transcript_io import parse_dialogue

MEDS = {"lisinopril", "metformin"}
VISIT = """\
[doctor] What medications are you taking right now?
[patient] I take lisinopril ten milligrams once a day, and metformin five hundred milligrams twice a day.
[doctor] Any dizziness when you stand up?
[patient] No, none.
[doctor] Your blood pressure today is one forty eight over ninety two, which is too high.
[doctor] I'm going to increase the lisinopril to twenty milligrams once a day. Keep taking the metformin five hundred milligrams twice a day.
[doctor] Please check your blood pressure at home every morning and write it down.
[doctor] Come back in four weeks so we can see how it's working.
[doctor] If you feel faint or get a really bad headache, call us right away.
[patient] Okay, I will. Thank you.
"""

RULES = {
    "about_your_visit": r"too high",
    "your_medicines": r"milligrams",
    "what_to_do": r"check your blood pressure",
    "when_to_come_back": r"come back",
    "warning_signs": r"call us",
}


def test_template_has_the_sections_a_patient_needs():
    t = instructions_template()
    assert t.section_keys() == [
        "about_your_visit",
        "your_medicines",
        "what_to_do",
        "when_to_come_back",
        "warning_signs",
    ]
    assert t.loinc_code == "69730-0"


def test_summary_is_grounded_and_an_invented_dose_is_flagged():
    forged = json.dumps(
        {
            "your_medicines": [
                {"text": "Take lisinopril 20 mg once a day. This is a higher dose than before.", "evidence": [5]},
                {"text": "Take metformin 1000 mg twice a day.", "evidence": [5]},
            ]
        }
    )
    about = json.dumps(
        {"about_your_visit": [{"text": "Your blood pressure was too high today: 148 over 92.", "evidence": [4]}]}
    )
    rt = KeywordRuntime(RULES, answers=[about, forged])
    writer = InstructionsWriter(rt, medications=MEDS)
    events = list(writer.stream(parse_dialogue(VISIT)))
    summary = events[-1].note
    assert summary.template == "after_visit_summary"
    assert "plain" in rt.prompts[0] and "you" in rt.prompts[0]  # the patient-facing system prompt
    meds = summary.section("your_medicines").statements
    good, bad = meds[0], meds[1]
    assert good.status == StatementStatus.supported and 5 in good.evidence
    assert bad.status == StatementStatus.unsupported
    assert any(i.kind == "dose" and "1000 mg" in i.detail for i in bad.issues)
    assert summary.section("when_to_come_back").statements[0].text.startswith("Come back in 4 weeks")
    assert "faint" in summary.section("warning_signs").text
    # like a note, it cannot be approved with a flagged statement
    with pytest.raises(ApprovalError):
        approve(summary, "Dr Lee", transcript=parse_dialogue(VISIT), medications=MEDS)
    text = render_instructions(summary, "Sam Patient")
    assert text.startswith("After-visit summary for Sam Patient")
    assert "Take metformin 1000 mg twice a day.  [to be checked by your doctor]" in text
    assert "Your medicines\n  • Take lisinopril 20 mg" in text


def test_empty_sections_are_left_out_of_the_patient_copy():
    rt = KeywordRuntime({**RULES, "warning_signs": r"nothing matches this"})
    summary = InstructionsWriter(rt, medications=MEDS).draft(parse_dialogue(VISIT))
    assert summary.section("warning_signs").statements == []
    text = render_instructions(summary)
    assert "Call us or get help right away" not in text and "(none documented)" not in text


def test_the_signed_note_guides_the_summary():
    from scribe.domain import NoteDraft, Section, Statement

    note = NoteDraft(
        sections=[Section(key="plan", title="Plan", statements=[Statement(text="Increase lisinopril to 20 mg daily.")])]
    )
    rt = KeywordRuntime(RULES)
    InstructionsWriter(rt, medications=MEDS).draft(parse_dialogue(VISIT), note=note)
    assert "Plan: Increase lisinopril to 20 mg daily." in rt.prompts[0]


@pytest.mark.slow
@pytest.mark.e2e
def test_real_model_writes_medicines_follow_up_and_warning_signs(qwen_llama):
    """The default 1.5B model on one thread: five short sections (~2 min on an idle core). Each
    section's answer is capped at 200 tokens, which a ten-line visit never needs, so a model that
    rambles costs bounded time instead of running into the suite's timeout."""
    summary = InstructionsWriter(qwen_llama, medications=MEDS, section_max_tokens=200).draft(parse_dialogue(VISIT))
    text = render_instructions(summary).lower().replace("milligrams", "mg")
    assert [sec.key for sec in summary.sections] == [
        "about_your_visit",
        "your_medicines",
        "what_to_do",
        "when_to_come_back",
        "warning_signs",
    ]
    meds = summary.section("your_medicines").text.lower().replace("milligrams", "mg")
    assert "lisinopril" in meds and ("20 mg" in meds or "twenty mg" in meds), text
    assert "metformin" in meds, text
    assert "four weeks" in text or "4 weeks" in text, text
    assert "faint" in text or "headache" in text, text
    # every dose the model wrote is either backed by the transcript or flagged for the physician
    for st in summary.statements():
        if "mg" in st.text.lower() and st.status == StatementStatus.supported:
            assert any(n in st.text for n in ("10", "20", "500", "ten", "twenty", "five hundred")), st.text
    assert summary.grounding is not None and summary.grounding.statements == len(summary.statements())
