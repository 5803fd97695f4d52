"""Appetite said good or poor: "no appetite" reports a symptom, "appetite is fine" denies one, so the appetite is read
on its own (scribe/grounding/appetite.py) and a note that turns it around is a safety flag."""

import pytest
from grounded import grounded, safety

from scribe.grounding.appetite import GOOD, POOR, readings

POOR_VISIT = (
    "[doctor] How have you been feeling?\n"
    "[patient] Well, I'd say it's been a lot worse this week. I haven't had much of an appetite either.\n"
)
GOOD_ANSWER = "[doctor] And how is your appetite?\n[patient] It's good.\n"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("I haven't had much of an appetite either.", {POOR}),
        ("He has no appetite and has lost 8 pounds.", {POOR}),
        ("He does not have much of an appetite.", {POOR}),
        ("My appetite is not there.", {POOR}),
        ("Not much of an appetite lately.", {POOR}),
        ("Not a good appetite.", {POOR}),
        ("Reports chills and decreased appetite.", {POOR}),
        ("The patient does note some decrease in appetite.", {POOR}),
        ("He has mild anorexia.", {POOR}),
        ("Denies fever, chills, or anorexia.", {GOOD}),
        ("I can't eat, I have no appetite.", {POOR}),  # "can't" is no "can": what may happen
        ("No fever but poor appetite.", {POOR}),
        ("She has had trouble with her appetite.", {POOR}),
        ("Good appetite.", {GOOD}),
        ("Appetite is pretty fine. No nausea.", {GOOD}),
        ("No loss of appetite.", {GOOD}),
        ("Denies fever, chills, or changes in appetite.", {GOOD}),
        ("GI: Denies heartburn, blood in stools, loss of appetite, abdominal pain.", {GOOD}),
        ("I didn't lose my appetite.", {GOOD}),
        ("I feel really hungry after smoking it, so I eat a lot.", {GOOD}),
        ("Appetite was poor last week; her appetite is better now.", {POOR, GOOD}),
        ("This medicine can decrease your appetite.", set()),  # what may happen is no report
        ("Reports changes in appetite.", set()),  # a change, which way unsaid
        ("Her appetite for adventure.", set()),
    ],
)
def test_what_a_line_says_of_the_appetite(text: str, said: set[str]) -> None:
    assert readings(text) == said


def test_a_good_appetite_where_the_patient_said_she_has_none_is_a_safety_flag() -> None:
    """MTS-Dialog dev MTS0414: "I haven't had much of an appetite" under "He has appetite over the past week" passed."""
    wrong, right = grounded(POOR_VISIT, "He has a good appetite.", "He has had a poor appetite this week.")
    assert safety(wrong) == ["negation"]
    assert "much of an appetite" in wrong.issues[0].detail
    assert safety(right) == []


def test_an_answer_to_how_is_your_appetite_is_read() -> None:
    wrong, right = grounded(GOOD_ANSWER, "Reports loss of appetite.", "Appetite is good.")
    assert safety(wrong) == ["negation"]
    assert safety(right) == []
    hedged = "[doctor] How's your appetite?\n[patient] It's okay but I eat less than I used to.\n"
    assert [safety(st) for st in grounded(hedged, "Appetite is good.", "Decreased appetite.")] == [[], []]
    worse = "[doctor] How's your appetite?\n[patient] Not as good as before.\n"
    wrong, right = grounded(worse, "Appetite is normal.", "Decreased appetite.")
    assert (safety(wrong), safety(right)) == (["negation"], [])


def test_a_no_to_a_list_of_symptoms_denies_the_loss_of_appetite() -> None:
    visit = (
        "[doctor] you haven't had any weight loss, loss of appetite, anything like that?\n"
        "[patient] no, nothing like that.\n"
    )
    wrong, right = grounded(visit, "Reports decreased appetite.", "Denies weight loss or loss of appetite.")
    assert safety(wrong) == ["negation"]
    assert safety(right) == []


def test_a_visit_that_says_both_or_neither_backs_either() -> None:
    both = "[patient] I had no appetite last week, but it's coming back now, my appetite is better.\n"
    assert [safety(st) for st in grounded(both, "Poor appetite.", "Appetite improving.")] == [[], []]
    only_a_warning = "[doctor] This new medicine can lower your appetite, so eat regular meals.\n"
    assert [safety(st) for st in grounded(only_a_warning, "Good appetite.", "Poor appetite.")] == [[], []]
