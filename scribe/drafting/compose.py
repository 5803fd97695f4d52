"""Compose a note's sections from the visit's facts, by rule.

The model answers narrow questions (:mod:`scribe.drafting.questions`); everything a note needs beyond
the facts themselves — which section holds what, labels, the opening "who presents with what"
sentence, each problem's assessment and plan kept together, duplicates kept once — is decided here,
deterministically, so it cannot invent, reorder the visit's facts or drift into the dialogue's voice.

Before composing, every fact is checked (:func:`check_facts`):

* **Exam and vital signs nobody stated** are left out: a vital sign whose value (or name) was never
  said, an exam finding about a body system nobody mentioned ("Eyes: no signs of infection" when
  eyes never came up). A small model fills an exam from habit; grounding would flag each one, but
  the physician would still have to delete a dozen statements.
* **First and second person** ("I'm going to increase your lisinopril") is rewritten in clinical
  third person where a rule knows how ("Increase lisinopril ..."), and conversational fillers
  ("uh", "you know") are removed.
* **Remarks about the input** ("not mentioned in the transcript") and repeats are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from ..domain import Encounter, NoteDraft, Section, Statement, Transcript
from ..grounding import RELATIVES, TranscriptIndex, ages_in, check_statement, negated_terms, says_had
from ..textnorm import canon_number, clinical_notation, content_words, normalise, tokens
from .questions import Fact, Patient, VisitFacts, is_filler
from .templates import BLOCK_TITLES, Block, Template

MAX_STATEMENT_CHARS = 240
# blocks that report what the patient said (their "I" is the patient); the others report the doctor's words
PATIENT_BLOCKS = frozenset(
    {
        Block.chief_complaint,
        Block.history_of_present_illness,
        Block.medical_history,
        Block.medications,
        Block.allergies,
        Block.social_history,
        Block.family_history,
        Block.review_of_systems,
    }
)
DUPLICATE_OVERLAP = 0.8  # share of the shorter statement's content words found in the other

# ----------------------------------------------------------------------------- statement text

_SENTENCE_END = re.compile(
    r"(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)(?<!\bSt)([.!?;])\s+(?=[A-Z0-9])"
)


def split_statement(text: str, limit: int = MAX_STATEMENT_CHARS) -> list[str]:
    """One string of the model as statements of at most ``limit`` characters: a longer string is
    cut into its sentences (a word boundary only inside a single overlong sentence)."""
    if len(text) <= limit:
        return [text]
    marked = _SENTENCE_END.sub(lambda m: m.group(1) + "\x00", text)
    sentences = [p.strip() for p in marked.split("\x00") if p.strip()]
    out: list[str] = []
    for sent in sentences:
        while len(sent) > limit:
            cut = sent.rfind(", ", 0, limit)  # a clause boundary, not "no family history of | kidney stones"
            cut = cut + 1 if cut > limit // 2 else sent.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            out.append(sent[:cut].rstrip(" ,;"))
            sent = sent[cut:].strip()
        if sent:
            out.append(sent)
    return out


def collapse_repeats(text: str) -> str:
    """A looping model repeats a clause inside one string ("father had a heart attack at 62, father
    had a heart attack at 62, father had"): keep it once, and drop a repeat cut off by the length
    limit. Only exact repeats of the clause before go (case and spacing aside), so no fact is lost."""
    clauses = [c.strip() for c in re.split(r",\s+", text)]  # (not "1,000")
    if len(clauses) < 2:
        return text
    kept: list[str] = []
    seen: set[str] = set()
    for i, clause in enumerate(clauses):
        low, prev = clause.lower(), kept[-1].lower() if kept else ""
        if kept and low and (low in seen or prev.endswith(" " + low) or prev.endswith(": " + low)):
            continue  # a clause already said, again (a loop of one or more clauses; or "history: X, X")
        if (
            kept
            and i == len(clauses) - 1
            and len(kept) < i
            and low
            and any(c.startswith(low) or c.split(": ", 1)[-1].startswith(low) for c in seen)
        ):
            continue  # a repeat cut short by the length limit, after repeats were dropped
        seen.add(low)
        kept.append(clause)
    return ", ".join(kept) if len(kept) < len(clauses) else text


# the model talking about its input instead of the visit
META = re.compile(
    r"\b(?:transcript|conversation|dialogue)\b|\b(?:not|never|no longer) (?:been )?(?:mentioned|discussed|stated|"
    r"said|specified|provided)\b|\bno (?:information|mention|details?)\b",
    re.I,
)

# a goodbye the model kept with the fact after it ("Take care and the nurse will be in shortly to do the ECG",
# the bundled sample's demo note)
_FAREWELL = re.compile(r"^(?:take care|thank you|thanks|bye|goodbye)(?:,\s*|\s+and\s+)(?=\w)", re.I)

# a speaker's signpost, not a fact ("Here's the plan.", "So, the plan is this.")
_TRANSITION = re.compile(
    r"(?i)^(?:so,? )?(?:here'?s|here is|this is) (?:the|my|our) plan\.?$|^(?:so,? )?the plan is this\.?$"
)
_FILLERS = re.compile(r"\b(?:uh+|um+|uh-huh|mm-hmm|you know|i mean|kinda|sorta)\b,?\s*", re.I)
_SLANG = {"gonna": "going to", "wanna": "want to", "gotta": "got to", "ta": "to"}

# "I'm going to increase your lisinopril" -> "Increase lisinopril": the plan said as the doctor's intention
_INTENT_WORDS = (
    r"going to|like to|want to|need to|also|just|probably|definitely|then|have to|ahead and|go ahead and|"
    r"want you to|would like you to|like you to|need you to|recommend that you|recommend you|suggest that you|"
    r"suggest you|advise you to|advise that you|advise|recommend|suggest|think we should|think you should|should|"
    r"will|think(?: that)?"
)
_INTENT = re.compile(
    r"^(?:(?:so|and|okay|also|now|then|for (?:the |your )?[a-z ]{1,40}),?\s+)*(?:i|we)"
    rf"(?:(?:'ll| will)(?:\s+(?:{_INTENT_WORDS}))*|(?:'m| am|'re| are|'d| would| want| need| have| can)?(?:\s+(?:{_INTENT_WORDS}))+)"
    r"(?=\s)",
    re.I,
)
_IRREGULAR = {
    "am": "is",
    "'m": "is",
    "are": "is",
    "have": "has",
    "do": "does",
    "go": "goes",
    "was": "was",
    "were": "was",
}
_NOT_VERBS = frozenset(
    """also just usually always never often sometimes still really only even already currently mostly probably
    actually definitely kind sort think""".split()
)
_MODALS = frozenset("will would can could should may might must did does had".split())
_ADVERB = r"(?:also|just|usually|always|never|often|sometimes|still|really|only|even|already|currently|mostly|probably|actually|definitely|\w+ly)"
# a pronoun as the subject: at the start or after a conjunction, with any adverbs and the verb after it
_PRONOUN_SUBJECT = re.compile(
    r"(?P<lead>^|[,;:.!?]\s*|\b(?:that|if|when|because|and|so|but|until|unless|as|since|while|or|then|before|after|than)\s+)"
    r"(?P<pron>i|we|you)(?:'(?P<c>m|re|ve|ll|d))?\b"
    rf"(?:\s+(?P<adv>(?:{_ADVERB}\s+)*)(?P<verb>[a-z']+))?",
    re.I,
)
_PRONOUN_OTHER = re.compile(r"\b(?P<pron>i|we|you)(?:'(?P<c>m|re|ve|ll|d))?\b", re.I)


_NEGATED_AUX = {
    "don't": "does not",
    "didn't": "did not",
    "can't": "cannot",
    "won't": "will not",
    "haven't": "has not",
    "hadn't": "had not",
    "wasn't": "was not",
    "weren't": "was not",
    "couldn't": "could not",
    "wouldn't": "would not",
    "shouldn't": "should not",
}
# past forms without -ed: "I stood up too fast" -> "the patient stood" (not "stoods")
_PAST = frozenset(
    """stood went had felt took got came saw woke ate fell ran began gave said told thought found lost slept kept
    drove wrote broke bought brought caught threw sat spoke knew grew drank heard meant""".split()
)


def _third_singular(verb: str, known_verb: bool = False) -> str:
    """The verb after a new third-person subject ("I drink" -> "the patient drinks"); ``known_verb``
    when the word is certainly a verb (not an adverb or a hedge such as "think" after "I")."""
    low = verb.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if low in _MODALS or low.endswith("ed") or low in _PAST or low in _NEGATED_AUX:
        return _NEGATED_AUX.get(low, verb)
    if not known_verb and (
        not re.fullmatch(r"[a-z]{2,}", low) or low.endswith("ly") or low in _NOT_VERBS or low.endswith("ing")
    ):
        return verb
    if re.search(r"(?:s|x|z|ch|sh|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


def _replace_subjects(text: str, speaker: str, patient: str) -> str:
    """Pronoun subjects as clinical third person: the speaker's "I"/"we" and the listener's "you"."""

    def who(pron: str) -> str:
        return patient if (pron.lower() == "you") != (speaker == "patient") else "the doctor"

    def subject(m: re.Match) -> str:
        pron, contraction, adverbs, verb = (
            m.group("pron"),
            (m.group("c") or "").lower(),
            m.group("adv") or "",
            m.group("verb"),
        )
        lead = m.group("lead")
        if contraction:
            aux = {"m": "is", "re": "is", "ve": "has", "ll": "will", "d": "would"}[contraction]
            return f"{lead}{who(pron)} {aux}" + (f" {adverbs}{verb}" if verb else "")
        if not verb:
            return f"{lead}{who(pron)}"
        return f"{lead}{who(pron)} {adverbs}{_third_singular(verb)}"

    def other(m: re.Match) -> str:  # an object ("refer you to cardiology")
        contraction = (m.group("c") or "").lower()
        aux = {"m": " is", "re": " is", "ve": " has", "ll": " will", "d": " would", "": ""}[contraction]
        return who(m.group("pron")) + aux

    return _PRONOUN_OTHER.sub(other, _PRONOUN_SUBJECT.sub(subject, text))


_OBJECTS = [
    (re.compile(r"\b(?:myself|ourselves)\b", re.I), "self"),
    (re.compile(r"\b(?:my|our)\b", re.I), "speaker's"),
    (re.compile(r"\b(?:[Mm]e|us)\b"), "speaker"),
    (re.compile(r"\byourself\b", re.I), "listener-self"),
    (re.compile(r"\byours?\b", re.I), "listener's"),
]
FIRST_OR_SECOND_PERSON = re.compile(
    r"\b(?:i|i'm|i've|i'll|i'd|me|my|mine|myself|we|we're|we've|we'll|(?-i:us)|our|you|you're|you've|you'll|your|yours|yourself|yourselves|ourselves)\b",
    re.I,
)


# "... and the patient think it's related": a subject the model (or "I think", kept as a hedge
# elsewhere) left with the verb's base form. Only after a clause's start, so "have the patient take" stays.
_BASE_AFTER_PATIENT = re.compile(
    r"(?P<head>(?:^|[,;:.!?]\s*|\b(?:that|if|when|because|and|so|but|as|since|while|or|then)\s+)the patient\s+)"
    r"(?P<verb>think|feel|want|need|take|have|do|say|go|get|use|like|know|wish|hope|believe|try|work|live|drink|"
    r"smoke|eat|sleep|walk|exercise)\b",
    re.I,
)


def _agree(text: str) -> str:
    return _BASE_AFTER_PATIENT.sub(lambda m: m.group("head") + _third_singular(m.group("verb"), known_verb=True), text)


def third_person(text: str, speaker: str = "doctor") -> str:
    """Clinical third person for a statement the model wrote in the dialogue's voice. ``speaker`` is
    whose words the statement reports: "patient" for the history ("I drink a beer on weekends" ->
    "The patient drinks a beer on weekends"), "doctor" for exam, assessment and plan ("I'm going to
    increase your lisinopril" -> "Increase the patient's lisinopril")."""
    t = re.sub(r",\s*([,.;!?])", r"\1", _FILLERS.sub("", _FAREWELL.sub("", text.strip()))).strip()
    t = re.sub(r"\b(gonna|wanna|gotta)\b", lambda m: _SLANG[m.group(1).lower()], t, flags=re.I)
    t = re.sub(r"\s{2,}", " ", t).strip(" ,")
    if speaker == "doctor":  # "The doctor ordered an EMG" -> "Ordered an EMG"
        t = re.sub(r"^the doctor (?:also )?(?=[a-z]+ed\b)", "", t, flags=re.I)
    if not FIRST_OR_SECOND_PERSON.search(t):
        t = _agree(t)
        return t[:1].upper() + t[1:] if t else t
    if speaker == "doctor":
        t = re.sub(
            r"^the doctor (?:also )?(?=[a-z]+ed\b)", "", t, flags=re.I
        )  # "The doctor ordered an EMG" -> "Ordered an EMG"
        m = _INTENT.match(t)
        if m and m.end() < len(t):  # the doctor's intention is the plan: "I'm going to order" -> "Order"
            rest = re.sub(r"^(?:go ahead and|ahead and)\s+", "", t[m.end() :].lstrip(), flags=re.I)
            t = rest[:1].upper() + rest[1:]
    patient = "the patient"
    t = _replace_subjects(t, speaker, patient)
    for pattern, role in _OBJECTS:
        who = patient if role.startswith("listener") != (speaker == "patient") else "the doctor"
        if role.endswith("self"):
            repl = "themselves" if who == patient else "the doctor"
        else:
            repl = f"{who}'s" if role.endswith("'s") else who
        t = pattern.sub(repl, t)
    t = _agree(t)
    if (
        speaker == "doctor"
        and re.search(r"\bthemselves\b", t)
        and not re.match(r"(?:the patient|she|he|they)\b", t, re.I)
    ):
        t = "Advise the patient to " + _lower_first(t)  # "Weigh yourself every day": advice to the patient
    return t[:1].upper() + t[1:] if t else t


def coerce_statements(value, clinical: bool = True) -> list[tuple[str, list[int]]]:
    """Statements from the shapes a model actually answers with (objects with ``text`` and ``evidence``,
    bare strings, nested lists), as (text, cited line ids); ``clinical`` also applies :func:`clean_text`."""
    out: list[tuple[str, list[int]]] = []
    if isinstance(value, (str, dict)):
        value = [value]
    for item in value if isinstance(value, list) else []:
        ev: object = []
        if isinstance(item, str):
            text = item
        elif isinstance(item, dict):
            text = item.get("text") or item.get("statement") or ""
            ev = item.get("evidence") or item.get("lines") or []
        else:
            continue
        if not isinstance(text, str):
            continue
        ids = []
        for e in ev if isinstance(ev, list) else [ev]:
            try:
                ids.append(int(str(e).strip("[] ")))
            except ValueError:
                continue
        pieces = (
            clean_text(text)
            if clinical
            else [p for p in split_statement(collapse_repeats(clinical_notation(text.strip()))) if len(p) >= 3]
        )
        out.extend((piece, ids) for piece in pieces)
    return out


# A textbook definition the model appends to a diagnosis ("gynecomastia, which is a condition where the
# breasts become larger than normal"): knowledge, not something said in the visit, and it reads as filler
# in a note (seen in train D2N023's assessment, four problems in a row). Cut at the clause.
_DEFINITION = re.compile(
    r",?\s+which is (?:an? (?:common |rare |chronic |serious |surgical |medical )*(?:medical )?"
    r"(?:condition|disease|disorder|syndrome|procedure|cause of|type of)\b"
    r"(?: (?:where|in which|that|characterized by|caused by)\b)?"
    r"|(?:an? )?inflammation of\b)[^.;]*[.;]?",  # "which is a serious medical condition", "which is inflammation of"
    re.I,
)


# a sentence the model broke off: it ends on a word that needs another after it, or a hyphen
_BROKEN_OFF = re.compile(
    # (not "that", "her", "is", "on", "in", "about": "he has been good with that", "a brace to keep on")
    r"(?:\b(?:of|and|or|but|nor|the|a|an|to|into|with|for|from|than|which|whose|because|his|their|its|such|as)|-)"
    r"\s*[.!?]?$",
    re.I,
)


_STRAY_NUMBER = re.compile(r"(?<=[a-z]),\s*\d{1,2}\s*\.$")


def finished(piece: str) -> str:
    """A sentence the model broke off ("... and a feeling of.", "a follow-up appointment in 6-."), back
    to its last whole clause if that says something, else nothing: a physician should not read a
    fragment."""
    piece = _STRAY_NUMBER.sub(".", piece)  # "Zoloft, 25 mg once a day, 2.": a number left over from a list
    if not _BROKEN_OFF.search(piece):
        return piece
    cut = max(piece.rfind(", "), piece.rfind("; "))
    return piece[:cut] + "." if cut > 0 and len(content_words(piece[:cut])) >= 3 else ""


def clean_text(text: str, speaker: str = "doctor") -> list[str]:
    """A model's string as note statements: clinical notation, third person (``speaker``: see
    :func:`third_person`), split into sentences of a readable length, loops collapsed; empty when it is
    a remark or says nothing."""
    text = re.sub(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]\s*$", "", text.strip())  # citations written inline
    text = _DEFINITION.sub(".", text)
    text = collapse_repeats(clinical_notation(text))
    out = []
    for piece in split_statement(text):
        piece = finished(third_person(piece, speaker).strip())
        if len(piece) < 3 or is_filler(piece) or META.search(piece) or not content_words(piece):
            continue  # (a piece with no content word: "The." left by the length limit)
        if piece.endswith("?") or _TRANSITION.match(piece):
            continue  # a line of the visit copied as said ("Is it serious?", "Here's the plan."): a note does not ask
        out.append(piece)
    return out


def sentences(text: str) -> list[str]:
    """A string's sentences (a history of five sentences is five statements, each checked on its own)."""
    marked = _SENTENCE_END.sub(lambda m: m.group(1) + "\x00", text.strip())
    return [p.strip() for p in marked.split("\x00") if p.strip()]


# ----------------------------------------------------------------------------- checks

_VITALS = {
    "blood pressure": ("blood pressure", "pressure", "bp"),
    "heart rate": ("heart rate", "pulse", "heart beat", "heartbeat", "beats per minute", "bpm"),
    "temperature": ("temperature", "fever", "temp"),
    "respiratory rate": ("respiratory rate", "breathing rate", "breaths per minute", "respirations"),
    "oxygen saturation": ("oxygen", "o2", "saturation", "sat", "pulse ox", "pulse oximetry"),
    "weight": ("weight", "weigh", "pounds", "lbs", "kilograms", "kg"),
    "height": ("height", "tall", "feet", "inches"),
    "bmi": ("bmi", "body mass"),
}
# the clinician's plan in the clinician's words: no patient tells their history as "we will", "let's" or "I'll order";
# a history piece that says it was copied from the assessment (a transcript has no speakers to tell it by)
_CLINICIANS_PLAN = re.compile(
    r"\b(?:we(?:'ll| will| are going to|'re going to| can go ahead)|let's|let us|i(?:'ll| will| am going to|'m going to|"
    r"'d like to| would like to) (?:order|start|refer|prescribe|get|check|send|increase|decrease|keep|have you)|"
    r"i want you to|i recommend)\b",
    re.I,
)
_VITAL_NAMES = re.compile(
    r"\b(?:blood pressure|bp|heart rate|pulse|temperature|temp|respiratory rate|respirations|oxygen|o2|"
    r"saturation|spo2|weight|height|bmi)\b",
    re.I,
)
# words of an exam statement that say where, not what was found: a finding is kept when what it says was
# found was said ("grip strength less on the left"), not when only the body part was ("tenderness of the
# right wrist" after "I want you to squeeze my hands")
_WHERE = frozenset(
    content_words(
        """general head neck eyes eye ears ear nose throat cardiovascular heart respiratory lungs lung chest breast
        breasts abdomen abdominal belly genitourinary musculoskeletal extremities extremity skin neurological neuro
        psychiatric back spine arm arms leg legs hand hands wrist wrists finger fingers thumb elbow shoulder hip knee
        knees ankle ankles foot feet toe toes left right bilateral bilaterally both side upper lower exam examination
        finding findings noted note normal patient""",
    )
)


def _said_numbers(transcript_tokens: Iterable[str]) -> set[str]:
    return {canon_number(t) for t in transcript_tokens if t[0].isdigit()}


def _numbers(text: str) -> set[str]:
    return {canon_number(t) for t in tokens(text) if t[0].isdigit()}


def vital_said(text: str, said_text: str, said_numbers: set[str], said_normalised: str = "") -> bool:
    """A vital-sign statement whose values were all said, or (without a value) whose vital sign was
    talked about."""
    if not _numbers(text) <= said_numbers:
        return False
    pairs = re.findall(r"\b(\d{2,3})\s*/\s*(\d{2,3})\b", text)
    if pairs:  # a reading ("150/90") is specific enough on its own: it must have been said as a pair
        return all(f"{a} / {b}" in said_normalised for a, b in pairs)
    low = text.lower()
    named = [k for k, words in _VITALS.items() if any(re.search(rf"\b{re.escape(w)}", low) for w in (k, *words))]
    if not named:
        return bool(_numbers(text))  # no vital named: a value that was said
    return all(any(re.search(rf"\b{re.escape(w)}", said_text) for w in _VITALS[k]) for k in named)


def exam_said(text: str, said_words: set[str]) -> bool:
    """An exam statement whose findings were said: most of its words beyond the body part (and the
    system it starts with) are words of the transcript; a statement that only names the part ("Heart:
    normal.") needs the part to have come up."""
    body = text.split(":", 1)[1] if ":" in text[:40] else text
    claim = content_words(body)
    found = claim - _WHERE
    if found:
        return len(found & said_words) / len(found) >= 0.5
    return bool(claim & said_words) or not claim


_ORDER_CUE = re.compile(
    r"\b(?:order\w*|get|schedul\w*|set up|send|want to|going to|gon na|'d like to|would like to|will|refer\w*|recommend\w*)\b",
    re.I,
)
_RESULT_VERB = re.compile(r"\b(?:show\w*|reveal\w*|demonstrat\w*|was|were|is|are|came back)\b", re.I)


def only_ordered(text: str, transcript: Transcript) -> bool:
    """A result claimed for a test the transcript names only when ordering it ("EMG showed carpal
    tunnel syndrome" after "I want to order an EMG")."""
    head = _RESULT_VERB.split(text.split(":", 1)[0], maxsplit=1)[0]  # "Rapid strep: positive": the test's name
    name = content_words(head) - _WHERE
    if not name:
        return False
    lines = [s.text for s in transcript.segments if name & content_words(s.text)]
    return bool(lines) and all(_ORDER_CUE.search(line) and not _read_out(name, line) for line in lines)


_READ_OUT = re.compile(r"\b(?:positive|negative|came back|showed|revealed)\b", re.I)


def _read_out(name: set[str], line: str) -> bool:
    """The line reads the test's result out right after naming it ("show me the rapid strep . and you also have ,
    uh , positive for strep"), or names it as looked at ("looking at your lab results , ... your white blood cell
    count is not elevated"): it is not only ordered."""
    low = line.lower()
    return any(
        _READ_OUT.search(low[m.end() : m.end() + 80]) or _LOOKED_AT.search(low[max(0, m.start() - 30) : m.start()])
        for w in name
        for m in re.finditer(rf"\b{re.escape(w)}\b", low)
    )


_LOOKED_AT = re.compile(r"\b(?:looking at|looked at|reviewed|review of|show me)\b")


def _unsaid_results(texts: list[str], transcript: Transcript, index: TranscriptIndex) -> set[str]:
    """Results statements the grounding check finds claimed for a test that was only ordered, or with
    a number nobody said."""
    checked = [check_statement(Statement(text=t), index) for t in texts]
    flagged = {st.text for st in checked if any(i.kind in ("result", "number") for i in st.issues)}
    return flagged | {t for t in texts if only_ordered(t, transcript)}


_RESULT_CLAIM = re.compile(
    r"\d|\b(?:normal|abnormal|unremarkable|negative|positive|elevated|high|low|increased|decreased|shows?|showed|"
    r"revealed?|demonstrat\w*|consistent|within|stable|improved|worse\w*|no evidence|fracture\w*|mass|lesion|"
    r"clear|confirm\w*|suggest\w*|indicat\w*|found)\b",
    re.I,
)
# an exam statement that reports what the patient said, or the plan, is not an exam finding
_NOT_EXAM = re.compile(
    r"\b(?:symptoms?|reports?|reported|complains?|denies|denied|history|prescrib\w*|ordered|"
    r"urinat\w*|nause\w*|vomit\w*|appetite|chills|palpitations?|chest pain|shortness of breath|fevers?|"
    r"pass(?:ing|ed)? out|weight (?:loss|gain)|dizz\w*|fatigue|tired\w*|headaches?|"
    r"chest (?:tightness|pressure)|(?:tightness|pressure) in (?:the|his|her|my) chest|"
    # (when it comes on: "chest tightness when walking up the hill", the bundled sample's demo note)
    r"when (?:walking|carrying|climbing|lifting|running|exercising|exerting)|"
    r"x-?rays?|mri|ultrasound|ct scan)\b",  # (and imaging: "no chest x-ray" is no finding)
    # (what an examiner cannot see or hear: symptoms)
    re.I,
)
# tightness is felt, not found, unless an examiner feels it in a muscle ("Chest: Resting tightness." in the demo
# note was the history's chest tightness; "tightness of the hamstrings" is an exam finding)
_TIGHTNESS = re.compile(r"\btight(?:ness)?\b", re.I)
_MUSCLES = re.compile(
    r"\b(?:muscles?|musculature|hamstrings?|paraspinals?|trapezius|quadriceps|calf|calves|it band|bands?|fascia)\b",
    re.I,
)
# the words that place an exam finding in a body system (the labels of questions.EXAM_SYSTEMS): the
# model picks a system for each finding and sometimes the wrong one ("Respiratory: CVA tenderness")
_EXAM_SYSTEM_WORDS = {
    "Respiratory": r"lungs?|breath sounds|wheez\w*|crackles?|rales|rhonchi|air entry|auscultation bilaterally",
    "Cardiovascular": r"heart(?! rate)|murmurs?|gallops?|rubs?|s1|s2|regular rate|rhythm|carotid",
    "Abdomen": r"abdomen|abdominal|bowel sounds|quadrant|epigastri\w*|liver|spleen|hepat\w*|splen\w*|"
    r"rebound|guarding|distend\w*",
    "Genitourinary": r"cva|costovertebral|flank|testic\w*|scrot\w*|bladder|suprapubic",
    "ENT": r"ears?|tympanic|throat|pharyn\w*|oropharyn\w*|tonsils?|nasal|nose|sinus\w*|turbinates?",
    "Eyes": r"pupils?|conjunctiv\w*|sclera\w*|eyes?|extraocular",
    "Head and neck": r"neck|thyroid|lymph nodes?|lymphadenopathy",
    "Skin": r"rash|erythema\w*|wounds?|incisions?|bruis\w*|ecchymos\w*|lacerations?|lesions?",
    "Neurological": r"reflex\w*|sensation|cranial nerves?|gait|tinel\w*|phalen\w*|romberg",
    "Musculoskeletal": r"joints?|range of motion|spine|spinal|lumbar|cervical|paraspinal|effusion|crepitus|"
    r"tinel\w*|phalen\w*|knees?|shoulders?|wrists?|hips?|ankles?|elbows?|muscles?",
    "Extremities": r"edema|calf|calves|clubbing|cyanosis|pedal|legs?|feet",
}
# what only an examiner finds: in a review of systems it is the exam repeated as symptoms
_EXAM_ONLY = re.compile(
    r"\b(?:murmurs?|rales|rhonchi|crackles|bowel sounds|regular (?:heart )?rate|rhythm|gallops?|effusion|reflex\w*|"
    r"hepatosplenomegaly|palpa\w*|auscultation|supple|straight leg raise|range of motion|(?:decreased|limited) (?:flexion|"
    r"extension|rotation))\b",
    re.I,
)
_EXAM_SYSTEM_RE = {k: re.compile(rf"\b(?:{v})\b", re.I) for k, v in _EXAM_SYSTEM_WORDS.items()}


_NOT_PLACES = frozenset(
    content_words(
        "left right bilateral bilaterally both side upper lower exam examination finding findings noted note normal patient general"
    )
)


_TEST_AND_RESULT = re.compile(r"^[^:]{2,80}:\s*\w")


def states_result(text: str) -> bool:
    """A results statement that gives a result ("Creatinine: up slightly", "X-ray shows a possible
    stone"), not only the test's name ("EMG.")."""
    if ":" in text and _ONLY_A_TEST.fullmatch(text.split(":", 1)[1].strip().rstrip(".")):
        return False  # "Imaging: x-ray": a test for a result
    return bool(_RESULT_CLAIM.search(text) or _TEST_AND_RESULT.match(text))


_ONLY_A_TEST = re.compile(
    r"(?:an? |the )?(?:x-?rays?|mri|ct(?: scan)?|cat scan|ultrasound|imaging|labs?|lab work|blood ?work|blood tests?|"
    r"ecg|ekg|echo(?:cardiogram)?|scans?|urinalysis)",
    re.I,
)


_NOT_A_TEST = re.compile(r"\b(?:allerg\w*|medications?|history|menstrual|period|symptoms?|diagnos\w*)\b", re.I)


def not_a_result(text: str, drugs) -> bool:
    """A results item that is not a result: a medication with its dose ("Metformin: 500 mg twice a
    day"), a drug as a result ("Allergies: penicillin"), the history under a test's slot ("Menstrual
    period: 30 years ago"). A test whose result is "not available" comes without one (questions.is_filler)
    and is dropped as naming a test alone."""
    return bool(drugs.medications_in(tokens(text)) or _NOT_A_TEST.search(text.partition(":")[0]))


def exam_place_said(text: str, label: str, said_text: str, said_words: set[str]) -> bool:
    """The body system of an exam finding came up in the visit: its label's words, or a body part the
    finding names, were said. "Eyes: no signs of redness" in a visit about a breast scar was not
    examined (a system nobody discussed is left out); a label of no known system (General) passes."""
    places = (content_words(text) & _WHERE) - _NOT_PLACES
    if places:  # every part it names came up ("no pain in the back, shoulders or arms": were they?)
        return places <= said_words
    regex = _EXAM_SYSTEM_RE.get(label)
    if regex is not None and (regex.search(said_text) or label.lower() in said_text):
        return True
    return regex is None and not places


def exam_system(text: str, label: str) -> str:
    """The body system an exam finding belongs under: the model's label, unless the finding names
    nothing of that system and names another ("Respiratory: CVA tenderness" -> Genitourinary; "Head
    and neck: right knee with erythema" -> Musculoskeletal, the first it names). A finding that names
    no system keeps its label."""
    if label in _EXAM_SYSTEM_RE and _EXAM_SYSTEM_RE[label].search(text):
        return label
    named = sorted((m.start(), k) for k, r in _EXAM_SYSTEM_RE.items() if (m := r.search(text)))
    return named[0][1] if named else label


# the words that place a symptom in a body system of the review of systems (the titles of questions.ROS_SYSTEMS):
# the model files "tiredness, feeling down, lightheaded" under Musculoskeletal
_ROS_SYSTEM_WORDS = {
    "Constitutional": r"fevers?|febrile|chills|fatigue\w*|tired\w*|energy|weight (?:loss|gain)|(?:lost|gained) weight|"
    r"night sweats|sweat\w*|malaise|appetite",
    "Eyes": r"vision|visual|blurr\w*|eyes?",
    "ENT": r"ears?|hearing|throat|sinus\w*|nose|nasal|runny|sneez\w*|tinnitus|congestion",
    "Cardiovascular": r"chest (?:pain|tightness|pressure)|palpitations?|heart\w*|edema|orthopnea|"
    r"(?:leg|ankle|feet|foot) swelling|swelling (?:in|of) (?:the |my |his |her )?(?:legs?|ankles?|feet)",
    "Respiratory": r"cough\w*|shortness of breath|breath\w*|wheez\w*|dyspnea|phlegm|sputum|chest tightness|congestion",
    "Gastrointestinal": r"nause\w*|vomit\w*|diarrh\w*|constipat\w*|abdominal|abdomen|stomach|belly|heartburn|"
    r"reflux|bowel\w*|stools?|bloat\w*|swallow\w*",
    "Genitourinary": r"urin\w*|dysuria|hematuria|bladder|incontinen\w*|erectile|vaginal|penile",
    "Musculoskeletal": r"joints?|back|muscles?|stiff\w*|knees?|shoulders?|hips?|ankles?|elbows?|wrists?|arms?|legs?|"
    r"feet|foot|cramp\w*|myalgias?|arthralgias?|neck pain",
    "Skin": r"rash\w*|itch\w*|lesions?|bruis\w*|skin|wounds?|hives",
    "Neurological": r"headaches?|dizz\w*|lighthead\w*|numb\w*|tingl\w*|weakness|seizures?|faint\w*|syncope|"
    r"memory|tremors?|balance",
    "Psychiatric": r"depress\w*|anxi\w*|mood|sad\w*|feeling down|stress\w*|insomnia|sleep\w*|suicid\w*|"
    r"worr\w*|panic|motivation|interest|focus\w*|concentrat\w*",
    "Endocrine": r"thirst\w*|polyuria|polydipsia|(?:heat|cold) intolerance|hot flashes|blood sugars?",
    "Hematologic": r"bleed\w*|anemi\w*|clots?|lymph nodes?",
}
_ROS_SYSTEM_RE = {k: re.compile(rf"\b(?:{v})\b", re.I) for k, v in _ROS_SYSTEM_WORDS.items()}


def ros_system(text: str, label: str) -> str:
    """The body system a review-of-systems symptom belongs under, as :func:`exam_system` does for the exam:
    the model's label unless the symptom names nothing of it and names another ("Musculoskeletal: tiredness"
    -> Constitutional, "feeling down" -> Psychiatric)."""
    if label in _ROS_SYSTEM_RE and _ROS_SYSTEM_RE[label].search(text):
        return label
    named = sorted((m.start(), k) for k, r in _ROS_SYSTEM_RE.items() if (m := r.search(text)))
    return named[0][1] if named else label


_NEGATED = re.compile(r"\b(?:denies|denied|no|not|never|without|negative for|nobody)\b(?P<rest>[^.;]*)", re.I)


_GENERIC_PROBLEM_WORDS = frozenset(content_words("acute chronic pain left right bilateral syndrome disease follow up"))


def _history_of(words: set[str], facts: VisitFacts, spoken: str) -> bool:
    """The history says the patient had this before ("a history of kidney stones"), or the visit (``spoken``, the
    transcript's text) does ("I know you have this history of congestive heart failure"): a condition seen today
    can also be past history."""
    for f in facts.of(Block.history_of_present_illness.value):
        m = re.search(r"\b(?:history|previous|prior|before|again|recurren\w*)\b(?P<rest>.*)", f.text, re.I)
        if m and words & content_words(m.group(0)):
            return True
    return any(words <= content_words(m.group(1)) for m in _HISTORY_SAID.finditer(spoken))


_HISTORY_SAID = re.compile(r"\bhistory of\s+((?:\S+\s+){0,5}\S+)", re.I)


def _diagnosis_words(facts: VisitFacts) -> set[str]:
    """Words of the patient's diagnoses (history, allergies, the visit's problems), less the chief
    complaint's: a review of systems that reports only these lists conditions, not symptoms."""
    out = {w for p in facts.problems for w in content_words(p)}
    for f in facts.facts:
        if f.block in (Block.medical_history.value, Block.allergies.value):
            out |= content_words(f.text)
    for f in facts.of(Block.chief_complaint.value):
        out -= content_words(f.text)
    return out - _GENERIC_PROBLEM_WORDS


_DENIAL = re.compile(
    r"(?:\b(?:denies|denied|negative for)|^no(?=\s+(?:symptoms?|history|signs?|complaints?)\s+of\b))\s+"
    r"(?:any\s+)?(?:(?:symptoms?|history|signs?|complaints?)\s+of\s+)?(?P<rest>[^.;]*)",
    re.I,
)
_LIST_SPLIT = re.compile(r",\s*(?:and\s+|or\s+|nor\s+)?|\s+(?:and|or|nor)\s+")
_DENIAL_FRAME = frozenset(content_words("any other symptoms symptom problems problem issues signs sign recent"))


def _present_facts(facts: VisitFacts, said_words: set[str]) -> list[set[str]]:
    """What the note states as present: the problems, and exam findings and results whose words were
    said (each as its set of content words)."""
    present = [content_words(p) for p in facts.problems]
    for f in facts.facts:
        if f.block in (Block.physical_exam.value, Block.results.value) and not _NEGATED.search(f.text):
            if exam_said(f.text, said_words):
                present.append(content_words(f.text))
    return [w for w in present if w]


def _kept_negatives(items: list[str], said_words: set[str], present: list[set[str]]) -> list[str]:
    """Denied items worth a pertinent negative: at least one of its words was said, and the note does
    not state it as present ("denies any insect bite" in a visit about an infected insect bite)."""
    kept = []
    for item in items:
        words = content_words(item) - _FRAME_WORDS - _DENIAL_FRAME
        if words and (not words & said_words or any(words <= p for p in present)):
            continue
        kept.append(item)
    return kept


def pertinent_negatives(text: str, said_words: set[str], present: list[set[str]]) -> str:
    """A history sentence's denials without the ones nobody talked about ("denies any hyperuricemia",
    in a litany the model went on with) or that the note itself states as present; "" when none is
    left. A small model lists denials by habit, and a wrong "denies" reads as a checked negative."""
    m = _DENIAL.search(text)
    if not m:
        return text
    items = [i.strip() for i in _LIST_SPLIT.split(m.group("rest")) if i.strip()]
    kept = _kept_negatives(items, said_words, present)
    if len(kept) == len(items):
        return text
    if not kept:
        return ""
    return text[: m.start("rest")] + _join(kept) + text[m.end("rest") :]


def _denied_words(facts: VisitFacts) -> set[str]:
    """Content words the history states as absent ("denies any history of rheumatoid arthritis")."""
    out: set[str] = set()
    for f in facts.facts:
        if f.block in (Block.history_of_present_illness.value, Block.review_of_systems.value):
            for m in _NEGATED.finditer(f.text):
                out |= content_words(m.group("rest"))
    return out


_PRESCRIBE = re.compile(
    r"\b(?:start\w*|prescrib\w*|put (?:you|him|her) on|give (?:you|him|her)|(?:like|want|need) (?:you|him|her) to (?:take|try|use)|"
    r"try (?:you|him|her) on|send (?:in|over)|order\w*|recommend\w*|switch\w*)\b",
    re.I,
)


_NOT_TAKEN = re.compile(
    r"\b(?:(?:does|do|is|are|has|have)\s*(?:not|n't)\s+(?:been\s+)?|not\s+|never\s+)(?:currently\s+)?"
    r"(?:take|takes|taking|took|taken|use|uses|using|used|on)\b",
    re.I,
)
_NOTHING_MORE = frozenset(content_words("any currently medication medications medicine drug drugs it them"))


def not_taken(text: str, drugs) -> bool:
    """A medication item that says the patient does not take the drug and nothing more ("The patient does not
    take Protonix"). One that says more is kept: "does not take lisinopril on weekends" is adherence."""
    m = _NOT_TAKEN.search(text)
    if not m:
        return False
    rest = tokens(text[m.end() :])
    named = {i + k for i, name in drugs.medications_in(rest) for k in range(len(name.split()))}
    return bool(named) and not (
        content_words(" ".join(t for i, t in enumerate(rest) if i not in named)) - _NOTHING_MORE
    )


def new_medications(transcript: Transcript, drugs) -> set[str]:
    """Drugs this visit starts: first named by the doctor in a line that prescribes, never by the
    patient before. A small model lists them with what the patient already takes."""
    from ..domain import SpeakerRole

    seen: set[str] = set()
    new: set[str] = set()
    for seg in transcript.segments:
        for _, med in drugs.medications_in(tokens(seg.text)):
            if med in seen:
                continue
            seen.add(med)
            if seg.speaker == SpeakerRole.clinician and _PRESCRIBE.search(seg.text):
                new.add(med)
    return new


def _merge_doses(facts: list[Fact], drugs) -> list[Fact]:
    """A medication item that is only a dose ("600 mg every 6 hours") belongs to the drug before it."""
    out: list[Fact] = []
    for f in facts:
        if (
            f.block == Block.medications.value
            and out
            and out[-1].block == f.block
            and not drugs.medications_in(tokens(f.text))
            and _numbers(f.text)
        ):
            prev = out[-1]
            out[-1] = Fact(
                f"{prev.text.rstrip('. ')} {f.text.strip()}", prev.block, prev.evidence, prev.problem, prev.label
            )
            continue
        out.append(f)
    return out


_CHANGE = re.compile(r"\b(?:increas|decreas|rais|lower|chang|adjust|titrat|reduc|doubl|bump)\w*\b", re.I)
_TO_DOSE = re.compile(r"\bto (\d+(?:\.\d+)?) ?(mg|milligrams?|mcg|micrograms?|units?)\b", re.I)
_FROM_TO = re.compile(r"\bfrom (\d+(?:\.\d+)?) ?(?:mg|milligrams?|mcg|micrograms?|units?)? to (\d+(?:\.\d+)?)\b", re.I)


def both_doses(text: str, transcript: Transcript, drugs) -> str:
    """A dose change written with only the new dose ("Increase the lisinopril dose to 20 mg") gets the
    old dose the transcript gives for that drug ("... from 10 mg to 20 mg"): a change is charted with
    both doses."""
    original, text = text, clinical_notation(text)  # "to twenty milligrams" -> "to 20 mg"
    to = _TO_DOSE.search(text)
    if not to or not _CHANGE.search(text) or re.search(r"\bfrom\b", text, re.I):
        return original
    named = {m for _, m in drugs.medications_in(tokens(text))}
    for seg in transcript.segments:
        if named and named & {m for _, m in drugs.medications_in(tokens(seg.text))}:
            for m in _FROM_TO.finditer(clinical_notation(seg.text)):
                if canon_number(m.group(2)) == canon_number(to.group(1)):
                    return f"{text[: to.start()]}from {m.group(1)} {to.group(2)} {text[to.start() :]}"
    return original


# blocks whose items are things the patient said, in a few words: most of those words must have been said
# (the history of the present illness is checked by grounding: its sentences paraphrase more)
_SAID_BLOCKS = frozenset(b.value for b in PATIENT_BLOCKS - {Block.chief_complaint, Block.history_of_present_illness})
# what is not the patient's life (the social history's slot): tests and their results, diagnoses, the exam
_NOT_SOCIAL = re.compile(
    r"\b(?:lab|labs|lab work|blood work|tests?|results?|positive|negative|screen(?:ed|ing)?|diagnos\w*|"
    r"physical exam|x-?rays?|scans?|mri|biopsy|surger(?:y|ies)|removed|removal|"
    # (the medical history, which has its own question; not "a history of smoking")
    r"history of (?!(?:smoking|tobacco|alcohol|drinking|drug|substance|vaping|cigarette)))\b",
    re.I,
)
# a habit: the social history's, not the past medical history's ("alcohol consumption")
_HABIT = re.compile(r"\b(?:alcohol|smok\w*|tobacco|cigarettes?|drink\w*|beers?|wine|vap\w*|marijuana|cannabis)\b", re.I)
# "The patient has been taking X": X must be something one takes
_TAKING = re.compile(
    r"^(?:the patient|patient|he|she|they)\s+(?:has been|is|was)?\s*(?:taking|takes|took)\s+(.+)$", re.I
)
_REMEDY_OR_MEDICINE = re.compile(
    r"\b(?:medications?|medicines?|meds|pills?|tablets?|supplements?|vitamins?|inhalers?|injections?|shots?|drops|"
    r"creams?|insulin|antibiotics?|steroids?|painkillers?|pain relievers?|otc|over the counter)\b",
    re.I,
)
# what happened before the visit: a plan item said so is history ("ordered a lumbar fusion about 6 years ago")
_AGO = re.compile(r"\b(?:\d+|a|one|two|three|several|many|few) (?:days?|weeks?|months?|years?) ago\b", re.I)
# today's plan told as history ("was scheduled to have", "has been advised to start"): the plan charts it
# (not "was referred by her PCP" or "was advised by urgent care": what happened before the visit is history)
_TODAYS_PLAN = re.compile(
    r"\b(?:has been|have been|is|are|will be) (?:advised|scheduled|instructed)\b|\bwas scheduled to\b"
    r"|\bwill (?:start|begin|be started|follow up)\b",
    re.I,
)
_FRAME_WORDS = frozenset(
    content_words(
        """patient reports reported denies denied history has had have family social works work takes taking
        takes uses drinks mother father brother sister son daughter also currently"""
    )
)


def _said(text: str, windows: list[set[str]], anchor: frozenset[str] = frozenset()) -> bool:
    """Most of what ``text`` claims (its content words beyond the frame: "the patient reports", "history")
    was said in one stretch of the transcript (a line and its neighbours), with an ``anchor`` word (a
    relative, for family history) in that stretch. A small model asked for a history nobody gave
    assembles one from words said elsewhere in the visit ("his father has a history of kidney stones")."""
    claim = content_words(text) - _FRAME_WORDS - anchor
    if not claim:
        return not anchor or any(anchor & w for w in windows)
    return any(len(claim & w) / len(claim) >= 0.5 and (not anchor or anchor & w) for w in windows)


def _windows(transcript: Transcript, size: int = 3) -> list[set[str]]:
    words = [content_words(s.text) for s in transcript.segments]
    return [set().union(*words[i : i + size]) for i in range(max(1, len(words) - size + 1))]


_BY_SENTENCE = frozenset(
    b.value
    for b in (
        Block.history_of_present_illness,
        Block.social_history,
        Block.family_history,
        Block.assessment,
        Block.plan,
        Block.follow_up,
    )
)


_EDGE_WORDS = re.compile(r"([a-z]+)\W*$"), re.compile(r"^([a-z]+)")


def _mended(facts: list[Fact], said: set[str]) -> list[Fact]:
    """Two strings that are one sentence split inside a word ("... has an infe", "tion of some kind."), as one
    fact with the word whole: the transcript says a word that begins and ends so ("infection"), and neither
    piece is a word said. (The model copied an item the length cap had cut and carried it on.)"""
    out: list[Fact] = []
    for f in facts:
        prev = out[-1] if out else None
        head = _EDGE_WORDS[1].match(f.text.strip())
        tail = _EDGE_WORDS[0].search(prev.text) if prev and (prev.block, prev.problem) == (f.block, f.problem) else None
        if (
            prev
            and head
            and tail
            and not prev.text.rstrip().endswith((".", "!", "?"))
            and not {head[1], tail[1]} & said
        ):
            x, y = tail[1], head[1]
            whole = sorted(w for w in said if w.startswith(x) and w.endswith(y) and len(w) >= len(x) + len(y))
            if whole:
                text = prev.text[: tail.start(1)] + whole[0] + f.text.strip()[len(y) :]
                out[-1] = Fact(text, prev.block, prev.evidence, prev.problem, prev.label, prev.polarity)
                continue
        out.append(f)
    return out


def _one_sentence_each(facts: list[Fact]) -> list[Fact]:
    """History, assessment and plan strings split into their sentences: a check drops the wrong sentence,
    not the whole history, and each statement carries one fact for grounding. A sentence longer than a
    statement may be (a model copying the visit as one run of clauses, as in the bundled sample's demo) is
    cut, its loops collapsed, here rather than when composing, so that the checks see the statements."""
    out: list[Fact] = []
    for f in facts:
        if f.block in _BY_SENTENCE:
            out += [
                Fact(piece, f.block, f.evidence, f.problem, f.label, f.polarity)
                for t in sentences(f.text)
                for piece in split_statement(collapse_repeats(t))
            ]
        else:
            out.append(f)
    return out


_FAMILY_HISTORY = re.compile(
    r"\bfamily history of\b|\bruns in (?:the|her|his|their) family\b"
    r"|^(?:her|his|their|the patient's|[A-Z][a-z]+'s) (?:father|mother|dad|mom|brother|sister|parents?|grand\w+|aunt|uncle)"
    r"\b(?! (?:works|lives|helps|drives|takes care))",
    re.I,
)


def _filed(f: Fact) -> Fact:
    """A fact under the block it belongs to. A vital sign the model put under the exam or the results
    ("Results: Blood pressure, 120/70") goes to the vital signs; an exam finding it gave as a vital sign
    ("lungs: clear", "heart sounds: clear": the exam question's vital signs answered with what the
    doctor heard) goes under its body system, where the exam's checks apply; a key-like vital-sign name
    ("heart_rate: 72 bpm") is written in words; an order told in the assessment ("The doctor continues the
    allopurinol") goes to the plan."""
    if f.block == Block.assessment.value and _NARRATED_NOW.match(f.text.strip()):
        return Fact(f.text, Block.plan.value, f.evidence, f.problem, f.label, f.polarity)  # an order, not a reason
    if f.block in (Block.physical_exam.value, Block.results.value) and _VITAL_NAMES.match(f.text.strip()):
        return Fact(f.text, Block.vital_signs.value, f.evidence, f.problem, f.label, f.polarity)
    if f.block != Block.vital_signs.value:
        return f
    text = f.text.replace("_", " ")
    if not _VITAL_NAMES.search(text) and (system := exam_system(text, "")):
        text = re.sub(r"^([^:]{2,30}):\s*", r"\1 ", text)
        return Fact(text[:1].upper() + text[1:], Block.physical_exam.value, f.evidence, f.problem, system, f.polarity)
    return f if text == f.text else Fact(text, f.block, f.evidence, f.problem, f.label, f.polarity)


def check_facts(facts: VisitFacts, transcript: Transcript) -> VisitFacts:
    """The facts fit for a note: exam, vital signs and results nobody stated left out (module
    docstring), a history item the history itself denies left out; a fact the model filed under the
    wrong block moved to its own (:func:`_filed`)."""
    from ..lexicon import medication_names

    spoken = transcript.text
    said_text = " ".join(tokens(spoken))
    said_normalised = normalise(spoken)
    said_numbers = _said_numbers(said_text.split())
    said_words = content_words(spoken)
    windows = _windows(transcript)
    results = [f.text for f in facts.facts if f.block == Block.results.value]
    drugs = medication_names(None)
    index = TranscriptIndex(transcript, drugs)  # one index for every grounding question asked here
    unsaid = _unsaid_results(results, transcript, index) if results else set()
    denied = _denied_words(facts)
    diagnoses = _diagnosis_words(facts)
    family = {w for f in facts.of(Block.family_history.value) for w in content_words(f.text)} - RELATIVES
    name = content_words(facts.patient.name)
    history = {w for f in facts.of(Block.medical_history.value) for w in content_words(f.text)}
    today = {w for p in facts.problems for w in content_words(p)} - _GENERIC_PROBLEM_WORDS
    allergic = {m for f in facts.of(Block.allergies.value) for _, m in drugs.medications_in(tokens(f.text))}
    started = new_medications(transcript, drugs)
    present = _present_facts(facts, said_words)
    kept: list[Fact] = []
    for f in _one_sentence_each(_merge_doses(_mended(facts.facts, set(said_text.split())), drugs)):
        f = _filed(f)
        if f.block == Block.history_of_present_illness.value and _CLINICIANS_PLAN.search(f.text):
            continue  # "..., which makes me concerned about angina, ... and we will keep an eye on it": the assessment
        if (
            f.block == Block.history_of_present_illness.value
            and (text := pertinent_negatives(f.text, said_words, present)) != f.text
        ):
            if not text:
                continue
            f = Fact(text, f.block, f.evidence, f.problem, f.label, f.polarity)
        if (
            f.block == Block.review_of_systems.value
            and f.polarity == "denies"
            and not _kept_negatives([f.text], said_words, present)
        ):
            continue
        if f.block in (Block.history_of_present_illness.value, Block.review_of_systems.value) and (
            answer := _answer_only(f.text, index)
        ):
            f = Fact(answer, f.block, f.evidence, f.problem, f.label, f.polarity)
        block = f.block
        if block == Block.vital_signs.value and not vital_said(f.text, said_text, said_numbers, said_normalised):
            continue
        if block == Block.vital_signs.value and not _VITAL_NAMES.search(f.text.replace("_", " ")):
            continue  # "180/95." with no name: whose reading of what, when? (D2N011's was the emergency room's)
        if block == Block.physical_exam.value and (
            not exam_said(f.text, said_words)
            or not exam_place_said(f.text, exam_system(f.text, f.label), said_text, said_words)
            or not _numbers(f.text) <= said_numbers
            or _NOT_EXAM.search(f.text)
            or (_TIGHTNESS.search(f.text) and not _MUSCLES.search(f.text))
            or drugs.medications_in(tokens(f.text))
            or ((words := content_words(f.text) - _GENERIC_PROBLEM_WORDS) and words <= history)
        ):
            continue
        if (
            block == Block.review_of_systems.value
            and f.polarity == "reports"
            and (words := content_words(f.text) - _FRAME_WORDS)
            and words <= denied
        ):
            continue  # "Reports fever, chills" when the history says the patient denies them
        if (
            block == Block.review_of_systems.value
            and f.polarity == "reports"
            and (words := content_words(f.text) - _FRAME_WORDS - _GENERIC_PROBLEM_WORDS)
            and words <= diagnoses
        ):
            continue  # "Cardiovascular: Reports reflux, heart failure": diagnoses, not symptoms
        if block == Block.review_of_systems.value and (exam := _EXAM_ONLY.search(f.text)):
            # "Respiratory: Reports rales or rhonchi": the exam's findings, not the patient's symptoms; the
            # symptoms said with them stay ("pain in the lower back, positive straight leg raise on the right")
            head = f.text[: exam.start()]
            if not re.search(r"(?:[,;]|\band|\bwith)\s*$", head):
                continue  # the finding is the item's own first clause ("grade two systolic ejection murmur")
            head = re.sub(r"(?:[,;]|\band\b|\bwith\b|\s)+$", "", head)
            if not content_words(head) - _FRAME_WORDS:
                continue
            f = Fact(head, f.block, f.evidence, f.problem, f.label, f.polarity)
        if block == Block.family_history.value and not content_words(f.text) & RELATIVES:
            condition = _SUBJECT.sub("", f.text.strip()).strip().rstrip(".")
            words = content_words(condition) - name
            if condition == f.text.strip().rstrip(".") or not words or not _family_answer(words, transcript):
                continue  # "Family history: The patient has high blood pressure": no relative, not the family's
            # "Bruce has diabetes", the model's words for the answer to "what runs in your family?"
            f = Fact(condition[:1].upper() + condition[1:], f.block, f.evidence, f.problem, f.label)
        if block == Block.social_history.value and (words := content_words(f.text) - _FRAME_WORDS) and words <= history:
            continue  # "Social history: The patient has diabetes": the medical history
        if block == Block.social_history.value and _FAMILY_HISTORY.search(f.text):
            continue  # "She has a family history of heart disease": the family question has its own answer
        if block == Block.social_history.value and {m for _, m in drugs.medications_in(tokens(f.text))} & allergic:
            continue  # "Social history: He has a penicillin rash when he was a kid": the allergy, charted under allergies
        if block == Block.social_history.value and _NOT_SOCIAL.search(f.text):
            continue  # "Social history: Bruce had positive lab work for hep c": a result, not his life
        if (
            block == Block.history_of_present_illness.value
            and (taking := _TAKING.match(f.text.strip()))
            and not drugs.medications_in(tokens(taking.group(1)))
            and (not _REMEDY_OR_MEDICINE.search(taking.group(1)) or re.match(r"no\b", taking.group(1), re.I))
        ):
            continue  # "The patient has been taking gallstones.", "... taking lumbar fusion." (train D2N018)
        if block == Block.plan.value and _AGO.search(f.text):
            continue  # "Ordered a lumbar fusion about 6 years ago": the history, not today's plan
        if block == Block.history_of_present_illness.value and _TODAYS_PLAN.search(f.text):
            continue  # "Bruce was scheduled to have an ultrasound": the plan says what this visit decided
        if (
            block == Block.history_of_present_illness.value
            and not _NEGATED.search(f.text)
            and (words := content_words(f.text) - _FRAME_WORDS - name)
            and _familys(words, family, transcript)
        ):
            continue  # "Bruce had high blood pressure, diabetes, and depression": his family's, not his
        if block in _SAID_BLOCKS and not _said(
            f.text, windows, RELATIVES if block == Block.family_history.value else frozenset()
        ):
            continue  # a history, habit or symptom nobody mentioned ("works as a software engineer")
        if block == Block.history_of_present_illness.value and (
            (named := {m for _, m in drugs.medications_in(tokens(f.text))}) and named <= started
        ):
            continue  # "has been taking Ultram" for the drug the doctor starts today
        if not content_words(f.text):
            continue  # "The."
        if block == Block.results.value and (
            f.text in unsaid or not states_result(f.text) or not_a_result(f.text, drugs)
        ):
            continue
        if (
            block == Block.medical_history.value
            and (words := content_words(f.text))
            and (
                words <= denied
                or (words & today and not _history_of(words, facts, spoken))
                or _familys(words, family, transcript)
            )
        ):
            continue  # denied, or today's problem (unless the history says the patient had it before)
        if (
            block == Block.medical_history.value
            and (named := {m for _, m in drugs.medications_in(tokens(f.text))})
            and named <= allergic
        ):
            continue  # "Penicillin rash": the allergy, charted under allergies
        if block == Block.medical_history.value and _HABIT.search(f.text):
            continue  # "Alcohol consumption": a habit, the social history's (the bundled sample's note)
        if (
            block == Block.medications.value
            and (named := {m for _, m in drugs.medications_in(tokens(f.text))})
            and named <= started
        ):
            continue  # started in this visit: the plan says so
        if block == Block.medications.value and not_taken(f.text, drugs):
            continue  # "The patient does not take Protonix": not a medication the patient takes
        if block == Block.medications.value and _REMEDY.fullmatch(f.text.strip().rstrip(".")):
            continue  # "Ice", "Heat": what the patient tried (the history says so), not a medication
        if block == Block.assessment.value and _says_only_the_problem(f):
            continue  # "Based on the history and exam, the doctor suspects type 2 diabetes": the name, no reasoning
        if block == Block.assessment.value and _denied_in_the_visit(f.text, index):
            continue  # "Chest pain." assessed after "no chest pain at all": the model charted what was denied
        if block in (Block.plan.value, Block.medications.value):
            f = Fact(both_doses(f.text, transcript, drugs), f.block, f.evidence, f.problem, f.label, f.polarity)
        label = (
            exam_system(f.text, f.label)
            if block == Block.physical_exam.value
            else ros_system(f.text, f.label)
            if block == Block.review_of_systems.value
            else f.label
        )
        kept.append(f if label == f.label else Fact(f.text, block, f.evidence, f.problem, label, f.polarity))
    denied_problems = _denied_problems({f.problem for f in kept if f.problem} | set(facts.problems), index)
    kept = [f for f in kept if f.problem not in denied_problems]
    patient = facts.patient
    if patient.age and not _numbers(patient.age) <= ages_in(spoken):
        patient = Patient(patient.name, "", patient.sex)  # an age nobody gave as an age ("clean for over 15 years")
    problems = [p for p in facts.problems if p not in denied_problems]
    return _history_problems(VisitFacts(patient=patient, facts=kept, problems=problems))


# things a patient tries that are not drugs: under medications they read as prescriptions
_REMEDY = re.compile(
    r"(?:(?:an? |the )?(?:ice|ice packs?|heat|heating pads?|warm compress(?:es)?|cold compress(?:es)?|rest|elevation|"
    r"compression|stretching|exercises?|massage|a brace|braces?|crutches|splint)(?:,? (?:and|or) |, )?)+",
    re.I,
)
# the words of an assessment that says only that the doctor thinks so
_ASSESSING = frozenset(
    content_words(
        """based patient's patients history physical exam examination findings symptoms doctor physician suspects
        suspected thinks likely diagnosed diagnosis assessed assessment consistent given presentation clinical
        confirmed confirms reported reports doctor's"""
    )
)


def _says_only_the_problem(f: Fact) -> bool:
    """An assessment that gives no reason: its words are the problem's and the words of assessing."""
    words = content_words(f.text) - _ASSESSING - _FRAME_WORDS
    return bool(f.problem) and words <= content_words(f.problem) | _GENERIC_PROBLEM_WORDS


# "Calf pain, redness, and warmth in that leg, no calf pain, or warmth in that leg": the question, then its answer
_THEN_DENIED = re.compile(r",\s+(?=(?:no|not|denies|without|never)\b)", re.I)


def _answer_only(text: str, index: TranscriptIndex) -> str:
    """A statement that echoes a question's findings and then denies them (the bundled sample's demo note) as the
    denial alone, when the visit says they are absent; "" when the statement is not of that shape."""
    parts = _THEN_DENIED.split(text.strip(), maxsplit=1)
    if len(parts) != 2:
        return ""
    asked, answer = parts
    said_present = negated_terms(normalise(asked))[1]
    if not said_present or not said_present & negated_terms(normalise(answer))[0]:
        return ""
    if not _negation_says(asked, index, "says it is absent"):
        return ""
    return answer[:1].upper() + answer[1:]


def _negation_says(text: str, index: TranscriptIndex, detail: str) -> bool:
    """The grounding check's negation rule raises, on ``text``, an issue whose detail says ``detail``."""
    return any(i.kind == "negation" and detail in i.detail for i in check_statement(Statement(text=text), index).issues)


def _denied_in_the_visit(text: str, index: TranscriptIndex) -> bool:
    """A statement that says present what the visit says is absent (the grounding check's negation rule). In an
    assessment that is an invention, not a paraphrase: on train's 2 451 reference sentences the rule holds 4
    sentences to be so, one of them an assessment's."""
    return _negation_says(text, index, "says it is absent")


def _denied_problems(named: set[str], index: TranscriptIndex) -> set[str]:
    """The problems named by a symptom the patient denied ("Abdominal pain: The patient reports abdominal
    pain, which could be due to gastritis" after "no abdominal pain", train D2N020): the model makes a problem of
    every symptom it was told about. Held to the grounding check's negation rule, on the problem's name alone
    (denied, or never mentioned at all: "stated as present" opens both details)."""
    return {p for p in named if _negation_says(f"The patient has {p.strip().rstrip('.')}.", index, "stated as present")}


_SUBJECT = re.compile(r"^(?:the patient|patient|he|she|they|[A-Z][a-z]+)\s+(?:has|had|have|suffers from)\s+", re.I)


def _lines_saying(words: set[str], transcript: Transcript) -> Iterator[tuple[str, set[str], bool]]:
    """Each line that says all of ``words``: its text, its content words, and whether it answers the other
    speaker's question about the family ("what conditions run in your family?")."""
    prev = None
    for s in transcript.segments:
        line = content_words(s.text)
        if s.text and words <= line:
            yield s.text, line, prev is not None and _asks_about_family(prev, s)
        prev = s


def _family_answer(words: set[str], transcript: Transcript) -> bool:
    """A condition said in answer to a question about the family ("what conditions run in your family?" -
    "high blood pressure, diabetes and depression")."""
    return any(answers for _, _, answers in _lines_saying(words, transcript))


def _familys(words: set[str], family: set[str], transcript: Transcript) -> bool:
    """A condition that is the family's, not the patient's: in the family history's answer, or said in answer to
    a question about the family, and nowhere as the patient's own."""
    return (words <= family or _family_answer(words, transcript)) and not _own(words, transcript)


_ASKING = re.compile(
    r"\?|\b(?:do|does|did|have|has|is|are) (?:you|anyone|anybody|there)\b|\bwhat\b|\bhow about\b"
    r"|\bruns? in (?:your|the) family\b",
    re.I,
)


def _asks_about_family(question, answer) -> bool:
    return (
        question.speaker != answer.speaker
        and bool(content_words(question.text) & RELATIVES)
        and bool(_ASKING.search(question.text))
    )


def _own(words: set[str], transcript: Transcript) -> bool:
    """A condition the transcript gives as the patient's own: all its words on one line that names no
    relative (not only "my mother had lymphoma"), does not answer a question about the family ("what
    conditions run in your family?" - "I have high blood pressure, diabetes and depression") and does not only
    ask or worry about it ("should I be worried about a heart attack?")."""
    return any(
        not line & RELATIVES and not answers and says_had(text, words)
        for text, line, answers in _lines_saying(words, transcript)
    )


_HISTORY_PROBLEM = re.compile(
    r"^(?:(?:pre-?)?(?:previous|past|prior)\s+)?(?:(?:medical|surgical)\s+)?history\s+of\s+|^(?:previous|prior|past)\s+",
    re.I,
)
_PLAN_VERBS = frozenset(content_words("prescribe start continue order refer recommend advise monitor the patient a an"))


def _history_problems(facts: VisitFacts) -> VisitFacts:
    """Problems the model named from the history ("History of atopic eczema", "Previous surgical history
    of a colectomy"): with a plan of their own they are named as the condition ("Atopic eczema"); with no
    plan they are history, not something this visit addressed, and are left out (with their assessment).
    A plan item that only repeats its problem's name ("Prescribe a previous surgical history of a
    colectomy") is not a plan, nor is the same plan item a second time under another problem."""
    problem_words = {p: content_words(p) | _PLAN_VERBS for p in facts.problems}
    plan = [
        f
        for f in facts.facts
        if f.block == Block.plan.value
        and f.problem
        and not content_words(f.text) <= problem_words.get(f.problem, set())  # an echo of the problem's name
    ]
    # one plan item given to several problems stays with the one that has the fewest other items
    # ("Refill Protonix" under the kidney stones and under reflux: reflux's)
    words = {id(f): content_words(f.text) for f in plan}
    home: dict[int, Fact] = {}
    for f in plan:
        same = [g for g in plan if same_fact(words[id(f)], words[id(g)])]
        home[id(f)] = min(same, key=lambda g: (sum(1 for h in plan if h.problem == g.problem) - 1, plan.index(g)))
    out = [
        f
        for f in facts.facts
        if not (f.block == Block.plan.value and f.problem) or (id(f) in home and home[id(f)] is f)
    ]
    renamed: dict[str, str] = {}
    for p in facts.problems:
        if not _HISTORY_PROBLEM.search(p):
            continue
        has_plan = any(f.block == Block.plan.value and f.problem == p for f in out)
        name = _HISTORY_PROBLEM.sub("", p)
        renamed[p] = name[:1].upper() + name[1:] if has_plan else ""
    if not renamed:
        return VisitFacts(patient=facts.patient, facts=out, problems=list(facts.problems))
    kept = [
        f if f.problem not in renamed else Fact(f.text, f.block, f.evidence, renamed[f.problem], f.label, f.polarity)
        for f in out
        if not (f.problem in renamed and not renamed[f.problem])
    ]
    problems = [renamed.get(p, p) for p in facts.problems if renamed.get(p, p)]
    return VisitFacts(patient=facts.patient, facts=kept, problems=problems)


# ----------------------------------------------------------------------------- composing


def same_fact(a: set[str], b: set[str]) -> bool:
    """Two statements' content words say the same thing: most of the shorter one's words are in
    the other, and one's numbers are among the other's."""
    if not a or not b:
        return False
    na, nb = {w for w in a if w[0].isdigit()}, {w for w in b if w[0].isdigit()}
    if not (na <= nb or nb <= na):
        return False  # "lisinopril 10 mg" and "lisinopril 20 mg" are different facts
    return len(a & b) / min(len(a), len(b)) >= DUPLICATE_OVERLAP


class _Statements:
    """Statements of one section, near-duplicates within one block kept once (the fuller text, both
    evidences). Across blocks a fact may repeat, as in a note written by hand: the history tells it,
    the review of systems lists it."""

    def __init__(self, spell: Callable[[str], str] = str):
        self.items: list[Statement] = []
        self._words: list[set[str]] = []
        self._groups: list[str] = []
        self._spell = spell

    def add(self, text: str, evidence: Iterable[int] = (), group: str = "", dedupe: bool = True) -> None:
        text = self._spell(text)
        if not dedupe:  # (the opening sentence: the history repeats its words, and both stay)
            self.items.append(Statement(text=text, evidence=list(evidence)))
            self._words.append(set())
            self._groups.append(group)
            return
        words = content_words(text) or {text.lower().strip(" .")}
        for i, other in enumerate(self._words):
            if self._groups[i] == group and same_fact(words, other):
                if len(words) > len(other):
                    self._words[i] = words
                    merged = list(dict.fromkeys([*self.items[i].evidence, *evidence]))
                    self.items[i] = Statement(text=text, evidence=merged)
                return
        self._words.append(words)
        self._groups.append(group)
        self.items.append(Statement(text=text, evidence=list(evidence)))


def _sentence(text: str) -> str:
    t = text.strip()
    return t if not t or t[-1] in ".!?" else t + "."


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _phrase(text: str) -> str:
    return _lower_first(text.strip().rstrip("."))


def introduction(facts: VisitFacts) -> str:
    """The note's opening sentence: who presents with what ("John Perry is a 61-year-old male with a
    history of kidney stones who presents for back pain."), from what was said only."""
    p = facts.patient
    cc = next((" ".join(clean_text(f.text, "patient")) for f in facts.of(Block.chief_complaint.value)), "")
    if not cc:
        return ""
    age = re.sub(r"\s*(?:years?(?:\s*old)?|y/?o)\s*$", "", p.age.strip(), flags=re.I)
    age = age if re.fullmatch(r"\d{1,3}", age) else ""
    sex = p.sex if p.sex in ("male", "female") else ""
    who = " ".join(w for w in (f"{age}-year-old" if age else "", sex) if w)
    subject = p.name.strip() if p.name.strip() and len(p.name) < 60 else "The patient"
    history = [
        text
        for text, _ in _once_each(
            [(_phrase(f.text), ()) for f in facts.of(Block.medical_history.value) if len(f.text.split()) <= 5]
        )
        if not META.search(text)
    ][:4]
    with_history = ""
    if history:
        with_history = " with a past medical history of " + (
            history[0] if len(history) == 1 else ", ".join(history[:-1]) + " and " + history[-1]
        )
    reason = _phrase(cc)
    if who:
        return f"{subject} is a {who}{with_history} who presents for {reason}."
    if with_history:
        return f"{subject} is a patient{with_history} who presents for {reason}."
    return f"{subject} presents for {reason}."


def _looped(words: list[str], other: list[str]) -> bool:
    """A sentence that is an earlier one with its last words swapped: the shape of a small model's list loop."""
    shared = 0
    for a, b in zip(words, other, strict=False):
        if a != b:
            break
        shared += 1
    return shared >= 6 and shared >= 0.75 * min(len(words), len(other))


def _without_repeated_clauses(items: list[tuple[str, tuple[int, ...]]]) -> list[tuple[str, tuple[int, ...]]]:
    """History sentences without the clauses an earlier one already said word for word (a small model copies
    "started pilates and using the knee, feels better with physical therapy" from one problem into the next)."""
    seen: set[str] = set()
    out = []
    openings: list[list[str]] = []
    for text, ev in items:
        words = normalise(text).split()
        if any(_looped(words, other) for other in openings):
            continue  # "... had not noticed any bleeding from anywhere." then "... from the anemia panel."
        openings.append(words)
        clauses = [c for c in re.split(r",\s+", text.strip().rstrip(".")) if c]
        keep = [c for c in clauses if len(c.split()) < 5 or normalise(c) not in seen]
        seen |= {normalise(c) for c in clauses if len(c.split()) >= 5}
        if keep == clauses:
            out.append((text, ev))
        elif keep and content_words(", ".join(keep)):
            out.append((_sentence(", ".join(keep)), ev))
    return out


_PRIOR = frozenset(content_words("prior previous past history of remote"))


def _once_each(items: list[tuple[str, tuple[int, ...]]]) -> list[tuple[str, tuple[int, ...]]]:
    """A list's items without one that another says in full ("prior colonoscopy" beside "colonoscopy")."""
    cores = [content_words(t) - _PRIOR for t, _ in items]
    return [
        item
        for i, item in enumerate(items)
        if not any(
            j != i and cores[i] and cores[i] <= cores[j] and (cores[i] != cores[j] or j < i) for j in range(len(items))
        )
    ]


_SAYS_NOTHING_MORE = frozenset(content_words("significant notable today here clinic evaluation patient"))
_LISTED = frozenset({Block.medical_history, Block.allergies, Block.family_history})  # short items read as one list


def _labelled(block: Block, texts: list[str], labelled: bool) -> list[str]:
    """A block's statements inside a section that holds several blocks carry its label
    ("Medications: lisinopril 20 mg daily."); the history's sentences read on their own."""
    if not labelled or not texts or block == Block.history_of_present_illness:
        return texts
    title = BLOCK_TITLES[block]
    if block in (Block.review_of_systems, Block.physical_exam, Block.vital_signs):
        return texts  # "Respiratory: denies cough." says which part it is
    if block == Block.results:  # "Results: Creatinine, up slightly." (its own section keeps "Creatinine: up slightly.")
        return [
            f"{title}: " + re.sub(r":\s*", ", ", t, count=1) if _TEST_AND_RESULT.match(t) else f"{title}: {t}"
            for t in texts
        ]
    return [f"{title}: {t}" for t in texts]


def compose_note(
    facts: VisitFacts, template: Template, encounter: Encounter | None = None, *, clinical: bool = True
) -> NoteDraft:
    """The note of ``template`` from checked ``facts``: each section's blocks in the section's order;
    assessment and plan grouped by problem; free sections (no blocks) take the facts given for them
    (in their own voice unless ``clinical``)."""
    from ..lexicon import default_lexicon

    spell = default_lexicon().spell  # drug and test names as the vocabulary writes them ("Ultram", "A1c")
    sections = []
    for ts in template.sections:
        out = _Statements(spell)
        if not ts.content:
            for f in facts.of(ts.key):
                for text, _ in coerce_statements([f.text], clinical):
                    out.add(text, f.evidence, group=ts.key)
        blocks = list(ts.content)
        labelled = len([b for b in blocks if b != Block.history_of_present_illness]) > 1
        problems_done = False
        for block in blocks:
            if block in (Block.assessment, Block.plan):
                if not problems_done:
                    _add_problems(out, facts, blocks)
                    problems_done = True
                continue
            if block == Block.chief_complaint and Block.history_of_present_illness in blocks and not labelled:
                continue  # the opening sentence names it
            speaker = "patient" if block in PATIENT_BLOCKS else "doctor"
            if block in (Block.review_of_systems, Block.physical_exam):
                for text, ev in by_system(facts.of(block.value), speaker):
                    out.add(text, ev, group=block.value)
                continue
            items = [(t, f.evidence) for f in facts.of(block.value) for t in clean_text(f.text, speaker)]
            if block == Block.history_of_present_illness:
                intro = introduction(facts)
                first = content_words(items[0][0]) if items else set()
                if intro and not (first and len(first & content_words(intro)) / len(content_words(intro)) >= 0.6):
                    out.add(intro, dedupe=False)  # (unless the history opens with its own)
                    # a sentence that says nothing the opening does not ("James has a past medical history
                    # significant for congestive heart failure and type 2 diabetes.") would say it twice
                    said = content_words(intro) | _SAYS_NOTHING_MORE
                    items = [(t, ev) for t, ev in items if not content_words(t) <= said]
                items = _without_repeated_clauses(items)
            if block in _LISTED:
                items = _once_each(items)  # "Colonoscopy" and "prior colonoscopy"
            if block in _LISTED and len(items) > 1 and all(len(t.split()) <= 6 for t, _ in items):
                # "Past medical history: Kidney stones, migraines and reflux."
                joined = _join([items[0][0], *(_lower_first(t) for t, _ in items[1:])])
                items = [(joined, tuple(dict.fromkeys(i for _, ev in items for i in ev)))]
            texts = _labelled(block, [t for t, _ in items], labelled)
            for text, (_, ev) in zip(texts, items):
                out.add(_sentence(text), ev, group=block.value)
        sections.append(Section(key=ts.key, title=ts.title, statements=out.items, style=template.section_style(ts.key)))
    return NoteDraft(
        template=template.name, encounter=encounter or Encounter(visit_type=template.name), sections=sections
    )


_TEST_VERB = re.compile(
    r"\b(?:order\w*|obtain\w*|get|getting|check\w*|schedul\w*|repeat\w*|send\w*|draw\w*|perform\w*|do)\b", re.I
)
_ARTICLE = re.compile(r"^(?:to|a|an)\s+", re.I)
_REFER_VERB = re.compile(r"\b(?:refer\w*|consult\w*|see|seeing|follow)\b", re.I)


# "The doctor will prescribe Singulair" / "The patient will be referred to cardiology": a plan item
# narrated about the visit instead of written as the order it is
_NARRATED = re.compile(
    r"^(?:the )?(?:doctor|physician|provider|clinician)(?: will| is going to| plans to| would like to| wants to)"
    r"(?: also)? (?P<verb>[a-z]+)\b",
    re.I,
)
_PASSIVE = {
    "referred": "Refer",
    "advised": "Advise",
    "started": "Start",
    "scheduled": "Schedule",
    "prescribed": "Prescribe",
}
_NARRATED_PASSIVE = re.compile(
    rf"^the patient will (?:also )?be (?P<verb>{'|'.join(_PASSIVE)})\b(?: (?P<to>to|on)\b)?", re.I
)


# "The doctor continues the allopurinol 100 mg once daily": an order told as a story (the model writes these into
# the assessment too, where they are moved to the plan)
_ORDER_VERB = {
    form: verb.capitalize()
    for verb, forms in {
        "continue": "continues continued",
        "prescribe": "prescribes prescribed",
        "order": "orders ordered",
        "recommend": "recommends recommended",
        "refer": "refers referred",
        "start": "starts started",
        "increase": "increases increased",
        "decrease": "decreases decreased",
        "stop": "stops stopped",
        "discontinue": "discontinues discontinued",
        "schedule": "schedules scheduled",
    }.items()
    for form in forms.split()
}
_NARRATED_NOW = re.compile(
    rf"^(?:the )?(?:doctor|physician|provider|clinician) (?:also )?(?P<verb>{'|'.join(_ORDER_VERB)})\b", re.I
)


def plan_item(label: str, text: str) -> str:
    """A plan item as an order: a test or referral the model named without a verb gets one ("EMG of
    both hands" -> "Order EMG of both hands"), so it cannot read as a result or a finding; an item
    narrated about the visit is written as the order ("The doctor will prescribe Singulair" ->
    "Prescribe Singulair"; "The patient will be advised to take ..." -> "Advise the patient to take
    ...")."""
    if m := _NARRATED.match(text):
        text = m.group("verb").capitalize() + text[m.end() :]
    elif m := _NARRATED_NOW.match(text):  # "The doctor continues the allopurinol" -> "Continue the allopurinol"
        text = _ORDER_VERB[m.group("verb").lower()] + text[m.end() :]
    elif m := _NARRATED_PASSIVE.match(text):
        verb = _PASSIVE[m.group("verb").lower()]
        rest = text[m.end() :]
        text = f"{verb} the patient {m.group('to')}{rest}" if m.group("to") else f"{verb} the patient{rest}"
    if label == "Tests" and not _TEST_VERB.search(text):
        return f"Order {_lower_first(text)}"  # (mid-sentence now)
    if label == "Referrals" and not _REFER_VERB.search(text):
        return "Refer to " + _lower_first(_ARTICLE.sub("", text))
    return text


# a plan verb that goes on over a list the model wrote as separate items ("Continue the metformin 500 mg", "The
# atorvastatin 20 mg and the aspirin 81 mg daily"; "Order an ECG today", "A lipid panel")
_LIST_VERB = re.compile(r"^(continue|order|check|get|obtain|schedule|start)\b", re.I)
_VERBLESS = re.compile(r"^(?:the|a|an)\s", re.I)
_SOME_VERB = re.compile(
    r"\b(?:is|are|was|were|will|would|should|stays?|remains?|continues?|can|may|has|have|had|needs?|goes|went)\b",
    re.I,
)


def _verbs_carried(items: list[tuple[str, tuple[int, ...]]]) -> list[tuple[str, tuple[int, ...]]]:
    """A verbless plan item that continues the list of the item before it takes that item's verb: "The atorvastatin
    20mg and the aspirin 81mg daily" after "Continue the metformin 500mg" is "Continue the atorvastatin ...", not a
    fragment a physician has to read twice."""
    out: list[tuple[str, tuple[int, ...]]] = []
    for text, ev in items:
        if out and (m := _LIST_VERB.match(out[-1][0])) and _VERBLESS.match(text) and not _SOME_VERB.search(text):
            text = f"{m.group(1).capitalize()} {_lower_first(text)}"
        out.append((text, ev))
    return out


def _join(items: list[str]) -> str:
    items = [i.strip().rstrip(".") for i in items if i.strip()]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else (items[0] if items else "")


_NO = re.compile(r"(^|,\s*|\bor\s+|\band\s+)(?:no|denies|denied)\s+(?:any\s+)?", re.I)  # "Denies no swelling"


_POLARITY_TAIL = re.compile(r"\s+(?:reported|denied|endorsed|present|noted)$", re.I)


def by_system(facts: list[Fact], speaker: str) -> list[tuple[str, tuple[int, ...]]]:
    """Review-of-systems or exam items, one statement per body system in the order the systems came:
    "Respiratory: Reports cough. Denies shortness of breath." / "Musculoskeletal: Grip strength less
    on the left; positive Tinel sign bilaterally." An item said again (the model repeats a finding,
    or lists nausea under two systems) is kept once, where it came first, in its fuller wording."""
    kept: list[Fact] = []
    seen: list[tuple[str, set[str]]] = []
    for f in facts:
        words = content_words(f.text)
        same = next((i for i, (p, w) in enumerate(seen) if p == f.polarity and same_fact(words, w)), None)
        if same is None:
            seen.append((f.polarity, words))
            kept.append(f)
        elif len(words) > len(seen[same][1]):
            seen[same] = (f.polarity, words)
            kept[same] = f
    systems: dict[str, list[Fact]] = {}
    for f in kept:
        systems.setdefault(f.label, []).append(f)
    out = []
    for label, items in systems.items():
        # ("back pain reported", "fever denied": the heading says reports or denies)
        texts = {f: _POLARITY_TAIL.sub("", " ".join(clean_text(f.text, speaker)).rstrip(".")) for f in items}
        reported = [_lower_first(texts[f]) for f in items if f.polarity == "reports" and texts[f]]
        denied = [_lower_first(_NO.sub(r"\1", texts[f])) for f in items if f.polarity == "denies" and texts[f]]
        found = [texts[f] for f in items if not f.polarity and texts[f]]
        parts = [f"Reports {_lower_first(_join(reported))}." if reported else ""]
        parts.append(f"Denies {_lower_first(_join(denied))}." if denied else "")
        parts.append(_sentence("; ".join([found[0], *map(_lower_first, found[1:])])) if found else "")
        body = " ".join(p for p in parts if p)
        if body:
            evidence = tuple(dict.fromkeys(i for f in items for i in f.evidence))
            out.append((f"{label}: {body}" if label else body, evidence))
    return out


def _add_problems(out: _Statements, facts: VisitFacts, blocks: list[Block]) -> None:
    """Each problem: in an assessment, its name with its assessment; in a plan, its name with the first
    plan item, then the others. Plan items of no problem (the medication pass) come last.

    An assessment opens with the summary statement (who, with what history, presents for what): the one-line
    frame a physician reads the problems against, as US visit notes open their assessment."""
    assess, plan = Block.assessment in blocks, Block.plan in blocks
    if assess and (summary := introduction(facts)) and " is a " in summary:  # (not a bare "X presents for Y")
        out.add(summary, dedupe=False, group="problems")
    for problem in [*_problems(facts), ""]:
        reasons = [
            (t, f.evidence)
            for f in facts.of(Block.assessment.value)
            if f.problem == problem
            for t in clean_text(f.text)
        ]
        items = _verbs_carried(
            [
                (plan_item(f.label, t), f.evidence)
                for f in facts.of(Block.plan.value)
                if f.problem == problem
                for t in clean_text(f.text)
            ]
        )
        name = problem.strip().rstrip(".")
        name = name[:1].upper() + name[1:]
        texts = (reasons if assess else []) + (items if plan else [])
        if assess and name and not reasons:
            texts = [(name, ())] + texts
        elif name and texts:
            texts[0] = (f"{name}: {texts[0][0]}", texts[0][1])
        for text, ev in texts:
            out.add(_sentence(text), ev, group="problems")


def _problems(facts: VisitFacts) -> list[str]:
    """Problems in the order asked, those with nothing said left for the assessment to name."""
    seen: list[str] = []
    for p in facts.problems + [f.problem for f in facts.facts if f.problem]:
        if p and p not in seen:
            seen.append(p)
    return seen
