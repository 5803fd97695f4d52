"""Quantities: doses, other numbers and dates in a statement, and whether the visit gives them for the same thing.

A number is a safety fact only with what it quantifies: "lisinopril 40 mg" is checked against the doses
said *for lisinopril*, "4 weeks" against durations, not against any 40 or 4 said somewhere in the visit.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from ..domain import Issue
from ..lexicon import fuzzy_in, medications_in
from ..textnorm import DOSE_UNITS as _DOSE_UNITS
from ..textnorm import UNITS as _UNITS
from ..textnorm import canon_number as _canon_number
from ..textnorm import stem as _stem
from ..textnorm import tokens
from .index import FRAMING, TranscriptIndex


@dataclass(frozen=True)
class Dose:
    value: str
    unit: str
    medication: str | None  # nearest medication named before the dose in the same statement


@dataclass
class Facts:
    medications: set[str]
    doses: list[Dose]
    numbers: set[str]
    laterality: set[str]
    quantities: dict[str, str] = field(default_factory=dict)  # number -> the time/measure unit said after it
    dates: list[str] = field(default_factory=list)


# Units a number is said with; "4 days" and "4 weeks" are different facts even when both numbers are said.
_QUANTITY_UNITS = {
    _stem(u): _stem(u)
    for u in """day days week weeks month months year years hour hours minute minutes pound pounds lbs times
    degrees percent beats breaths kilograms kg""".split()
}


def _quantities(toks: list[str]) -> list[tuple[str, str]]:
    """(number, unit) for every number: "4 days" -> ("4", "day"), "a couple of weeks" -> ("2", "week"),
    a bare "4" -> ("4", "")."""
    out = []
    for i, t in enumerate(toks):
        nxt = toks[i + 1 : i + 3]
        unit = _QUANTITY_UNITS.get(_stem(nxt[0])) if nxt else None
        if re.fullmatch(r"\d+(?:\.\d+)?", t):
            out.append((_canon_number(t), unit or ""))
        elif unit and t in ("a", "an", "one"):
            out.append(("1", unit))
        elif t == "couple":
            unit = unit or (_QUANTITY_UNITS.get(_stem(nxt[1])) if len(nxt) > 1 and nxt[0] == "of" else None)
            if unit:
                out.append(("2", unit))
    return out


# Dates come from the chart far more often than from speech: one nobody said is a review hint, not a safety flag.
DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}/(?:19|20)\d{2}\b"
    r"|\b(?:19|20)\d{2}\b(?!\s*(?:mg|mcg|g|iu|units?|ml|milligrams?|%|percent|pounds|lbs|calories|steps|ng|pg))",
    re.I,
)
# names with a number in them ("COVID-19", "H1N1") are names, not quantities
NAMED_NUMBER = re.compile(r"\b[a-z]{3,}-\d+\b|\b[a-z]+\d+[a-z]*\d*\b", re.I)


def extract_facts(text: str, medications: Collection[str]) -> Facts:
    dates = [m.group(0) for m in DATE.finditer(text)]
    toks = tokens(NAMED_NUMBER.sub(" ", DATE.sub(" ", text)))
    meds = medications_in(toks, medications)
    doses: list[Dose] = []
    numbers: set[str] = set()
    consumed: set[int] = set()
    for i, w in enumerate(toks):
        if not re.fullmatch(r"\d+(?:\.\d+)?", w):
            continue
        unit = _UNITS.get(toks[i + 1]) if i + 1 < len(toks) else None
        if unit in _DOSE_UNITS:
            med = None
            for j, name in reversed(meds):
                if j < i and i - j <= 6:
                    med = name
                    break
            doses.append(Dose(_canon_number(w), unit, med))
            consumed.add(i)
        else:
            numbers.add(_canon_number(w))
    lat = {side for w in toks if w in ("left", "right", "bilateral") and (side := _LATERAL[w])}
    quantities = {n: u for n, u in _quantities(toks) if u}
    return Facts({m for _, m in meds}, doses, numbers, lat, quantities, dates)


_LATERAL: dict[str, str | None] = {
    "left": "left",
    "right": "right",
    "bilateral": "bilateral",
    "both": "bilateral",
    "l": None,
    "r": None,
}


def _doses_with_value(index: TranscriptIndex, value: str) -> list[tuple[str | None, set[str]]]:
    """Where ``value`` is said as a dose: (medication it was said for, tokens around it).

    A dose is paired with the nearest medication named just before it, reading the
    previous turn too ("How much lisinopril?" / "Ten milligrams.").
    """

    def build(ix: TranscriptIndex) -> list[tuple[str, str | None, set[str]]]:
        doses: list[tuple[str, str | None, set[str]]] = []
        for i, sid in enumerate(ix.order):
            prev = ix.order[i - 1] if i else None
            text = (ix.segment_text[prev] + " . " if prev is not None else "") + ix.segment_text[sid]
            ctx = {t for w in ix.window(sid, 2) for t in ix.tokens[w]}
            paired = set()
            for d in extract_facts(text, ix.medications).doses:
                doses.append((d.value, d.medication, ctx))
                if d.medication:
                    paired.add(d.value)
            for n in ix.numbers[sid] - paired:  # a bare number can still be a dose ("take two")
                doses.append((n, None, ctx))
        return doses

    return [(m, ctx) for v, m, ctx in index.memo("doses", build) if v == value]


def _units_said(index: TranscriptIndex, number: str) -> set[str]:
    """The units ``number`` is said with ("" when it is said bare)."""

    def build(ix: TranscriptIndex) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for sid in ix.order:
            for n, u in _quantities(ix.tokens[sid]):
                out.setdefault(n, set()).add(u)
        return out

    return index.memo("units", build).get(number, set())


def _named_near(med: str, context: set[str], index: TranscriptIndex) -> bool:
    """``med`` is named in ``context``: itself, a spelling slip, another name of it, or a long word of a
    several-word name ("testosterone" for "testosterone cypionate")."""
    if fuzzy_in(med, context) or any(len(w) >= 6 and w in context for w in med.split()):
        return True
    generic = index.medications.generic_of(med)
    return any(index.medications.generic_of(m) == generic for _, m in index.medications.medications_in(sorted(context)))


def number_issues(facts: Facts, words: set[str], evidence: list[int], index: TranscriptIndex) -> list[Issue]:
    """Every number must be said, and said about this: in the evidence or next to it, or in a line that
    shares a word with the statement ("BP 150/92" is not backed by "150 pounds" in another topic)."""
    issues = []
    near = {n for sid in evidence for w in index.window(sid, 2) for n in index.numbers[w]}
    topic = {w for w in words if not w[0].isdigit() and w not in FRAMING and len(w) > 2}
    for num in sorted(facts.numbers):
        unit, units = facts.quantities.get(num), _units_said(index, num)
        # "4 weeks" where "4 days" was said: a number said bare nearby may still be it ("heart rate 68")
        if unit and units and unit not in units and (num not in near or "" not in units):
            issues.append(Issue(kind="number", detail=f"'{num} {unit}…' is not what the transcript says"))
            continue
        if num in near:
            continue
        if (
            num == "1"
            and evidence
            and any(  # speech says "a beer or two" where a note writes "1 or 2 beers"
                t in ("a", "an", "one", "once")
                for sid in evidence
                for w in index.window(sid, 1)
                for t in index.tokens[w]
            )
        ):
            continue
        where = [sid for sid in index.order if num in index.numbers[sid]]
        if not where:
            issues.append(Issue(kind="number", detail=f"the number {num} does not appear in the transcript"))
        elif not any(topic & index.words[w] for sid in where for w in index.window(sid, 1)):
            issues.append(Issue(kind="number", detail=f"the number {num} is said in the visit, but not about this"))
    for date in facts.dates:
        parts = {_canon_number(p) for p in re.findall(r"\d+", date)}
        if not all(any(p in index.numbers[sid] for sid in index.order) for p in parts):
            issues.append(Issue(kind="date", detail=f"the date {date} is not said in the transcript"))
    return issues


def dose_issues(facts: Facts, index: TranscriptIndex) -> list[Issue]:
    """A dose must be said, and said for the same drug."""
    issues: list[Issue] = []
    for dose in facts.doses:
        label = f"{dose.value} {dose.unit}" + (f" of {dose.medication}" if dose.medication else "")
        said = _doses_with_value(index, dose.value)
        if not said:
            issues.append(Issue(kind="dose", detail=f"dose {label} is not stated in the transcript"))
            continue
        if dose.medication and not any(
            (med is not None and index.same_drug(med, dose.medication)) or (med is None and near)
            for med, near in ((m, _named_near(dose.medication, ctx, index)) for m, ctx in said)
        ):
            issues.append(
                Issue(kind="dose", detail=f"the transcript never gives {dose.value} {dose.unit} for {dose.medication}")
            )
    return issues
