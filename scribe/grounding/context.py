"""What a mention in a text goes with: the words of its sentence nearest to it.

A number ("type 2 diabetes", "heart rate was 68") or a side ("edema of your right knee, but your left knee
looks fine") is only a fact together with what it is said about. Both are read the same way, in the
statement and in the transcript: every content word of a sentence goes with the nearest mention, so two
mentions' contexts can be compared.
"""

from __future__ import annotations

import math
import re

from ..textnorm import STOPWORDS, normalise, stem
from .index import FRAMING, PARAPHRASE, TranscriptIndex

_MONTHS = (
    "january|february|march|april|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
)
# Dates come from the chart far more often than from speech: one nobody said is a review hint, not a safety flag.
DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}/(?:19|20)\d{2}\b"
    # a month and a two-digit year ("biopsy 9/03", "CABG 8/95"); a score or a grade is out of 4, 5, 6, 10 or 20
    r"|\b(?:0?[1-9]|1[0-2])/(?:0\d|[3-9]\d|2[1-9])\b(?!\s*/)"
    r"|(?<=\bthe )(?:19|20)\d0'?s\b"  # a decade: "an appendectomy in the 1940s" (not "2000s on other days")
    r"|\b(?:19|20)\d{2}\b(?!\s*(?:mg|mcg|g|iu|units?|ml|milligrams?|%|percent|pounds|lbs|calories|steps|ng|pg))"
    # a day of a named month: "september 9th" says no "9 years"; "may" only with its ordinal ("you may 2 ...")
    rf"|\b(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*(?:mg|milligrams?|times|days?|weeks?|%|percent))"
    r"|\bmay \d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}(?:st|nd|rd|th)? of (?:" + _MONTHS + r"|may)\b",
    re.I,
)
# names with a number in them ("COVID-19", "H1N1", "L5", the spinal level "C5-6") are names, not quantities; "x14 days" is the chart's
# "for 14 days", a count
NAMED_NUMBER = re.compile(
    r"\b[a-z]{3,}-\d+\b|\b[ctls]\d{1,2}\s?-\s?[ctls]?\d{1,2}\b|\b(?!x\d+\b)(?!q\d+h\b)[a-z]+\d+[a-z]*\d*\b", re.I
)


SENTENCE_BREAKS = frozenset({".", ";", "?", "!"})
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?|[.;?!/+%]")
REACH = 8  # tokens a word may be from a mention and still say what it is about
# words that say nothing about what a mention is about ("reports", "patient", "okay"); "follow" (up in 2 weeks),
# "history" and "since" do
NOT_CONTEXT = (FRAMING - {stem(w) for w in "follow history since recent recently episode visit".split()}) | {
    stem(w)
    for w in """old it's that's there's i'm i've you're you've we're we've let's gon wan kind bit little maybe probably
    pretty good okay alright now right left thing things something really real quick lot yeah sure guess say said
    ago past prior next last later within earlier previous previously before after""".split()
}
# "heart rate was 68, respirations were 16": the words before "is/was/at ..." are what the mention after it is
COPULAS = frozenset("is was were are 's at of about around approximately like roughly".split())


def _spell_digits(m: re.Match) -> str:
    return re.sub(r"\d", lambda d: "zotttffsse"[int(d.group())], m.group(0))


def context_tokens(text: str) -> list[str]:
    """Tokens with the punctuation that bounds a mention's context: dates and ordinals ("2nd") removed,
    a name with a number in it kept as a word ("A1c", "COVID-19": they say what a number is about),
    "4 out of 10" read as "4 / 10" and "1-2" as "1 to 2"."""
    t = NAMED_NUMBER.sub(_spell_digits, DATE.sub(" ", text))
    t = normalise(re.sub(r"\b\d+(?:st|nd|rd|th)\b", " ", t, flags=re.I))
    t = re.sub(r"\bout of\b", " / ", t)
    t = re.sub(r"\b(?:a )?couple(?: of)?\b", " 2 ", t)  # "the past couple months", "a couple of weeks"
    t = re.sub(r"\b(?:a|an)(?= (?:day|week|month|year|hour|minute)s?\b)", " 1 ", t)  # "a week ago"
    t = re.sub(r"\bbaby aspirin\b", "aspirin 81 mg", t)
    # "aldactone twelve five milligrams": a dose's decimal said without "point"
    t = re.sub(r"\b(\d{1,2}) (5|25|125)(?= (?:mg|milligrams?)\b)", r"\1.\2", t)
    t = re.sub(r"(\d)\s*-\s*(\d)", r"\1 to \2", t)
    return _TOKEN.findall(t)


def context_words(toks: list[str], ignore: frozenset[str] | set[str] = frozenset()) -> dict[int, str]:
    """Position -> stem of each word that can say what a mention is about."""
    out = {}
    for i, t in enumerate(toks):
        if t[0].isalpha() and t not in STOPWORDS and len(t) > 2 and t not in ignore:
            w = stem(t)
            if w not in NOT_CONTEXT:
                out[i] = w
    return out


def nearest_words(
    toks: list[str], words: dict[int, str], spans: list[tuple[int, int]], copulas: bool = False
) -> list[tuple[frozenset[str], frozenset[str]]]:
    """(context, head) of each mention span: the words of its sentence nearer to it than to any other mention
    (the later one on a tie: a label comes before its value), and of those the closest on each side. With
    ``copulas``, the words before "was/is/at" belong to the mention after it ("respirations were 16")."""
    breaks = [k for k, t in enumerate(toks) if t in SENTENCE_BREAKS]
    owner: dict[int, int] = {}
    for k in words:
        best = None
        for g, (start, end) in enumerate(spans):
            if any(start > b > k or k > b > end for b in breaks):
                continue  # another sentence
            dist = start - k if k < start else k - end
            key = (dist, 0 if start > k else 1)
            if dist <= REACH and (best is None or key < best[0]):
                best = (key, g)
        if best is not None:
            owner[k] = best[1]
    if copulas:
        for g, (start, _) in enumerate(spans):
            if start and toks[start - 1] in COPULAS:
                prev_end = max([e for _, e in spans if e < start] + [b for b in breaks if b < start], default=-1)
                for k in words:
                    if prev_end < k < start and start - k <= REACH:
                        owner[k] = g
    out = []
    for g, (start, end) in enumerate(spans):
        mine = sorted(k for k in words if owner.get(k) == g)
        head = [k for k in mine if k < start][-1:] + [k for k in mine if k > end][:1]
        out.append((frozenset(words[k] for k in mine), frozenset(words[k] for k in head)))
    return out


def _undouble(w: str) -> str:
    """ "popp" (of "popped") -> "pop", "swell" stays."""
    return w[:-1] if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouls" else w


def _same_word(a: str, b: str) -> bool:
    return a == b or _undouble(a) == _undouble(b) or (len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6])


def agreement(statement: frozenset[str], said: frozenset[str], index: TranscriptIndex) -> float:
    """How much two mentions' context words agree, rare words counting more (sorted: deterministic)."""
    n = max(1, len(index.order))
    total = 0.0
    for w in sorted(statement):
        hits = [x for x in sorted(said) if _same_word(w, x) or any(x.startswith(p) for p in PARAPHRASE.get(w, ()))]
        if hits:
            total += math.log(1 + n / max(1, index.df.get(hits[0], 1)))
    return total
