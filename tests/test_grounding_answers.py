"""Short answers against note wordings, every pair: a denial or a report written any usual way must agree with
how the patient answered, however briefly ("Nope.", "I haven't.", "Mm-hmm.", "It comes and goes.").

Written for stop 32 from how answers and notes are phrased, not taken from any benchmark. At stop 31's check
(3e25b3f) 169 of the 2 160 denial checks and 84 of the 1 320 report checks were wrong."""

import itertools

import pytest
from grounded import grounded, safety

QUESTIONS = [
    ("Any chest pain?", "chest pain"),
    ("Have you had any fevers?", "fevers"),
    ("Any shortness of breath?", "shortness of breath"),
    ("Any nausea or vomiting?", "nausea"),
]
NO = [
    "No.", "Nope.", "Not at all.", "No, not really.", "Never.", "I haven't.", "Haven't noticed any.",
    "Not that I've noticed.", "No, none.", "Nah.", "None.", "I don't think so.", "Not lately.", "Not recently.",
    "Nothing like that.", "No sir.", "Uh-uh, no.", "No, I don't.", "I have not.", "Not really, no.", "No, thankfully.",
    "Negative.", "No, nothing.", "No ma'am.", "Not at this time.", "I wouldn't say so.", "Can't say I have.", "No, no.",
    "Absolutely not.", "Nope, none of that.",
]  # fmt: skip
YES = [
    "Yes.", "Yeah.", "Yep, a little.", "Sometimes.", "Every now and then.", "A bit.", "Kind of.", "I do.", "I have.",
    "Mm-hmm.", "Uh-huh.", "Definitely.", "Oh yeah.", "Sure do.", "Quite a bit.", "All the time.", "Off and on.",
    "Once in a while.", "It comes and goes.", "A little bit, yes.", "Yes, unfortunately.", "I have, yes.", "Yes ma'am.",
    "Yeah, some.", "Occasionally.", "Here and there.", "More than I'd like.", "Yes, especially at night.",
    "Yeah, last week.", "I think so.",
]  # fmt: skip
DENIED = [
    "Denies {t}.", "Negative for {t}.", "No {t}.", "{T}: none.", "No complaints of {t}.", "Without {t}.",
    "Has not had {t}.", "The patient denies any {t}.", "No reported {t}.", "Absence of {t}.",
]  # fmt: skip
REPORTED = [
    "Reports {t}.", "Positive for {t}.", "Endorses {t}.", "Complains of {t}.", "{T} present.", "Has had {t}.",
    "The patient reports {t}.", "Admits to {t}.",
]  # fmt: skip


def _wrong(answers: list[str], agree: list[str], disagree: list[str]) -> list[str]:
    wrong = []
    for (question, term), answer in itertools.product(QUESTIONS, answers):
        fill = [w.format(t=term, T=term.capitalize()) for w in agree + disagree]
        checked = grounded(f"[doctor] {question}\n[patient] {answer}\n", *fill)
        for text, st in zip(fill, checked, strict=True):
            flagged = bool(safety(st))
            if flagged != (text in fill[len(agree) :]):
                wrong.append(f"{question} - {answer} / {text}: {'flagged' if flagged else 'passed'}")
    return wrong


@pytest.mark.parametrize(("answers", "agree", "disagree"), [(NO, DENIED, REPORTED), (YES, REPORTED, DENIED[:5])])
def test_every_short_answer_against_every_note_wording(answers, agree, disagree):
    assert _wrong(answers, agree, disagree) == []
