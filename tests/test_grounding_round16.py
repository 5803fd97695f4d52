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
