"""The omission check: what was said in the visit that the note leaves out.

Grounding checks what the note says against the transcript; this checks the other way. From the
transcript it lists the visit's *must-chart facts*, each with the segments it was said in:
medications and every change (with both doses), allergies, diagnoses stated, tests ordered,
referrals, follow-up timing, red-flag advice and vital signs. The ones the note does not cover are
shown in the note view ("Said but not in the note"), and one click adds a statement built from the
transcript's own words, in the section that fits, through :func:`scribe.approval.add_statement` (so
it is attributed, audited and grounded like every other edit).

Deterministic and lexical like grounding: a fact is covered when a statement of the note names its
key terms (the drug, the new dose, the test, the specialty, the follow-up interval, the numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from .domain import NoteDraft, Transcript
from .grounding import TEST_NAMES, TranscriptIndex, allergy_only, findings_in, test_panel_name
from .lexicon import Lexicon, medication_names, mentioned
from .textnorm import DOSE_UNITS, UNITS, canon_number, normalise, sentences, tokens


class FactKind(str, Enum):
    medication = "medication"
    medication_change = "medication_change"
    allergy = "allergy"
    diagnosis = "diagnosis"
    test = "test"
    referral = "referral"
    follow_up = "follow_up"
    red_flag = "red_flag"
    vital_sign = "vital_sign"


KIND_LABEL = {
    FactKind.medication: "Medication",
    FactKind.medication_change: "Medication change",
    FactKind.allergy: "Allergy",
    FactKind.diagnosis: "Diagnosis",
    FactKind.test: "Test ordered",
    FactKind.referral: "Referral",
    FactKind.follow_up: "Follow-up",
    FactKind.red_flag: "Red-flag advice",
    FactKind.vital_sign: "Vital sign",
}

# Which part of a note each kind belongs in, by the section keys the bundled templates use, best first.
_SECTIONS = {
    "history": (
        "medications_allergies",
        "history_of_present_illness",
        "interval_history",
        "history",
        "subjective",
        "reason_for_consult",
    ),
    "exam": ("physical_exam", "examination", "objective", "findings", "results"),
    "assessment": ("assessment", "assessment_and_plan", "impression", "recommendations", "plan"),
    "plan": ("plan", "assessment_and_plan", "recommendations", "impression", "assessment"),
}
_ROLE = {
    FactKind.medication: "history",
    FactKind.allergy: "history",
    FactKind.vital_sign: "exam",
    FactKind.diagnosis: "assessment",
    FactKind.medication_change: "plan",
    FactKind.test: "plan",
    FactKind.referral: "plan",
    FactKind.follow_up: "plan",
    FactKind.red_flag: "plan",
}


@dataclass(frozen=True)
class MustChart:
    """One fact said in the visit that a note should carry."""

    kind: FactKind
    label: str  # what the panel shows: "lisinopril 10 mg -> 20 mg"
    statement: str  # what one click adds, in the transcript's words: "Increase lisinopril from 10 mg to 20 mg."
    segments: tuple[int, ...]
    terms: tuple[str, ...]  # all of them must be in one note statement for the fact to be covered
    any_of: tuple[str, ...] = field(default=())  # and, if given, at least one of these

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{'|'.join(self.terms)}"


def section_for(note: NoteDraft, kind: FactKind) -> str | None:
    """The key of the note's section a fact of ``kind`` goes into (None for a note without sections)."""
    keys = [s.key for s in note.sections]
    for key in _SECTIONS[_ROLE[kind]]:
        if key in keys:
            return key
    return keys[-1] if keys else None


# ----------------------------------------------------------------------------- extraction

_CHANGE = re.compile(
    r"\b(increas\w*|decreas\w*|rais\w*|bump\w*|go(?:ing)? up|double|doubling|lower\w*|reduc\w*|cut\w* back|"
    r"switch\w*|chang\w*|stop\w*|discontinu\w*|hold\w*|start\w*|add\w*|prescrib\w*|titrat\w*|taper\w*)\b"
)
_DOSE = re.compile(r"\b(\d+(?:\.\d+)?) (mg|mcg|g|ml|units|milligrams?|micrograms?)\b")
_ALLERGY = re.compile(r"\b(allerg\w*|anaphyla\w*|hives|react\w*)\b")
_ORDER = re.compile(
    r"\b(order\w*|schedul\w*|get (?:you|a|an|some)|set (?:you )?up|send (?:you )?for|check\w*|draw\w*|obtain|"
    r"arrange|want (?:you )?to (?:get|have|do)|like (?:you )?to (?:get|have|do)|going to (?:get|do|have)|gon na (?:get|do|have)|"
    r"need (?:a|an|to get|to have)|repeat|refer\w*|due for|suggest\w*|recommend\w*|additional|further)\b"
)
# a test done already, said right before its name: its results, or a review of it ("a review of the diagnostic
# imaging that you had")
_DONE = re.compile(r"\b(?:showed|came back|results?|was|were|review\w*|look\w* at|went over)\b")
# specialties and services a visit refers to (public: the omission benchmark reads a reference note's with it)
SPECIALTIES = re.compile(
    r"\b(cardiolog\w*|dermatolog\w*|endocrinolog\w*|gastroenterolog\w*|nephrolog\w*|neurolog\w*|oncolog\w*|"
    r"orthopedic\w*|orthopaedic\w*|podiatr\w*|pulmonolog\w*|rheumatolog\w*|urolog\w*|psychiatr\w*|psycholog\w*|"
    r"ophthalmolog\w*|ent|surgeon|surgery|physical therapy|occupational therapy|counsel\w*|therapist|nutritionist|"
    r"dietitian|dietician|sleep (?:medicine|clinic)|pain (?:clinic|management)|specialist|allergist|hematolog\w*)\b"
)
_REFER = re.compile(r"\b(refer\w*|send you (?:to|over)|see (?:a|an|the)|set you up with|consult\w*)\b")
_INTERVAL = (
    r"((?:\d+(?:\.\d+)?|a|an|one|a couple of|a few))"
    r"(?:\s+(?:days?|weeks?|months?|years?))?(?:\s+(?:to|or)\s+(\d+))?\s+"  # "in a week to 2 weeks"
    r"(days?|weeks?|months?|years?)\b"
)
_FOLLOW = re.compile(
    r"\b(?:come back|follow(?:-| )?up|see (?:you|him|her|them)(?: back)?|return|recheck|back in|check in|touch base|"
    # a recogniser's "i do want to see back in about 2 weeks", "we will make an appointment for 7 days"
    r"see back|appointment|"
    r"revisit|check (?:on )?(?:you|him|her)|take a look|front desk)\b"
    # "revisit um , maybe 6 months ?": spoken without "in"; "see you back here in the 7 days", "in the next 2 weeks"
    r"[^.?!]{0,40}?\b(?:in|after|for|maybe)\s+(?:about\s+|another\s+)?(?:the\s+)?(?:next\s+)?" + _INTERVAL
)
# the interval said first: "and then finally 3 weeks i'd like you to return"
_FOLLOW_AFTER = re.compile(
    r"\b" + _INTERVAL + r"\s+(?:i'd like you to|i want you to|i'll have you|we'll have you|to)\s+"
    r"(?:come back|follow(?:-| )?up|return|see (?:me|us))\b"
)
# the answer to "when do I come back?": "in a year, but ..."
_WHEN_BACK = re.compile(
    r"\b(?:when|how soon)\b(?: \w+){0,3} (?:i|we|me) (?:\w+ ){0,2}(?:come back|follow(?:-| )?up|see you|return)\b"
)
_FOLLOW_ANSWER = re.compile(r"^\W*(?:um\W+|uh\W+|so\W+|maybe\W+|probably\W+)*(?:in\s+)?(?:about\s+)?" + _INTERVAL)
_RED_FLAG = re.compile(
    r"\b(?:if|should)\b[^.?!]{0,140}?\b(?:call|9 1 1|911|emergency|er|e r|come back|come in|go to|return|seek|let me know|"
    r"ambulance)\b|\b(?:call|go to)\b[^.?!]{0,60}\b(?:911|9 1 1|emergency|er)\b[^.?!]{0,80}\bif\b"
)
_VITALS = (
    ("blood pressure", re.compile(r"\b(?:blood pressure|bp)\b[^.?!\d]{0,40}?(\d{2,3}) ?/ ?(\d{2,3})")),
    ("heart rate", re.compile(r"\b(?:heart rate|pulse)\b[^.?!\d]{0,30}?(\d{2,3})\b")),
    ("temperature", re.compile(r"\btemperature\b[^.?!\d]{0,30}?(\d{2,3}(?:\.\d)?)\b")),
    (
        "oxygen saturation",
        re.compile(
            r"\b(?:oxygen(?:ation)?|o2|spo2|sao2|sat(?:uration)?s?|satting|pulse ox\w*)\b[^.?!\d]{0,30}?(\d{2,3})\b"
        ),
    ),
    ("respiratory rate", re.compile(r"\b(?:respirat\w* rate|respirations)\b[^.?!\d]{0,30}?(\d{1,2})\b")),
    ("weight", re.compile(r"\bweigh\w*\b[^.?!\d]{0,30}?(\d{2,3}) (?:pounds|lbs|kilograms|kg)\b")),
)
_CUT_CUE_REACH = 40  # characters before a cut line's end within which a diagnosis cue reaches into the next line
_NO_SENTENCE_ENDS = frozenset("a an the another some any your my order get for of and or to".split())
# the vital signs whose reading may be said after a line or sentence break, with a reading each would take
_READ_NEXT = {"blood pressure": "120/80", "oxygen saturation": "98"}
_VITAL_REACH = 60  # characters of the sentence before read with a reading said next
_DIAGNOSIS_CUE = re.compile(
    r"\b(?:i think (?:this is|that this is|you have|it's|it is|that you have)|diagnos\w*|consistent with|"
    r"concerned (?:about|for)|suspect|likely|impression|you have|it's|sounds like|looks like|possible|"
    # the reason for the visit: "a follow-up with me for chronic congestive heart failure", "here today for"
    r"follow(?:-| )?up (?:with me |visit )?for|(?:here|seen|in) (?:today )?for|evaluation of|"
    # the assessment's problem list, "for your next problem, your type 2 diabetes", and the history the visit opens with
    r"(?:first|second|third|fourth|fifth|next|last|final|other) (?:problem|issue)|"
    r"medical history (?:significant |remarkable |notable )?(?:for|of))\b"
)
# a dictated heading whose diagnosis is the next sentence: "impression . number one , left upper extremity neuropathy"
_HEADING = re.compile(r"\b(?:impression|assessment|diagnos[ie]s)\W*$")
_TAG_QUESTION = re.compile(
    r"(?:,|\.)\s*(?:okay|ok|alright|all right|right|sound good|does that sound (?:good|okay)|is that okay|"
    r"any questions)\s*\?\s*$"
)
# "i'm gon na go ahead and order hemoglobin a1c for the future okay ?": a plan with "okay" tacked on, no comma
_PLAN_THEN_OKAY = re.compile(
    r"^\W*(?:so |and |now |then |um |uh |okay |alright )*(?:i'm|i am|i'll|i will|we're|we are|we'll|we will|i want|"
    r"i'd like|let's)\b.*\b(?:okay|ok|alright|all right)\s*\?\s*$"
)
_NUMBER_WORDS = {"a": "1", "an": "1", "one": "1", "a couple of": "2", "a few": "3"}


def _sentences(text: str) -> list[str]:
    # "e.c.g." must not end a sentence
    return sentences(re.sub(r"\b(?:[a-z]\.){2,}", lambda m: m.group(0).replace(".", ""), normalise(text)))


def _doses_after(toks: list[str], meds: list[tuple[int, str]]) -> dict[str, list[str]]:
    """Each drug's doses in a sentence: those said after it and before the next drug ("lisinopril ten
    milligrams ..., metformin five hundred milligrams ...")."""
    out: dict[str, list[str]] = {}
    for k, (i, med) in enumerate(meds):
        end = meds[k + 1][0] if k + 1 < len(meds) else len(toks)
        for j in range(i + 1, min(end, len(toks) - 1)):
            unit = UNITS.get(toks[j + 1])
            if re.fullmatch(r"\d+(?:\.\d+)?", toks[j]) and unit in DOSE_UNITS:
                out.setdefault(med, []).append(f"{canon_number(toks[j])} {unit}")
    return out


def must_chart_facts(transcript: Transcript, medications: Lexicon | None = None) -> list[MustChart]:
    """Every must-chart fact said in ``transcript``, in the order first said, one per key."""
    lx = medication_names(medications)
    index = TranscriptIndex(transcript, lx)
    facts: dict[str, MustChart] = {}
    last_dose: dict[str, str] = {}  # generic -> the dose last said for it ("10 mg")
    terms = diagnosis_terms(lx)

    def add(fact: MustChart) -> None:
        if fact.key in facts:
            old = facts[fact.key]
            facts[fact.key] = MustChart(
                old.kind, old.label, old.statement, tuple(dict.fromkeys(old.segments + fact.segments)), old.terms
            )
        else:
            facts[fact.key] = fact

    asked_before = ""  # the last sentence of the turn before, when it asks something
    said_just_before = ""  # the end of the sentence just said: a vital sign it names may be read out in this one
    # the end of the line before, when a recogniser cut it mid-sentence (no closing punctuation): any word, or a word
    # no sentence ends with ("order a")
    cut_line = cut_mid_phrase = ""
    for sid in index.order:
        text = index.segment_text[sid]
        heading = False
        said = _sentences(text)
        for k, sentence in enumerate(said):
            cued, heading = heading, bool(_HEADING.search(sentence))
            toks = tokens(sentence)
            positions = [
                (i, m)
                for i, m in lx.medications_in(toks)
                if " " in m or not any(" " in n and i in (j, j + 1) for j, n in lx.medications_in(toks))
            ]
            meds = [m for _, m in positions]
            dosed = _doses_after(toks, positions)
            doses = [d for ds in dosed.values() for d in ds]
            # "... refer you to physical therapy, okay?" states the plan; only a real question asks
            asked = (
                sentence.rstrip().endswith("?")
                and not _TAG_QUESTION.search(sentence)
                and not _PLAN_THEN_OKAY.search(sentence)
            )
            # -- medications and changes
            for med in dict.fromkeys(meds):
                if allergy_only(med, index):
                    add(
                        MustChart(
                            FactKind.allergy, f"{med} allergy", f"Allergy: {med}.", (sid,), (med,), ("allerg", "react")
                        )
                    )
                    continue
                generic = lx.generic_of(med)
                own = dosed.get(med, [])
                dose = own[-1] if own else None
                change = _CHANGE.search(sentence)
                before = own[0] if len(own) >= 2 else last_dose.get(generic)
                if change and not asked and dose and before and before != dose:
                    add(
                        MustChart(
                            FactKind.medication_change,
                            f"{med} {before} → {dose}",
                            f"{_verb(change.group(1), before, dose)} {med} from {before} to {dose}.",
                            (sid,),
                            (med, dose.split()[0]),
                        )
                    )
                elif change and not asked and re.match(r"(stop|discontinu|hold)", change.group(1)):
                    add(
                        MustChart(
                            FactKind.medication_change,
                            f"stop {med}",
                            f"Stop {med}.",
                            (sid,),
                            (med,),
                            ("stop", "discontinu", "hold"),
                        )
                    )
                elif change and not asked and re.match(r"(start|add|prescrib)", change.group(1)):
                    label = f"start {med}" + (f" {dose}" if dose else "")
                    add(
                        MustChart(
                            FactKind.medication_change,
                            label,
                            f"Start {med}{' ' + dose if dose else ''}.",
                            (sid,),
                            (med,),
                        )
                    )
                else:
                    label = med + (f" {dose}" if dose else "")
                    add(MustChart(FactKind.medication, label, f"Takes {label}.", (sid,), (med,)))
                if dose:
                    last_dose[generic] = dose
            bare = [(v, _unit(u)) for v, u in _DOSE.findall(sentence)]
            if not meds and bare and sid - 1 in index.tokens:  # "How much lisinopril?" - "Ten milligrams."
                prev = [m for _, m in lx.medications_in(index.tokens[sid - 1])]
                if len(set(prev)) == 1 and lx.generic_of(prev[0]) not in last_dose:
                    last_dose[lx.generic_of(prev[0])] = f"{bare[-1][0]} {bare[-1][1]}"
            del doses
            if asked:
                continue
            # -- allergies without a drug name in the lexicon ("allergic to sulfa", "latex")
            m = re.search(r"\ballergic to (?:the )?([a-z]+(?: [a-z]+)?)", sentence)
            if m and not meds and m.group(1).split()[0] not in ("anything", "any", "it", "that", "them", "nothing"):
                subst = m.group(1).split()[0]
                add(
                    MustChart(
                        FactKind.allergy, f"{subst} allergy", f"Allergic to {subst}.", (sid,), (subst,), ("allerg",)
                    )
                )
            # -- tests ordered ("i'll go ahead and order a" - "hemoglobin a1c for your next blood draw": the line a
            # recogniser cut mid-sentence goes on in this one)
            lead = f"{cut_mid_phrase} " if k == 0 and cut_mid_phrase else ""
            for t in TEST_NAMES.finditer(sentence):
                before = (lead + sentence[: t.start()])[-60:]
                if _ORDER.search(before) and not _DONE.search(before[-25:]):
                    name = test_panel_name(t.group(0))
                    add(MustChart(FactKind.test, f"{name} ordered", f"Order {name}.", (sid,), (_test_key(name),)))
            # -- referrals ("I'd like you to get that first physical therapy appointment in")
            therapy = re.search(r"\b(physical|occupational|speech) therapy\b", sentence)
            if therapy and re.search(r"\b(want|like|going to|gon na|'ll|will|recommend|start|refer|schedul)", sentence):
                name = therapy.group(0)
                add(MustChart(FactKind.referral, f"referral to {name}", f"Refer to {name}.", (sid,), (_stemmed(name),)))
            if _REFER.search(sentence):
                for sp in SPECIALTIES.finditer(sentence):
                    name = sp.group(1)
                    if name in ("surgery", "specialist", "ent") and not re.search(r"\brefer", sentence):
                        continue
                    add(
                        MustChart(
                            FactKind.referral, f"referral to {name}", f"Refer to {name}.", (sid,), (_stemmed(name),)
                        )
                    )
            # -- follow-up timing
            found = [*_FOLLOW.finditer(sentence), *_FOLLOW_AFTER.finditer(sentence)]
            if k == 0 and (answer := _FOLLOW_ANSWER.match(sentence)) and _WHEN_BACK.search(asked_before):
                found.append(answer)
            for f in found:
                low = _NUMBER_WORDS.get(f.group(1), f.group(1))
                n = f.group(2) or low  # "in three to four weeks": charted as "3 to 4 weeks", covered by "4 weeks"
                unit = f.group(3).rstrip("s")
                when = f"{low} to {n} {unit}s" if f.group(2) else f"{n} {unit}{'' if n == '1' else 's'}"
                add(
                    MustChart(
                        FactKind.follow_up,
                        f"follow up in {when}",
                        f"Follow up in {when}.",
                        (sid,),
                        (n.split()[0], unit),
                    )
                )
            # -- red-flag advice
            if _RED_FLAG.search(sentence):
                targets = _red_flag_targets(sentence)
                if targets:
                    what = ", ".join(targets[:4])
                    add(
                        MustChart(
                            FactKind.red_flag,
                            f"seek care if {what}",
                            f"Advised to seek urgent care for {what}.",
                            (sid,),
                            (),
                            tuple(_stemmed(t) for t in targets),
                        )
                    )
            # -- vital signs
            for name, pat in _VITALS:
                found_vital = list(pat.finditer(sentence))
                if not found_vital and name in _READ_NEXT and pat.search(f"{said_just_before} {_READ_NEXT[name]}"):
                    # "your blood pressure looks good today." - "At 128 over 72": a recogniser's line or full stop
                    # may come between the name and its reading (only readings no other number looks like: a
                    # pressure's "over", a saturation's per cent)
                    joined = f"{said_just_before} {sentence}"
                    found_vital = [
                        v
                        for v in pat.finditer(joined)
                        if v.start(1) > len(said_just_before)
                        and (name == "blood pressure" or re.match(r"\s*(?:%|percent)", joined[v.end(1) :]))
                    ]
                for v in found_vital:
                    value = "/".join(g for g in v.groups() if g)
                    add(
                        MustChart(
                            FactKind.vital_sign,
                            f"{name} {value}",
                            f"{name.capitalize()} {value}.",
                            (sid,),
                            tuple(v.groups()),
                        )
                    )
            # -- diagnoses stated by the clinician
            cue, stated = _DIAGNOSIS_CUE.search(sentence), sentence
            if not cue and k == 0 and cut_line:
                # "your first diagnosis of coronary" - "artery disease.": the cue and the name across a cut line
                joined = f"{cut_line} {sentence}"
                if (cue := _DIAGNOSIS_CUE.search(joined)) and cue.start() >= len(cut_line) - _CUT_CUE_REACH:
                    stated = joined
                else:
                    cue = None
            if cue or cued:
                after = stated[cue.start() :] if cue else stated
                named = [t for t in terms if re.search(rf"\b{re.escape(t.lower())}\b", after)]
                for term in named:
                    if any(term != o and term.lower() in o.lower() for o in named):
                        continue  # "angina" inside "stable angina"
                    add(
                        MustChart(
                            FactKind.diagnosis,
                            term,
                            f"{term[0].upper()}{term[1:]}.",
                            (sid,),
                            (_stemmed(term.lower()),),
                        )
                    )
            said_just_before = sentence[-_VITAL_REACH:].rstrip(" .?!,")
        asked_before = said[-1] if said and said[-1].rstrip().endswith("?") else ""
        last = tokens(said[-1])[-1:] if said and text.rstrip()[-1:].isalnum() else []
        cut_line = said[-1][-60:] if last else ""
        cut_mid_phrase = cut_line if last and last[0] in _NO_SENTENCE_ENDS else ""
    return _drop_subsumed(list(facts.values()), lx)


# vocabulary terms that are not diagnoses (tests, findings, dosing words, services)
NOT_DIAGNOSES = re.compile(
    r"therapy|needed|motion|panel|daily|refill|rate|pressure|count|test|monitor|x-ray|saturation|oximetry|capillary|"
    r"smear|milligrams|micrograms|units|bedtime|rhythm|auscultation|follow|referral|allerg|physical|breath|tightness|"
    r"edema|a1c|metabolic|temperature|bmi|bilateral|pulse|sinus|once|twice|three times"
)


def diagnosis_terms(lexicon: Lexicon) -> list[str]:
    """The vocabulary's diagnosis terms: its multi-word terms that name a condition, and known single words."""
    return [
        t
        for t in lexicon.terms
        if (" " in t and len(t) > 4 and not NOT_DIAGNOSES.search(t.lower())) or t.lower() in _DIAGNOSIS_TERMS
    ]


# diagnoses single words may name (multi-word terms of the vocabulary count too)
_DIAGNOSIS_TERMS = frozenset(
    """hypertension hyperlipidemia hypothyroidism hyperthyroidism angina asthma copd gerd pneumonia bronchitis sinusitis
    pharyngitis cellulitis osteoarthritis gout osteoporosis neuropathy sciatica migraine depression anxiety dementia
    obesity anemia prediabetes diabetes arthritis tendinitis tendonitis bursitis sprain strain fracture concussion
    gastritis diverticulitis appendicitis cholecystitis pancreatitis hepatitis cirrhosis""".split()
)


def _unit(u: str) -> str:
    return {"milligram": "mg", "milligrams": "mg", "microgram": "mcg", "micrograms": "mcg"}.get(u, u)


def _verb(word: str, before: str, after: str) -> str:
    try:
        up = float(after.split()[0]) > float(before.split()[0])
    except ValueError:
        up = True
    return "Increase" if up else "Decrease"


def _stemmed(term: str) -> str:
    """A matching stem: "cardiology" -> "cardiolog", "physical therapy" -> "physical therap"."""
    words = term.split()
    return " ".join(
        w[:-1] if len(w) > 6 and (w.endswith("y") or (w.endswith("s") and not w.endswith("ss"))) else w for w in words
    )


def _test_key(name: str) -> str:
    return {
        "ECG": "ecg|ekg|electrocardiogram",
        "x-ray": "xray|x ray|radiograph",
        "blood work": "blood|lab",
        "hemoglobin A1c": "a1c|a 1 c|hemoglobin",
    }.get(name, _stemmed(name.lower().split()[0]))


def _red_flag_targets(sentence: str) -> list[str]:
    return findings_in(sentence)[:6]


def _drop_subsumed(facts: list[MustChart], lx: Lexicon) -> list[MustChart]:
    """A plain medication fact is dropped when a change of the same drug is listed (the change says it all)."""
    changed = {lx.generic_of(f.terms[0]) for f in facts if f.kind == FactKind.medication_change}
    return [f for f in facts if not (f.kind == FactKind.medication and lx.generic_of(f.terms[0]) in changed)]


# ----------------------------------------------------------------------------- coverage


def covers(statement: str, fact: MustChart, lexicon: Lexicon | None = None) -> bool:
    """One note statement carries the fact: all its terms (drugs by any of their names, spelling slips
    allowed), and one of ``any_of`` when given."""
    lx = medication_names(lexicon)
    toks = tokens(statement)
    text = " ".join(toks)
    squeezed = re.sub(r"\b(\w) (?=\w\b)", r"\1", text)  # "e c g" (E.C.G.) -> "ecg", "x ray" -> "xray"
    tokset = set(toks)

    def has(term: str) -> bool:
        if "|" in term:
            return any(has(t) for t in term.split("|"))
        if term in lx or lx.is_medication(term):
            generic = lx.generic_of(term)
            return mentioned(term, tokset, text) or any(lx.generic_of(m) == generic for _, m in lx.medications_in(toks))
        if term.replace(".", "").isdigit():
            return term in tokset
        return bool(re.search(rf"\b{re.escape(term)}", text) or re.search(rf"\b{re.escape(term)}", squeezed))

    if fact.kind == FactKind.follow_up:
        n, unit = fact.terms
        return bool(re.search(rf"\b{n} {unit}", text)) or (n == "1" and bool(re.search(rf"\b(a|one) {unit}", text)))
    return all(has(t) for t in fact.terms) and (not fact.any_of or any(has(t) for t in fact.any_of))


def uncovered(note: NoteDraft, transcript: Transcript, medications: Lexicon | None = None) -> list[MustChart]:
    """The must-chart facts of the visit that no statement of ``note`` covers."""
    lx = medication_names(medications)
    statements = [st.text for st in note.statements()]
    return [f for f in must_chart_facts(transcript, lx) if not any(covers(s, f, lx) for s in statements)]


def chart_fact(note: NoteDraft, fact: MustChart, clinician: str, transcript: Transcript) -> tuple[NoteDraft, str]:
    """Add ``fact`` to the note as the physician's statement, citing the lines it was said in, at the end
    of the section it belongs in; attributed, audited and grounded like every edit
    (:func:`scribe.approval.add_statement`). Returns the note and the new statement's id."""
    from .approval import add_statement
    from .errors import InputError

    key = section_for(note, fact.kind)
    if key is None:
        raise InputError("The note has no section to add this to.")
    section = note.section(key)
    after = section.statements[-1].id if section and section.statements else None
    return add_statement(
        note, key, fact.statement, clinician, after=after, transcript=transcript, evidence=list(fact.segments)
    )
