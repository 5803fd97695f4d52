"""The transcript, read once: normalised lines, the drugs said, and how a statement finds its evidence.

A note is checked statement by statement, often on every keystroke, so everything that depends only on
the transcript is computed here once. Each check module keeps its own per-transcript work in
:meth:`TranscriptIndex.memo`, so this module needs none of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from ..domain import Segment, Transcript
from ..lexicon import edit_distance_le1, fuzzy_in, medication_names
from ..textnorm import canon_number, content_words, normalise, stem, tokens

T = TypeVar("T")

# Words that carry no checkable claim of their own ("Patient reports ...", "Plan: continue ...").
FRAMING = {
    stem(w)
    for w in """report reports reported states stated notes noted describes described endorses endorsed
    denies denied complains complaint complaints experiencing experiences experienced presents presented present history
    mentions mentioned discussed discuss indicates indicated including includes recommend recommended advised advise plan
    plans continue continues continued follow visit today also well some other recent recently significant relevant regarding
    due since time times currently noted additionally further patient patients symptoms symptom reports states like feel
    feels felt been being will would status overall around approximately episode episodes""".split()
}

# Everyday words a note writes in clinical terms: a statement word (stemmed) is backed by any of these in the evidence.
PARAPHRASE = {
    stem(k): v
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


class TranscriptIndex:
    """Pre-computed normalised views of a transcript so checking a note is cheap."""

    def __init__(self, transcript: Transcript, medications: Collection[str]):
        self.transcript = transcript
        self.segments: list[Segment] = [s for s in transcript.segments if s.text.strip()]
        self.segment_text = {s.id: s.text for s in self.segments}
        self.tokens = {s.id: tokens(s.text) for s in self.segments}
        self.words = {s.id: content_words(s.text) for s in self.segments}
        self.numbers = {
            s.id: {canon_number(t) for t in self.tokens[s.id] if re.fullmatch(r"\d+(?:\.\d+)?", t)}
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
        self.position = {sid: i for i, sid in enumerate(self.order)}
        self._memo: dict[str, Any] = {}
        # what the recogniser itself heard where Scribe's term correction replaced words (Word.original):
        # a drug that is only there is Scribe's inference from the sound, not something the transcript heard
        self.corrections: list[tuple[str, str]] = [  # (heard, corrected to)
            (w.original, w.word) for s in self.segments for w in (s.words or []) if w.original
        ]
        if self.corrections:
            heard = [
                t
                for s in self.segments
                for t in tokens(" ".join(w.original or w.word for w in s.words) if s.words else s.text)
            ]
            self.heard_tokens = set(heard)
            self.heard_generics = {self.medications.generic_of(m) for _, m in self.medications.medications_in(heard)}

    def memo(self, key: str, build: Callable[[TranscriptIndex], T]) -> T:
        """``build(self)``, computed once per transcript: the check modules keep their per-transcript work here."""
        if key not in self._memo:
            self._memo[key] = build(self)
        return self._memo[key]

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

    def only_corrected(self, med: str) -> str | None:
        """What the recogniser heard where ``med`` is in the transcript only by Scribe's term correction
        (``"Logan"`` for Levaquin), or None when the recogniser heard the drug itself somewhere."""
        if not self.corrections or " " in med:
            return None
        generic = self.medications.generic_of(med)
        if fuzzy_in(med, self.heard_tokens) or generic in self.heard_generics:
            return None
        for heard, corrected in self.corrections:
            if any(fuzzy_in(med, [t]) or self.medications.generic_of(t) == generic for t in tokens(corrected)):
                return heard
        return None

    def same_drug(self, a: str, b: str) -> bool:
        """Two names of one drug: a spelling slip apart, or brand and generic."""
        return edit_distance_le1(a, b) or self.medications.generic_of(a) == self.medications.generic_of(b)

    def window(self, seg_id: int, radius: int = 1) -> list[int]:
        """A segment and its neighbours: a dose is often said one turn after the drug name."""
        if seg_id not in self.tokens:
            return []
        i = self.position[seg_id]
        return self.order[max(0, i - radius) : i + radius + 1]

    def score(self, words: set[str], seg_id: int) -> float:
        # sorted and fsum: the same score whatever the set order (string hashing differs between runs)
        seg = self.words.get(seg_id, set())
        shared = words & seg
        terms = [1.0 / self.df.get(w, 1) for w in shared]
        for w in words - shared:  # clinical wording of everyday speech ("dyspnea" for "short of breath")
            hit = next((x for p in sorted(PARAPHRASE.get(w, ())) for x in sorted(seg) if x.startswith(p)), None)
            if hit is not None:  # weighs no more than the word itself would ("sore" for a "pain" said everywhere)
                terms.append(1.0 / max(self.df.get(hit, 1), self.df.get(w, 1)))
        return math.fsum(terms)

    def best_segments(self, words: set[str], limit: int = 3) -> list[tuple[float, int]]:
        scored = [(self.score(words, sid), sid) for sid in self.order]
        scored = [x for x in scored if x[0] > 0]
        scored.sort(key=lambda x: (-x[0], x[1]))
        return scored[:limit]
