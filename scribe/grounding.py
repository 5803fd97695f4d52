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
from dataclasses import dataclass

from .domain import GroundingReport, Issue, NoteDraft, Segment, Statement, StatementStatus, Transcript
from .lexicon import edit_distance_le1, fuzzy_in, medication_names, medications_in
from .textnorm import DOSE_UNITS as _DOSE_UNITS
from .textnorm import STOPWORDS as _STOP
from .textnorm import TOKEN_RE as _TOKEN
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


def extract_facts(text: str, medications: Collection[str]) -> Facts:
    toks = tokens(text)
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
    return Facts({m for _, m in meds}, doses, numbers, lat)


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

    def said_medication(self, med: str) -> bool:
        """``med`` is named in the transcript: itself, a spelling slip of it, or another name of the same drug."""
        return (
            fuzzy_in(med, self.all_tokens)
            or (" " in med and med in self.text)
            or self.medications.generic_of(med) in self.generics_said
        )

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


_SYMPTOM_CUE = re.compile(r"\b(denies|denied|deny|no|not|without|negative for)\b")


def _negated_terms(clause: str) -> tuple[set[str], set[str]]:
    """Content words asserted as absent vs. present within one clause.

    A word is negated when a negator stands up to five tokens before it. The scope runs on
    through a short comma list ("no nausea, vomiting, or sweating") but stops at a comma that
    opens a longer phrase ("no murmurs, lungs clear on both sides").
    """
    negated: set[str] = set()
    affirmed: set[str] = set()
    last_neg = -99
    i = 0
    for n_chunk, chunk in enumerate(clause.split(",")):
        toks = _TOKEN.findall(chunk)
        listy = len(toks) <= 3 or (toks and toks[0] in ("or", "and", "nor") and len(toks) <= 4)
        if n_chunk and not listy:
            last_neg = -99
        elif n_chunk and last_neg > -99:
            last_neg = i - 1  # a list item continues the negation
        for w in toks:
            if w in _NEGATORS or w.endswith("n't"):
                last_neg = i
            elif w in ("but", "although", "however", "except", "though"):
                last_neg = -99
            elif not (w in _STOP or len(w) < 4 or w.isdigit()):
                (negated if i - last_neg <= 5 else affirmed).add(_stem(w))
            i += 1
    return negated, affirmed


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[.;!?]|\bbut\b", normalise(text)) if c.strip()]


def _segment_polarity(index: TranscriptIndex, seg_ids: list[int]) -> tuple[set[str], set[str]]:
    """Negated/affirmed content words in evidence, including a question answered with "no".

    "Any sweating?" / "No." negates sweating although the word "no" is in the next turn.
    """
    negated: set[str] = set()
    affirmed: set[str] = set()
    for sid in seg_ids:
        seg = index.transcript.segment(sid)
        if seg is None:
            continue
        # A turn can state something and then ask ("... here for right knee pain. So what happened?"):
        # its statements count, its questions assert nothing, and only the question it ends with is
        # answered by the next turn.
        sentences = [x for x in re.split(r"(?<=[.?!])\s+", seg.text.strip()) if x.strip()]
        for k, sentence in enumerate(sentences):
            if sentence.rstrip().endswith("?"):
                if k == len(sentences) - 1:
                    # a bare "no" answering it negates what it asked about
                    nxt = index.order.index(sid) + 1
                    if nxt < len(index.order):
                        answer = index.tokens[index.order[nxt]]
                        # "No, only when I walk." still answers no; "No, but sometimes…" does not
                        hedged = any(
                            w in ("but", "except", "although", "though", "sometimes", "yes", "actually") for w in answer
                        )
                        if answer and answer[0] in ("no", "nope", "not", "never", "nah", "none") and not hedged:
                            negated |= {_stem(w) for w in tokens(sentence) if w not in _STOP and len(w) >= 4}
                continue
            for clause in _clauses(sentence):
                n, a = _negated_terms(clause)
                negated |= n
                affirmed |= a
    return negated, affirmed


# Body parts and sites: "no calf pain" negates the pain, not the calf, so they never flip.
_ANATOMY = frozenset(
    _stem(w)
    for w in """chest calf calves leg legs arm arms head back abdomen belly stomach ankle
    ankles foot feet knee knees hand hands hip hips neck shoulder shoulders throat ear ears eye eyes nose skin heart
    lung lungs jaw wrist wrists elbow elbows finger fingers toe toes side sides pedal pulse pulses rest night""".split()
)


def _negation_issues(statement: str, index: TranscriptIndex, evidence: list[int]) -> list[Issue]:
    if not evidence:
        return []
    window = sorted({w for sid in evidence for w in index.window(sid, 1)}, key=index.order.index)
    ev_neg, ev_aff = _segment_polarity(index, window)
    issues = []
    for clause in _clauses(statement):
        st_neg, st_aff = _negated_terms(clause)
        # framing words ("episodes", "symptoms") and body sites carry no polarity of their own
        st_neg, st_aff = st_neg - _ANATOMY - _FRAMING, st_aff - _ANATOMY - _FRAMING
        for w in sorted(st_aff & ev_neg - ev_aff):
            issues.append(
                Issue(kind="negation", detail=f"'{w}…' is stated as present, but the transcript says it is absent")
            )
        for w in sorted(st_neg & ev_aff - ev_neg):
            issues.append(
                Issue(kind="negation", detail=f"'{w}…' is stated as absent, but the transcript says it is present")
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
            for med, near in ((m, fuzzy_in(dose.medication, ctx)) for m, ctx in said)
        ):
            issues.append(
                Issue(kind="dose", detail=f"the transcript never gives {dose.value} {dose.unit} for {dose.medication}")
            )
    for num in sorted(facts.numbers):
        if not any(num in index.numbers[sid] for sid in index.order):
            issues.append(Issue(kind="number", detail=f"the number {num} does not appear in the transcript"))
    for side in sorted(facts.laterality):
        scope = (
            {t for sid in evidence for w in index.window(sid, 1) for t in index.tokens[w]}
            if evidence
            else index.all_tokens
        )
        words_for = {"left": {"left"}, "right": {"right"}, "bilateral": {"bilateral", "both"}}[side]
        if not scope & words_for:
            issues.append(Issue(kind="laterality", detail=f"'{side}' side is not what the supporting transcript says"))
    issues.extend(_negation_issues(st.text, index, evidence))
    issues.extend(_allergy_issues(st.text, facts, index))
    issues.extend(_result_issues(st.text, index))
    issues.extend(_descriptor_issues(st.text, evidence, index))

    status = StatementStatus.unsupported if issues else StatementStatus.supported
    if st.status == StatementStatus.confirmed and issues:
        status = StatementStatus.confirmed  # physician took responsibility for this exact text
    return st.model_copy(update={"evidence": evidence, "issues": issues, "status": status})


def ground_note(note: NoteDraft, transcript: Transcript, medications: Iterable[str] | None = None) -> NoteDraft:
    """Check every statement of ``note`` against ``transcript``; returns an updated copy."""
    index = TranscriptIndex(transcript, medication_names(medications))
    sections = []
    total = unsupported = 0
    for sec in note.sections:
        checked = [check_statement(st, index) for st in sec.statements]
        total += len(checked)
        unsupported += sum(1 for st in checked if st.status == StatementStatus.unsupported)
        sections.append(sec.model_copy(update={"statements": checked}))
    report = GroundingReport(statements=total, unsupported=unsupported)
    return note.model_copy(update={"sections": sections, "grounding": report})
