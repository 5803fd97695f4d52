"""Which rolling questions a stretch of the transcript concerns.

During a visit the rolling questions (history, medications, review of systems, exam, results, ...)
are answered one at a time on one thread, and at Stop an answer that has not seen the end of the
visit must be asked again. Going by how *much* talk an answer missed re-asked the exam and the
results at Stop after three minutes of plan talk that said nothing about either (+17-26 s in 3 of 5
``bench_visit`` runs), and kept an exam answer that missed an exam said in the last minute. Going by
*what* the missed lines are about does both right: an answer is asked again when the lines it has
not seen concern it, and during the visit the question the newest lines concern is answered first.

The cues are deliberately narrow (a vital sign needs its number, a result needs "came back",
"showed" or "is/was", a patient's report must not be a question) because every false cue costs a
question at Stop; a long stretch unseen is still asked again by length (see
:mod:`scribe.drafting.incremental`), and grounding checks every statement against the whole
transcript whatever was kept.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from ..domain import Segment, SpeakerRole
from ..lexicon import medications_in
from ..textnorm import tokens

_NUMBER = (
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)"
)
_SYMPTOMS = (
    r"pain\w*|ache\w*|aching|hurts?|sore\w*|fevers?|chills|cough\w*|nause\w*|vomit\w*|diarrh\w*|constipat\w*|"
    r"dizz\w*|headaches?|short(?:ness)? of breath|breath\w*|wheez\w*|tired\w*|fatigue\w*|numb\w*|tingl\w*|"
    r"swell\w*|swollen|rash\w*|itch\w*|bleed\w*|blood in|burn\w*|cramp\w*|weak\w*|palpitation\w*|sweat\w*|"
    r"heartburn|tightness|pressure in|stiff\w*|insomnia|sleep\w*|appetite|weight (?:loss|gain)|lost weight|"
    r"gained weight|anxi\w*|depress\w*|urinat\w*|discharge|vision|hearing|ringing"
)
# the patient reporting a symptom in the first person ("my knee hurts", "I've had a cough"); the same
# words in the plan's advice ("it can cause more urination", "I'm ordering a sleep study") are not one
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|my|me)\b", re.I)
_PLAN_TALK = re.compile(
    r"\b(?:order\w*|prescrib\w*|refer\w*|start\w*|increas\w*|decreas\w*|going to|we'll|we will|let's|"
    r"you should|try|recommend\w*|schedul\w*)\b",
    re.I,
)
_SYMPTOM = re.compile(rf"\b(?:{_SYMPTOMS})\b", re.I)


class _Report:
    """A patient line reporting a symptom: first person, a symptom word, no plan talk."""

    @staticmethod
    def search(text: str) -> bool:
        return bool(_FIRST_PERSON.search(text) and _SYMPTOM.search(text) and not _PLAN_TALK.search(text))


_REPORT = _Report()
_ASKED_SYMPTOM = re.compile(
    rf"\b(?:any|do you (?:have|get)|have you (?:had|noticed))\b[^?.]*\b(?:{_SYMPTOMS})\b[^?.]*\?", re.I
)
_CUES: dict[str, tuple[re.Pattern | None, re.Pattern | _Report | None]] = {
    # (a doctor's line, a patient's statement): None where that speaker's lines do not count
    "patient": (
        re.compile(r"\b(?:how old|years? old|year-old|your (?:date of )?birth|your name)\b", re.I),
        re.compile(r"\b(?:years? old|my name is|I'm \d+|I am \d+)\b", re.I),
    ),
    "hpi": (
        re.compile(
            r"\b(?:when did (?:it|this|the \w+) start|how long have you|how (?:bad|severe)|"
            r"what makes it (?:better|worse)|does anything help|on a scale)\b",
            re.I,
        ),
        _REPORT,
    ),
    "medical_history": (
        re.compile(r"\b(?:history of|medical history|any (?:surgeries|operations)|diagnosed with)\b", re.I),
        re.compile(
            r"\b(?:diagnosed|surgery|operation|I(?:'ve| have)? had (?:a |an )?(?:heart attack|stroke|"
            r"cancer|diabetes)|history of|years ago)\b",
            re.I,
        ),
    ),
    "medications": (
        re.compile(r"\b(?:allerg\w*|are you (?:still )?taking|do you take|what (?:medicines|medications))\b", re.I),
        re.compile(r"\b(?:allerg\w*|I take|I'm taking|I am taking|I've been taking|milligrams?|mg)\b", re.I),
    ),
    "social_history": (
        re.compile(
            r"\b(?:do you (?:smoke|drink)|alcohol|tobacco|what do you do for (?:work|a living)|"
            r"who do you live with|family history|runs? in (?:the|your) family)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:smoke\w*|smoking|cigarettes?|alcohol|drinks?|beers?|wine|marijuana|my job|I work|"
            r"I live|married|my (?:wife|husband|mother|father|mom|dad|brother|sister|son|daughter))\b",
            re.I,
        ),
    ),
    "review_of_systems": (_ASKED_SYMPTOM, _REPORT),  # (a denial answers the doctor's question: that line)
    "physical_exam": (
        re.compile(
            r"\b(?:on (?:physical )?exam\w*|physical exam\w*|examin\w*|let me (?:take a )?(?:look|listen|feel|"
            r"press|check|examine)|take a deep breath|tender\w*|murmurs?|lungs? (?:are|is|sound)|"
            r"clear to auscultation|range of motion|reflex\w*|pulses?|vital signs|"
            rf"(?:blood pressure|heart rate|pulse|temperature|oxygen|saturation|respiratory rate|weight)"
            rf"\b[^.?!]{{0,40}}\b{_NUMBER})",
            re.I,
        ),
        None,
    ),
    "results": (
        re.compile(
            r"\b(?:came back|showed|shows|revealed|demonstrat\w+|results? (?:is|was|were|are)|"
            r"(?:levels?|a1c|a one c|count|cholesterol|panel|x-?rays?|mri|ct|scan|ultrasound|echo\w*|ekg|ecg|"
            r"e\.\s?c\.\s?g\.|e\.\s?k\.\s?g\.|labs?|blood work|test) (?:is|was|were|are) )",
            re.I,
        ),
        re.compile(r"\b(?:came back|the results? (?:said|showed))\b", re.I),
    ),
}


def concerns(key: str, segments: Iterable[Segment], medications: Collection[str] = ()) -> bool:
    """Whether any of ``segments`` says something the rolling question ``key`` answers.

    ``medications``: the drug names to recognise (a drug the patient names is medication talk).
    A question without cues here (a clinic's own section) is concerned by anything."""
    cues = _CUES.get(key)
    if cues is None:
        return any(s.text.strip() for s in segments)
    doctor, patient = cues
    for s in segments:
        text = s.text.strip()
        if not text:
            continue
        if s.speaker != SpeakerRole.patient and doctor is not None and doctor.search(text):
            return True
        # a line of unknown speaker is read as the doctor's: at the end of a visit most of them are the
        # plan, and a patient's cue there would re-ask a question at Stop for nothing
        if s.speaker != SpeakerRole.patient or patient is None or text.endswith("?"):
            continue
        if patient.search(text):
            return True
        if key == "medications" and medications and medications_in(tokens(text), medications):
            return True
    return False
