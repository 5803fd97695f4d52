"""Which rolling questions the lines an answer has not seen concern (scribe.drafting.relevance).

A false cue costs a question at Stop (10-25 s on 2 cores); a missed cue leaves a rolling answer that
did not see what was said about it. Both sides are asserted on lines of the kind the end of a visit
holds: exam and vitals said late, and plan talk that names tests, symptoms and drugs."""

from __future__ import annotations

import pytest

from scribe.domain import Segment, SpeakerRole
from scribe.drafting.relevance import concerns

DOC, PAT, UNK = SpeakerRole.clinician, SpeakerRole.patient, SpeakerRole.unknown


def seg(text: str, speaker: SpeakerRole = DOC) -> Segment:
    return Segment(id=0, start=0.0, end=1.0, text=text, speaker=speaker)


@pytest.mark.parametrize(
    "key, text, speaker",
    [
        ("physical_exam", "Your blood pressure is one forty eight over ninety two today.", DOC),
        ("physical_exam", "Let me listen to your heart and lungs.", DOC),
        ("physical_exam", "Okay, your left calf is soft and not tender.", UNK),  # speaker unknown: read as doctor
        ("results", "Your A1c was 8.2 last month.", DOC),
        ("results", "The x-ray showed a small fracture.", DOC),
        ("medications", "I take lisinopril ten milligrams every morning.", PAT),
        ("medications", "Are you allergic to any medicines?", DOC),
        ("social_history", "I smoke about half a pack a day.", PAT),
        ("review_of_systems", "Any fever, chills or night sweats?", DOC),
        ("hpi", "My knee has been aching for three weeks.", PAT),
        ("medical_history", "I had surgery on my gallbladder years ago.", PAT),
    ],
)
def test_a_line_about_the_question_concerns_it(key, text, speaker):
    assert concerns(key, [seg(text, speaker)], {"lisinopril"})


@pytest.mark.parametrize(
    "key, text, speaker",
    [
        # plan talk at the end of a visit, from the 10-minute benchmark visit's recognised transcript
        ("physical_exam", "Your blood pressure is also not well controlled on the current dose.", DOC),
        ("results", "Avoid heavy exertion until we have the stress test results.", DOC),
        ("results", "We'll check your A1c again in three months.", DOC),
        ("hpi", "It can cause more urination and rarely a yeast infection.", PAT),  # a doctor's line mislabelled
        ("hpi", "For the snoring, I'm ordering a home sleep study.", PAT),
        ("review_of_systems", "If you get chest pain at rest or with shortness of breath, call 911.", DOC),
        ("social_history", "Should I stop exercising?", PAT),  # a question about the plan
        ("social_history", "drink enough water.", UNK),
        ("medications", "For the knee, stop the ibuprofen and use acetaminophen.", UNK),
        ("patient", "Thank you, doctor.", PAT),
    ],
)
def test_plan_talk_does_not_concern_the_rolling_questions(key, text, speaker):
    assert not concerns(key, [seg(text, speaker)], {"ibuprofen", "acetaminophen"})


def test_a_drug_the_patient_names_is_medication_talk_and_a_question_without_cues_takes_any_line():
    assert concerns("medications", [seg("Oh, and the metformin upsets my stomach.", PAT)], {"metformin"})
    assert not concerns("medications", [seg("Oh, and the metformin upsets my stomach.", PAT)], set())
    assert concerns("section:plan_for_the_patient", [seg("Okay.", PAT)])
    assert not concerns("section:plan_for_the_patient", [seg("   ", PAT)])
