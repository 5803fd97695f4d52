"""Quantities: doses, other numbers and dates in a statement, and whether the visit gives them for the same thing.

A number is a safety fact only with what it quantifies: "lisinopril 40 mg" is checked against the doses
said *for lisinopril*, "4 weeks" against durations, not against any 40 or 4 said somewhere in the visit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from ..domain import Issue
from ..lexicon import Lexicon, fuzzy_in, medications_in
from ..textnorm import DOSE_UNITS, UNITS, canon_number, normalise, stem, tokens
from ..wordlist import knows_english
from .assertion import target
from .context import (
    DATE,
    NAMED_NUMBER,
    SENTENCE_BREAKS,
    agreement,
    context_tokens,
    context_words,
    nearest_words,
)
from .frequency import once_a_day_said
from .index import FRAMING, TranscriptIndex
from .people import KIN


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
    ordinals: list[str] = field(default_factory=list)  # "2nd" as the word a visit says: "second"


# things counted: "8 children" is not backed by "8 milligrams", but may be by a bare "I have eight" answering a
# question about children
_COUNTED = {
    "mile": "mile miles",
    "block": "block blocks",
    "flight": "flight flights",
    "step": "step steps",
    "cup": "cup cups",
    "glass": "glass glasses",
    "drink": "drink drinks",
    "beer": "beer beers",
    "pack": "pack packs",
    "cigarette": "cigarette cigarettes",
    "child": "child children kid kids",
    "pillow": "pillow pillows",
}
_COUNTS = frozenset(_COUNTED)
# Units a number is said with; "4 days" and "4 weeks" are different facts even when both numbers are said.
# One name per unit: the stemmer keeps "days" as it is, and "lbs" or "kg" are the same facts as pounds, kilograms.
_QUANTITY_UNITS = {
    stem(w): unit
    for unit, words in {
        "day": "day days",
        "week": "week weeks wk wks",
        "month": "month months mo mos",
        "year": "year years yr yrs",
        "hour": "hour hours h hrs",  # not "hr": "HR 84" is a heart rate
        "minute": "minute minutes min mins",
        "pound": "pound pounds lbs",
        "time": "times episode episodes",  # "twice" is two episodes
        "degree": "degrees",
        "percent": "percent %",
        "beat": "beats bpm",
        "breath": "breaths",
        "kilogram": "kilogram kilograms kilo kilos kg",
        "night": "night nights",
        "decade": "decade decades",
        "millimeter": "millimeter millimeters mm",
        "centimeter": "centimeter centimeters cm",
        "inch": "inch inches",
        **_COUNTED,
    }.items()
    for w in words.split()
}
# a duration is said with its unit ("two weeks"): a bare number nearby is something else ("grade two")
_TIME_UNITS = frozenset(("day", "week", "month", "hour", "minute"))
# lengths of time: a number the visit says only with one of these ("ten years ago") is no bare value a note gives
# ("A1c of 10", "3 injections")
_DURATIONS = _TIME_UNITS | {"year", "decade", "night"}
_MORE = frozenset("more further additional extra straight consecutive".split())
# a time of day: "10 p.m.", "2 am", "3 o'clock" (tokens: "10 p m", "3 o clock")
_CLOCK_TIME = re.compile(r"\b(\d{1,2}) (?:a m|p m|am|pm|o clock|oclock)\b")
_PACK_YEARS = re.compile(r"\b(\d+(?:\.\d+)?) pack years?\b")
_ANAPHOR = re.compile(r"\b(?:that|it|this|those|these)\b")
_BEER_PACKS = frozenset(("6", "12", "24"))
_RANGE_JOINERS = frozenset({"to", "or", "-"})
_AND_NIGHT = re.compile(r"and (?:\S+ ){0,4}(?:night|evening|bedtime)\b")
_RANGE_REACH = 6  # tokens of a range said value by value ("four five six seven days")


def _quantities(toks: list[str]) -> list[tuple[str, str]]:
    """(number, unit) for every number: "4 days" -> ("4", "day"), "a couple of weeks" -> ("2", "week"),
    a bare "4" -> ("4", "")."""
    return [(n, u) for _, n, u in _placed_quantities(toks)]


def _placed_quantities(toks: list[str]) -> list[tuple[int, str, str]]:
    """:func:`_quantities` with the position of each number's token."""
    out = []
    for i, t in enumerate(toks):
        nxt = toks[i + 1 : i + 3]
        if len(nxt) > 1 and nxt[0] in _MORE:
            nxt = toks[i + 2 : i + 4]  # "25 more days", "two further weeks": the unit is the word after
        unit = _QUANTITY_UNITS.get(stem(nxt[0])) if nxt else None
        if unit == "pack" and len(nxt) > 1 and stem(nxt[1]) in ("year", "years"):
            unit = None  # "20 pack-years": a measure of its own, not 20 packs
        elif unit == "pack" and t in _BEER_PACKS:
            unit = "beer"  # "a six pack on the weekend": six beers (nobody smokes six packs)
        if unit is None and _IS_NUMBER.fullmatch(t):
            # "three to four times a week", "four five six seven days": the unit after a range is each value's
            j = i + 1
            while (
                j < len(toks) and j - i <= _RANGE_REACH and (toks[j] in _RANGE_JOINERS or _IS_NUMBER.fullmatch(toks[j]))
            ):
                j += 1
            values = [float(x) for x in toks[i:j] if _IS_NUMBER.fullmatch(x)]
            # a range said value by value rises ("four five six seven days"); "metformin 500 twice a day" is a dose
            # and then a count
            rising = any(t in _RANGE_JOINERS for t in toks[i:j]) or all(a < b for a, b in zip(values, values[1:]))
            if j > i + 1 and _IS_NUMBER.fullmatch(toks[j - 1]) and j < len(toks) and rising:
                unit = _QUANTITY_UNITS.get(stem(toks[j]))
        if unit is None and i > 1 and toks[i - 1] in ("or", "to") and toks[i - 2] != "times":
            unit = _QUANTITY_UNITS.get(stem(toks[i - 2]))  # "a week or two", "an hour or 2": two weeks, two hours
        if unit is None and _IS_NUMBER.fullmatch(t) and _denominator(toks, i):
            unit = "/"  # "a grade two out of six murmur" says no 6 of anything: the scale, not a value
        if re.fullmatch(r"\d+(?:\.\d+)?", t):
            out.append((i, canon_number(t), unit or ""))
        elif unit and t in ("a", "an", "one", "next", "last", "past"):  # "see you next week", "since last week"
            out.append((i, "1", unit))
        elif t == "yesterday":
            out.append((i, "1", "day"))
        elif t == "morning" and _AND_NIGHT.match(" ".join(toks[i + 1 : i + 7])):
            out.append((i, "2", "time"))  # "one in the morning and one at night" is twice a day
        elif t == "couple":
            unit = unit or (_QUANTITY_UNITS.get(stem(nxt[1])) if len(nxt) > 1 and nxt[0] == "of" else None)
            if unit:
                out.append((i, "2", unit))
    return out


def _denominator(toks: list[str], i: int) -> bool:
    """``toks[i]`` is the whole of a score or grade: "two out of six", "2/6"."""
    if toks[max(0, i - 2) : i] == ["out", "of"]:
        return True
    return i > 1 and toks[i - 1] == "/" and _IS_NUMBER.fullmatch(toks[i - 2]) is not None and float(toks[i]) <= 10


# "one" that counts nothing: "at one point", "no one", "one of the"
_NOT_A_COUNT = re.compile(
    r"\b(?:at one (?:point|time)|no one|one another|(?:the|this|that|which) one|one of (?:the|his|her|my|your|their|these|"
    r"those|them)|once (?:again|more)|(?:all )?at once|once in a while|once and for all"
    # how often, not how many: "once every 4 to 8 weeks" ("once daily" is read below, and by the frequency check)
    r"|once (?=every\b|each\b))\b"
    # a scale's ends ("a pain scale of 0 to 10, 10 being the worst") and the count of systems reviewed ("ten-system
    # review", "a 14-point review of systems"): the chart's notation, not something said
    r"|\bscale,? (?:of |from )?(?:0|zero|1|one) ?(?:to|-) ?(?:10|ten)\b(?:,? (?:with )?(?:10|ten) being)?"
    r"|\b(?:\d{1,2}|ten|eleven|twelve|thirteen|fourteen|fifteen)[- ](?:organ[- ])?(?:system|point)s? (?=review|ros\b)"
    # a list's numbers: "1. Hypertension." and the "2." a sentence splitter leaves at the end of the one before
    r"|^\s*\(?\d{1,2}[.)]\s+(?=[a-z])|(?<=[.;])\s+\d{1,2}\.?\s*$",
    re.I,
)


# "2nd metatarsal", "5th digit": an ordinal is said as a word ("the second metatarsal"), so it is checked as one
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)
_ORDINAL_WORDS = dict(
    enumerate(
        """first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth
        fifteenth sixteenth seventeenth eighteenth nineteenth twentieth""".split(),
        start=1,
    )
)


# an ordinal said where a note writes the number: "your eighth day of Ixempra" is "day 8" (from "third" on: "first"
# and "second" are said of everything, "wait a second", "at first")
_ORDINAL_VALUE = {w: n for n, w in _ORDINAL_WORDS.items() if n >= 3}
# ... where it counts something a note numbers ("the eighth day", "fifth grade"; not "a third of the time")
_ORDINAL_COUNTS = frozenset(
    "day days week weeks month months year years cycle cycles dose doses grade visit round".split()
)


# "2:00 am" is said "two o'clock" or "two in the morning": the hour is the fact, not the minutes
_ON_THE_HOUR = re.compile(r"\b(\d{1,2}):00\b")
# "7:30" is said "seven thirty", which reads as 730
_CLOCK = re.compile(r"\b(\d{1,2}):([0-5]\d)\b")
# the scale of a score or grade is the chart's notation, not something said: "pain is a three" is "3/10",
# "three out of six" murmur "3/6", "5/5 strength"; the score itself is still checked
_SCALE = re.compile(r"\b(\d{1,2}(?:\.\d)?(?:\s*(?:-|to)\s*\d{1,2})?\+?)\s*(?:/|out of )\s*(?:10|6|5|4)\b(?!\s*/)")


# "bowel sounds normal in all 4 quadrants": the exam's set phrase, not a count anybody says
_ALL_QUADRANTS = re.compile(r"\ball (?:4|four) quadrants\b", re.I)


def extract_facts(text: str, medications: Collection[str]) -> Facts:
    dates = [m.group(0) for m in DATE.finditer(text)]
    text = DATE.sub(" ", text)  # "September 9th" is a date, checked as one, not the ordinal "ninth"
    ordinals = [_ORDINAL_WORDS[int(m.group(1))] for m in _ORDINAL.finditer(text) if int(m.group(1)) in _ORDINAL_WORDS]
    text = _ORDINAL.sub(lambda m: " " if int(m.group(1)) in _ORDINAL_WORDS else m.group(0), text)
    text = _ALL_QUADRANTS.sub("all quadrants", _SCALE.sub(r"\1 ", _CLOCK.sub(r"\1\2", _ON_THE_HOUR.sub(r"\1", text))))
    toks = tokens(_NOT_A_COUNT.sub(" ", NAMED_NUMBER.sub(" ", DATE.sub(" ", text))))
    meds = medications_in(toks, medications)
    doses: list[Dose] = []
    numbers: set[str] = set()
    consumed: set[int] = set()
    for i, w in enumerate(toks):
        if not re.fullmatch(r"\d+(?:\.\d+)?", w):
            continue
        unit = UNITS.get(toks[i + 1]) if i + 1 < len(toks) else None
        if unit in DOSE_UNITS:
            med = None
            for j, name in reversed(meds):
                if j < i and i - j <= 6:
                    med = name
                    break
            doses.append(Dose(canon_number(w), unit, med))
            consumed.add(i)
        else:
            numbers.add(canon_number(w))
    lat = {side for w in toks if w in ("left", "right", "bilateral") and (side := _LATERAL[w])}
    quantities = {n: u for n, u in _quantities(toks) if u}
    return Facts({m for _, m in meds}, doses, numbers, lat, quantities, dates, ordinals)


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
            for n in _numbers_said(ix)[sid] - paired:  # a bare number can still be a dose ("take two")
                doses.append((n, None, ctx))
        return doses

    return [(m, ctx) for v, m, ctx in index.memo("doses", build) if v == value]


def _units_said(index: TranscriptIndex, number: str) -> set[str]:
    """The units ``number`` is said with ("" when it is said bare)."""

    def build(ix: TranscriptIndex) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for placed in _placed_said(ix).values():
            for _, n, u in placed:
                out.setdefault(n, set()).add(u)
        return out

    return index.memo("units", build).get(number, set())


def _dateless_tokens(index: TranscriptIndex) -> dict[int, list[str]]:
    """Each line's tokens without its dates: a date of birth "7/7/1977" says no "7" of anything else."""
    return index.memo(
        "dateless_tokens",
        lambda ix: {
            sid: tokens(DATE.sub(" ", ix.segment_text[sid])) if DATE.search(ix.segment_text[sid]) else ix.tokens[sid]
            for sid in ix.order
        },
    )


def _placed_said(index: TranscriptIndex) -> dict[int, list[tuple[int, str, str]]]:
    """Each line's numbers with their units and positions (dates left out), read once per transcript."""
    return index.memo(
        "placed", lambda ix: {sid: _placed_quantities(toks) for sid, toks in _dateless_tokens(ix).items()}
    )


def _numbers_said(index: TranscriptIndex) -> dict[int, set[str]]:
    """The numbers of each line that are not part of a date: a date of birth "7/7/1977" does not say "7 weeks".
    A count said in words with its unit is one too: "a couple days ago" says 2 days; so is an ordinal ("eighth": 8)."""
    return index.memo(
        "plain_numbers",
        lambda ix: {
            sid: {canon_number(t) for t in toks if _IS_NUMBER.fullmatch(t)}
            | {n for _, n, u in _placed_said(ix)[sid] if u}
            | {
                str(_ORDINAL_VALUE[t])
                for t, nxt in zip(toks, [*toks[1:], ""])
                if t in _ORDINAL_VALUE and nxt in _ORDINAL_COUNTS
            }
            for sid, toks in _dateless_tokens(ix).items()
        },
    )


# How long each unit lasts in days, as a range: a month is four weeks or thirty days; a year is twelve months exactly.
_DAYS = {
    "minute": (1 / 1440, 1 / 1440),
    "hour": (1 / 24, 1 / 24),
    "day": (1.0, 1.0),
    "night": (1.0, 1.0),
    "week": (7.0, 7.0),
    "month": (28.0, 31.0),
    "year": (365.0, 366.0),
    "decade": (3652.0, 3653.0),
}
_MILLIMETRES = {"millimeter": 1.0, "centimeter": 10.0, "inch": 25.4}
_GRAMS = {"pound": 453.6, "kilogram": 1000.0}
# "2.5 cm" for "an inch" (2.54) and "1.5 kg" for "3 and a half pounds" (1.59) are the same measure; "1 cm" for "six
# millimeters" is not
CONVERSION_TOLERANCE = 0.1


def _in_units(value: float, said: str, written: str) -> tuple[float, float]:
    """``value`` of unit ``said`` in unit ``written``, as the range the month's length allows."""
    for small, large, factor in (("month", "year", 12), ("year", "decade", 10)):
        if {said, written} == {small, large}:
            exact = value * factor if said == large else value / factor
            return exact, exact
    (s_lo, s_hi), (w_lo, w_hi) = _DAYS[said], _DAYS[written]
    return value * s_lo / w_hi, value * s_hi / w_lo


def _on_scale(num: float, unit: str, n: float, u: str, scale: dict[str, float], tolerance: float) -> bool:
    """``num`` ``unit`` is ``n`` ``u`` in another unit of one ``scale``, within ``tolerance`` (a share of it)."""
    if unit == u or unit not in scale or u not in scale:
        return False
    value = n * scale[u] / scale[unit]
    return value > 0 and abs(num - value) <= tolerance * value


def _same_measure(num: float, unit: str, n: float, u: str) -> bool:
    """``num`` ``unit`` (written) is ``n`` ``u`` (said) in another unit of time, length or weight."""
    if unit == u:
        return False
    if unit in _DAYS and u in _DAYS:
        lo, hi = _in_units(n, u, unit)
        # rounded to the nearest at the top: "10 or 11 days" for "a week and a half", "4 weeks" for "a month" (4 to
        # 4.4 weeks) but not "5 weeks"
        return math.floor(lo + 1e-9) <= num <= math.floor(hi + 0.5)
    return any(_on_scale(num, unit, n, u, scale, CONVERSION_TOLERANCE) for scale in (_MILLIMETRES, _GRAMS))


def same_measure_lines(num: str, unit: str, index: TranscriptIndex) -> list[int]:
    """The lines that say the duration, length or weight ``num`` ``unit`` in another unit: "two weeks" for "14
    days", "a week and a half" for "10 days", "a month" for "4 weeks", "six millimeters" for "0.6 cm", "ten pounds"
    for "4.5 kg". A note converts; the fact is the same."""
    if not any(unit in scale for scale in (_DAYS, _MILLIMETRES, _GRAMS)):
        return []
    said = index.memo(
        "measures",
        lambda ix: {
            sid: [(float(n), u) for _, n, u in placed if u in _DAYS or u in _MILLIMETRES or u in _GRAMS]
            for sid, placed in _placed_said(ix).items()
        },
    )
    value = float(num)
    return [sid for sid in index.order if any(_same_measure(value, unit, n, u) for n, u in said[sid])]


def _named_near(med: str, context: set[str], index: TranscriptIndex) -> bool:
    """``med`` is named in ``context``: itself, a spelling slip, another name of it, or a long word of a
    several-word name ("testosterone" for "testosterone cypionate")."""
    if fuzzy_in(med, context) or any(len(w) >= 6 and w in context for w in med.split()):
        return True
    generic = index.medications.generic_of(med)
    return any(index.medications.generic_of(m) == generic for _, m in index.medications.medications_in(sorted(context)))


# an age as written or said: "43-year-old", "75 y.o.", "80 years of age", "age 62", "I'm 72", "i 'm 72" as a
# recogniser splits it (tokens, numbers as digits)
_AGE = re.compile(
    r"\b(\d{1,3}) (?:years? old|y o\b|yo\b|years? of age)"
    r"|\bage (?:of )?(\d{1,3})\b"
    r"|\b(?:i'?m|i m|i am|you'?re|you re|you are|he'?s|she'?s|he s|she s|he is|she is|turned|turning) (?:a )?(\d{1,3})\b"
    r"(?! (?:pounds?|lbs?|percent|mg|times|"
    r"minutes?|hours?|days?|weeks?|months?|feet|foot|inches|cm|kg|out|of))"
)


# a note's "once daily" (normalised: "1 times daily"), said where the visit says "every morning"
_ONCE_DAILY = re.compile(r"\b1 times? (?:a |per |each )?day\b|\b1 times? daily\b")
# the patient's own age as a note writes it: "a 64-year-old", "44 y/o", "80 years of age" (not "walked at age 2")
_YEARS_OLD = re.compile(r"\b(\d{1,3}) (?:years? old|y o\b|yo\b|years? of age)")
_AT_AN_AGE = [[w] for w in "at by until since between and from to before after".split()]


def _ages(toks: list[str]) -> set[str]:
    return {canon_number(n) for m in _AGE.finditer(" ".join(toks)) for n in m.groups() if n}


def ages_in(text: str) -> set[str]:
    """The ages ``text`` gives ("a 43-year-old female" -> {"43"})."""
    return _ages(tokens(text))


def ages_said(index: TranscriptIndex) -> set[str]:
    """The ages the visit states ("I'm seventy two", "a 43-year-old patient"), and the number that answers a "how
    old" question ("How old was he?" - "He was only fifty two.")."""

    def build(ix: TranscriptIndex) -> set[str]:
        ages = set().union(*(_ages(ix.tokens[sid]) for sid in ix.order)) if ix.order else set()
        for asked, answer in zip(ix.order, ix.order[1:]):
            if _HOW_OLD.search(" ".join(ix.tokens[asked])) and len(ix.numbers[answer]) == 1:
                ages |= ix.numbers[answer]
        return ages

    return index.memo("ages", build)


_HOW_OLD = re.compile(r"\bhow old\b|\bwhat age\b|\bwhat is (?:your|his|her) age\b")


# Details a note takes from the chart or an imaging report, which a visit often never says: the type of a diabetes
# ("type 2 diabetes" where the visit says "your diabetes"), the number of views an x-ray was taken in. Where the
# visit gives that kind of detail, another value is a number flag as usual; where it gives none, a review hint.
_GRADE_SAID = re.compile(r"\b[0-4] ?(?:\+|plus)")
_A_DAY = r"times (?:a day|per day|each day|daily)\b"  # how often a day, as written and as said
_TIMES_A_DAY = re.compile(rf"\b\d+ {_A_DAY}")
_CHART_DETAILS = (
    (re.compile(r"\btype (\d)\b(?= diabet)"), re.compile(r"\btype (?:\d|i{1,2})\b"), "the diabetes type {}"),
    (re.compile(r"\b(\d{1,2}) (?:radiographic )?views?\b"), re.compile(r"\bviews?\b"), "{} views"),
    # "reflexes 2+", "pulses 2+ bilaterally": the exam's grade, where the visit says "normal" or "good"
    (re.compile(r"\b(?:reflex\w*|pulses?|dtrs?)\b[^.]*?\b([0-4])\+"), _GRADE_SAID, "the grade {}+"),
    (re.compile(r"\b([0-4])\+[^.]*?\b(?:reflex\w*|pulses?|dtrs?)\b"), _GRADE_SAID, "the grade {}+"),
    # "metformin 500 mg BID" where the visit names the dose but says nothing of how often: from the medication list
    (re.compile(rf"\b([1-6]) {_A_DAY}"), _TIMES_A_DAY, "{} times a day"),
)


def chart_details_unsaid(text: str, index: TranscriptIndex) -> dict[str, str]:
    """The numbers of ``text`` that are chart details of a kind the visit never gives, each with its wording."""
    given = index.memo(
        "chart_details",
        lambda ix: {k for k, (_, said, _) in enumerate(_CHART_DETAILS) if said.search(ix.text)},
    )
    low = normalise(text)
    return {
        canon_number(m.group(1)): wording.format(m.group(1))
        for k, (written, _, wording) in enumerate(_CHART_DETAILS)
        if k not in given
        for m in written.finditer(low)
    }


_PER_WEEK = frozenset({"day", "time"})
_WEEKLY = re.compile(r"\b\d+(?:\.\d+)?(?: (?:to|or|-) \d+)? (?:days?|times) (?:a |per |each |every )?week|weekly\b")


def _said_weekly(index: TranscriptIndex, num: str) -> bool:
    """``num`` is said as how often a week ("three times a week", "four days a week"), not only as days that pass
    ("three four days to pass it" says no 4 times a week)."""

    def build(ix: TranscriptIndex) -> set[str]:
        out: set[str] = set()
        lines = _dateless_tokens(ix)
        for sid, placed in _placed_said(ix).items():
            for k, n, u in placed:
                if u in _PER_WEEK and _WEEKLY.match(" ".join(lines[sid][k : k + 8])):
                    out.add(n)
        return out

    return num in index.memo("weekly", build)


# How long something has lasted is not when to come back: "the pain began 2 weeks ago" is not backed by "I'll see you
# back in one to two weeks". A time said from now is one after "in", "within", "next" (past a range and "about").
_AHEAD = frozenset("in within next".split())
_ON_THE_WAY_TO_IT = frozenset(
    "about around approximately roughly maybe like another a an the that those just over".split()
)
_SINCE_THEN = re.compile(
    r"\b(?:ago|(?:has|have|had) (?:been|had)|began|begun|started|onset|since|history|for the (?:past|last))\b"
)
# a plan's duration is a time from now whatever its tense ("she has been referred to physical therapy for 6 weeks")
_PLANNED = re.compile(
    r"\b(?:refer\w*|prescri\w*|advis\w*|instruct\w*|recommend\w*|will|continue|schedul\w*|plan\w*|follow|return|"
    r"order\w*|course|therapy|take|taking)\b"
)


def _back_to(toks: list[str], i: int) -> int:
    """The position of the word a time said at ``i`` hangs on, past a range and "about" ("in about one to two")."""
    j = i - 1
    while (
        j >= 0
        and i - j <= 6
        and (
            toks[j] in _RANGE_JOINERS
            or toks[j] in _ON_THE_WAY_TO_IT
            or _IS_NUMBER.fullmatch(toks[j])
            or _QUANTITY_UNITS.get(stem(toks[j])) in _TIME_UNITS
        )
    ):
        j -= 1
    return j


def _ahead(toks: list[str], i: int) -> bool:
    """The time said at ``i`` counts from now: "back in about one to two weeks", "in a week or two", "the next 4 days"
    (but not "i haven't had a cigarette in two weeks")."""
    j = _back_to(toks, i)
    if j < 0 or toks[j] not in _AHEAD:
        return False
    # "i haven't had a drink in two weeks", "the first time in years": a time up to now ("if it hasn't passed in two
    # weeks" is ahead again)
    before = toks[max(0, j - 8) : j]
    return any(t in ("if", "unless") for t in before) or not any(
        t.endswith("n't") or t in ("not", "never", "no", "first", "last") for t in before
    )


def _behind(toks: list[str], i: int) -> bool:
    """The time said at ``i`` is how long something has lasted: "a week ago", "for the past two weeks", "it's been
    hurting for about two weeks" (not "take it for two weeks")."""
    if "ago" in toks[i + 1 : i + 4]:
        return True
    j = _back_to(toks, i)
    if j < 0:
        return False
    if toks[j] in ("past", "last", "since"):
        return True
    return toks[j] == "for" and any(t in ("been", "had", "have", "has") for t in toks[max(0, j - 6) : j])


# a note's time to come back: "follow up in 2 weeks", "return to clinic in 1 month"
_COME_BACK = re.compile(
    r"\b(?:follow\w*|return\w*|recheck\w*|reassess\w*|re-?evaluat\w*|come back|see (?:\w+ )?back)\b"
)


def _times_said(index: TranscriptIndex) -> dict[tuple[str, str], list[tuple[bool, bool]]]:
    """Per (number, time unit) the visit says, whether each mention is a time from now and whether it is how long
    something has lasted: read once per transcript, not once per statement."""

    def build(ix: TranscriptIndex) -> dict[tuple[str, str], list[tuple[bool, bool]]]:
        out: dict[tuple[str, str], list[tuple[bool, bool]]] = {}
        lines = _dateless_tokens(ix)
        for sid, placed in _placed_said(ix).items():
            for k, n, u in placed:
                if u in _TIME_UNITS:
                    out.setdefault((n, u), []).append((_ahead(lines[sid], k), _behind(lines[sid], k)))
        return out

    return index.memo("times", build)


def _time_the_other_way(text: str, facts: Facts, index: TranscriptIndex) -> dict[str, Issue]:
    """Durations of the past ("for 2 weeks, she has had ...", "began 2 weeks ago") that the visit says only as a time
    from now (when to come back, how long a treatment runs), and times to come back ("follow up in 2 weeks") that the
    visit says only as how long something has lasted."""
    low = normalise(text)
    past = bool(_SINCE_THEN.search(low)) and not (_PLANNED.search(low) and not re.search(r"\bago\b", low))
    come_back = bool(_COME_BACK.search(low))
    toks = tokens(text)
    out: dict[str, Issue] = {}
    for i, num, unit in _placed_quantities(toks):
        if unit not in _TIME_UNITS or num not in facts.numbers or num in out:
            continue
        ahead_here = _ahead(toks, i)  # "pain for 2 weeks, follow up in 4 weeks": each time its own way
        if not (come_back if ahead_here else past):
            continue
        said = _times_said(index).get((num, unit), [])
        if said and not ahead_here and all(ahead for ahead, _ in said):
            out[num] = Issue(
                kind="number", detail=f"{num} {unit}(s) is said in the visit only as a time from now, not as how long"
            )
        elif said and ahead_here and all(behind for _, behind in said):
            out[num] = Issue(
                kind="number",
                detail=f"{num} {unit}(s) is said in the visit only as how long it has lasted, not as when",
            )
    return out


def _ranges(toks: list[str], placed: list[tuple[int, str, str]]) -> set[tuple[str, str, str]]:
    """The ranges of a line (its tokens and their :func:`_placed_quantities`), (low, high, unit): "20 to 30 miles", "a
    week or two", "between 20 and 30 miles"; a range said value by value ("four five six seven days") holds each of
    its spans (4 to 6 days as well)."""
    out: set[tuple[str, str, str]] = set()
    chain: list[str] = []
    for (i, a, ua), (j, b, ub) in zip(placed, [*placed[1:], (len(toks), "", "")]):
        between = toks[i + 1 : j]
        joined = (
            ub
            and ua in ("", ub)
            and j - i <= 3
            and all(t in _RANGE_JOINERS or t == "and" or _QUANTITY_UNITS.get(stem(t)) == ub for t in between)
            and float(a) < float(b)
        )
        chain.append(a)
        if not joined:
            unit = ua
            out.update((x, y, unit) for k, x in enumerate(chain) for y in chain[k + 1 :] if unit)
            chain = []
    return out


# a part of a whole, in words ("2 out of 3 were normal"); a chart's "x/y" is a score or a blood pressure, which a
# visit says in so many ways ("one twenty over eighty", "a seven, maybe an eight out of ten") that it is left to the
# number checks
_OUT_OF = re.compile(r"\b(\d+(?:\.\d+)?) out of (\d+(?:\.\d+)?)\b")


def _range_said_otherwise(text: str, facts: Facts, topic: set[str], index: TranscriptIndex) -> dict[str, Issue]:
    """A range or a part with one end moved: "cycles 20 to 40 miles" where the visit says "20 to 30 miles" and never
    20 to 40 (40 miles may well be said of something else); "2 out of 4" where it says "two out of three"."""
    said = index.memo(
        "ranges",
        lambda ix: set().union(*(_ranges(_dateless_tokens(ix)[sid], p) for sid, p in _placed_said(ix).items())),
    )
    toks = tokens(text)
    out: dict[str, Issue] = {}
    for a, b, unit in sorted(_ranges(toks, _placed_quantities(toks))):
        if (a, b, unit) in said or not {a, b} <= facts.numbers:
            continue
        for x, y, u in sorted(said):
            if u == unit and (x == a) != (y == b):
                wrong = b if x == a else a
                out[wrong] = Issue(
                    kind="number", detail=f"{a} to {b} {unit}(s) is not what was said: {x} to {y} {unit}(s)"
                )
                break
    # "2 out of 4 were normal" where the visit says "two out of three": the count of a part keeps its whole, in a line
    # about the same thing ("pain 3 out of 10" is no murmur's "3 out of 6"); a score out of the same whole may change
    # ("a six out of ten yesterday, a seven today")
    parts = index.memo(
        "parts", lambda ix: {sid: set(_OUT_OF.findall(normalise(ix.segment_text[sid]))) for sid in ix.order}
    )
    said_parts = set().union(*parts.values()) if parts else set()
    for a, b in sorted(set(_OUT_OF.findall(normalise(text)))):
        if (a, b) in said_parts:
            continue
        whole = sorted(y for sid, pairs in parts.items() if topic & index.words[sid] for x, y in pairs if x == a)
        if whole:
            out[b] = Issue(kind="number", detail=f"{a} out of {b} is not what was said: {a} out of {whole[0]}")
    return out


# A score out of ten ("pain 6/10", "rates it a 6 out of 10") is what the patient answered when asked to rate it: a
# number of the visit said about something else ("see you in four weeks") is not a score. A scale question opens an
# exchange; every small number of the next turns is taken as a score said (answers wander: "and at its worst?").
_SCALE_ASKED = re.compile(
    r"\bscale\b|\bout of (?:10|ten)\b|\b(?:rate|rates|rating) (?:your |the |that |it |this )?(?:pain|it|that)\b"
    r"|\b(?:zero|0|one|1) to (?:10|ten)\b"
    r"|\bpain (?:level|score)\b|\b(?:level|score) of (?:your |the |that )?pain\b"  # "what your pain level is"
    r"|\b(?:lowest|least) pain\b"  # "what's the lowest pain you've ever felt?" after a scale question
)
_SCORE_WRITTEN = re.compile(r"\b(\d{1,2}(?:\.\d)?)(?:\s*(?:-|to)\s*(\d{1,2}(?:\.\d)?))?\s*(?:/|out of )\s*10\b(?!\s*/)")
SCALE_TURNS = 4  # turns after a scale question in which its answers may come
_SMALL_SCORE = re.compile(r"(?:10|\d)(?:\.\d)?")


def _scores_said(index: TranscriptIndex) -> set[str]:
    """The numbers the visit gives as scores out of ten; once per visit."""

    def build(ix: TranscriptIndex) -> set[str]:
        scores: set[str] = set()
        placed = _placed_said(ix)
        left = 0
        for sid in ix.order:
            text = normalise(ix.segment_text[sid])
            scores |= {x for m in _SCORE_WRITTEN.finditer(text) for x in m.groups() if x}
            if _SCALE_ASKED.search(text):
                left = SCALE_TURNS + 1
            if left:
                left -= 1  # a bare small number is a score; "four weeks", "2 tablets" are not
                scores |= {n for _, n, unit in placed.get(sid, []) if not unit and _SMALL_SCORE.fullmatch(n)}
        return scores

    return index.memo("scores out of ten", build)


_PAIN_SCORED = re.compile(r"\b(?:pain|rates?|rated|rating|scale|score)\b")
_WHOLE_WRITTEN = re.compile(r"\b\d{1,2}(?:\.\d)?\s*(?:/|out of )\s*(\d{1,3})\b(?!\s*/)")
_WHOLE_SAID = re.compile(r"\bout of (\d{1,3})\b|\b\d{1,2}\s*/\s*(?=\d)(\d{1,3})\b|\b(?:zero|0|one|1) to (\d{1,3})\b")


def _score_said_otherwise(text: str, index: TranscriptIndex) -> dict[str, Issue]:
    """A score out of ten the visit never gives as a score, where it gives others ("pain 4/10" after "about a six",
    4 said only as weeks); a score out of another whole where the visit scores out of ten (any score it gives is
    one: a written "x/10" or an answer to a scale question)."""
    scores = _scores_said(index)
    if not scores:
        return {}
    out: dict[str, Issue] = {}
    written = normalise(DATE.sub(" ", text))  # "seen in our clinic on 04/12/05" scores nothing out of 05
    said = ", ".join(sorted(scores, key=float))
    for m in _SCORE_WRITTEN.finditer(written):
        for x in (g for g in m.groups() if g):
            if x not in scores:  # (an "11 out of 10" the patient said is a score said)
                out[x] = Issue(
                    kind="number", detail=f"a score of {x} out of 10 is not what was said (scores said: {said})"
                )
    if _PAIN_SCORED.search(written):  # "pain 6 out of 20" where the visit's scale is out of ten
        wholes = index.memo(
            "scales",
            lambda ix: {
                w for sid in ix.order for ws in _WHOLE_SAID.findall(normalise(ix.segment_text[sid])) for w in ws if w
            },
        )
        for whole in set(_WHOLE_WRITTEN.findall(written)) - wholes - {"10"}:
            out[whole] = Issue(
                kind="number", detail=f"a score out of {whole} is not what was said: the scale was out of 10"
            )
    return out


# whose number it is: "mother died of MI, age 80" where the visit says "my mother ... she was seventy" and "my
# father ... he was around eighty"
_SELF_FIRST = re.compile(r"^\W*(?:and |so |um |uh |well )*(?:i|i'm|i've|my|we|you|your)\b")


def _kin_numbers(index: TranscriptIndex) -> dict[str, set[str]]:
    """Per relative, the numbers said in the sentences that name them or go on about them ("She was seventy")."""

    def build(ix: TranscriptIndex) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for sid in ix.order:
            whose = None
            for sentence in re.split(r"(?<=[.;!?])\s+", normalise(ix.segment_text[sid])):
                named = {KIN[w] for w in re.findall(r"[a-z]+", sentence) if w in KIN}
                if len(named) == 1:
                    whose = next(iter(named))
                elif named or _SELF_FIRST.match(sentence):
                    whose = None  # "... my mother and my father", "I have ...": no longer about that relative
                if whose:
                    out.setdefault(whose, set()).update(n for n in tokens(sentence) if _IS_NUMBER.fullmatch(n))
        return {k: {canon_number(n) for n in v} for k, v in out.items()}

    return index.memo("kin numbers", build)


def _said_of_another_relative(text: str, facts: Facts, index: TranscriptIndex) -> dict[str, Issue]:
    """A number the note gives one relative that the visit gives another, and this one a different value."""
    named = {KIN[w] for w in re.findall(r"[a-z]+", normalise(text)) if w in KIN}
    if len(named) != 1:
        return {}
    (whose,) = named
    said = _kin_numbers(index)
    theirs = said.get(whose, set())
    if not theirs:
        return {}
    out: dict[str, Issue] = {}
    for num in sorted(facts.numbers - theirs):
        others = sorted(k for k, v in said.items() if k != whose and num in v)
        if others:
            out[num] = Issue(
                kind="number",
                detail=f"{num} is said of the {others[0]}, not the {whose} ({', '.join(sorted(theirs, key=float))})",
            )
    return out


def number_issues(text: str, facts: Facts, words: set[str], evidence: list[int], index: TranscriptIndex) -> list[Issue]:
    """Every number must be said, and said about this: in the evidence or next to it, or in a line that
    shares a word with the statement ("BP 150/92" is not backed by "150 pounds" in another topic)."""
    issues: list[Issue] = []
    said = _numbers_said(index)
    near = {n for sid in evidence for w in index.window(sid, 2) for n in said[w]}
    topic = {w for w in words if not w[0].isdigit() and w not in FRAMING and len(w) > 2}
    contradicted = (
        _said_for_something_else(text, facts, index)
        | _time_the_other_way(text, facts, index)
        | _range_said_otherwise(text, facts, topic, index)
        | _score_said_otherwise(text, index)
        | _said_of_another_relative(text, facts, index)
    )
    issues.extend(contradicted.values())
    written = quantities_in(text)
    doses = {d.value for d in facts.doses}  # a lab value with its unit ("156 IU/L") is read as a dose there
    labs = [q.value for q in written if q.unit == CONCENTRATION and q.value in doses] if doses else []
    for value in dict.fromkeys(v for v in labs if v not in contradicted):
        if not any(value in said[sid] for sid in index.order):
            issues.append(Issue(kind="number", detail=f"the lab value {value} is not stated in the transcript"))
    ages = ages_in(text)
    joined = " ".join(tokens(text))
    own_ages = {
        canon_number(m.group(1))
        for m in _YEARS_OLD.finditer(joined)
        if joined[: m.start()].rsplit(" ", 2)[-2:-1] not in _AT_AN_AGE  # not "fed herself at 3 years of age"
    }
    chart = chart_details_unsaid(text, index)
    clock = {canon_number(m.group(1)) for m in _CLOCK_TIME.finditer(joined)}
    pack_years = {canon_number(m.group(1)) for m in _PACK_YEARS.finditer(joined)}  # a measure made of years
    # "between 10 and 25 mg": both ends are doses, which the dose check reads
    dosed = {v for q in written if q.unit in DOSE_UNITS for v in q.group}
    near_lines = {w for sid in evidence for w in index.window(sid, 2)}
    for num in sorted(facts.numbers - contradicted.keys()):
        if num == "1" and _ONCE_DAILY.search(normalise(text)) and once_a_day_said(index):
            continue  # "lisinopril 10 mg once daily" where the visit says "every morning"
        if num in own_ages and num in ages_said(index):
            continue  # "a 64-year-old" where the patient answered "I'm sixty four" (not "rolled over at age 3")
        unit, units = facts.quantities.get(num), _units_said(index, num)
        if unit and (converted := same_measure_lines(num, unit, index)):
            if near_lines.intersection(converted) or any(
                (topic | ({"follow"} & _as_follow_up(words))) & _as_follow_up(index.words[w])
                for sid in converted
                for w in index.window(sid, 1)
            ):
                continue  # "14 days" for "two weeks": the same duration said about this
        # "4 weeks" where "4 days" was said: a number said bare nearby may still be it ("heart rate 68")
        if unit in _PER_WEEK and _WEEKLY.search(normalise(text)) and _said_weekly(index, num):
            units = units | _PER_WEEK  # "3 days per week" for "three times a week": how often, either way
        if (
            unit
            and units
            and unit not in units
            and (num not in near or "" not in units or unit in _TIME_UNITS)
            and (unit not in _COUNTS or "" not in units)
        ):
            issues.append(Issue(kind="number", detail=f"'{num} {unit}…' is not what the transcript says"))
            continue
        if (
            not unit
            and units
            and units <= _DURATIONS
            and num != "1"
            and not {num} & (ages | clock | dosed | pack_years)
        ):
            # "A1c of 10" where the visit says ten only as "10 years ago": a length of time, not this value. Not for
            # 1 (a visit says it as "a", "an", "one" without a unit everywhere), an age, a time of day or a dose.
            said_as = " or ".join(sorted(f"{num} {u}s" for u in units))
            issues.append(Issue(kind="number", detail=f"the number {num} is said in the visit only as {said_as}"))
            continue
        if num in near:
            continue
        if (
            num == "1"
            and evidence
            and any(  # speech says "a beer or two" where a note writes "1 or 2 beers"
                t in ("a", "an", "one", "once", "my", "his", "her")  # "my sister" is "one sister"
                for sid in evidence
                for w in index.window(sid, 1)
                for t in index.tokens[w]
            )
        ):
            continue
        where = [sid for sid in index.order if num in said[sid]]
        if (detail := chart.get(num)) is not None:
            # the visit never gives this kind of detail: the note's came from the chart or the imaging report
            issues.append(Issue(kind="chart", detail=f"{detail} is not said in the visit: check it against the chart"))
        elif not where and num in ages and not ages_said(index):
            # the visit gives no age at all: the note's came from the chart, as a date of birth does
            issues.append(
                Issue(kind="age", detail=f"the age {num} is not said in the visit: check it against the chart")
            )
        elif not where:
            issues.append(Issue(kind="number", detail=f"the number {num} does not appear in the transcript"))
        elif not any(topic & index.words[w] for sid in where for w in index.window(sid, 1)):
            issues.append(Issue(kind="number", detail=f"the number {num} is said in the visit, but not about this"))
    for word in dict.fromkeys(facts.ordinals):
        if word not in index.all_tokens:
            issues.append(Issue(kind="number", detail=f"'{word}' is not said in the transcript"))
    for date in facts.dates:
        parts = {canon_number(p) for p in re.findall(r"\d+", date)}
        if not all(any(p in index.numbers[sid] for sid in index.order) for p in parts):
            issues.append(Issue(kind="date", detail=f"the date {date} is not said in the transcript"))
    return issues


# ----------------------------------------------------------------------------- what a number goes with

# The unit a number is said with, read from the word after it. Two mentions with different units are
# different facts ("4 weeks" is not "4 days"); a bare number may be either.
CONCENTRATION = "/volume"  # the unit of a lab value as written: "IU/L", "mg/dL"
_UNIT_WORDS = {
    **UNITS,
    **{w: "day" for w in ("day", "days")},
    **{w: "week" for w in ("week", "weeks", "wk", "wks")},
    **{w: "month" for w in ("month", "months")},
    **{w: "year" for w in ("year", "years", "yr", "yrs")},
    **{w: "hour" for w in ("hour", "hours", "hr", "hrs")},
    **{w: "minute" for w in ("minute", "minutes", "min", "mins")},
    **{w: "second" for w in ("second", "seconds", "sec", "secs")},
    **{w: "lb" for w in ("pound", "pounds", "lb", "lbs")},
    **{w: "kg" for w in ("kilogram", "kilograms", "kg", "kilo", "kilos")},
    **{w: "mm" for w in ("millimeter", "millimeters", "millimetre", "millimetres", "mm")},
    **{w: "cm" for w in ("centimeter", "centimeters", "centimetre", "centimetres", "cm")},
    **{w: "inch" for w in ("inch", "inches")},
    **{w: "degree" for w in ("degree", "degrees")},
    **{w: "times" for w in ("times",)},
    **{w: "+" for w in ("+", "plus")},
    "o'clock": "o'clock",
}
_GROUP_JOINERS = frozenset({"to", "or", "/", "by", "x"})  # "3 to 4 weeks", "120/80", "2 x 3 cm"
_IS_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# one word for the ways a visit says when to come back: "follow up in 2 weeks" = "see you back in two weeks"
_FOLLOW_UP = {stem(w): "follow" for w in "follow return back see recheck appointment revisit come".split()}


@dataclass(frozen=True)
class Quantity:
    """A number as said or written, with what it goes with ("lisinopril 20 mg", "type 2 diabetes")."""

    value: str
    unit: str  # "mg", "week", "+", "/10" (a score or grade out of 10), "" when said bare
    group: tuple[str, ...]  # the values said together: "3 to 4 weeks" -> ("3", "4"), "120/80"
    anchor: frozenset[str]  # stems of the words it goes with: the nearest words of its sentence
    head: frozenset[str] = frozenset()  # of those, the closest one on each side ("type 2 diabetes")
    drug: str | None = None  # a dose: the drug it is said for
    role: str = ""  # a dose in a change: "from" (the dose before) or "to" (the new dose)
    segment: int | None = None


def _as_follow_up(words: set[str]) -> set[str]:
    """Words with every way of saying "follow up" as one: "see you back in a month" is about "follow up in 4 weeks"."""
    return {_FOLLOW_UP.get(w, w) for w in words}


def _compatible(a: str, b: str) -> bool:
    return a == b or not a or not b


_CHANGE = frozenset(
    """increase increasing increased decrease decreasing decreased change changing changed switch switching
    switched bump bumping raise raising lower lowering reduce reducing titrate titrating double doubling
    up""".split()
)
# what a dose is in the visit: the one taken now ("we have you on 20", "reports taking") or the one from now on
# ("I'll increase it to 40", "prescription for")
_NEW_DOSE = frozenset(
    """prescribe prescribed prescribing prescription start starting started initiate initiated begin put add
    adding added will 'll increase increased increasing decrease decreased switch switched change changed
    new refill""".split()
)
# "take" is left out: "Take lisinopril 20 mg once a day" is an instruction, the dose from now on
_CURRENT_DOSE = frozenset("on taking takes taken currently already using uses been was".split())


def _role(toks: list[str], start: int, first: int) -> str:
    """A dose's part in a change: "from 20 mg" (or the dose taken now) -> "from"; "increase ... to 40" (or a
    new prescription) -> "to"; "" when the sentence does not say."""
    sentence = toks[first:start]
    for t in reversed(toks[max(first, start - 3) : start]):  # the nearest: "from 20 to 40" - 40 is "to"
        if t == "from":
            return "from"
        if t == "to":
            if any(t in _CHANGE for t in sentence) or "from" in sentence:
                return "to"
            break
    if any(t in _NEW_DOSE for t in sentence):
        return "to"
    if any(t in _CURRENT_DOSE for t in sentence):
        return "from"
    return ""


def quantities_in(
    text: str, medications: Lexicon | None = None, segment: int | None = None, asked: list[str] | None = None
) -> list[Quantity]:
    """Every number of ``text`` with its unit, the numbers said with it and the words it goes with.

    A word goes with the nearest number of its sentence (the later one on a tie: "heart rate is 60", a
    label before its value). ``asked`` are the tokens of the question this text answers: "How long has it
    hurt?" - "About two weeks." A dose is paired with the drug named before it in its sentence (or right
    after it: "500 mg of metformin"; or in ``asked``).
    """
    toks = context_tokens(text)
    words = {i: _FOLLOW_UP.get(w, w) for i, w in context_words(toks, set(_UNIT_WORDS)).items()}
    groups: list[tuple[int, int, list[str], str]] = []  # (first index, last index, values, unit)
    i = 0
    while i < len(toks):
        if not _IS_NUMBER.fullmatch(toks[i]):
            i += 1
            continue
        start, values, joiners = i, [canon_number(toks[i])], []
        while True:  # "3 to 4", "120 / 80", and spoken pairs without a joiner ("120 70")
            joins = toks[i + 1] in _GROUP_JOINERS if i + 1 < len(toks) else False
            joins = joins or (toks[i + 1 : i + 2] == ["and"] and start > 0 and toks[start - 1] == "between")
            if i + 2 < len(toks) and joins and _IS_NUMBER.fullmatch(toks[i + 2]):  # "between 20 and 25 mg" too
                joiners.append(toks[i + 1])
                values.append(canon_number(toks[i + 2]))
                i += 2
            elif (
                i + 1 < len(toks)
                and _IS_NUMBER.fullmatch(toks[i + 1])
                # "metformin 500 twice a day": a dose, then a count with its own unit; not one group
                and not (float(toks[i + 1]) < float(toks[i]) and toks[i + 2 : i + 3] and toks[i + 2] in _UNIT_WORDS)
            ):
                values.append(canon_number(toks[i + 1]))
                i += 1
            else:
                break
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        unit = _UNIT_WORDS.get(nxt, "")
        if (
            unit
            and unit not in DOSE_UNITS  # "from 40 mg to 20 mg" is a change, not a range
            and i + 3 < len(toks)
            and toks[i + 2] in ("or", "to")
            and _IS_NUMBER.fullmatch(toks[i + 3])
        ):
            values.append(canon_number(toks[i + 3]))  # "a week or two"
            i += 2
        if unit == "year" and i + 2 < len(toks) and toks[i + 2] == "old":
            unit = "age"
        if unit and toks[i + 2 : i + 3] == ["/"] and toks[i + 3 : i + 4] and toks[i + 3] in _PER:
            unit = CONCENTRATION  # "156 IU/L", "178 mg/dL": a lab value, not a dose
        if "/" in joiners:  # a score or grade: "4/10", "2 out of 6"; a blood pressure "120/80"
            unit = "/" + values[-1]
        groups.append((start, i, values, unit))
        i += 1
    if not groups:
        return []
    breaks = [k for k, t in enumerate(toks) if t in SENTENCE_BREAKS]
    first_break = breaks[0] if breaks else len(toks)
    meds = medications_in([t for t in toks], medications) if medications is not None else []
    contexts = nearest_words(toks, words, [(start, end) for start, end, _, _ in groups], copulas=True)
    out = []
    for g, (start, end, values, unit) in enumerate(groups):
        lo = max([b for b in breaks if b < start], default=-1) + 1
        hi = min([b for b in breaks if b > end], default=len(toks))
        anchor, head = set(contexts[g][0]), contexts[g][1]
        if asked and start < first_break and not any(lo <= k < start for k in words):
            anchor |= set(context_words(asked).values())
        drug = None
        if not unit:  # "metformin 500 twice a day", "Norvasc 5"
            drug = next((m for j, m in reversed(meds) if lo <= j < start and start - j <= 2), None)
        if unit in DOSE_UNITS:
            before = [m for j, m in meds if lo <= j < start]
            after = [m for j, m in meds if end < j <= end + 4 and j < hi]
            drug = before[-1] if before else after[0] if after else None
            if drug is None and asked and medications is not None:
                named = medications_in(asked, medications)
                drug = named[-1][1] if named else None
        role = _role(toks, start, lo) if unit in DOSE_UNITS else ""
        roles = [role] * len(values)
        if (
            role
            and joiners == ["to"]
            and len(values) == 2
            and (role == "from" or any(t in _CHANGE for t in toks[lo:start]))
        ):
            roles = ["from", "to"]  # "increase it from 20 to 40 mg": both values, each with its step
        for v, r in zip(values, roles, strict=True):
            out.append(Quantity(v, unit, tuple(values), frozenset(anchor), frozenset(head), drug, r, segment))
    return out


def said_quantities(index: TranscriptIndex) -> list[Quantity]:
    """Every number the visit says, with what it goes with; a turn that answers a question reads it too."""

    def build(ix: TranscriptIndex) -> list[Quantity]:
        out: list[Quantity] = []
        for i, sid in enumerate(ix.order):
            asked = None
            if i:
                prev = ix.segment_text[ix.order[i - 1]].strip()
                if prev.endswith("?"):
                    asked = context_tokens(re.split(r"(?<=[.!?])\s+", prev)[-1])
                    if i >= 3 and _ANAPHOR.search(prev.lower()):
                        # "Any lightheadedness?" - "Yeah." - "How long have you had that feeling?" - "Two days.":
                        # the question before says what "that" is
                        first = ix.segment_text[ix.order[i - 3]].strip()
                        if first.endswith("?"):
                            asked += context_tokens(re.split(r"(?<=[.!?])\s+", first)[-1])
            out.extend(quantities_in(ix.segment_text[sid], ix.medications, sid, asked))
        return out

    return index.memo("quantities", build)


MIN_ANCHOR = 3.0  # context agreement (rare words count more) needed before a value counts as "what was said for it"
ANCHOR_RATIO = 0.5  # the statement's value must agree at least this well, relative to the best other value


def _about(q: Quantity, text: str) -> str:
    """The statement's own words for what ``q`` quantifies, in its order ("type … diabetes")."""
    toks = [t for t in context_tokens(text) if t[0].isalpha() and stem(t) in q.anchor]
    return " ".join(dict.fromkeys(toks)) or "this"


def _said_for_something_else(text: str, facts: Facts, index: TranscriptIndex) -> dict[str, Issue]:
    """Numbers the visit gives a different value for: "type 4 diabetes" where "type 2 diabetes" was said, "heart
    rate 70" where the heart rate was 60 and 70 the diastolic pressure.

    Another value counts as said for the same thing when it has the same unit and its context words agree with
    the statement's, including the word right next to the number ("type", "diabetes"). The statement's value is
    then flagged unless one of its own mentions agrees about as well, or is said bare right there (a spoken
    answer: "maybe a seven").
    """
    said = said_quantities(index)
    out: dict[str, Issue] = {}
    mine = [
        q
        for q in quantities_in(text, index.medications)
        if q.unit not in DOSE_UNITS and (q.value in facts.numbers or q.unit == CONCENTRATION)
    ]
    values = {q.value for q in mine}
    for q in mine:
        if q.value in out or not q.head:
            continue
        symptoms = {w for w in q.anchor if target(w)} if q.unit in _TIME_UNITS else set()
        others = [
            (agreement(q.anchor, m.anchor, index), m)
            for m in said
            if m.value not in values
            and (m.unit == q.unit or (q.unit == CONCENTRATION and not m.unit))  # a lab's unit is seldom said
            # how long a symptom has lasted is about the symptom, however far from the number it is written
            and (agreement(q.head, m.anchor, index) > 0 or symptoms & m.anchor)
        ]
        if not others:
            continue
        score, best = max(others, key=lambda x: (x[0], -index.position.get(x[1].segment or 0, 0)))
        if score < MIN_ANCHOR:
            continue
        near = set(index.window(best.segment, 1)) if best.segment is not None else set()
        same = [m for m in said if m.value == q.value and _compatible(m.unit, q.unit)]
        if any(
            agreement(q.anchor, m.anchor, index) >= ANCHOR_RATIO * score or agreement(q.head, m.anchor, index)
            for m in same
        ):
            continue
        if any(m.segment in near and not m.anchor for m in same):
            continue
        unit = f" {q.unit}" if q.unit and not q.unit.startswith("/") else ""
        out[q.value] = Issue(
            kind="number", detail=f"{q.value}{unit} ({_about(q, text)}) is not what was said: {best.value}{unit}"
        )
    return out


def _named_around(med: str, seg: int | None, index: TranscriptIndex) -> bool:
    """``med`` is named in the lines before a dose said without its drug ("the inhaler, two puffs"), or just after."""
    if seg is None or seg not in index.position:
        return False
    i = index.position[seg]
    context = {t for sid in index.order[max(0, i - 6) : i + 3] for t in index.tokens[sid]}
    return _named_near(med, context, index)


NAME_REACH = 3  # words before a dose its drug's name is looked for in
# a concentration or a rate, not a dose: "178 mg/dL", "5 mg/kg"
_PER = frozenset({"dl", "l", "kg", "ml"})


# letters and digits run together other than a number and its unit ("20mg"): a code or a reference ("0ebec494cc",
# "A1c"), which tokenising would split into a word, a number and a unit ("ebec 494 cc") that read as a dose
_CODE = re.compile(r"\b(?=[a-z0-9]*[a-z])(?=[a-z0-9]*\d)(?!\d+(?:\.\d+)?[a-z]+\b)[a-z0-9]+\b", re.I)


def unknown_name_issues(text: str, index: TranscriptIndex) -> list[Issue]:
    """A dose given to a word nobody knows: neither a drug name nor a word of English ("addormaster 20 mg"), as a
    drug name misheard by speech recognition reads. The physician must listen before it is charted."""
    if not knows_english():
        return []  # without the word list every word would look unknown
    toks = tokens(_CODE.sub(" ", text))
    issues: list[Issue] = []
    for i in range(1, len(toks) - 1):
        unit = UNITS.get(toks[i + 1])
        if not (_IS_NUMBER.fullmatch(toks[i]) and unit in DOSE_UNITS) or (toks[i + 2 : i + 3] and toks[i + 2] in _PER):
            continue
        # the drug's name is in the words before the number, back to another number ("melexic and 50 mg": the
        # number took the end of the name and left "and")
        before: list[str] = []
        for w in reversed(toks[max(0, i - NAME_REACH) : i]):
            if _IS_NUMBER.fullmatch(w):
                break
            before.append(w)
        if index.medications.medications_in(before[::-1]):
            continue  # the dose has its drug
        word = next((w for w in before if w.isalpha() and len(w) >= 4 and not index.medications.known_word(w)), None)
        if word is None:
            continue
        surface = next((w for w in re.findall(r"[A-Za-z]+", text) if w.lower() == word), word)
        issues.append(
            Issue(
                kind="medication",
                detail=f"'{surface}' ({toks[i]} {unit}) is no drug name Scribe knows, perhaps a name misheard: "
                "listen to the recording",
            )
        )
    return issues


# "1 g" is "a thousand milligrams", "0.5 mg" is "500 micrograms": the same dose in another unit of mass, exactly
_MICROGRAMS = {"mcg": 1.0, "mg": 1e3, "g": 1e6}


def dose_issues(text: str, index: TranscriptIndex) -> list[Issue]:
    """A dose must be said, for the same drug, and as the same step of a change: "lisinopril 40 mg" is not backed
    by "lisinopril 20 mg" nor by "amlodipine 40 mg", and "taking lisinopril 40 mg" not by "we have you on 20,
    let's increase it to 40"."""
    said = said_quantities(index)
    issues: list[Issue] = []
    for q in quantities_in(text, index.medications):
        if q.unit not in DOSE_UNITS:
            continue
        label = f"{q.value} {q.unit}" + (f" of {q.drug}" if q.drug else "")
        as_dose = [
            m
            for m in said
            if (m.value == q.value and m.unit in (q.unit, ""))
            or _on_scale(float(q.value), q.unit, float(m.value), m.unit, _MICROGRAMS, 1e-6)
        ]
        if not as_dose:
            issues.append(Issue(kind="dose", detail=f"dose {label} is not stated in the transcript"))
            continue
        if not q.drug:
            continue
        drug = q.drug
        for_drug = [m for m in as_dose if m.drug and index.same_drug(m.drug, drug)]
        loose = [m for m in as_dose if m.drug is None and _named_around(drug, m.segment, index)]
        given = [m for m in said if m.drug and index.same_drug(m.drug, drug) and m.unit in DOSE_UNITS]
        if not for_drug and not loose:
            doses = ", ".join(dict.fromkeys(f"{m.value} {m.unit}" for m in given))
            detail = f"dose {label} is not what was said: {doses}" if doses else f"the transcript never gives {label}"
            issues.append(Issue(kind="dose", detail=detail))
            continue
        opposite = {"from": "to", "to": "from"}.get(q.role)
        if opposite and not loose and {m.role for m in for_drug} == {opposite}:
            other = list(dict.fromkeys(f"{m.value} {m.unit}" for m in given if m.role == q.role and m.value != q.value))
            if other:
                was, now = (
                    ("the new dose", "the dose before the change was")
                    if q.role == "from"
                    else (
                        "the dose before the change",
                        "the new dose is",
                    )
                )
                issues.append(Issue(kind="dose", detail=f"dose {label} is {was} in the visit; {now} {other[0]}"))
    return issues
