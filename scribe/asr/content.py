"""No note from nothing: Whisper's phantom phrases, stuck repeats, and whether a visit was recorded at all.

Whisper was trained on subtitled video, so on silence, noise or music it can write what closes a
video ("Thanks for watching!", "Subtitles by the Amara.org community", "[Music]"), and a greedy decoder
can get stuck repeating a word. Neither is speech, so neither may reach a transcript. And a recording
with real speech in it may still hold no consultation (a chat about the weather, a radio): a scribe
must then say so rather than let a language model invent a visit from it. :func:`clinical_content`
decides that from the words alone, so the CLI and the app refuse the same transcripts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..errors import TranscriptError

NO_CLINICAL_CONVERSATION = "No clinical conversation was recorded"

# Whole segments that are video/subtitle boilerplate, never consultation speech.
_PHANTOM = re.compile(
    r"^(?:(?:thanks?( you)?( (so|very) much)? for (watching|listening|viewing)"
    r"|(please )?(like and )?subscribe( to (my|our|the) channel)?"
    r"|(don'?t forget to |please )?(like|share)( and subscribe| this video)?"
    r"|(i'?ll )?see you (all )?(in the )?next (video|episode)"
    r"|(subtitles?|captions?|transcription|translation|transcribed|translated|subtitled)( \w+)?( by| from)? .*"
    r"|.*\bamara( ?\.? ?org)?\b.*"
    r"|www \w+ \w+|\w+ (dot )?com"
    r")[ ]*)+$"
)
# Only symbols or bracketed annotations: "♪ ♪", "[Music]", "(applause)", "*laughs*".
_ANNOTATION = re.compile(r"^[\W_]*((\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫♬])[\W_]*)+$|^[\W_]+$")


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace(".", " ")).split())


def is_phantom(text: str) -> bool:
    """True for segment text that Whisper writes on silence/noise/music rather than hears."""
    if _ANNOTATION.match(text.strip()):
        return True
    norm = _normal(text)
    return not norm or (len(norm.split()) <= 14 and bool(_PHANTOM.match(norm)))


def collapse_repeats(words: Sequence, min_single: int = 5, min_group: int = 3, max_group: int = 4) -> list:
    """Keep one copy of a word repeated ``min_single``+ times in a row, or of a 2-4 word group repeated
    ``min_group``+ times ("amlodipine, levothyroxine, amlodipine, levothyroxine, ..."): a stuck decoder.

    ``words`` are objects with a ``.word`` attribute (faster-whisper's or Scribe's words).
    """
    keys = [_normal(w.word) for w in words]
    out: list = []
    i = 0
    while i < len(words):
        for size in range(1, max_group + 1):
            need = min_single if size == 1 else min_group
            unit = keys[i : i + size]
            if len(unit) < size or not all(unit):
                continue
            reps = 1
            while keys[i + reps * size : i + (reps + 1) * size] == unit:
                reps += 1
            if reps >= need:
                out.extend(words[i : i + size])
                i += reps * size
                break
        else:
            out.append(words[i])
            i += 1
    return out


# --------------------------------------------------------------------------- clinical content

# Words that mark a consultation: symptoms, body, findings, care. The medical vocabulary (drugs and
# clinical terms) is added to these. Kept to words small talk rarely uses.
_CUES = """
pain pains painful ache aches aching hurt hurts hurting sore soreness swelling swollen fever fevers chills cough
coughing sputum phlegm nausea nauseous vomiting vomit diarrhea constipation dizzy dizziness headache headaches
migraine rash itching itchy numbness tingling bleeding bruising fatigue tired tiredness weakness breath breathing
wheezing palpitations fainting faint symptoms symptom injury injured sprain fracture broke broken infection
chest heart lungs lung abdomen stomach belly knee knees hip hips shoulder shoulders ankle ankles wrist elbow spine
neck throat ear ears sinus sinuses kidney kidneys liver bladder bowel skin joint joints muscle muscles bone bones
blood pressure sugar glucose cholesterol weight pulse temperature oxygen
medication medications medicine medicines prescription prescribe prescribed refill dose dosage milligrams mg tablet
tablets pill pills inhaler injection insulin antibiotic antibiotics vaccine allergy allergies allergic
diagnosis diagnosed condition disease diabetes hypertension asthma arthritis cancer surgery operation
exam examination x-ray xray mri ct scan ultrasound test tests labs lab results biopsy ekg ecg referral refer
specialist physical therapy follow-up followup appointment clinic hospital emergency er urgent nurse doctor
"""
_CUE_WORDS = frozenset(_CUES.split())
# Cues that turn up in small talk too ("the doctor said", "I'm tired"): they count, but not alone.
_WEAK_CUES = frozenset(
    """doctor nurse test tests tired weight appointment clinic hospital exam hurt hurts sore breath breathing
    condition results lab labs operation temperature emergency""".split()
)
_MULTI_CUES = ("shortness of breath", "blood pressure", "blood sugar", "heart rate", "physical therapy", "chest pain")


@dataclass(frozen=True)
class ClinicalContent:
    """What in a transcript shows a consultation took place."""

    words: int
    cues: tuple[str, ...]  # distinct clinical words and terms found, in order of first mention
    mentions: int  # how often they occur in all
    medications: tuple[str, ...]

    @property
    def strong(self) -> tuple[str, ...]:
        """The cues small talk rarely uses (not "doctor", "tired", "test", ...)."""
        return tuple(c for c in self.cues if c not in _WEAK_CUES)

    @property
    def is_clinical(self) -> bool:
        """A drug named; or in a short text (dictation, one line typed) one strong clinical word; else at
        least three different clinical words, two of them strong, mentioned four times or more."""
        if self.medications:
            return True
        if self.words < 60:
            return bool(self.strong)
        return len(self.cues) >= 3 and len(self.strong) >= 2 and self.mentions >= 4


@lru_cache(maxsize=4)
def _vocabulary(user_files: tuple[str, ...] | None) -> tuple[frozenset[str], frozenset[str]]:
    from .vocabulary import load_vocabulary

    try:
        vocab = load_vocabulary(list(user_files) if user_files is not None else [])
    except Exception:  # a broken user list must not stop the check; the bundled cues still work
        vocab = load_vocabulary([])
    meds = frozenset(m.lower() for m in vocab.medications)
    terms = frozenset(t.lower() for t in vocab.terms if len(t) >= 5 and not t.isupper())
    return meds, terms - {"left", "right", "units", "temperature"}


def clinical_content(text: str, user_files: Iterable[str] | None = None) -> ClinicalContent:
    """Count the clinical words in ``text`` (a transcript's text)."""
    norm = _normal(text)
    tokens = norm.split()
    meds, terms = _vocabulary(tuple(user_files) if user_files is not None else None)
    found: dict[str, int] = {}
    medications: list[str] = []
    for tok in tokens:
        if tok in _CUE_WORDS or tok in terms or tok in meds:
            found[tok] = found.get(tok, 0) + 1
            if tok in meds and tok not in medications:
                medications.append(tok)
    padded = f" {norm} "
    for phrase in (*_MULTI_CUES, *(t for t in terms | meds if " " in t)):
        n = padded.count(f" {phrase} ")
        if n:
            found[phrase] = found.get(phrase, 0) + n
            if phrase in meds and phrase not in medications:
                medications.append(phrase)
    return ClinicalContent(len(tokens), tuple(found), sum(found.values()), tuple(medications))


def require_clinical_content(transcript, user_files: Iterable[str] | None = None) -> ClinicalContent:
    """Raise :class:`TranscriptError` ("No clinical conversation was recorded ...") unless a visit was recorded."""
    if transcript.is_empty():
        raise TranscriptError(
            f"{NO_CLINICAL_CONVERSATION}: no speech was recognised, so no note was drafted. "
            "Check the microphone and its level, then record again."
        )
    found = clinical_content(transcript.text, user_files)
    if not found.is_clinical:
        heard = ", ".join(found.cues) if found.cues else "none"
        raise TranscriptError(
            f"{NO_CLINICAL_CONVERSATION}: the {found.words} words heard name no symptoms, findings, medications "
            f"or plans (clinical words: {heard}), so no note was drafted."
        )
    return found
