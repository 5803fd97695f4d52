"""How often a drug is taken: "metformin 500 mg daily" where the visit says "five hundred twice a day".

The dose check holds the number of milligrams to what was said; a note that gets the milligrams right and the
times a day wrong passed every check. Each drug a statement names is given the frequency written after it (within
:data:`REACH` words, before the next drug), and the visit's frequencies for the same drug (generic names matched)
are read the same way: after its name, or in the answer to a question about it ("how often do you take it?" -
"twice a day"). A frequency the visit never gives that drug, where it gives it others, is a safety flag when the
visit never says it at all, and a review hint when it says it of something else.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..domain import Issue, IssueKind
from ..textnorm import normalise, tokens
from .index import TranscriptIndex

# times a day, as normalise() leaves a frequency ("BID" and "twice a day" are "2 times a day", "q6h" "every 6 hours")
_TIMES = re.compile(r"\b(\d) times (?:a|per|each|every) day\b|\b(\d) times daily\b")
_HOURS = re.compile(r"\bevery (\d{1,2}) hours?\b")
_ONCE = re.compile(
    r"\b(?:daily|every day|each day|(?:mg|milligrams?|tablets?|pills?|capsules?|units?|puffs?) a day|qd|q\.?d\.?|"
    r"every morning|each morning|every night|each night|nightly|at night|in the evening|"
    r"at bedtime|qhs|q\.?h\.?s\.?|every evening|qam|q\.?a\.?m\.?|qpm)\b"
)
# "one in the morning and one at night", "500 in the morning and 500 in the evening": twice a day
_MORNING_AND_NIGHT = re.compile(
    r"\bmorning,? and (?:(?:1|one|another|\d+(?:\.\d+)?)(?: mg| milligrams?| tablets?| pills?)? )?"
    r"(?:at |in the |every |each )?(?:night|evening|bedtime)\b"
)
_OTHER_DAY = re.compile(r"\bevery other day\b|\bqod\b")
_WEEKLY = re.compile(r"\b(?:weekly|every week|1 times (?:a|per) week|once a week)\b")
_AS_NEEDED = re.compile(r"\bas needed\b|\bprn\b|\bwhen (?:i|you|he|she) need")
REACH = 12  # words after a drug's name in which its frequency is said ("metformin five hundred twice a day")
_HOW_OFTEN = re.compile(r"\bhow often\b|\bhow many times\b|\bhow do you take\b")


def frequencies(text: str) -> set[Fraction]:
    """The times a day ``text`` (normalised) gives; an "as needed" is none."""
    if _AS_NEEDED.search(text):
        return set()
    found = {Fraction(int(a or b)) for a, b in _TIMES.findall(text)}
    found |= {Fraction(24, int(h)) for h in _HOURS.findall(text) if int(h) and 24 % int(h) == 0}
    if _MORNING_AND_NIGHT.search(text):
        found.add(Fraction(2))
    if _OTHER_DAY.search(text):
        found.add(Fraction(1, 2))
    if _WEEKLY.search(text):
        found.add(Fraction(1, 7))
    if not found and _ONCE.search(_OTHER_DAY.sub(" ", text)):
        found.add(Fraction(1))
    return found


# a sentence ends after a word of three letters or more ("daily. Return"), not inside "p.o. b.i.d."
_SENTENCE_END = re.compile(r"(?<=[A-Za-z]{3}[.!?])\s+|(?<=[?!])\s+")


def _per_drug(sentences: list[list[str]], index: TranscriptIndex) -> dict[str, str]:
    """Each drug the tokens of ``sentences`` name, with the words after it (within :data:`REACH`) up to the next
    drug or its sentence's end."""
    out: dict[str, str] = {}
    for toks in sentences:
        found = index.medications.medications_in(toks)
        for k, (at, name) in enumerate(found):
            end = found[k + 1][0] if k + 1 < len(found) else len(toks)
            generic = index.medications.generic_of(name)
            out[generic] = out.get(generic, "") + " " + " ".join(toks[at + 1 : min(end, at + 1 + REACH)])
    return out


def _note_sentences(statement: str) -> list[list[str]]:
    """A note's sentences as tokens: "Continue metformin. Check your sugar daily." gives metformin no frequency.
    (Speech is read a segment at a time, across its full stops, where a frequency often comes as a fragment of
    its own: "I take the metformin. Twice a day.")"""
    return [tokens(s) for s in _SENTENCE_END.split(statement)]


def _said(index: TranscriptIndex) -> dict[str, set[Fraction]]:
    """Per drug (generic), the frequencies the visit gives it."""

    def build(ix: TranscriptIndex) -> dict[str, set[Fraction]]:
        out: dict[str, set[Fraction]] = {}
        for pos, sid in enumerate(ix.order):
            for drug, after in _per_drug([ix.tokens[sid]], ix).items():
                said = frequencies(after)
                if not said and pos + 1 < len(ix.order) and _asks(ix.segment_text[sid]):
                    # "how often do you take the metformin?", "and lisinopril?" - "twice a day"
                    answer = ix.order[pos + 1]
                    if not ix.medications.medications_in(ix.tokens[answer]):
                        said = frequencies(normalise(ix.segment_text[answer]))
                out.setdefault(drug, set()).update(said)
        return out

    return index.memo("frequencies", build)


def _asks(line: str) -> bool:
    said = normalise(line)
    return bool(_HOW_OFTEN.search(said)) or said.rstrip().endswith("?")


def once_a_day_said(index: TranscriptIndex) -> bool:
    """Some drug of the visit is taken once a day ("every morning", "at bedtime"): a note's "once daily" is said."""
    return any(Fraction(1) in fs for fs in _said(index).values())


def _times(f: Fraction) -> str:
    if f == Fraction(1, 7):
        return "once a week"
    if f == Fraction(1, 2):
        return "every other day"
    return f"{f} time{'s' if f != 1 else ''} a day"


def _anywhere(index: TranscriptIndex) -> set[Fraction]:
    """Every frequency the visit says, of anything."""
    return index.memo(
        "frequencies anywhere", lambda ix: set().union(*(frequencies(normalise(t)) for t in ix.segment_text.values()))
    )


def frequency_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A drug's times a day that the visit never gives it, where it gives it others: a safety flag when the visit
    never says that frequency at all, a review hint when it says it of something else (a long turn may give the
    drug both, "are you still taking it once a day? no, we increased it to twice a day")."""
    said = _said(index)
    anywhere = _anywhere(index)
    issues = []
    for drug, after in sorted(_per_drug(_note_sentences(statement), index).items()):
        theirs = said.get(drug, set())
        if not theirs:
            continue
        for f in sorted(frequencies(after) - theirs):
            what = ", ".join(_times(x) for x in sorted(theirs))
            kind = IssueKind.frequency if f in anywhere else IssueKind.dose
            issues.append(Issue(kind=kind, detail=f"{drug} {_times(f)} is not what was said: {what}"))
    return issues
