"""Speaker roles from content and turn structure (no model: the labeller is deterministic and fast)."""

import pytest

from scribe.domain import Segment, SpeakerRole, Transcript, Word
from scribe.drafting.drafter import NoteDrafter, format_transcript_lines
from scribe.drafting.templates import get_template
from scribe.roles import content_score, label_roles, role_agreement, strip_roles
from scribe.transcript_io import parse_dialogue

C, P, U = SpeakerRole.clinician, SpeakerRole.patient, SpeakerRole.unknown

VISIT = """\
[doctor] Hi, good to see you. What brings you in today?
[patient] I've had this cough for about two weeks and my chest feels tight at night.
[doctor] Any fever or chills?
[patient] No.
[doctor] Are you coughing anything up?
[patient] Yeah, some yellow stuff in the mornings.
[doctor] Okay. Let me take a listen to your lungs. Take a deep breath for me.
[patient] Okay.
[doctor] I hear some wheezing on the right side. Your oxygen is ninety seven percent.
[doctor] I think this is bronchitis. I'm going to start you on an inhaler, two puffs every four hours as needed.
[patient] Thank you, doctor. Should I stay home from work?
[doctor] Rest for a couple of days and come back if you get a fever or feel short of breath.
"""


def test_content_alone_separates_typical_clinician_and_patient_lines():
    assert content_score("How long has the pain been going on?") > 1
    assert content_score("Let me take a look at your knee.") > 1
    assert content_score("Your blood pressure is 148 over 92.") > 1
    assert content_score("My knee has been hurting since I fell last week.") < -1
    assert content_score("Yes.") < 0
    assert content_score("") == 0


def test_typed_dialogue_without_tags_gets_the_right_roles():
    truth = parse_dialogue(VISIT)
    labelled = label_roles(strip_roles(truth))
    got = [s.speaker for s in labelled.segments]
    assert got == [s.speaker for s in truth.segments], list(zip(got, [s.text[:40] for s in truth.segments]))


def test_asr_segments_keep_a_long_explanation_with_one_speaker():
    """ASR segments are not turns: three clinician segments in a row, then the patient."""
    texts = [
        "Okay, so your x-ray shows a small fracture of the wrist.",
        "I'm going to put you in a splint for four weeks,",
        "and we'll repeat the x-ray after that.",
        "Do you have any questions?",
        "Will I be able to drive? My car is a manual.",
        "I'd avoid driving until the splint comes off.",
    ]
    segs = [
        Segment(
            id=i,
            start=i * 3.0,
            end=i * 3.0 + 2.5,
            text=t,
            words=[Word(start=i * 3.0, end=i * 3.0 + 0.3, word=t.split()[0])],
        )
        for i, t in enumerate(texts)
    ]
    t = Transcript(segments=segs, source="visit.wav", asr_model="base")
    got = [s.speaker for s in label_roles(t).segments]
    assert got == [C, C, C, C, P, C]


def test_existing_labels_are_kept_and_anchor_the_rest():
    t = parse_dialogue(
        "[doctor] Any allergies?\nI'm allergic to penicillin, it gives me a rash.\n[doctor] Okay, noted.\nmm-hmm"
    )
    labelled = label_roles(t)
    assert [s.speaker for s in labelled.segments] == [C, P, C, P]
    # the input is not modified
    assert t.segments[1].speaker == U


def test_unsure_segments_stay_unknown():
    t = Transcript(segments=[Segment(id=0, start=0, end=1, text="okay")], source="x.wav", asr_model="base")
    assert label_roles(t, min_confidence=0.9).segments[0].speaker == U


def test_drafter_prompt_shows_inferred_roles_for_unlabelled_speech():
    t = strip_roles(parse_dialogue(VISIT))
    assert format_transcript_lines(t)[0].startswith("[0] Speaker:")
    drafter = NoteDrafter(object(), get_template("soap"))
    lines = format_transcript_lines(drafter.prepare(t))
    assert lines[0].startswith("[0] Doctor:") and lines[1].startswith("[1] Patient:")


def test_agreement_with_aci_bench_tags_on_the_valid_split():
    """ACI-Bench tags are partly wrong on purpose, so agreement cannot reach 100 %; measured 0.895."""
    from scribe.eval.aci import load_split

    try:
        encounters = load_split("valid")
    except FileNotFoundError:
        pytest.skip("ACI-Bench data not available")
    segments = right = 0
    for enc in encounters:
        truth = parse_dialogue(enc.dialogue)
        agreement = role_agreement(label_roles(strip_roles(truth), overwrite=True), truth)
        segments += agreement["segments"]
        right += agreement["accuracy"] * agreement["segments"]
    assert segments > 900
    assert right / segments >= 0.87


def _swap_tags(dialogue: str) -> str:
    return dialogue.replace("[doctor]", "[x]").replace("[patient]", "[doctor]").replace("[x]", "[patient]")


def test_tags_that_read_the_wrong_way_round_are_swapped_back_for_the_drafter():
    """5 of ACI-Bench train's 67 dialogues are tagged the wrong way round (D2N038: "[patient] what conditions run in
    your family" / "[doctor] i have high blood pressure diabetes and depression"), and the model charted the family's
    conditions as the patient's history. The drafter reads such a dialogue with the roles swapped back."""
    from scribe.roles import consistent_roles, swapped_tags

    right = parse_dialogue(VISIT)
    wrong = parse_dialogue(_swap_tags(VISIT))
    assert not swapped_tags(right) and swapped_tags(wrong)
    assert [s.speaker for s in consistent_roles(wrong).segments] == [s.speaker for s in right.segments]
    assert consistent_roles(right) is right
    drafter = NoteDrafter(None, get_template("soap"))
    lines = format_transcript_lines(drafter.prepare(wrong))
    assert lines[1].startswith("[1] Patient: I've had this cough") and lines[9].startswith("[9] Doctor: I think")
    assert drafter.stats.extra["speaker_tags_swapped"] is True
    assert drafter.stats.extra["notices"] == [  # said once to the user (scribe draft prints it; the app shows it)
        "The speaker tags read the wrong way round (the doctor's lines speak as a patient does): "
        "the note was drafted with doctor and patient swapped back."
    ]
    drafter.prepare(wrong)
    assert len(drafter.stats.extra["notices"]) == 1
    # too little to judge: a four-line exchange keeps its tags
    short = parse_dialogue(_swap_tags("\n".join(VISIT.splitlines()[:4])))
    assert not swapped_tags(short)


def test_no_aci_bench_train_dialogue_tagged_the_right_way_is_swapped():
    from scribe.eval.aci import load_split
    from scribe.roles import swapped_tags

    try:
        encounters = load_split("train")
    except FileNotFoundError:
        pytest.skip("ACI-Bench data not available")
    swapped = sorted(e.encounter_id for e in encounters if swapped_tags(parse_dialogue(e.dialogue)))
    assert swapped == ["D2N034", "D2N038", "D2N056", "D2N057", "D2N059"]  # each read by hand: tagged the wrong way
