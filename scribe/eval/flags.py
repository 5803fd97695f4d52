"""Flag benchmark: how often the grounding check raises a safety flag on correct sentences, and how
often it catches a known error.

Built from ACI-Bench (``train`` to develop, ``valid`` to report) so it cannot be fooled by a check
that flags everything or nothing:

* **false alarms** - the human reference notes are correct; every sentence is grounded against the
  encounter's dialogue and the share carrying a *safety* flag is the false-alarm rate (review hints
  are counted apart);
* **catch rate** - the same sentences with one error injected by a script, each of a known type.
  Only sentences the check left without a safety flag are mutated, so a catch is a flag the error
  caused. Per type:

  ``drug`` another common drug, never said in the visit, for a drug that was · ``dose`` a dose's
  number changed (x2, /2, x10 ...) · ``number`` another number changed (vital signs, durations, ages)
  · ``laterality`` left <-> right · ``negation_present`` a denied symptom made present ("denies
  fever" -> "reports fever") · ``negation_absent`` a reported one made absent · ``condition`` a history
  of a condition denied, or a denied one made a history ("history of diabetes" <-> "no history of
  diabetes"; added at stop 29, beside the symptom rows, so they stay comparable) · ``action`` a plan's
  verb for a drug flipped ("continue the lisinopril" -> "discontinue", "increase" <-> "decrease", "start" ->
  "stop"; added at stop 29) · ``result`` a test's result given the other sign ("the EKG was normal" ->
  "abnormal", "strep negative" -> "positive"; added at stop 29) · ``finding`` an exam
  finding the visit never mentions appended · ``allergy`` a drug the patient is allergic to written
  as a current medication.

  For dose and number errors the new value is recorded as *said elsewhere* in the visit or not: a
  number said for something else is the harder case and is reported on its own line. A flipped side
  is recorded as *side never said* when the visit gives that body part (and its limb) no side at all:
  the note's side then came from the exam or the chart, and no check of the transcript can catch the
  flip; those are reported on their own line too (and still counted in the laterality total).

Deterministic: the same split gives the same injections (a seeded generator per encounter).

MTS-Dialog (``--split mts-dev`` / ``mts-aside``, :mod:`scribe.eval.mts`) is a second development set
with other writers' notes, read the same way.
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain import Severity, Statement, Transcript
from ..grounding import (
    DATE,
    NAMED_NUMBER,
    TranscriptIndex,
    ages_in,
    ages_said,
    allergy_only,
    chart_details_unsaid,
    check_statement,
    named_sides,
    side_mentions,
    sides_said_for,
)
from ..lexicon import Lexicon, default_lexicon
from ..textnorm import canon_number, tokens
from ..transcript_io import parse_dialogue
from .aci import AciEncounter
from .splits import corpus_name

TYPES = (
    "drug",
    "dose",
    "number",
    "laterality",
    "negation_present",
    "negation_absent",
    "condition",
    "action",
    "reconciliation",
    "result",
    "finding",
    "allergy",
)

# Common drugs to swap in (each must be absent from the visit); generics and brands alike.
SWAP_POOL = (
    "atorvastatin metformin lisinopril amlodipine metoprolol omeprazole losartan gabapentin sertraline "
    "furosemide warfarin prednisone tramadol citalopram pantoprazole carvedilol clopidogrel allopurinol "
    "montelukast apixaban levothyroxine hydrochlorothiazide duloxetine Lipitor Norvasc Eliquis Xarelto"
).split()
# Exam findings to invent (no numbers, so only the finding itself can give them away).
FINDING_POOL = (
    "There are crackles at both lung bases.",
    "A systolic murmur is heard at the apex.",
    "There is pitting edema of both ankles.",
    "Positive Murphy's sign.",
    "There is a palpable mass in the abdomen.",
    "Wheezing is heard throughout the chest.",
    "There is erythema and warmth over the joint.",
    "Jaundice is noted in the sclerae.",
    "Cervical lymphadenopathy is present.",
    "A rash is present over the trunk.",
)
_HEADING = re.compile(r"^[^a-z]*$")  # "HISTORY OF PRESENT ILLNESS", "PHYSICAL EXAM:" - headings, not statements
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z•\-])|\n+")
_NUM = re.compile(r"(?<![\w./])(\d+(?:\.\d+)?)(?![\w/]|\.\d)")
_DOSE_AFTER = re.compile(r"^\s*(?:mg|mcg|milligrams?|micrograms?|g|grams?|ml|units?|tablets?|capsules?|puffs?)\b", re.I)
_DENY = [
    (re.compile(r"\b[Dd]enies\b"), "reports"),
    (re.compile(r"\b[Nn]egative for\b"), "positive for"),
    (re.compile(r"\b(?:[Dd]oes not|[Dd]oesn't) (?:have|report|endorse|experience)\b"), "has"),
    (re.compile(r"\b[Nn]o (?!longer\b)(?=[a-z]{4,})"), ""),
]
_AFFIRM = [
    (re.compile(r"\b[Rr]eports\b"), "denies"),
    (re.compile(r"\b[Ee]ndorses\b"), "denies"),
    (re.compile(r"\b[Pp]ositive for\b"), "negative for"),
    (re.compile(r"\b[Cc]omplains of\b"), "denies"),
    (re.compile(r"\b(?:is|are|has been|have been) experiencing\b"), "denies"),
]
# What may stand between the flipped verb and its symptom ("denies any recent weight gain", "reports
# experiencing intermittent mid-abdominal pain", "no axillary, cervical, or supraclavicular lymphadenopathy"):
# a few words or a list, none of which starts another assertion. A flip
# whose object is a clause other than "that she has ..." ("reports that the pain began 2 weeks ago": the onset, not the pain), a family
# history, a medication taken, or that lands on a second negator ("reports no back pain" -> "denies no back
# pain") is not a flipped symptom: the injector skips it.
_OBJECT_GAP = 5
_NOT_AN_OBJECT = re.compile(
    r"\b(?:which|who|whether|family|mother|father|taking|takes|medications?|no|not|denies|without|never|none|"
    r"negative|but|however|although|if|when|because|after|before)\b|[;:()]",
    re.I,
)
# "reports that she has had chronic back pain" flips the symptom; "reports that his pain began 2 weeks ago"
# would deny the onset, "reports that he has been managing his depression" the management
_HAS_CLAUSE = re.compile(
    r"\s*that (?:he|she|they|the patient) (?:has had|has(?! been)|had|experiences|is experiencing|feels|is feeling)"
    r"(?: (?!\S+(?:ing|ed)\b)\S+){0,4} ",
    re.I,
)
_NEGATED_VERB = re.compile(r"\b(?:no|not|n't|denies|denied|never|without)\s+$", re.I)


_LIST_NUMBER = re.compile(r"^\(?\d{1,2}[.)]\s+(?=[A-Za-z])|(?<=[.;])\s+\d{1,2}\.?$")


def reference_sentences(note: str) -> list[str]:
    """The reference note's sentences, headings and bullets' markers dropped."""
    out = []
    for raw in _SENT.split(note):
        s = re.sub(r"^[\s#*\-•>]+|[*#]+", "", raw).strip()
        s = _LIST_NUMBER.sub("", s).strip()  # "1. Asthma.  2." -> "Asthma.": no number to inject into
        if len(re.findall(r"[A-Za-z]{2,}", s)) < 2 or _HEADING.match(s):
            continue
        out.append(s[:1000])
    return out


@dataclass
class Injection:
    type: str
    encounter: str
    original: str
    mutated: str
    said_elsewhere: bool = False  # dose/number: the new value is said somewhere in the visit
    caught: bool = False
    kinds: list[str] = field(default_factory=list)  # safety kinds raised on the mutated sentence
    case: str = ""  # the harder or easier case it belongs to, reported on its own line ("said elsewhere")


def _keep_case(old: str, new: str) -> str:
    return new.capitalize() if old[:1].isupper() else new


def _swap_drug(s: str, said: set[str], lx: Lexicon, rng: random.Random, dialogue_tokens: set[str]) -> str | None:
    toks = tokens(s)
    meds = [m for _, m in lx.medications_in(toks) if m in said and " " not in m]
    if not meds:
        return None
    med = meds[0]
    generics = {lx.generic_of(m) for m in said}
    pool = [d for d in SWAP_POOL if d.lower() not in dialogue_tokens and lx.generic_of(d.lower()) not in generics]
    new = rng.choice(pool)
    pattern = re.compile(rf"\b{re.escape(med)}\b", re.I)
    m = pattern.search(s)
    if not m:
        return None
    return s[: m.start()] + _keep_case(m.group(0), new) + s[m.end() :]


def _values(value: str, dose: bool = False) -> list[str]:
    """The values an injected error may change ``value`` to (itself left out)."""
    v = float(value)
    if dose:
        options = [v * 2, v / 2, v * 10, v * 4, v + 5]
    elif v >= 20:
        options = [v + 10, v - 10, v + 4, v - 6, v * 2]
    else:
        options = [v + 1, v + 2, v * 2, v + 3] if v >= 1 else [v + 1]
    values = [canon_number(str(o)) for o in options if o > 0]
    return [x for x in dict.fromkeys(values) if x != canon_number(value)]


def _new_value(value: str, dose: bool, rng: random.Random, taken: set[str]) -> str | None:
    """Another value for ``value``; never one the sentence already gives ("1 to 2 weeks" must not become
    "2 to 2 weeks", "8 out of 10" not "10 out of 10": those blur the range or scale instead of changing a fact)."""
    values = [x for x in _values(value, dose) if x not in taken]
    return rng.choice(values) if values else None


def _changeable(s: str, dose: bool) -> list[re.Match[str]]:
    """The doses (``dose``) or the other numbers of ``s`` an injected error may change. Dates and numbers inside names
    ("COVID-19") are not quantities: the check treats them apart."""
    skip = [(x.start(), x.end()) for pat in (DATE, NAMED_NUMBER) for x in pat.finditer(s)]
    return [
        m
        for m in _NUM.finditer(s)
        if not any(a <= m.start() < b for a, b in skip) and bool(_DOSE_AFTER.match(s[m.end() :])) == dose
    ]


def _values_given(s: str) -> set[str]:
    """The values ``s`` already gives: a changed number never takes one of them (see ``_new_value``)."""
    return {canon_number(t) for t in tokens(s) if re.fullmatch(r"\d+(?:\.\d+)?", t)}


def _change_number(s: str, dose: bool, rng: random.Random, numbers_said: set[str]) -> tuple[str, bool] | None:
    candidates = _changeable(s, dose)
    if not candidates:
        return None
    m = rng.choice(candidates)
    new = _new_value(m.group(1), dose, rng, _values_given(s))
    if new is None:
        return None
    return s[: m.start()] + new + s[m.end() :], new in numbers_said


def _flip_side(s: str) -> str | None:
    """Every side of ``s`` flipped, where it names one side only ("right now", "all right" name none: no injection)."""
    sides = re.findall(r"\b(left|right)\b", s, re.I)
    if not sides or len({x.lower() for x in sides}) > 1 or len(named_sides(s)) < len(sides):
        return None
    return re.sub(
        r"\b(left|right)\b", lambda m: _keep_case(m.group(0), "right" if m.group(0).lower() == "left" else "left"), s
    )


# Symptoms and findings a negation error is injected on (the benchmark's own list, not the check's).
SYMPTOMS = re.compile(
    r"\b(?:pain|fevers?|chills|sweats?|nausea|vomiting|diarrhea|constipation|cough|wheez\w*|shortness of breath|"
    r"dyspnea|dizziness|lightheadedness|syncope|palpitations|swelling|edema|rash|numbness|tingling|weakness|fatigue|"
    r"headaches?|blurred vision|bleeding|blood(?! (?:thinners?|pressures?|sugars?|work|tests?|draws?|counts?))|bruising|weight (?:loss|gain)|appetite|insomnia|anxiety|depression|"
    r"suicidal|dysuria|hematuria|discharge|congestion|sore throat|murmurs?|gallops?|rubs?|crackles|rales|rhonchi|"
    r"tenderness|erythema|effusion|masses|mass|lesions?|cramping|stiffness|spasms?|seizures?|tremors?|falls?|"
    r"heartburn|reflux|bloating|distension|jaundice|lymphadenopathy|melena|hematochezia|orthopnea|claudication|"
    r"tightness|ideations?|snoring|injur(?:y|ies))\b",
    re.I,
)


def _rewrite(s: str, rules) -> str | None:
    """Flip the first verb of ``rules`` whose object is a symptom (see :data:`_OBJECT_GAP`)."""
    for pattern, repl in rules:
        for m in pattern.finditer(s):
            symptom = SYMPTOMS.search(s, m.end())
            if symptom is None:
                continue
            gap = s[m.end() : symptom.start()]  # a list may come first: "denies any black, tarry stools"
            if re.search(r"\bthat\b", gap, re.I):
                if not _HAS_CLAUSE.fullmatch(gap) or _NOT_AN_OBJECT.search(gap):
                    continue
            elif len(gap) > 60 or len(gap.split(",")[0].split()) > _OBJECT_GAP or _NOT_AN_OBJECT.search(gap):
                continue
            if _NEGATED_VERB.search(s[: m.start()]):
                continue  # "does not report fever" is not a report, "never complains of pain" not a complaint
            out = s[: m.start()] + (_keep_case(m.group(0), repl) if repl else "") + s[m.end() :]
            # "denies any" -> "reports", "denies experiencing any fevers" -> "reports experiencing fevers": a drafter
            # who flips a denial writes the symptom as present, not "reports experiencing any fevers"
            out = re.sub(r"\b(reports|positive for|has)((?: [a-z]+ing)?) any\b", r"\1\2", out, flags=re.I)
            out = re.sub(r"\s{2,}", " ", out).strip()
            return out[:1].upper() + out[1:]
    return None


# Conditions a history names; "history of X" made "no history of X" and the other way round is the error a drafter
# makes when it mixes up a past medical history (the family's history is left alone).
CONDITIONS = re.compile(
    r"\b(?:(?:type (?:1|2|one|two|i|ii) )?diabetes(?: mellitus)?|hypertension|high blood pressure|asthma|COPD|"
    r"chronic obstructive pulmonary disease|emphysema|strokes?|heart attacks?|myocardial infarction|"
    r"(?:congestive )?heart failure|CHF|(?:coronary )?heart disease|atrial fibrillation|DVT|deep vein thrombosis|"
    r"blood clots?|(?:chronic )?kidney disease|arthritis|gout|hepatitis(?: [abc])?|hyperlipidemia|high cholesterol|"
    r"hypothyroidism|cancer)\b",
    re.I,
)
_CONDITION_FLIPS = [
    # absent -> present
    (re.compile(r"\b[Dd]enies (?:any )?(?:known |prior |past )?(?:medical )?history of\b"), "reports a history of"),
    (re.compile(r"\b[Nn]o (?:known |prior |past )?(?:medical )?history of\b"), "a history of"),
    # present -> absent
    (
        re.compile(
            r"\b(?P<lead>has |with )?(?:a |an )?(?P<mods>(?:known |significant |past |prior |medical )*)history of\b",
            re.I,
        ),
        r"\g<lead>no \g<mods>history of",
    ),
]


def _flip_condition(s: str) -> str | None:
    """A history of a condition denied, or a denied one made a history (see :data:`CONDITIONS`)."""
    for pattern, repl in _CONDITION_FLIPS:
        for m in pattern.finditer(s):
            cond = CONDITIONS.search(s, m.end())
            if cond is None or len(s[m.end() : cond.start()].split()) > _OBJECT_GAP:
                continue
            if re.search(
                r"\b(?:family|mother|father|sister|brother|parents?|no|not|denies|without)\b",
                s[: m.start()][-40:],
                re.I,
            ):
                continue  # the family's history, or a flip that lands on a second negator
            if re.search(r"\bno\b|\bdenies\b", m.group(0), re.I) != re.search(r"\bno\b|\bdenies\b", repl):
                out = s[: m.start()] + _keep_case(m.group(0), m.expand(repl).lower()) + s[m.end() :]
                out = re.sub(r"\s{2,}", " ", out).strip()
                return out[:1].upper() + out[1:]
    return None


# A plan's verb for a drug flipped: "continue the lisinopril" -> "discontinue", "increase" <-> "decrease", "start"
# -> "stop" (a drug must follow within a few words: "continue to ice the knee" is no drug's plan)
_ACTION_FLIPS = [
    (re.compile(r"\b[Dd]iscontinue\b"), "continue"),
    (re.compile(r"\b[Cc]ontinue\b"), "discontinue"),
    (re.compile(r"\b[Ss]top\b"), "continue"),
    (re.compile(r"\b[Ss]tart\b"), "stop"),
    (re.compile(r"\b[Ii]ncrease\b"), "decrease"),
    (re.compile(r"\b[Dd]ecrease\b"), "increase"),
]
# A drug's plan written as new where it goes on, as going on where it is new, or as going on where its dose
# changes ("increase the lisinopril" -> "continue"): what a medication reconciliation catches
_RECONCILE_FLIPS = [
    (re.compile(r"\b[Cc]ontinue\b"), "start"),
    (re.compile(r"\b[Ss]tart\b"), "continue"),
    (re.compile(r"\b[Ii]ncrease\b"), "continue"),
    (re.compile(r"\b[Dd]ecrease\b"), "continue"),
]
_ACTION_REACH = 6  # words after the verb in which its drug is named


def _flip_action(s: str, lx: Lexicon, flips=_ACTION_FLIPS) -> str | None:
    for pattern, repl in flips:
        for m in pattern.finditer(s):
            if not lx.medications_in(tokens(s[m.end() :])[:_ACTION_REACH]):
                continue
            if _NEGATED_VERB.search(s[: m.start()]):
                continue  # "do not stop the aspirin" flipped would keep its meaning
            return s[: m.start()] + _keep_case(m.group(0), repl) + s[m.end() :]
    return None


# A test's result given the other sign: "the EKG was normal" -> "abnormal", "strep test negative" -> "positive"
_SIGN_FLIP = {
    "normal": "abnormal",
    "abnormal": "normal",
    "unremarkable": "abnormal",
    "negative": "positive",
    "positive": "negative",
}
_TESTED = re.compile(
    r"\b(?:covid(?:-19)?|strep|flu|influenza|pregnancy|urine|urinalysis|ekg|ecg|electrocardiogram|echo(?:cardiogram)?|"
    r"x-?rays?|ct|cat scan|mri|ultrasound|mammogram|stress test|cultures?|biopsy|labs?|blood ?work)\b",
    re.I,
)


def _flip_sign(s: str) -> str | None:
    for m in _TESTED.finditer(s):
        rest = re.split(r"[.;]|\bbut\b|\band\b", s[m.end() : m.end() + 40])[0]
        sign = re.search(r"\b(normal|abnormal|unremarkable|negative|positive)\b(?! for\b)", rest, re.I)
        if sign:
            at = m.end() + sign.start()
            return s[:at] + _keep_case(sign.group(1), _SIGN_FLIP[sign.group(1).lower()]) + s[at + len(sign.group(1)) :]
    return None


def _allergy_as_medication(s: str, allergy_drugs: list[str], said: set[str], lx: Lexicon) -> str | None:
    toks = tokens(s)
    meds = [m for _, m in lx.medications_in(toks) if m in said and m not in allergy_drugs and " " not in m]
    if not meds or not allergy_drugs or re.search(r"allerg", s, re.I):
        return None
    m = re.search(rf"\b{re.escape(meds[0])}\b", s, re.I)
    if not m:
        return None
    return s[: m.start()] + _keep_case(m.group(0), allergy_drugs[0]) + s[m.end() :]


def _safety(st: Statement) -> list[str]:
    return sorted({i.kind for i in st.issues if i.severity == Severity.safety})


def run(
    encounters: Iterable[AciEncounter],
    lexicon: Lexicon | None = None,
    log: Callable[[str], None] | None = None,
    heard: Mapping[str, Transcript] | None = None,
):
    """Ground every reference sentence, inject errors into the clean ones; return the report dict.

    With ``heard`` (encounter id -> the transcript Scribe recognised from the voiced dialogue), every check
    reads the heard transcript, as grounding does in the product, while what is injected is still chosen from
    the written dialogue (a drug "never said" is one the speakers never said, whatever was heard): the same
    errors as the written run, so the two are compared sentence for sentence. Encounters without a heard
    transcript are skipped."""
    lx = lexicon or default_lexicon()
    sentences = flagged = hinted = 0
    kinds: Counter = Counter()
    false_alarms: list[dict] = []
    injections: list[Injection] = []
    started = time.perf_counter()
    for enc in encounters:
        if heard is not None and enc.encounter_id not in heard:
            continue
        truth = TranscriptIndex(parse_dialogue(enc.dialogue, source=enc.encounter_id), lx)
        index = truth if heard is None else TranscriptIndex(heard[enc.encounter_id], lx)
        rng = random.Random(f"flags:{enc.encounter_id}")
        said = {m for _, m in lx.medications_in(sorted(truth.all_tokens))}
        said |= {m for sid in truth.order for _, m in lx.medications_in(truth.tokens[sid])}
        allergy_drugs = sorted(m for m in said if " " not in m and allergy_only(m, truth))
        numbers_said = {n for ns in truth.numbers.values() for n in ns}
        for text in reference_sentences(enc.note):
            st = check_statement(Statement(text=text), index)
            sentences += 1
            safety = _safety(st)
            if safety:
                flagged += 1
                kinds.update(safety)
                details = [i.detail for i in st.issues if i.severity == Severity.safety]
                false_alarms.append(
                    {"encounter": enc.encounter_id, "sentence": text, "kinds": safety, "details": details}
                )
                continue
            hinted += bool(st.issues)
            mutations: dict[str, tuple[str, bool] | None] = {
                "drug": _pair(_swap_drug(text, said, lx, rng, truth.all_tokens)),
                "dose": _change_number(text, True, rng, numbers_said),
                "number": _change_number(text, False, rng, numbers_said),
                "laterality": _pair(_flip_side(text)),
                "negation_present": _pair(_rewrite(text, _DENY)),
                "negation_absent": _pair(_rewrite(text, _AFFIRM)),
                "condition": _pair(_flip_condition(text)),
                "action": _pair(_flip_action(text, lx)),
                "reconciliation": _pair(_flip_action(text, lx, _RECONCILE_FLIPS)),
                "result": _pair(_flip_sign(text)),
                "allergy": _pair(_allergy_as_medication(text, allergy_drugs, said, lx)),
            }
            for kind, mutation in mutations.items():
                if mutation is None or mutation[0] == text:
                    continue
                mutated, elsewhere = mutation
                checked = check_statement(Statement(text=mutated), index)
                found = _safety(checked)
                case = _case(kind, text, elsewhere, truth, mutated)
                injections.append(Injection(kind, enc.encounter_id, text, mutated, elsewhere, bool(found), found, case))
        # one invented finding per encounter, written as an exam statement
        findings = [f for f in FINDING_POOL if not _any_word_said(f, truth)]
        if findings:
            invented = rng.choice(findings)
            found = _safety(check_statement(Statement(text=invented), index))
            injections.append(Injection("finding", enc.encounter_id, "", invented, False, bool(found), found))
        if log:
            log(f"{enc.encounter_id}: {sentences} sentences so far, {flagged} with a safety flag")
    return _report(sentences, flagged, hinted, kinds, false_alarms, injections, time.perf_counter() - started)


def number_swaps(encounters: Iterable[AciEncounter], lexicon: Lexicon | None = None) -> dict:
    """Every number of every clean reference sentence changed to each nearby value the visit says elsewhere.

    The injected benchmark changes one number per sentence to one random value; where the value it picks is
    said in the visit ("said elsewhere") the check must tell what the number is said *about*, and one pick per
    sentence gives few such cases (98 on train). Here every value the injector may pick (``_values``) that the visit says
    is tried, for every number that is not a dose, a date or inside a name: a larger sample of the hard case to
    develop on. Ages, x-ray views and the type of a diabetes are counted apart (where the visit never gives
    them, the check asks for the chart instead of flagging)."""
    lx = lexicon or default_lexicon()
    tried = caught = 0
    chart_tried = chart_caught = 0
    missed: list[dict] = []
    for enc in encounters:
        index = TranscriptIndex(parse_dialogue(enc.dialogue, source=enc.encounter_id), lx)
        said = {n for ns in index.numbers.values() for n in ns}
        for text in reference_sentences(enc.note):
            if _safety(check_statement(Statement(text=text), index)):
                continue
            taken = _values_given(text)
            for m in _changeable(text, dose=False):
                for value in _values(m.group(1)):
                    if value in taken or value not in said:
                        continue
                    mutated = text[: m.start()] + value + text[m.end() :]
                    found = bool(_safety(check_statement(Statement(text=mutated), index)))
                    if _case("number", text, True, index, mutated) != "said elsewhere":
                        chart_tried += 1
                        chart_caught += found
                        continue
                    tried += 1
                    caught += found
                    if not found:
                        missed.append({"encounter": enc.encounter_id, "original": text, "mutated": mutated})
    return {
        "swaps": tried,
        "caught": caught,
        "rate": round(caught / tried, 4) if tried else None,
        "chart_or_age_swaps": chart_tried,
        "chart_or_age_flagged": chart_caught,
        "missed": missed,
    }


def _case(kind: str, original: str, elsewhere: bool, index: TranscriptIndex, mutated: str = "") -> str:
    """The line an injection is also reported on: a changed dose or number that is said elsewhere in the visit;
    a changed age, diabetes type or number of x-ray views where the visit gives no such detail (a review hint: it
    came from the chart); a flipped side where the visit gives that body part (or its limb) no side at all - no check of the transcript
    can tell the sides apart there (the note's side came from the exam or the chart, not from speech)."""
    if kind == "number" and (ages_in(mutated) - ages_in(original)) and not ages_said(index):
        return "an age where the visit gives none"  # from the chart: a review hint, not a safety flag
    if kind == "number" and set(chart_details_unsaid(mutated, index)) - set(chart_details_unsaid(original, index)):
        return "a chart detail where the visit gives none"  # a diabetes type, x-ray views: a review hint too
    if kind in ("dose", "number"):
        return "said elsewhere" if elsewhere else "never said"
    if kind == "laterality":
        parts = [m.part for m in side_mentions(original) if m.part]
        said = all(sides_said_for(p, index) for p in parts)  # a side alone ("on the right") counts as said
        return "side said in the visit" if said else "side never said"
    return ""


def _pair(text: str | None) -> tuple[str, bool] | None:
    return None if text is None else (text, False)


_FINDING_KEYS = {
    "crackles": ("crackl", "rales"),
    "murmur": ("murmur",),
    "pitting": ("pitting", "edema", "swell"),
    "murphy": ("murphy",),
    "mass": ("mass", "lump"),
    "wheezing": ("wheez",),
    "erythema": ("erythema", "red", "warm"),
    "jaundice": ("jaundice", "yellow"),
    "lymphadenopathy": ("lymph", "gland", "node"),
    "rash": ("rash",),
}


def _any_word_said(finding: str, index: TranscriptIndex) -> bool:
    """The finding's key word (or an everyday word for it) is said somewhere: it would not be invented."""
    low = finding.lower()
    for key, stems in _FINDING_KEYS.items():
        if key in low:
            return any(t.startswith(s) for t in index.all_tokens for s in stems)
    return False


def _report(sentences, flagged, hinted, kinds, false_alarms, injections, seconds) -> dict:
    per_type: dict[str, dict] = {}
    groups: dict[str, list[Injection]] = defaultdict(list)
    for inj in injections:
        groups[inj.type].append(inj)
        if inj.case:
            groups[f"{inj.type} ({inj.case})"].append(inj)
    for name in [*TYPES, *sorted(k for k in groups if "(" in k)]:
        items = groups.get(name, [])
        caught = sum(i.caught for i in items)
        per_type[name] = {
            "injected": len(items),
            "caught": caught,
            "rate": round(caught / len(items), 4) if items else None,
            "missed": [
                {"encounter": i.encounter, "original": i.original, "mutated": i.mutated} for i in items if not i.caught
            ][:40],
        }
    return {
        "sentences": sentences,
        "safety_flagged": flagged,
        "false_alarm_rate": round(flagged / sentences, 4) if sentences else 0.0,
        "review_hinted": hinted,
        "false_alarm_kinds": dict(sorted(kinds.items())),
        "false_alarms": false_alarms,
        "catch": per_type,
        "seconds": round(seconds, 1),
        "ms_per_sentence": round(1000 * seconds / max(1, sentences + len(injections)), 2),
    }


def format_report(report: dict, split: str) -> str:
    corpus = corpus_name(split)
    lines = [
        f"{corpus}: {report['sentences']} reference sentences, safety flags on {report['safety_flagged']} "
        f"({100 * report['false_alarm_rate']:.1f} %); review hints only on {report['review_hinted']}",
        "  false alarms by kind: " + ", ".join(f"{k} {v}" for k, v in report["false_alarm_kinds"].items()),
        "",
        "| error injected | injected | caught | catch rate |",
        "|---|---|---|---|",
    ]
    for name, row in report["catch"].items():
        rate = f"{100 * row['rate']:.1f} %" if row["rate"] is not None else "-"
        lines.append(f"| {name} | {row['injected']} | {row['caught']} | {rate} |")
    lines.append(f"\n{report['seconds']} s, {report['ms_per_sentence']} ms per sentence checked")
    return "\n".join(lines)


def use_negex() -> None:
    """Measure the field's maintained NegEx (negspacy, ``en_clinical`` termset, on a blank spaCy pipeline)
    in place of grounding's own negation scope: same targets, same hypothetical/family/question handling,
    only the negated-or-not decision comes from NegEx. For comparison only (spaCy is not a dependency)."""
    import spacy
    from negspacy.negation import Negex  # noqa: F401 - registers the "negex" factory
    from negspacy.termsets import termset

    from ..grounding import assertion

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler: Any = nlp.add_pipe("entity_ruler")
    stems = "|".join(re.escape(t) for t in assertion.TARGETS)
    ruler.add_patterns([{"label": "TARGET", "pattern": [{"LOWER": {"REGEX": f"^({stems})"}}]}])
    nlp.add_pipe("negex", config={"neg_termset": termset("en_clinical").get_patterns(), "ent_types": ["TARGET"]})
    ours = assertion.negated_terms

    def negex_terms(clause: str, skip_past: bool = False) -> tuple[set[str], set[str]]:
        neg, aff = ours(clause, skip_past)  # the targets that assert something (not asked, not hypothetical)
        polarity: dict[str, bool] = {}
        for ent in nlp(clause).ents:
            key = assertion.target(ent.text.lower())
            if key is not None:
                polarity.setdefault(key, bool(ent._.negex))
        negated: set[str] = set()
        affirmed: set[str] = set()
        for key in neg | aff:
            (negated if polarity.get(assertion.base_target(key), key in neg) else affirmed).add(key)
        return negated, affirmed

    assertion.negated_terms = negex_terms


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    from pathlib import Path

    from ..asr.vocabulary import load_medication_names
    from ..lexicon import medication_names
    from . import splits

    ap = argparse.ArgumentParser(
        description="Grounding flags on ACI-Bench or MTS-Dialog: false alarms and catch rate per error type."
    )
    ap.add_argument("--split", choices=splits.NAMES, default="train", help=splits.HELP)
    ap.add_argument("--limit", type=int, default=0, help="first N encounters only")
    ap.add_argument(
        "--lexicon",
        choices=("merged", "bundled"),
        default="merged",
        help="merged: bundled list + drug dictionary package (default); bundled: assets/vocabulary only",
    )
    ap.add_argument(
        "--assertion",
        choices=("scribe", "negex"),
        default="scribe",
        help="negation scope: Scribe's rules (default) or negspacy's NegEx, to compare (needs spacy and negspacy)",
    )
    ap.add_argument(
        "--transcripts",
        type=Path,
        metavar="DIR",
        help="folder of <encounter id>.json transcripts recognised from the voiced dialogues: ground against"
        " what Scribe heard (only those encounters), beside the written dialogues of the same encounters",
    )
    ap.add_argument(
        "--number-swaps",
        action="store_true",
        help="instead: change every number of the clean reference sentences to each nearby value the visit says"
        " elsewhere, and report how many the check catches (the hard case of the number errors, in bulk)",
    )
    ap.add_argument("--out", type=Path, help="write the full report (every false alarm and missed injection) as JSON")
    args = ap.parse_args(argv)
    try:
        encounters = splits.load(args.split)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        encounters = encounters[: args.limit]
    heard = None
    if args.transcripts:
        try:
            heard = splits.heard_transcripts(args.transcripts, encounters)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        encounters = [e for e in encounters if e.encounter_id in heard]
    lx = default_lexicon([]) if args.lexicon == "merged" else medication_names(load_medication_names([]))
    if args.assertion == "negex":
        use_negex()
    if args.number_swaps:
        swaps = number_swaps(encounters, lx)
        swaps["config"] = {"split": args.split, "encounters": len(encounters), "lexicon": args.lexicon}
        print(
            f"{args.split}: {swaps['caught']} of {swaps['swaps']} numbers changed to a value said elsewhere in the"
            f" visit caught ({100 * (swaps['rate'] or 0):.1f} %); {swaps['chart_or_age_flagged']} of"
            f" {swaps['chart_or_age_swaps']} ages, x-ray views or diabetes types the visit never gives flagged"
        )
        if args.out:
            args.out.write_text(json.dumps(swaps, indent=1) + "\n")
        return 0
    report = run(encounters, lx, heard=heard)
    report["config"] = {
        "split": args.split,
        "encounters": len(encounters),
        "lexicon": args.lexicon,
        "assertion": args.assertion,
        "transcripts": str(args.transcripts) if args.transcripts else None,
    }
    if heard is not None:
        report["written"] = run(encounters, lx)
        print(f"## the written dialogues of the {len(encounters)} encounters\n")
        print(format_report(report["written"], args.split))
        print(f"\n## what Scribe heard of them ({args.transcripts})\n")
    print(format_report(report, args.split))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0
