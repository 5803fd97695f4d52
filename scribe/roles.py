"""Who said it: label transcript segments clinician, patient or unknown.

Speech recognition gives segments without speakers. The note needs them: what the *patient*
reports belongs in the history, what the *clinician* examined, measured or decided belongs in the
exam, results and plan, and the drafting prompt labels every line ``Doctor:`` or ``Patient:``.

Two kinds of evidence are combined, deterministically and cheaply (no model, no audio):

* **Content.** Each segment gets a log-odds score from cues that separate the two roles in
  clinic conversations: clinicians ask ("how long", "any ...", "do you"), address the patient
  ("your", "you"), examine and instruct ("let's take a look", "i want you to", "i'm going to
  order", "on exam"), give results and plans ("your blood pressure is", "we'll increase");
  patients speak about themselves ("my", "i've been", "it hurts", "i feel"), answer briefly
  ("yes", "no", "mm-hmm") and address the doctor ("doc").
* **Turn structure.** A two-state hidden Markov model over the segment sequence: a question is
  usually followed by the other speaker, and typed dialogues (one line per turn) alternate far
  more than ASR segments (a long explanation spans several segments). Forward-backward gives each
  segment a posterior; below ``min_confidence`` the segment stays ``unknown`` rather than
  guessing.

Segments that already have a role (typed tags, or a diariser) are kept and anchor the model;
``overwrite=True`` relabels everything (used to measure accuracy against ACI-Bench's tags, which
are themselves partly wrong on purpose).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .domain import Segment, SpeakerRole, Transcript

# (pattern, weight): positive = clinician, negative = patient. Patterns run on a normalised,
# lower-case text with single spaces and contractions joined ("do n't" -> "don't").
_CUES: list[tuple[re.Pattern, float]] = [
    (re.compile(p), w)
    for p, w in [
        # clinician: questions and history-taking
        (
            r"\b(how long|how often|how much|how many|how are you|how have you|how's|how is your|what brings you|when did)\b",
            1.2,
        ),
        (
            r"\bany (other )?(pain|fever|chills|nausea|vomiting|chest|shortness|symptoms|questions|changes|problems|allergies|history|trouble|numbness|swelling|weight)\b",
            1.3,
        ),
        (r"^(any|do you|did you|are you|have you|has it|is it|does it|can you|could you|were you|was it)\b", 1.0),
        (r"\b(do you|did you|have you|are you|have you had|were you|can you)\b", 0.6),
        (r"\b(tell me|describe)\b", 0.8),
        # clinician: exam, results, plan, instructions
        (
            r"\b(let's|let me|i'm going to|i am going to|i'm gonna|i'm gon na|i'd like to|i would like to|i want you to|we're going to|we are going to|we'll|we will|i'll)\b",
            1.1,
        ),
        (
            r"\b(take a (deep )?breath|lie back|look at|listen to|press|push against|squeeze|follow my finger|on exam|physical exam|your exam|examine|examination)\b",
            1.4,
        ),
        (
            r"\b(your (blood pressure|heart|lungs|labs?|results?|x-ray|mri|ct|a1c|hemoglobin|ekg|echo|exam|vitals?|weight|temperature|oxygen)|the (x-ray|mri|ct scan|labs?|results?|echocardiogram|ultrasound) (shows?|showed|was|were|is|demonstrates?))\b",
            1.6,
        ),
        (
            r"\b(prescribe|prescription|refill|increase|decrease|continue|start you|put you on|order|referral|refer you|follow up|follow-up|come back|see you (back|in)|schedule)\b",
            0.9,
        ),
        (
            r"\b(diagnosis|assessment|plan|my impression|it sounds like|it looks like|consistent with|likely|i suspect|i think (you|we|it's|that's|this))\b",
            0.9,
        ),
        (
            r"\b((i'd|i would) (avoid|recommend|suggest|hold off|stay away|keep)|you should|you'll need|make sure|try to|i recommend|i suggest|avoid)\b",
            1.0,
        ),
        (r"\b(dragon|show me the|hey dax)\b", 1.0),
        (r"\b(milligrams?|mg|twice a day|once a day|daily|times a day)\b", 0.3),
        (r"\b(okay|all right|alright)\b.*\?$", 0.6),
        (r"\b(is a \d+ year old|year-old|presents (today )?(for|with)|past medical history)\b", 2.0),
        (r"\bdax\b", 1.0),
        # patient: about oneself, short answers, addressing the doctor
        (r"\b(my|mine|myself)\b", -0.9),
        (
            r"\b(i've been|i have been|i had|i've had|i was|i get|i got|i feel|i felt|i think it|i noticed|i started|i take|i'm taking|i've tried|i tried|i can't|i don't|i didn't|i haven't|i do)\b",
            -1.0,
        ),
        (r"\b(it hurts|it's been|it was|it started|it gets|hurts|sore|aching|it feels)\b", -0.5),
        (r"\b(doc|doctor)\b", -0.8),
        (r"\b(thank you|thanks)\b", -0.4),
        (r"\b(uh|um)\b", -0.2),
    ]
]
_SHORT_ANSWER = re.compile(
    r"^(yes|yeah|yep|no|nope|nah|okay|ok|sure|right|mm-hmm|mm|uh-huh|hmm|correct|not really|i guess|"
    r"i think so|i don't think so|no i haven't|yes i have|i do|i don't|sometimes|a little|"
    r"(yes|yeah|no|okay|sure)( (sir|ma'am|doctor|doc|i am|i have|i do|i did|it is|that's right))?)[ .!,]*$"
)
_YOU = re.compile(r"\b(you|your|you're|you've|yourself)\b")
_I = re.compile(r"\b(i|i'm|i've|i'd|me)\b")


def normalise_speech(text: str) -> str:
    t = text.lower().replace("’", "'")
    t = re.sub(r"\s+(n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", t)
    t = re.sub(r"\s+([,.?!;:])", r"\1", t)
    return re.sub(r"\s+", " ", t).strip()


def content_score(text: str) -> float:
    """Log-odds that ``text`` was said by the clinician (positive) rather than the patient."""
    t = normalise_speech(text)
    if not t:
        return 0.0
    score = 0.0
    for pattern, weight in _CUES:
        if pattern.search(t):
            score += weight
    if t.endswith("?"):
        score += 1.0
    score += 0.35 * min(4, len(_YOU.findall(t)))
    score -= 0.25 * min(4, len(_I.findall(t)))
    if _SHORT_ANSWER.match(t):
        score -= 1.2
    return max(-6.0, min(6.0, score))


@dataclass
class RoleLabel:
    role: SpeakerRole
    confidence: float  # posterior of the chosen role (0.5..1)


def _switch_probability(prev: Segment, typed: bool) -> float:
    t = normalise_speech(prev.text)
    asked = t.endswith("?") or "?" in t[-60:]  # a question near the end hands the turn over
    if typed:  # one line per turn: speakers alternate almost always
        return 0.93 if asked else 0.85
    return 0.75 if asked else 0.35


def infer_roles(transcript: Transcript, *, overwrite: bool = False, anchor: float = 0.97) -> list[RoleLabel]:
    """Posterior role per segment (same order as ``transcript.segments``).

    Existing labels count as strong but not certain evidence (``anchor``) unless ``overwrite``.
    """
    segs = transcript.segments
    if not segs:
        return []
    typed = (transcript.source or "") != "" and transcript.asr_model is None and all(not s.words for s in segs)
    # emission likelihoods P(text | clinician), P(text | patient), up to a common factor
    emis = []
    for s in segs:
        if not overwrite and s.speaker != SpeakerRole.unknown:
            c = anchor if s.speaker == SpeakerRole.clinician else 1 - anchor
        else:
            c = 1 / (1 + math.exp(-content_score(s.text)))
        emis.append((c, 1 - c))
    n = len(segs)
    # forward-backward in probability space with per-step normalisation
    fwd = [(0.0, 0.0)] * n
    a = (0.6 * emis[0][0], 0.4 * emis[0][1])  # visits usually open with the clinician
    z = sum(a) or 1.0
    fwd[0] = (a[0] / z, a[1] / z)
    switch = [0.5] + [_switch_probability(segs[i - 1], typed) for i in range(1, n)]
    for i in range(1, n):
        p = switch[i]
        pc, pp = fwd[i - 1]
        c = (pc * (1 - p) + pp * p) * emis[i][0]
        q = (pp * (1 - p) + pc * p) * emis[i][1]
        z = (c + q) or 1.0
        fwd[i] = (c / z, q / z)
    bwd = [(1.0, 1.0)] * n
    for i in range(n - 2, -1, -1):
        p = switch[i + 1]
        bc_next, bp_next = bwd[i + 1]
        ec, ep = emis[i + 1]
        c = (1 - p) * ec * bc_next + p * ep * bp_next
        q = p * ec * bc_next + (1 - p) * ep * bp_next
        z = (c + q) or 1.0
        bwd[i] = (c / z, q / z)
    out = []
    for i in range(n):
        c = fwd[i][0] * bwd[i][0]
        q = fwd[i][1] * bwd[i][1]
        pc = c / ((c + q) or 1.0)
        out.append(RoleLabel(SpeakerRole.clinician if pc >= 0.5 else SpeakerRole.patient, max(pc, 1 - pc)))
    return out


def label_roles(transcript: Transcript, *, overwrite: bool = False, min_confidence: float = 0.6) -> Transcript:
    """A copy of ``transcript`` with unknown speakers labelled (``unknown`` where unsure)."""
    labels = infer_roles(transcript, overwrite=overwrite)
    segments = []
    for s, lab in zip(transcript.segments, labels):
        if overwrite or s.speaker == SpeakerRole.unknown:
            role = lab.role if lab.confidence >= min_confidence else SpeakerRole.unknown
            s = s.model_copy(update={"speaker": role})
        segments.append(s)
    return transcript.model_copy(update={"segments": segments})


def role_agreement(predicted: Transcript, truth: Transcript) -> dict:
    """Agreement of predicted roles with reference roles, by segment (unknown counts as a miss)."""
    pairs = [
        (p.speaker, t.speaker) for p, t in zip(predicted.segments, truth.segments) if t.speaker != SpeakerRole.unknown
    ]
    n = len(pairs) or 1
    right = sum(1 for p, t in pairs if p == t)
    unknown = sum(1 for p, _ in pairs if p == SpeakerRole.unknown)
    labelled = len(pairs) - unknown
    return {
        "segments": len(pairs),
        "accuracy": right / n,
        "unknown": unknown / n,
        "accuracy_when_labelled": right / labelled if labelled else 0.0,
    }


def strip_roles(transcript: Transcript) -> Transcript:
    return transcript.model_copy(
        update={"segments": [s.model_copy(update={"speaker": SpeakerRole.unknown}) for s in transcript.segments]}
    )


SWAP_MARGIN = (
    0.5  # mean content score by which the tags must read the wrong way round (train: swapped <= -1.17, others >= +0.76)
)
SWAP_MIN_LINES = 5  # lines of each tagged role needed before the tags are judged


def swapped_tags(transcript: Transcript) -> bool:
    """The tagged speakers read the other way round: the "doctor" lines speak as a patient does ("my knee",
    "I've been") and the "patient" lines ask, examine and decide. A diariser that named its speakers the wrong
    way, or a typed dialogue tagged so (5 of ACI-Bench train's 67 are), would put the patient's words in the
    plan; the drafter then reads the dialogue with the roles swapped back."""
    by_role: dict[SpeakerRole, list[float]] = {SpeakerRole.clinician: [], SpeakerRole.patient: []}
    for s in transcript.segments:
        if s.speaker in by_role and s.text.strip():
            by_role[s.speaker].append(content_score(s.text))
    doctor, patient = by_role[SpeakerRole.clinician], by_role[SpeakerRole.patient]
    if len(doctor) < SWAP_MIN_LINES or len(patient) < SWAP_MIN_LINES:
        return False
    return sum(doctor) / len(doctor) - sum(patient) / len(patient) < -SWAP_MARGIN


def consistent_roles(transcript: Transcript) -> Transcript:
    """``transcript`` with clinician and patient swapped back when :func:`swapped_tags`; else unchanged."""
    if not swapped_tags(transcript):
        return transcript
    other = {SpeakerRole.clinician: SpeakerRole.patient, SpeakerRole.patient: SpeakerRole.clinician}
    return transcript.model_copy(
        update={
            "segments": [s.model_copy(update={"speaker": other.get(s.speaker, s.speaker)}) for s in transcript.segments]
        }
    )
