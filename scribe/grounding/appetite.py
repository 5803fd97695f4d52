"""Appetite, said good or poor, and a note that says the other.

"Appetite" is the one symptom word whose polarity is upside down: "no appetite" reports a symptom (its loss) and
"his appetite is fine" denies one. The assertion check reads "no X" as X denied, so it leaves the bare word alone
(``assertion.py``) and "Good appetite." passed in a visit where the patient said "I haven't had much of an appetite"
(MTS-Dialog dev MTS0414), as did "Reports loss of appetite." where she said "my appetite is good". This module reads
what a line says of the appetite, poor or good, from the words around it, and what an answer to "how's your
appetite?" says; a note that says only the one where the visit says only the other is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..domain import Issue, IssueKind, SpeakerRole
from ..textnorm import normalise
from ..textnorm import sentences as sentences_of
from .index import TranscriptIndex

POOR, GOOD = "poor", "good"
_CHANGED = "changed"  # "changes in appetite": neither, until denied ("no changes in appetite" is a good one)
_FLIP = {POOR: GOOD, GOOD: POOR, _CHANGED: GOOD}

_WORD = re.compile(r"[a-z']+")
_APPETITE = frozenset({"appetite", "appetites", "hungry", "anorexia"})
# the word that qualifies it, read back from "appetite" over the little words ("loss of an appetite")
_POOR_BEFORE = frozenset(
    """lost loss losing lose decreased decrease decreasing reduced reduction diminished poor poorer low lower less
    lack lacking little suppressed bad worse decline declining difficulty trouble problem problems issues no""".split()
)
_GOOD_BEFORE = frozenset(
    """good normal fine healthy great ok okay decent adequate stable unchanged increased increase big hearty excellent
    better improved improving usual regular have has had having""".split()
)
_OWNERS = frozenset("my his her their your the".split())
_CHANGE = frozenset({"change", "changes", "changed", "changing"})
_SKIP_BEFORE = frozenset("of an a his her my their your the in with much any very really pretty some own".split())
# and read on from it: "appetite is good", "appetite has been down", "appetite loss"
_SKIP_AFTER = frozenset(
    "is has have had been was were remains remained s 's seems seemed pretty very really quite overall also still "
    "just kind of sort".split()
)
_SKIP_AFTER_NOT = _SKIP_AFTER | {"as", "so", "that", "too"}  # "not as good", "not so great"
_POOR_AFTER = frozenset(
    "poor decreased down low reduced diminished bad worse gone off terrible lacking suppressed less loss lost".split()
)
_GOOD_AFTER = frozenset(
    """good fine normal ok okay great stable unchanged intact preserved well healthy better improving improved back
    returned returning excellent decent adequate alright same""".split()
)
_NEGATORS = frozenset({"no", "not", "n't", "never", "without", "denies", "denied", "deny", "denying", "negative"})
_DENIAL_OPENERS = frozenset({"denies", "denied", "deny", "negative", "no"})
NEGATOR_REACH = 3  # words between a negator and the word it turns ("not really much of a good appetite")
# what may happen or is wished for is no report: "this can lower your appetite", "to help with her appetite"
_NOT_A_REPORT = re.compile(
    r"\b(?:can(?!'t|not)|could|may|might|will|would|side effects?|cause|causes|causing|if|help|helps|stimulate|suppressant)\b"
)
_CLAUSE = re.compile(r"[.;:!?]+|,? \bbut\b|,? \bhowever\b|,? \bthough\b|,? \balthough\b|,? \bwhereas\b")


def _negated(words: list[str], at: int) -> bool:
    """A negator within reach before ``words[at]``, or ending a word ("haven't", "doesn't")."""
    return any(w in _NEGATORS or w.endswith("n't") for w in words[max(0, at - NEGATOR_REACH) : at])


def _listed_denial(words: list[str], at: int) -> bool:
    """``words[at]`` closes a list a denial opens: "denies fever, chills, or loss of appetite"."""
    return bool(words) and words[0] in _DENIAL_OPENERS and at > 1 and ("or" in words[:at] or words[0] != "no")


def _word_before(words: list[str], i: int) -> int:
    """Where the word that qualifies ``words[i]`` from before stands, over the little words; -1 where none does."""
    k = i - 1
    while k >= 0 and words[k] in _SKIP_BEFORE:
        k -= 1
    return k


def _word_after(words: list[str], i: int, skip: frozenset[str] = _SKIP_AFTER) -> int:
    """Where the first word after ``words[i]`` not in ``skip`` stands; ``len(words)`` where none does."""
    k = i + 1
    while k < len(words) and words[k] in skip:
        k += 1
    return k


def _reading_at(words: list[str], i: int) -> str | None:
    """What ``words`` say of the appetite named at ``i``: poor, good, changed, or None."""
    if words[i] == "anorexia":
        return GOOD if _negated(words, i) or _listed_denial(words, i) else POOR  # "denies anorexia"
    if words[i] == "hungry":
        return POOR if _negated(words, i) else GOOD
    k = _word_before(words, i)
    if k >= 0 and words[k] in ("not", "never"):
        after = _reading_after(words, i)
        return POOR if after is None else _FLIP[after]  # "not much of an appetite", "not a good appetite"
    if k >= 0 and not (words[k] == "no" and _OWNERS.intersection(words[k + 1 : i])):  # "no, my appetite is good"
        w = words[k]
        reading = (
            POOR
            if w in _POOR_BEFORE or w.endswith("n't")
            else GOOD
            if w in _GOOD_BEFORE
            else _CHANGED
            if w in _CHANGE
            else None
        )
        if reading is not None:
            if w == "no" or w.endswith("n't"):
                return POOR  # "no appetite", "I don't have an appetite" (read on: "I didn't lose my appetite")
            if _negated(words, k) or _listed_denial(words, k):
                return _FLIP[reading]
            return reading
    return _reading_after(words, i)


def _reading_after(words: list[str], i: int) -> str | None:
    """What the words after the appetite named at ``i`` say of it: "appetite is good", "appetite has been down"."""
    k = _word_after(words, i)
    if k >= len(words):
        return None
    w, turned = words[k], False
    if w in ("not", "n't") or w.endswith("n't"):
        turned, k = True, _word_after(words, k, _SKIP_AFTER_NOT)
        if k >= len(words) or words[k] == "there":
            return POOR  # "my appetite is not there"
        w = words[k]
    reading = POOR if w in _POOR_AFTER else GOOD if w in _GOOD_AFTER else _CHANGED if w in _CHANGE else None
    if reading is None:
        return None
    return _FLIP[reading] if turned else reading


def readings(text: str) -> set[str]:
    """What ``text`` says of the appetite, clause by clause: {"poor"}, {"good"}, both, or none."""
    out: set[str] = set()
    for clause in _CLAUSE.split(normalise(text)):
        words = _WORD.findall(clause)
        if _NOT_A_REPORT.search(clause):
            continue
        for i, w in enumerate(words):
            if w in _APPETITE and (r := _reading_at(words, i)) in (POOR, GOOD):
                out.add(r)
    return out


# an answer to "how's your appetite?" that names no appetite: "it's good", "not as good as before", "not much"
_ANSWER_POOR = re.compile(
    r"^(?:(?:um|uh|well|oh|so|honestly|yeah|no)\W+)*(?:it'?s |it is |it has been |it's been |its |been )?"
    r"(?:not (?:as |so |too |that |very |really )?(?:good|great)|not (?:much|really|a lot|very much)|poor|bad|terrible"
    r"|down|decreased|worse|not the best|i don'?t have (?:1|one|much)|i haven'?t been (?:hungry|eating)|i can'?t eat"
    r"|not hungry|i'?m not hungry|gone)\b"
)
_ANSWER_GOOD = re.compile(
    r"^(?:(?:um|uh|well|oh|so|yeah|yes|honestly)\W+)*(?:it'?s |it is |it has been |it's been |its |been |pretty |"
    r"really |very |actually )*(?:good|fine|okay|ok|great|normal|alright|all right|the same|not bad|decent|unchanged|"
    r"no changes?|i eat (?:well|fine|normally|a lot))\b(?! (?:but|except)\b)"  # not "it's okay but I eat less"
)
_YES = re.compile(r"^(?:(?:um|uh|well|oh)\W+)*(?:yes|yeah|yep|yup|a little|slightly|some|a bit|i have|i do)\b")
_NO = re.compile(r"^(?:(?:um|uh|well|oh)\W+)*(?:no|nope|not really|nothing|none|i haven'?t|i don'?t)\b")


def _answer(question: str, answer: str) -> str | None:
    """What an answer says of the appetite a question asked about: "how's your appetite?" - "not as good as
    before"; "any loss of appetite?" - "no"; "is your appetite okay?" - "yes"."""
    a = normalise(answer).strip()
    if _ANSWER_POOR.match(a):
        return POOR
    if _ANSWER_GOOD.match(a):
        return GOOD
    kind = _question_kind(normalise(question))
    if kind is not None and _NO.match(a):
        return _FLIP[kind]
    if kind is not None and kind != _CHANGED and _YES.match(a):
        return kind
    return None


def _question_kind(question: str) -> str | None:
    """What a yes would say: "any changes in appetite?" asks about a change, "lost your appetite?" about its loss,
    "is your appetite okay?" about a good one; "how's your appetite?" asks nothing a yes answers."""
    words = _WORD.findall(question)
    for i, w in enumerate(words):
        if w not in _APPETITE:
            continue
        k = _word_before(words, i)
        before = words[k] if k >= 0 else ""
        k = _word_after(words, i)
        after = words[k] if k < len(words) else ""
        if before in _CHANGE or after in _CHANGE:
            return _CHANGED
        if before in _POOR_BEFORE or after in _POOR_AFTER:
            return POOR
        if before in _GOOD_BEFORE - {"have", "has", "had", "having"} or after in _GOOD_AFTER:
            return GOOD
    return None


# a question written without its question mark, as transcripts often are: "any loss of appetite", "how is your appetite"
_ASKS = re.compile(
    r"^(?:(?:and|so|okay|ok|um|uh|now|alright|all right)\W+)*"
    r"(?:any|have|has|do|does|did|are|is|was|were|how|how's|what|what's|can|could)\b"
)


def _asked(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_ASKS.match(normalise(sentence).strip()))


def _said(index: TranscriptIndex) -> dict[str, list[int]]:
    """Where the visit says the appetite is poor and where good: its statements, and answers to a question."""

    def build(ix: TranscriptIndex) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {POOR: [], GOOD: []}
        prev = None
        for seg in ix.segments:
            sentences = sentences_of(seg.text)
            for r in readings(" ".join(s for s in sentences if not _asked(s))):
                out[r].append(seg.id)
            if prev is not None and prev.speaker != seg.speaker and prev.speaker != SpeakerRole.patient:
                asked = [s for s in sentences_of(prev.text) if _asked(s)]
                if asked and any(w in _APPETITE for w in _WORD.findall(normalise(asked[-1]))):
                    first = sentences[0] if sentences else ""
                    answered = _answer(asked[-1], first)
                    if answered in (POOR, GOOD) and not readings(first):
                        out[answered].append(seg.id)
            prev = seg
        return out

    return index.memo("appetite", build)


def appetite_issues(statement: str, index: TranscriptIndex, flagged: Sequence[Issue] = ()) -> list[Issue]:
    """A statement that says the appetite is good where the visit says only that it is poor, or the reverse. A visit
    that says both ("poor last week, coming back now") backs either. ``flagged``: the statement's negation flags
    already raised; the assertion check flags "decreased appetite" against a "no" to "any loss of appetite?" itself."""
    if any("appetite" in i.detail for i in flagged if i.kind == IssueKind.negation):
        return []
    said = readings(statement)
    if len(said) != 1:
        return []
    (reading,) = said
    where = _said(index)
    other = GOOD if reading == POOR else POOR
    if where[reading] or not where[other]:
        return []
    sentences = sentences_of(index.segment_text[where[other][0]])
    quote = next((s for s in sentences if _APPETITE & set(_WORD.findall(s.lower()))), sentences[0])
    quote = quote if len(quote) <= 100 else quote[:97] + "…"
    return [
        Issue(
            kind=IssueKind.negation,
            detail=f'the appetite is stated as {reading}, but the transcript says it is {other}: "{quote}"',
        )
    ]
