"""Grounding check: is every note statement backed by what was said?

Small local models invent doses, flip negations and mix up medications (see MODELS.md), so
every draft goes through this check before a physician sees it. It is deliberately
deterministic and lexical — the physician must be able to see *why* a statement is flagged.

For each statement it:

1. settles the evidence: keeps the transcript segments the model cited that really share
   content with the statement and adds the best-matching segments it did not cite;
2. checks the facts a physician cannot afford to get wrong: every medication, dose (number +
   unit, paired with its medication), other number and laterality must appear in the
   transcript; a statement that asserts a symptom the patient denied (or denies one the
   patient reported) is a negation flip;
3. marks the statement ``unsupported`` with one :class:`Issue` per problem.

Statements a physician already confirmed stay confirmed unless their text changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .domain import GroundingReport, Issue, NoteDraft, Segment, Severity, Statement, StatementStatus, Transcript
from .lexicon import edit_distance_le1, fuzzy_in, medication_names, medications_in
from .textnorm import DOSE_UNITS as _DOSE_UNITS
from .textnorm import UNITS as _UNITS
from .textnorm import canon_number as _canon_number
from .textnorm import clinical_notation, content_words, normalise, tokens, words_to_numbers
from .textnorm import stem as _stem

# the text helpers callers have always imported from here; they live in scribe.textnorm
__all__ = [
    "Dose",
    "Facts",
    "TranscriptIndex",
    "allergy_only",
    "findings_in",
    "check_statement",
    "clinical_notation",
    "content_words",
    "extract_facts",
    "ground_note",
    "normalise",
    "tokens",
    "words_to_numbers",
]

# ----------------------------------------------------------------------------- text normalisation


_NEGATORS = {
    "no",
    "nothing",
    "not",
    "denies",
    "denied",
    "deny",
    "denying",
    "without",
    "never",
    "none",
    "negative",
    "nor",
    "n't",
    "free",
    "absent",
    "absence",
    "non",
}
_NEGATOR_PHRASES = (
    "does not",
    "did not",
    "do not",
    "has not",
    "have not",
    "hasn't",
    "haven't",
    "doesn't",
    "didn't",
    "don't",
    "isn't",
    "wasn't",
    "no longer",
    "rules out",
    "ruled out",
)
_LATERAL: dict[str, str | None] = {
    "left": "left",
    "right": "right",
    "bilateral": "bilateral",
    "both": "bilateral",
    "l": None,
    "r": None,
}


# ----------------------------------------------------------------------------- fact extraction


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


# ----------------------------------------------------------------------------- transcript index


class TranscriptIndex:
    """Pre-computed normalised views of a transcript so checking a note is cheap."""

    def __init__(self, transcript: Transcript, medications: Collection[str]):
        self.transcript = transcript
        self.segments: list[Segment] = [s for s in transcript.segments if s.text.strip()]
        self.segment_text = {s.id: s.text for s in self.segments}
        self.tokens = {s.id: tokens(s.text) for s in self.segments}
        self.words = {s.id: content_words(s.text) for s in self.segments}
        self.numbers = {
            s.id: {_canon_number(t) for t in self.tokens[s.id] if re.fullmatch(r"\d+(?:\.\d+)?", t)}
            for s in self.segments
        }
        self.order = [s.id for s in self.segments]
        all_tokens = [t for s in self.segments for t in self.tokens[s.id]]
        self.all_tokens = set(all_tokens)
        self.medications = medication_names(medications)
        self.text = normalise(transcript.text)
        # generic names of the drugs said: "Norvasc" in a note is backed by "amlodipine" in the visit
        self.generics_said = {self.medications.generic_of(m) for _, m in self.medications.medications_in(all_tokens)}
        # document frequency for weighting overlap (rare words are better evidence)
        df: dict[str, int] = {}
        for ws in self.words.values():
            for w in ws:
                df[w] = df.get(w, 0) + 1
        self.df = df
        self._doses: list[tuple[str, str | None, set[str]]] | None = None
        self._targets: set[str] | None = None
        self._findings: set[str] | None = None
        self._polarity: dict[int, tuple[set[str], set[str]]] = {}
        self._sides: set[tuple[str, str]] | None = None
        self._quantities: dict[str, set[str]] | None = None

    def said_medication(self, med: str) -> bool:
        """``med`` is named in the transcript: itself, a spelling slip of it, or another name of the same drug."""
        if " " in med:  # "lidocaine viscous": a several-word name is said when each drug word of it is
            drugs = [w for w in med.split() if self.medications.is_medication(w)]
            if drugs and all(self.said_medication(w) for w in drugs):
                return True
        return (
            fuzzy_in(med, self.all_tokens)
            or (" " in med and med in self.text)
            or self.medications.generic_of(med) in self.generics_said
        )

    def units_said(self, number: str) -> set[str]:
        """The units ``number`` is said with ("" when it is said bare)."""
        if self._quantities is None:
            self._quantities = {}
            for sid in self.order:
                for n, u in _quantities(self.tokens[sid]):
                    self._quantities.setdefault(n, set()).add(u)
        return self._quantities.get(number, set())

    def sides_said(self) -> set[tuple[str, str]]:
        if self._sides is None:
            self._sides = set().union(*(_sides(s.text) for s in self.segments)) if self.segments else set()
        return self._sides

    def polarity(self, seg_id: int) -> tuple[set[str], set[str]]:
        """Targets a segment negates and affirms (its closing question answered by the next turn)."""
        if seg_id not in self._polarity:
            self._polarity[seg_id] = _one_segment_polarity(self, seg_id)
        return self._polarity[seg_id]

    def findings_said(self) -> set[str]:
        """Targets the visit mentions, directly or in everyday words ("blood in my urine": hematuria)."""
        if self._findings is None:
            said = self.targets_said()
            said = said | {k for k, backers in _FINDING_BACKING.items() if said & backers}
            said |= {k for k, words in _FINDING_WORDS.items() if any(t.startswith(words) for t in self.all_tokens)}
            self._findings = said
        return self._findings

    def targets_said(self) -> set[str]:
        """Every symptom/finding target the transcript mentions, in any polarity."""
        if self._targets is None:
            self._targets = set().union(*(_targets_in(self.tokens[sid]) for sid in self.order))
        return self._targets

    def same_drug(self, a: str, b: str) -> bool:
        """Two names of one drug: a spelling slip apart, or brand and generic."""
        return edit_distance_le1(a, b) or self.medications.generic_of(a) == self.medications.generic_of(b)

    def doses_with_value(self, value: str) -> list[tuple[str | None, set[str]]]:
        """Where ``value`` is said as a dose: (medication it was said for, tokens around it).

        A dose is paired with the nearest medication named just before it, reading the
        previous turn too ("How much lisinopril?" / "Ten milligrams.").
        """
        if self._doses is None:
            self._doses = []
            for i, sid in enumerate(self.order):
                prev = self.order[i - 1] if i else None
                text = (self.segment_text[prev] + " . " if prev is not None else "") + self.segment_text[sid]
                ctx = {t for w in self.window(sid, 2) for t in self.tokens[w]}
                paired = set()
                for d in extract_facts(text, self.medications).doses:
                    self._doses.append((d.value, d.medication, ctx))
                    if d.medication:
                        paired.add(d.value)
                for n in self.numbers[sid] - paired:  # a bare number can still be a dose ("take two")
                    self._doses.append((n, None, ctx))
        return [(m, ctx) for v, m, ctx in self._doses if v == value]

    def window(self, seg_id: int, radius: int = 1) -> list[int]:
        """A segment and its neighbours: a dose is often said one turn after the drug name."""
        if seg_id not in self.tokens:
            return []
        i = self.order.index(seg_id)
        return self.order[max(0, i - radius) : i + radius + 1]

    def score(self, words: set[str], seg_id: int) -> float:
        # sorted and fsum: the same score whatever the set order (string hashing differs between runs)
        seg = self.words.get(seg_id, set())
        shared = words & seg
        terms = [1.0 / self.df.get(w, 1) for w in shared]
        for w in words - shared:  # clinical wording of everyday speech ("dyspnea" for "short of breath")
            hit = next((x for p in sorted(_PARAPHRASE.get(w, ())) for x in sorted(seg) if x.startswith(p)), None)
            if hit is not None:
                terms.append(1.0 / self.df.get(hit, 1))
        return math.fsum(terms)

    def best_segments(self, words: set[str], limit: int = 3) -> list[tuple[float, int]]:
        scored = [(self.score(words, sid), sid) for sid in self.order]
        scored = [x for x in scored if x[0] > 0]
        scored.sort(key=lambda x: (-x[0], x[1]))
        return scored[:limit]


# ----------------------------------------------------------------------------- negation


# Negation is checked on clinical *targets* (symptoms, findings, diagnoses), as NegEx and ConText do, not
# on every word: "no extra heart sounds" must not clash with "your heart sounds good". A word is a target
# when it starts with one of these stems; synonyms map to one key so "edema" meets "swelling".
_TARGETS = tuple(
    """pain ache aching hurt sore fever chill sweat nause vomit diarrh constipat cough sputum phlegm wheez breath dyspn
    dizz lighthead faint syncop palpitat swell swollen edema rash itch numb tingl weak fatigue tired exhaust headache
    migraine vision blurr bleed blood bruis appetite insomnia anxi depress suicid urinat dysuria hematuria incontinen
    discharge congest sneez fractur murmur gallop rub crackl rales rhonch tender erythem warmth redness deformit
    effusion mass lump lesion nodul ulcer infect cramp stiff spasm seizure tremor confus fall injur heartburn reflux
    bloat distension distention jaundice lymphadenopath clubbing cyanos pallor stool melena hemoptysis orthopnea
    claudicat tightness pressure flare snor apnea""".split()
)
_TARGET_SYNONYM = {
    "swollen": "swell",
    "edema": "swell",
    "dyspn": "breath",
    "lighthead": "dizz",
    "syncop": "faint",
    "tired": "fatigue",
    "exhaust": "fatigue",
    "ache": "pain",
    "aching": "pain",
    "hurt": "pain",
    "sore": "pain",
    "distention": "distension",
    "erythem": "redness",
}
_TERMINATORS = frozenset(
    """but however although though except aside apart yet reports reported endorses endorsed notes noted states stated
    complains admits describes experiences presents which who whereas while""".split()
)
_HYPOTHETICAL = frozenset(
    "if should unless whether case watch monitor precautions call return develop develops needed prn".split()
)
_FAMILY = frozenset(
    "family mother father brother sister son daughter mom dad grandmother grandfather aunt uncle".split()
)
# "did not relieve the pain", "doesn't help the swelling": the verb is negated, not the finding after it
_NEGATED_VERBS = frozenset(
    """relieve relieved help helped helps improve improved resolve resolved work worked works change changed bother
    bothered affect affected stop stopped go went return returned get got cause caused make made limit limited
    interfere interfered""".split()
)
# a question without its question mark (unpunctuated transcripts): "have you had any chest pain"
_ASKING = frozenset("have do did are were is does can could".split())
_YES = frozenset("yes yeah yep yup sure mm-hmm uh-huh correct right sometimes definitely absolutely".split())
_NO = frozenset("no nope not never nah none".split())
NEGATION_SCOPE = 10  # tokens a negation reaches past its trigger (or past the last item of its list)


# two-word targets, checked before single words ("weight gain" and "weight loss" are different findings)
_COMPOUND = {
    "weight gain": "weight gain",
    "weight loss": "weight loss",
    "gained weight": "weight gain",
    "lost weight": "weight loss",
    "throwing up": "vomit",
    "threw up": "vomit",
    "throw up": "vomit",
    "passed out": "faint",
    "pass out": "faint",
    "passing out": "faint",
}


@lru_cache(maxsize=65536)
def _target(word: str, following: str = "") -> str | None:
    if following and (key := _COMPOUND.get(f"{word} {following}")):
        return key
    for stem in _TARGETS:
        if word.startswith(stem):
            return _TARGET_SYNONYM.get(stem, stem)
    return None


def _negated_terms(clause: str) -> tuple[set[str], set[str]]:
    """Targets asserted as absent vs. present within one clause.

    A negator ("no", "denies", "without", "n't") negates the targets after it; the scope runs on through
    a list ("denies chest pain, shortness of breath, or swelling in her legs") and stops at a word that
    starts a new assertion ("but", "reports", "has") or after :data:`NEGATION_SCOPE` tokens. Targets
    after "if", "should", "watch for" (hypothetical) or a relative ("her mother has") assert nothing.
    """
    negated: set[str] = set()
    affirmed: set[str] = set()
    toks = re.findall(r"[a-z][a-z'-]*|,", clause)
    neg_at = hyp_at = -99
    for i, w in enumerate(toks):
        if w == ",":
            if i - neg_at <= NEGATION_SCOPE:
                neg_at = i  # a list goes on: its next item is negated too
            continue
        if w in _NEGATORS or w.endswith("n't"):
            neg_at = i
            continue
        if w in _NEGATED_VERBS and 0 <= i - neg_at <= 2:
            neg_at = -99
            continue
        if (w == "any" and i - neg_at > NEGATION_SCOPE) or (w == "you" and i and toks[i - 1] in _ASKING):
            hyp_at = i  # asked, not stated
            continue
        if w in _TERMINATORS:
            neg_at = hyp_at = -99
            continue
        if w in _HYPOTHETICAL or w in _FAMILY:
            hyp_at = i
            continue
        key = _qualified(toks, i)
        if key is None or i - hyp_at <= NEGATION_SCOPE:
            continue
        absent = i - neg_at <= NEGATION_SCOPE or w.endswith(("less", "-free"))  # "painless", "pain-free"
        (negated if absent else affirmed).add(key)
    return negated, affirmed


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[.;!?]|\bbut\b", normalise(text)) if c.strip()]


# Body sites that make a finding a different one: "chest pain" and "knee pain" are not the same claim.
_SITES = frozenset(
    _stem(w)
    for w in """chest abdominal abdomen belly stomach back neck head knee knees ankle ankles foot feet leg legs arm arms
    shoulder shoulders hip hips hand hands wrist wrists elbow elbows finger fingers toe toes calf calves joint joints
    muscle muscles body throat ear ears eye eyes jaw pelvic flank groin rectal bone bones lower upper""".split()
)


def _qualified(toks: list[str], i: int) -> str | None:
    """The target at ``toks[i]``, qualified by the body site right before it ("chest pain", "knee swell")."""
    key = _target(toks[i], toks[i + 1] if i + 1 < len(toks) else "")
    if key is None:
        return None
    before = toks[i - 1] if i else ""
    if _stem(before) in _SITES:
        return f"{_stem(before)} {key}"
    return key


_SITED = frozenset({"pain", "swell", "numb", "tingl", "tender", "weak", "stiff", "redness"})


def _at_sites(keys: set[str], text: str) -> set[str]:
    """Spoken findings at the body sites their sentence names: "my right knee here just starts to ache"
    says "knee pain" even though "ache" does not follow "knee"."""
    sites = {_stem(w) for w in re.findall(r"[a-z]+", normalise(text))} & _SITES
    return keys | {f"{site} {k}" for k in keys if k in _SITED for site in sites}


def _base(key: str) -> str:
    """A qualified target without its site ("chest pain" -> "pain"; "weight loss" stays)."""
    return key if key in _COMPOUND_KEYS else key.split(" ")[-1]


_COMPOUND_KEYS = frozenset(_COMPOUND.values())


def _targets_in(toks: list[str]) -> set[str]:
    keys = set()
    for i in range(len(toks)):
        key = _qualified(toks, i)
        if key:
            keys |= {key, _base(key)}
    return keys


def _question_targets(sentence: str) -> set[str]:
    return _targets_in(re.findall(r"[a-z][a-z'-]*", normalise(sentence)))


def _segment_polarity(index: TranscriptIndex, seg_ids: list[int]) -> tuple[set[str], set[str]]:
    """Negated/affirmed targets in the evidence, including a question answered "no" or "yes".

    "Any sweating?" / "No." negates sweating although the word "no" is in the next turn.
    """
    negated: set[str] = set()
    affirmed: set[str] = set()
    for sid in seg_ids:
        n, a = index.polarity(sid)
        negated |= n
        affirmed |= a
    return negated, affirmed


def _one_segment_polarity(index: TranscriptIndex, sid: int) -> tuple[set[str], set[str]]:
    """One segment's negated and affirmed targets; cached per transcript by :meth:`TranscriptIndex.polarity`."""
    negated: set[str] = set()
    affirmed: set[str] = set()
    seg = index.transcript.segment(sid)
    if seg is None:
        return negated, affirmed
    # A turn can state something and then ask ("... here for right knee pain. So what happened?"):
    # its statements count, and only the question it ends with is answered by the next turn.
    sentences = [x for x in re.split(r"(?<=[.?!])\s+", seg.text.strip()) if x.strip()]
    for k, sentence in enumerate(sentences):
        if sentence.rstrip().endswith("?"):
            nxt = index.order.index(sid) + 1
            if k == len(sentences) - 1 and nxt < len(index.order):
                answer = index.tokens[index.order[nxt]]
                # "No, only when I walk." still answers no; "No, but sometimes…" does not
                hedged = any(
                    w in ("but", "except", "although", "though", "sometimes", "yes", "actually") for w in answer
                )
                if answer and answer[0] in _NO and not hedged:
                    negated |= _at_sites(_question_targets(sentence), sentence)
                elif answer and (answer[0] in _YES or " ".join(answer[:2]) in ("i do", "i have", "i did")):
                    affirmed |= _at_sites(_question_targets(sentence), sentence)
            continue
        for clause in _clauses(sentence):
            n, a = _negated_terms(clause)
            negated |= _at_sites(n, clause)
            affirmed |= _at_sites(a, clause)
    return negated, affirmed


def _finding_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A symptom or finding stated as present that the visit never mentions at all ("Wheezes, rales, or
    rhonchi." after an exam in which nobody said any of them)."""
    said = index.findings_said()
    present = set()
    for clause in _clauses(statement):
        present |= {_base(k) for k in _negated_terms(clause)[1]}
    return [
        Issue(
            kind="finding",
            detail=f"'{_surface(statement, w)}' is stated as present, but the transcript never mentions it",
        )
        for w in sorted(present - said)
    ]


# what else backs a finding's mere mention: chest "pain" written for a "tightness" or "pressure"
_FINDING_BACKING = {"pain": {"tightness", "pressure", "cramp", "stiff", "tender"}, "tightness": {"pressure", "pain"}}


# everyday words that say a finding ("blood in my urine" is hematuria); a target is backed by any of them
_FINDING_WORDS = {
    "hematuria": ("blood",),
    "orthopnea": ("flat", "pillow"),
    "tender": ("hurt", "pain", "sore", "touch", "press"),
    "congest": ("stuff", "nose", "sinus"),
    "appetite": ("eat", "hungry", "food"),
    "redness": ("red",),
    "warmth": ("warm", "hot"),
    "fall": ("fell", "slip", "trip"),
    "breath": ("breath", "respirat"),
    "infect": ("infect", "fever", "antibiotic"),
    "effusion": ("fluid", "swell", "swollen"),
    "palpitat": ("heart", "racing", "flutter", "pound"),
    "fatigue": ("energy", "worn", "sleepy", "exhaust"),
    "exhaust": ("tired", "energy", "worn"),
}


def _surface(text: str, key: str) -> str:
    """The statement's own word for a target key ("nause" -> "nausea")."""
    if key == "breath":
        m = re.search(r"\b(?:short(?:ness)? of breath|trouble breathing|breathing|breath\w*)", normalise(text))
        if m:
            return m.group(0)
    toks = re.findall(r"[a-z][a-z'-]*", normalise(text))
    for i, w in enumerate(toks):
        if _target(w, toks[i + 1] if i + 1 < len(toks) else "") == key:
            return f"{w} {toks[i + 1]}" if " " in key else w
    return key


# Words speech recognition hears for a negator: "soft and not tender" comes out "soft and hot tender".
_NEGATOR_SOUNDALIKES = {"hot": "not", "knot": "not", "nod": "not", "note": "not", "nut": "not"}


def _unclear_issues(statement: str, index: TranscriptIndex, evidence: list[int]) -> list[Issue]:
    """A finding asserted where the words before it may be a misheard negator.

    Where the statement or its supporting lines read "<sound-alike of not/no> <finding>" ("hot tender",
    "nod swollen"), the visit may have said the opposite; a physician must listen before it is charted.
    """
    found = []
    texts = [statement] + [index.segment_text[w] for sid in evidence for w in index.window(sid, 1)]
    present = {_base(k) for clause in _clauses(statement) for k in _negated_terms(clause)[1]}
    for text in dict.fromkeys(texts):
        toks = re.findall(r"[a-z][a-z'-]*", normalise(text))
        for i in range(len(toks) - 1):
            negator = _NEGATOR_SOUNDALIKES.get(toks[i])
            key = _target(toks[i + 1], toks[i + 2] if i + 2 < len(toks) else "")
            if negator and key and _base(key) in present:
                found.append((toks[i], toks[i + 1], negator))
    return [
        Issue(
            kind="unclear",
            detail=f"the transcript reads '{a} {b}', which may be '{n} {b}' misheard: listen to the recording",
        )
        for a, b, n in dict.fromkeys(found)
    ]


def _negation_issues(statement: str, index: TranscriptIndex, evidence: list[int]) -> list[Issue]:
    if not evidence:
        return []
    # the evidence lines and the question each answers ("Any sweating?" - "No."): not the whole neighbourhood
    lines = set(evidence)
    for sid in evidence:
        before = index.window(sid, 1)[0]
        if before != sid and index.segment_text[before].rstrip().endswith("?"):
            lines.add(before)
    window = sorted(lines, key=index.order.index)
    ev_neg, ev_aff = _segment_polarity(index, window)
    issues = []
    for clause in _clauses(statement):
        st_neg, st_aff = _negated_terms(clause)
        for w in sorted(st_aff & ev_neg - ev_aff):
            issues.append(
                Issue(
                    kind="negation",
                    detail=f"'{_surface(clause, w)}' is stated as present, but the transcript says it is absent",
                )
            )
        for w in sorted(st_neg & ev_aff - ev_neg):
            issues.append(
                Issue(
                    kind="negation",
                    detail=f"'{_surface(clause, w)}' is stated as absent, but the transcript says it is present",
                )
            )
    return issues


# ----------------------------------------------------------------------------- numbers and sides


def _number_issues(facts: Facts, words: set[str], evidence: list[int], index: TranscriptIndex) -> list[Issue]:
    """Every number must be said, and said about this: in the evidence or next to it, or in a line that
    shares a word with the statement ("BP 150/92" is not backed by "150 pounds" in another topic)."""
    issues = []
    near = {n for sid in evidence for w in index.window(sid, 2) for n in index.numbers[w]}
    topic = {w for w in words if not w[0].isdigit() and w not in _FRAMING and len(w) > 2}
    for num in sorted(facts.numbers):
        unit, units = facts.quantities.get(num), index.units_said(num)
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


_SIDE_PART = re.compile(
    r"\b(left|right)(?:[\s-]+(?:hand\s+side|side|sided|upper|lower|mid|middle|index|ring|great|little))*"
    r"(?:[\s-]+([a-z]+))?"
)
# words after "left"/"right" that are not a body part: the side stands alone ("tenderness on the right.")
_NOT_PART = frozenset("and or but with the a of at in on now away here there after when for to".split())
_OPPOSITE = {"left": "right", "right": "left"}


def _sides(text: str) -> set[tuple[str, str]]:
    """(side, body part) pairs: "left knee" -> ("left", "knee"), "right lower extremity" -> ("right", "extrem")."""
    out = set()
    for m in _SIDE_PART.finditer(normalise(text)):
        part = m.group(2) or ""
        out.add((m.group(1), "" if part in _NOT_PART else _stem(part)[:6]))
    return out


def _laterality_issues(statement: str, evidence: list[int], index: TranscriptIndex) -> list[Issue]:
    """A side is flagged when the transcript puts that body part on the other side: in the supporting
    lines, or anywhere if this side of it is never said. A side said with no other side in view passes:
    a note may name the side a patient pointed to."""
    claimed = _sides(statement)
    if not claimed:
        return []
    lines = [index.segment_text[w] for sid in evidence for w in index.window(sid, 1)]
    near = set().union(*(_sides(t) for t in lines)) if lines else set()
    said = index.sides_said()
    issues = []
    for side, part in sorted(claimed):
        other = (_OPPOSITE[side], part)
        if not part:  # "on the right": any mention of the sides will do
            near_sides, said_sides = {x for x, _ in near}, {x for x, _ in said}
            if side in near_sides:
                continue
            contradicted = _OPPOSITE[side] in near_sides or (_OPPOSITE[side] in said_sides and side not in said_sides)
        elif (side, part) in near:
            continue
        else:
            contradicted = other in near or (other in said and (side, part) not in said)
        if contradicted:
            issues.append(
                Issue(
                    kind="laterality",
                    detail=f"the transcript gives the {_OPPOSITE[side]} side for this, not the {side}",
                )
            )
    return issues


# ----------------------------------------------------------------------------- the check


MIN_EVIDENCE_SCORE = 0.34  # weighted overlap below which a segment is no evidence


def _settle_evidence(st: Statement, words: set[str], index: TranscriptIndex) -> list[int]:
    cited = [sid for sid in dict.fromkeys(st.evidence) if sid in index.words]
    keep = [sid for sid in cited if index.score(words, sid) >= MIN_EVIDENCE_SCORE]
    best = index.best_segments(words, limit=3)
    if best:
        top = best[0][0]
        for score, sid in best:
            if score >= max(MIN_EVIDENCE_SCORE, 0.5 * top) and sid not in keep:
                keep.append(sid)
    return sorted(keep, key=index.order.index)[:6]


# Words that carry no checkable claim of their own ("Patient reports ...", "Plan: continue ...").
_FRAMING = {
    _stem(w)
    for w in """report reports reported states stated notes noted describes described endorses endorsed
    denies denied complains complaint complaints experiencing experiences experienced presents presented present history
    mentions mentioned discussed discuss indicates indicated including includes recommend recommended advised advise plan
    plans continue continues continued follow visit today also well some other recent recently significant relevant regarding
    due since time times currently noted additionally further patient patients symptoms symptom reports states like feel
    feels felt been being will would status overall around approximately episode episodes""".split()
}

# Everyday words a note writes in clinical terms: a statement word (stemmed) is backed by any of these in the evidence.
_PARAPHRASE = {
    _stem(k): v
    for k, v in {
        "fatigue": {"tired", "exhaust", "energy", "worn"},
        "dyspnea": {"breath"},
        "hypertension": {"pressure"},
        "edema": {"swell", "swollen", "puffy"},
        "emesis": {"vomit", "throw"},
        "nausea": {"sick", "queasy", "nause"},
        "febrile": {"fever", "temperature"},
        "afebrile": {"fever", "temperature"},
        "lightheadedness": {"dizz", "lighthead"},
        "lightheaded": {"dizz"},
        "dizziness": {"lighthead", "dizz"},
        "abdominal": {"belly", "stomach", "tummy", "abdomen"},
        "abdomen": {"belly", "stomach", "tummy"},
        "bilateral": {"both"},
        "bilaterally": {"both"},
        "extremities": {"leg", "arm", "feet", "foot", "hand"},
        "extremity": {"leg", "arm", "feet", "foot", "hand"},
        "cardiac": {"heart"},
        "pulmonary": {"lung"},
        "respiratory": {"lung", "breath"},
        "renal": {"kidney"},
        "hepatic": {"liver"},
        "gastrointestinal": {"stomach", "belly", "bowel"},
        "pain": {"hurt", "ache", "sore"},
        "painful": {"hurt", "ache", "sore"},
        "insomnia": {"sleep"},
        "tachycardia": {"heart", "racing"},
        "syncope": {"faint", "pass"},
        "pyrosis": {"heartburn"},
        "cephalgia": {"headache"},
        "dysuria": {"burn", "urinat"},
        "ekg": {"ecg"},
        "ecg": {"ekg"},
        "denies": {"no", "not", "never"},
        "medication": {"medicine", "pill", "med"},
        "medications": {"medicine", "pill", "med"},
        "daily": {"day"},
        "ambulating": {"walk"},
        "tender": {"hurt", "sore", "pain"},
        "tenderness": {"hurt", "sore", "pain"},
        "erythema": {"red"},
        "erythematous": {"red"},
        "auscultation": {"listen", "sound", "clear"},
        "palpation": {"press", "push", "feel", "touch"},
        "range": {"move", "bend"},
        "motion": {"move", "bend"},
        "diaphoresis": {"sweat"},
        "chills": {"cold", "shiver"},
        "weight": {"pound", "lbs"},
        "influenza": {"flu"},
        "vaccine": {"shot", "jab", "vaccin"},
        "vaccination": {"shot", "jab", "vaccin"},
        "immunization": {"shot", "jab", "vaccin"},
        "declined": {"refus", "no", "not", "want"},
        "refused": {"declin", "no", "not"},
    }.items()
}
WEAK_EVIDENCE_MIN_WORDS = 3  # uncovered claim words needed before a statement is called weakly supported
WEAK_EVIDENCE_COVERAGE = 0.4  # share of claim words the evidence must mention


def _weak_evidence(words: set[str], evidence: list[int], index: TranscriptIndex) -> Issue | None:
    """The evidence exists but does not say most of what the statement claims."""
    claims = {
        w for w in words if not w[0].isdigit() and w not in _FRAMING and w not in index.medications and len(w) > 2
    }
    if len(claims) < WEAK_EVIDENCE_MIN_WORDS or not evidence:
        return None
    said = {w for sid in evidence for nb in index.window(sid, 1) for w in index.words[nb]}
    said |= {_stem(t) for sid in evidence for nb in index.window(sid, 1) for t in index.tokens[nb]}

    def backed(w: str) -> bool:
        if w in said or any(p in said or any(x.startswith(p) for x in said) for p in _PARAPHRASE.get(w, ())):
            return True
        return len(w) >= 6 and any(len(x) >= 6 and x[:5] == w[:5] for x in said)

    missing = sorted(w for w in claims if not backed(w))
    if len(missing) >= WEAK_EVIDENCE_MIN_WORDS and 1 - len(missing) / len(claims) < WEAK_EVIDENCE_COVERAGE:
        shown = ", ".join(f"'{w}…'" for w in missing[:5])
        return Issue(kind="weak_evidence", detail=f"the supporting lines do not mention {shown}")
    return None


# ----------------------------------------------------------------------------- results, allergies, descriptors

# Tests whose *result* a note may report. "E.C.G." is how a typed or spoken transcript often spells it.
_TEST = re.compile(
    r"\b(?:e\.?\s?c\.?\s?g|e\.?\s?k\.?\s?g|electrocardiogram|echo(?:cardiogram)?|x\s?-?\s?rays?|xrays?|radiographs?|"
    r"ct(?:\s+scan)?|cat\s+scan|mri|ultrasound|sonogram|mammogram|blood\s?work|labs?|lab\s+work|a1c|cbc|urinalysis|"
    r"biops(?:y|ies)|(?<!valgus )(?<!varus )stress\s+test|imaging|cultures?|colonoscopy|endoscop(?:y|ies|e|ic)|spirometry|(?:lipid|metabolic)\s+panel)\b"
)
_TEST_KIND = [
    (re.compile(p), k)
    for p, k in (
        (r"e\.?\s?[ck]\.?\s?g|electrocardiogram", "ecg"),
        (r"echo", "echo"),
        (r"x\s?-?\s?ray|xray|radiograph", "x-ray"),
        (r"ct|cat\s", "ct"),
        (r"mri", "mri"),
        (r"ultrasound|sonogram", "ultrasound"),
        (r"mammogram", "mammogram"),
        (r"blood\s?work|lab|a1c|cbc|lipid|metabolic", "labs"),
        (r"urinalysis", "urinalysis"),
        (r"biops", "biopsy"),
        (r"stress", "stress test"),
        (r"imaging", "imaging"),
        (r"culture", "culture"),
        (r"colonoscopy", "colonoscopy"),
        (r"endoscop", "endoscopy"),
        (r"spirometry", "spirometry"),
    )
]
# a statement that reports what a test showed ...
_RESULT_CLAIM = re.compile(
    r"\b(?:normal|abnormal|unremarkable|negative|positive|show(?:s|ed|n|ing)?|reveal(?:s|ed|ing)?|demonstrat(?:es|ed|ing)|"
    r"within normal limits|no acute|consistent with|significant for|remarkable for|elevated|decreased|low|high|"
    r"clear|fine|good|results?|findings?|confirm(?:s|ed)?)\b"
)
# ... unless it is about ordering or planning the test
_ORDER_CLAIM = re.compile(
    r"\b(?:order(?:s|ed|ing)?|schedul\w*|obtain\w*|pending|recommend\w*|refer\w*|plan\w*|request\w*|repeat\w*|"
    r"will|to be|arrang\w*|check\w*|get|getting|send|sent|awaiting|await\w*|due)\b"
)
# what the transcript says around a test mention when it gives a result
_RESULT_SAID = re.compile(
    r"\b(?:normal|abnormal|unremarkable|negative|positive|show(?:s|ed|n|ing)?|reveal\w*|came back|looks?|looked|"
    r"fine|good|great|clear|elevated|high|low|fractures?|demonstrat\w*|consistent|saw|found|appears?|okay|stable|"
    r"review\w*|notic\w*|findings?)\b"
)
# a mention right after words that order, plan or await the test gives no result ("I'll order an ECG")
_ORDER_SAID = re.compile(
    r"\b(?:order\w*|schedul\w*|obtain\w*|want|wan na|need|like to|going to|gon na|will|'ll|let's|"
    r"until|once we|when we|waiting|await\w*|refer\w*|set up|arrange\w*)\b"
)


_TEST_NAME = {"ecg": "ECG", "ct": "CT", "mri": "MRI", "labs": "lab test"}


def _test_kinds(text: str) -> set[str]:
    kinds = set()
    for m in _TEST.finditer(text):
        word = m.group(0)
        kinds |= {k for pat, k in _TEST_KIND if pat.match(word)}
    return kinds


_SENTENCE_END = re.compile(r"[.?!](?:\s|$)")


def _undot(text: str) -> str:
    """ "e.c.g." -> "ecg", so abbreviations do not end sentences."""
    return re.sub(r"\b(?:[a-z]\.){2,}", lambda m: m.group(0).replace(".", ""), text)


def _result_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A test result the note reports ("ECG: normal") needs a transcript line giving that result;
    a test that was only ordered ("I'll order an ECG") has none yet."""
    text = _undot(normalise(statement)).replace("blood pressure", "bp")
    kinds = _test_kinds(text)
    if not kinds or not _RESULT_CLAIM.search(text) or _ORDER_CLAIM.search(text):
        return []
    with_result: set[str] = set()
    mentioned: set[str] = set()
    for i, sid in enumerate(index.order):
        own = _undot(normalise(index.segment_text[sid]))
        nxt = _undot(normalise(index.segment_text[index.order[i + 1]])) if i + 1 < len(index.order) else ""
        for m in _TEST.finditer(own):
            ks = {k for pat, k in _TEST_KIND if pat.match(m.group(0))}
            mentioned |= ks
            # words right before the mention, within its sentence: "I'll order an ECG" orders it
            before = _SENTENCE_END.split(own[max(0, m.start() - 45) : m.start()])[-1]
            if _ORDER_SAID.search(before):
                continue
            # the rest of its sentence; at the end of a turn, the next turn ("Show me the x-ray." - "It looks fine.")
            rest = _SENTENCE_END.split(own[m.end() :], maxsplit=1)
            after = rest[0] if len(rest) > 1 else rest[0] + " " + _SENTENCE_END.split(nxt, maxsplit=1)[0]
            if _RESULT_SAID.search(after[:120]) or _RESULT_SAID.search(before):
                with_result |= ks
    issues = []
    for k in sorted(kinds - with_result):
        name = _TEST_NAME.get(k, k)
        how = (
            f"only orders or mentions the {name}; it gives no result"
            if k in mentioned
            else f"does not mention a {name}"
        )
        issues.append(Issue(kind="result", detail=f"a result of the {name} is stated, but the transcript {how}"))
    return issues


_ALLERGY_CUE = re.compile(r"\b(?:allerg\w*|anaphyla\w*|reactions?|rash|hives|intoleran\w*|swell(?:ing|ed)? up)\b")


def allergy_only(med: str, index: TranscriptIndex) -> bool:
    """The transcript names ``med`` only where allergies are being talked about: an allergy word
    close to it, or right after a question about allergies ("Any allergies?" - "Penicillin.")."""
    seen = False
    pattern = re.compile(rf"\b{re.escape(med)}\b")
    for i, sid in enumerate(index.order):
        here = normalise(index.segment_text[sid])
        hits = list(pattern.finditer(here))
        if not hits:
            continue
        seen = True
        prev = normalise(index.segment_text[index.order[i - 1]])[-160:] if i else ""
        asked = bool(re.search(r"\ballerg", prev)) and prev.rstrip().endswith("?")
        for m in hits:
            near = here[max(0, m.start() - 80) : m.end() + 80]
            if not (_ALLERGY_CUE.search(near) or (asked and m.start() < 80)):
                return False
    return seen


def _allergy_issues(statement: str, facts: Facts, index: TranscriptIndex) -> list[Issue]:
    """A drug the patient is allergic to, written as if they take it."""
    if not facts.medications or _ALLERGY_CUE.search(normalise(statement)):
        return []
    return [
        Issue(kind="allergy", detail=f"'{m}' is named in the transcript only as an allergy, not as a medication taken")
        for m in sorted(facts.medications)
        if allergy_only(m, index)
    ]


# How a pain or discomfort feels. Each word is backed by any word (stem prefix) of its group.
_DESCRIPTORS = {
    "sharp": ("sharp",),
    "stabbing": ("stab", "knife"),
    "dull": ("dull", "ach"),
    "aching": ("ach", "dull", "sore"),
    "achy": ("ach", "dull", "sore"),
    "burning": ("burn",),
    "throbbing": ("throb", "pound", "puls"),
    "pounding": ("pound", "throb"),
    "pressure": ("pressure", "press", "heav", "squeez", "tight"),
    "squeezing": ("squeez", "pressure", "tight"),
    "crushing": ("crush",),
    "cramping": ("cramp",),
    "crampy": ("cramp",),
    "shooting": ("shoot", "electric"),
    "tearing": ("tear",),
    "gnawing": ("gnaw",),
    "tight": ("tight", "pressure", "squeez"),
    "tightness": ("tight", "pressure", "squeez"),
}
_PAIN_WORD = re.compile(r"\b(?:pain\w*|ache\w*|aching|discomfort|headaches?|sensation|tightness|cramp\w*|hurts?)\b")
_BP = re.compile(r"\b(?:blood|bp|high|low|home|systolic|diastolic)\s+pressures?\b")


def _descriptor_issues(statement: str, evidence: list[int], index: TranscriptIndex) -> list[Issue]:
    """How a pain feels ("sharp") must be what the patient said, not one of the choices a question
    offered ("Is it sharp, or more like a pressure?" — "A pressure.")."""
    text = _BP.sub(" ", normalise(statement))
    if not _PAIN_WORD.search(text):
        return []
    claimed = [w for w in dict.fromkeys(re.findall(r"[a-z]+", text)) if w in _DESCRIPTORS]
    if not claimed or not evidence:
        return []
    window = sorted({w for sid in evidence for w in index.window(sid, 2)}, key=index.order.index)
    stated: list[str] = []  # words of sentences that state something (not questions)
    for sid in window:
        for sentence in re.split(r"(?<=[.?!])\s+", index.segment_text[sid].strip()):
            if sentence.rstrip().endswith("?"):
                continue
            stated.extend(re.findall(r"[a-z]+", _BP.sub(" ", normalise(sentence))))
    issues = []
    for w in claimed:
        if not any(t.startswith(p) for t in stated for p in _DESCRIPTORS[w]):
            issues.append(Issue(kind="descriptor", detail=f"'{w}' is not how the transcript describes it"))
    return issues


def _named_near(med: str, context: set[str], index: TranscriptIndex) -> bool:
    """``med`` is named in ``context``: itself, a spelling slip, another name of it, or a long word of a
    several-word name ("testosterone" for "testosterone cypionate")."""
    if fuzzy_in(med, context) or any(len(w) >= 6 and w in context for w in med.split()):
        return True
    generic = index.medications.generic_of(med)
    return any(index.medications.generic_of(m) == generic for _, m in index.medications.medications_in(sorted(context)))


def check_statement(st: Statement, index: TranscriptIndex) -> Statement:
    words = content_words(st.text)
    evidence = _settle_evidence(st, words, index)
    issues: list[Issue] = []
    if not evidence:
        issues.append(Issue(kind="no_evidence", detail="no part of the transcript supports this statement"))
    weak = _weak_evidence(words, evidence, index)
    if weak:
        issues.append(weak)
    facts = extract_facts(st.text, index.medications)
    for med in sorted(facts.medications):
        if not index.said_medication(med):
            issues.append(Issue(kind="medication", detail=f"medication '{med}' is not mentioned in the transcript"))
    for dose in facts.doses:
        label = f"{dose.value} {dose.unit}" + (f" of {dose.medication}" if dose.medication else "")
        said = index.doses_with_value(dose.value)
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
    issues.extend(_number_issues(facts, words, evidence, index))
    issues.extend(_laterality_issues(st.text, evidence, index))
    issues.extend(_negation_issues(st.text, index, evidence))
    issues.extend(_finding_issues(st.text, index))
    issues.extend(_unclear_issues(st.text, index, evidence))
    issues.extend(_allergy_issues(st.text, facts, index))
    issues.extend(_result_issues(st.text, index))
    issues.extend(_descriptor_issues(st.text, evidence, index))

    # only safety flags make a statement unsupported; review hints ride along on a supported one
    safety = any(i.severity == Severity.safety for i in issues)
    status = StatementStatus.unsupported if safety else StatementStatus.supported
    if st.status == StatementStatus.confirmed and issues:
        status = StatementStatus.confirmed  # physician took responsibility for this exact text
    return st.model_copy(update={"evidence": evidence, "issues": issues, "status": status})


def ground_note(note: NoteDraft, transcript: Transcript, medications: Iterable[str] | None = None) -> NoteDraft:
    """Check every statement of ``note`` against ``transcript``; returns an updated copy."""
    index = TranscriptIndex(transcript, medication_names(medications))
    sections = []
    total = unsupported = review = 0
    for sec in note.sections:
        checked = [check_statement(st, index) for st in sec.statements]
        total += len(checked)
        unsupported += sum(1 for st in checked if st.status == StatementStatus.unsupported)
        review += sum(1 for st in checked if st.status == StatementStatus.supported and st.issues)
        sections.append(sec.model_copy(update={"statements": checked}))
    report = GroundingReport(statements=total, unsupported=unsupported, review=review)
    return note.model_copy(update={"sections": sections, "grounding": report})


def findings_in(text: str) -> list[str]:
    """The symptoms and findings ``text`` names (the targets of the negation check), in its own words."""
    toks = re.findall(r"[a-z][a-z'-]*", normalise(text))
    keys = sorted(k for k in _targets_in(toks) if " " not in k or k in _COMPOUND_KEYS)
    return [_surface(text, k) for k in keys]
