"""Readings found on MTS-Dialog's validation file (a development set first read at stop 41): an answer whose "but"
goes on to something else, a "no" inside a "yes", what a treatment was not, leaving the hospital, broken sleep, a
family's history, a plan under a condition and sides compared. Each case is checked both ways: the wrong statement
is flagged, the right one is not."""

import pytest
from grounded import grounded, safety


def _flags(dialogue: str, *texts: str) -> list[list[str]]:
    return [safety(st) for st in grounded(dialogue, *texts)]


WALKER = "[doctor] Any neck pain?\n[patient] No, but as you might have noticed I am using this walker because I do not feel safe walking.\n"


def test_a_no_whose_but_goes_on_to_something_else_still_denies():
    assert _flags(WALKER, "He reports neck pain.", "He denies neck pain.") == [["negation"], []]
    other = (
        "[doctor] How about chest pain or shortness of breath?\n"
        "[patient] No I don't have any such problems, except I have vision and hearing problems.\n"
    )
    assert _flags(other, "Reports chest pain.", "Denies chest pain or shortness of breath.") == [["negation"], []]


@pytest.mark.parametrize(
    "answer",
    [
        "No, but it comes and goes.",  # points back at what was asked
        "No, but sometimes at night.",  # how often
        "No, but I did last year.",  # the question's verb, nothing of its own
        "No, but I get that when I walk.",
        "No, but my neck pain is worse in the morning.",  # names what was asked
        "No, I haven't. I did about three years ago, but nothing since then.",  # a yes comes first
    ],
)
def test_a_no_whose_but_may_take_it_back_is_no_denial(answer):
    dialogue = f"[doctor] Any neck pain?\n[patient] {answer}\n"
    assert _flags(dialogue, "He reports neck pain.") == [[]]


def test_a_no_inside_a_yes_answer_denies_what_it_names():
    dialogue = (
        "[doctor] Any nausea or vomiting with the headaches? Any vision changes?\n"
        "[patient] Yeah, it's been pretty consistent. No vision changes.\n"
    )
    assert _flags(dialogue, "She denies any vision changes.", "She reports vision changes.", "She reports nausea.") == [
        [],
        ["negation"],
        [],
    ]


def test_a_treatment_that_was_not_effective_leaves_the_pain_present():
    dialogue = "[patient] I have a lot of pain in my legs. Gabapentin did not work at all.\n"
    assert _flags(dialogue, "He has tried gabapentin, but this was not effective for pain control.") == [[]]
    assert _flags("[patient] No pain at all.\n", "He reports pain.") == [["negation"]]


def test_leaving_the_hospital_and_broken_sleep_are_no_findings():
    dialogue = (
        "[doctor] We restarted your aspirin, 81 milligrams, before you went home.\n"
        "[patient] I cannot sleep properly because of the pain.\n"
    )
    texts = (
        "He was restarted on aspirin 81 mg at the time of discharge.",
        "Because of the pain, he has significant problems with fractured sleep.",
        "Ear: purulent discharge.",
        "He has a fractured wrist.",
    )
    assert _flags(dialogue, *texts) == [[], [], ["finding"], ["finding"]]


def test_a_familial_history_is_the_familys():
    dialogue = (
        "[doctor] Anyone in the family with high blood pressure or a stroke?\n"
        "[patient] My mother had a stroke. I'm not sure about anything else.\n"
    )
    texts = ("She was unsure of familial history of other conditions such as hypertension, stroke, etc.",)
    assert _flags(dialogue, *texts) == [[]]
    assert _flags(dialogue, "She has a history of stroke.") == [["family"]]


def test_a_plan_under_a_condition_asserts_neither_the_finding_nor_the_stop():
    dialogue = "[doctor] Keep taking the aspirin, 81 milligrams every day.\n[patient] Okay.\n"
    conditional = (
        "If the patient has any occurrence of upper GI bleed such as coffee-ground emesis or melena then aspirin should"
        " be discontinued."
    )
    assert _flags(dialogue, conditional) == [[]]
    assert _flags(dialogue, "She has melena.", "Aspirin was discontinued.") == [["finding"], ["action"]]


def test_sides_compared_claim_the_greater_side():
    dialogue = (
        "[clinician] She has weakness and pain in her upper extremities on the right side more than the left.\n"
        "[patient] This right hand is still weak. I drop things.\n"
    )
    assert _flags(
        dialogue,
        "She often drops items from her right greater than left upper extremity.",
        "She often drops items from her left greater than right upper extremity.",
    ) == [[], ["laterality"]]


def test_urination_is_said_as_peeing():
    dialogue = "[patient] Oh, and before I forget, I seem to be peeing a lot more these days.\n"
    assert _flags(dialogue, "Frequency with urination.") == [[]]
    assert _flags("[patient] My back hurts.\n", "Frequency with urination.") == [["finding"]]


def test_a_number_answering_how_old_is_an_age_the_visit_gives():
    dialogue = (
        "[patient] My dad died a few years back. He had colon cancer.\n"
        "[doctor] I'm so sorry to hear that. How old was he?\n"
        "[patient] Thank you, he was only fifty two.\n"
    )
    assert _flags(
        dialogue, "His father died of colon cancer at age 52.", "His father died of colon cancer at age 104."
    ) == [
        [],
        ["number"],
    ]
    # where the visit gives no age at all, the note's came from the chart: a review hint, no safety flag
    assert _flags("[patient] My dad had colon cancer.\n", "His father died of colon cancer at age 104.") == [[]]


# --- from MTS-Dialog's second test file (developed on at stop 41) ---


def test_two_and_half_is_two_and_a_half():
    from scribe.textnorm import tokens

    assert tokens("my two and half year old son") == ["my", "2.5", "year", "old", "son"]
    assert tokens("two-and-a-half days ago")[:2] == ["2.5", "days"]
    assert tokens("one-and-one-half packs") == ["1.5", "packs"]
    dialogue = "[patient_guest] My two and half year old son and five and half year old stepson are sick at home.\n"
    assert _flags(dialogue, "At home lives a 2-1/2-year-old brother and a 5-1/2-year-old stepbrother.") == [[]]
    assert _flags(dialogue, "At home lives a 3-1/2-year-old brother.") == [["number"]]


def test_everyday_words_back_the_charts_findings():
    dialogue = (
        "[patient] It started with a painful burning feeling when I pee.\n"
        "[patient_guest] She has some congestion and stuffiness and she also has a runny nose.\n"
        "[patient] I have been no feeling in my feet. Just the toes.\n"
        "[doctor] Have you had any tingling or numbness in your hands?\n[patient] No.\n"
    )
    texts = ("Urinary dysuria.", "Stuffiness, congestion and nasal drainage.", "He has numbness in his feet.")
    assert _flags(dialogue, *texts) == [[], [], []]
    assert _flags("[patient] I have been no feeling in my feet.\n", "Denies numbness in his feet.") == [["negation"]]
    assert _flags("[patient] My knee hurts.\n", "Urinary dysuria.") == [["finding"]]


def test_a_treatment_never_had_leaves_the_condition():
    dialogue = "[doctor] Are you having feelings of depression?\n[patient] Yes, I have depression.\n"
    assert _flags(dialogue, "He has never undergone any psychotherapy for depression.") == [[]]
    assert _flags(dialogue, "He denies depression.") == [["negation"]]


def test_classes_about_a_condition_and_a_discharge_home_are_neither():
    dialogue = (
        "[doctor] Have you been going to the end stage kidney disease classes?\n[patient] No.\n"
        "[doctor] So, you were recently discharged from the hospital for home?\n[patient] Yes.\n"
    )
    assert _flags(dialogue, "He has end-stage kidney disease.", "Discharge to home.") == [[], []]


def test_right_that_is_no_side():
    from scribe.grounding import named_sides

    assert named_sides("She is not eating right. Come back right away; that's right.") == []
    assert named_sides("right back pain, right below the left knee") == ["right", "left"]
    dialogue = "[patient] My left knee is swollen.\n"
    assert _flags(dialogue, "She admits she is not eating right.", "Her right knee is swollen.") == [[], ["laterality"]]


def test_a_without_inside_a_list_item_qualifies_that_item_alone():
    dialogue = "[patient] I have a tremor, migraine headaches, but no aura, and I had a basal cell carcinoma taken off my nose.\n"
    text = "Essential tremor, endometriosis, migraine headaches without aura, and basal cell carcinoma resection."
    assert _flags(dialogue, text) == [[]]
    # a finding's own list after "without" is still denied: "cough without fever, chills, or sweats"
    assert _flags("[patient] I have a cough and I've had chills.\n", "Cough without fever, chills, or sweats.") == [
        ["negation"]
    ]


def test_a_not_that_denies_something_done_does_not_reach_past_its_comma():
    dialogue = "[patient] I'm still having some pain today, in the back of the knee.\n"
    text = "The patient is status-post surgery, he could not straighten his leg, pain in the back of the knee."
    assert _flags(dialogue, text) == [[]]
    # a "not" that denies having reaches its list: "does not have fever, chills"
    assert _flags("[patient] I've had chills all week.\n", "He does not have fever, chills.") == [["negation"]]


def test_the_clock_and_an_ordinal_said_in_words():
    from scribe.textnorm import tokens

    assert tokens("around quarter past eight") == ["around", "8", "15"]
    assert tokens("half past ten, a quarter to one") == ["10", "30", "12", "45"]
    assert tokens("a quarter of the time") == ["a", "quarter", "of", "the", "time"]
    dialogue = (
        "[patient_guest] She agreed to pick me up for church around quarter past eight.\n"
        "[doctor] So, you're here for your eighth day of Ixempra, correct?\n[patient] Yes.\n"
    )
    assert _flags(dialogue, "Her sister was to pick her up at 8:15AM.", "She comes in for day 8 of Ixempra.") == [
        [],
        [],
    ]
    assert _flags(dialogue, "She comes in for day 9 of Ixempra.") == [["number"]]
    # an ordinal that counts nothing is no number said: "a third of the time" does not back "3 weeks"
    assert _flags("[patient] It hurts a third of the time, for two weeks.\n", "Pain for 3 weeks.") == [["number"]]
