"""Assertion: is a symptom or finding stated as present or absent, and does the visit say the same?

Negation is checked on clinical *targets* (symptoms, findings, diagnoses), as NegEx and ConText do,
within a scope that knows spoken dialogue: questions without question marks, a "no" answered in the
next turn, lists under one negator, negated verbs, hypothetical and family mentions.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..domain import Issue, SpeakerRole
from ..textnorm import normalise, stated_sentences, tokens
from ..textnorm import sentences as sentences_of
from ..textnorm import stem as _stem
from .index import TranscriptIndex
from .people import FAMILY_WORDS

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

# Negation is checked on clinical *targets* (symptoms, findings, diagnoses), as NegEx and ConText do, not
# on every word: "no extra heart sounds" must not clash with "your heart sounds good". A word is a target
# when it starts with one of these stems; synonyms map to one key so "edema" meets "swelling".
TARGETS = tuple(
    """pain ache aching hurt sore fever chill sweat nause vomit diarrh constipat cough sputum phlegm wheez breath dyspn
    dizz lighthead faint syncop palpitat swell swollen edema rash itch numb tingl weak fatigue tired exhaust headache
    migraine vision blurr bleed blood bruis appetite insomnia anxi depress suicid urinat dysuria hematuria incontinen
    discharge congest sneez fractur murmur gallop rub crackl rales rhonch tender erythem warmth redness deformit
    effusion mass lump lesion nodul ulcer infect cramp stiff spasm seizure tremor confus fall injur heartburn reflux
    bloat distension distention distend jaundice lymphadenopath clubbing cyanos pallor stool melena hemoptysis orthopnea
    claudicat tightness pressure flare snor apnea hematochezia fluid
    hernia crepitus laxity instabil ecchymos bruit cyst drainage pus abrasion lacerat atroph dysphag radiate radiating
    locking catching tinnit rebound guarding jvd nystagm odynophag bowelchange
    diabet hypertens asthma copd emphysema stroke cancer carcinom malignan hyperlipid arthritis gout hepatitis
    hypothyroid chf dvt afib smok tobacco cigarette
    diplop rhinorrh prurit arthralg myalg vertigo winded gerd hypercholest""".split()
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
    "distend": "distension",
    "erythem": "redness",
    "ecchymos": "bruis",
    "lump": "mass",
    "carcinom": "cancer",
    "malignan": "cancer",
    "cigarette": "smok",
    "chf": "heart failure",
    "dvt": "blood clot",
    "afib": "atrial fibrillation",
    # the chart's words for what a patient says plainly
    "prurit": "itch",
    "arthralg": "joint pain",
    "myalg": "muscle pain",
    "vertigo": "dizz",
    "winded": "breath",
    "gerd": "heartburn",
    "hypercholest": "hyperlipid",
    "reflux": "heartburn",  # "acid reflux" is the heartburn a patient feels
    "radiating": "radiate",  # the pain's spread, said as a verb ("radiation" is also a treatment)
}
# conditions a patient has or has had, checked for what a note says of them (not for being named: see finding_issues)
_CONDITIONS = frozenset(
    """diabet hypertens asthma copd emphysema stroke cancer hyperlipid arthritis gout hepatitis hypothyroid apnea""".split()
) | {
    "heart attack",
    "heart failure",
    "heart disease",
    "artery disease",
    "blood clot",
    "kidney disease",
    "atrial fibrillation",
}
_QUIT = re.compile(r"\b(?:quit|quitting|quits|former|formerly|ex|stopped|used to|previously|history|prior|remote)\b")
_NEVER_DIAGNOSED = re.compile(r"\b(?:diagnosed|diagnosis)\b")
# what a condition's name qualifies when it is not the condition: "cancer screening", "no diabetes medications"
_NOT_A_CONDITION_AFTER = frozenset(
    """screening screen screenings risk risks prevention precautions scare medication medications medicine medicines
    meds management education educator diet supplies doctor doctors clinic specialist program numbers labs test tests
    testing class classes""".split()
)
_SUBJECTS = frozenset("i he she they we it".split())
_POSSESSIVES = frozenset("my his her your our their".split())
# what is said of a habit (not of a symptom: "the pain is bad" reports it)
_OPINIONS = frozenset("gross disgusting bad terrible awful nasty unhealthy dangerous expensive stupid dumb".split())
_TERMINATORS = frozenset(
    """but however although though except aside apart yet reports reported endorses endorsed notes noted states stated
    complains admits describes experiences presents which who whereas while there because exam""".split()
)
_HYPOTHETICAL = frozenset(
    "if should unless whether case watch monitor precautions call return develop develops needed prn wish hope risk risks".split()
)
# a list after these names what may happen, all of it ("risks include pain, swelling, ..., numbness, infection")
_LISTS_OF_WHAT_MAY_BE = frozenset("risk risks watch precautions".split())
# words that start like a target but are not findings ("number" is not numbness, "congestive heart failure" is
# not congestion), and what "blood" names when it is not bleeding
_NOT_TARGETS = frozenset(
    """number numbers numbered massage massaging massive rubber painting paint painter congestive discharged
    bloodwork bloodstream fluids exhausting push pushes pushed pushing""".split()
)
_BLOOD_NOT_A_FINDING = frozenset(
    """pressure pressures sugar sugars work test tests draw drawn count counts thinner thinners type levels level
    glucose bank donation vessels vessel cells cell flow supply glucoses cultures culture products transfusion""".split()
)
# what others have, people in general: "my wife has had a cough", "some people get swelling in their legs"
_OTHER_PEOPLE = frozenset(
    """people patients folks friend friends coworker coworkers roommate girlfriend boyfriend anyone anybody someone
    somebody everyone everybody""".split()
)
_MODALS = frozenset("can could may might will would".split())
_MAY_CAUSE = frozenset("cause causes make makes lead leads include includes give gives result be".split())
_LOOK_FOR = frozenset(
    "check checks checking look looks looking screen screens screening evaluate evaluates evaluating test tests testing".split()
)


def _may_happen(toks: list[str], i: int) -> bool:
    """A finding after this word is one that may happen, not one the patient has: "can cause", "could be", "to prevent",
    "to avoid", "check for", "side effects"."""
    w = toks[i]
    return (
        (w in _MAY_CAUSE and i > 0 and toks[i - 1] in _MODALS)
        or w in ("prevent", "prevents", "preventing", "avoid", "avoids", "avoiding")
        or (w in _LOOK_FOR and toks[i + 1 : i + 2] == ["for"])
        or (w == "side" and toks[i + 1 : i + 2] in (["effect"], ["effects"]))
    )


# "did not relieve the pain", "doesn't help the swelling", "was not effective for pain control": the verb (or what
# the treatment was) is negated, not the finding after it. Not "cause": what something does not cause is absent ("it
# does not cause shortness of breath, nausea, or sweating", the demo's draft at stop 45, was three false flags).
_NEGATED_VERBS = frozenset(
    """relieve relieved help helped helps improve improved resolve resolved work worked works change changed bother
    bothered affect affected stop stopped go went return returned get got gets getting make made limit
    limited interfere interfered able wake wakes woke helping working improving relieving changing bothering
    affecting stopping catch treated treat effective helpful successful beneficial useful undergone undergo underwent
    received receive sought seek tried try""".split()
)
# "didn't get rid of the pain", "doesn't get better": the verb is negated; "I don't get short of breath" denies
_GET = frozenset("get gets getting got".split())
_GET_WHAT = (["rid"], ["relief"], ["better"], ["worse"], ["much"], ["up"])
# a question without its question mark (unpunctuated transcripts): "have you had any chest pain"
_ASKING = frozenset("have do did are were is does can could".split())
_YES = frozenset("yes yeah yep yup sure mm-hmm uh-huh correct right sometimes definitely absolutely".split())
_NO = frozenset("no nope not never nah none neither zero negative nothing".split())
# after a negator, words that make it no denial of what follows
_NOT_A_DENIAL_AFTER = frozenset("only just surprise doubt wonder question".split())
NEGATION_SCOPE = 10  # tokens a negation reaches past its trigger (or past the last item of its list)
CONDITION_REACH = 30  # tokens within which an "if" looks for the "then" that ends its condition


# two-word targets, checked before single words ("weight gain" and "weight loss" are different findings)
_COMPOUND = {
    "weight gain": "weight gain",
    "weight loss": "weight loss",
    "gained weight": "weight gain",
    "lost weight": "weight loss",
    "losing weight": "weight loss",
    "gaining weight": "weight gain",
    "throwing up": "vomit",
    "threw up": "vomit",
    "throw up": "vomit",
    "thrown up": "vomit",
    "passed out": "faint",
    "pass out": "faint",
    "passing out": "faint",
    "heart burn": "heartburn",
    "trouble sleeping": "insomnia",
    "difficulty sleeping": "insomnia",
    "problem sleeping": "insomnia",
    "problems sleeping": "insomnia",
    "lost consciousness": "faint",  # and "loss of consciousness" (normalised to it); passing out is losing it
    "lose consciousness": "faint",
    "losing consciousness": "faint",
    "blacked out": "faint",
    "black out": "faint",
    "knocked out": "faint",
    "heart racing": "palpitat",
    "racing heart": "palpitat",
    "gives out": "instabil",
    "gave out": "instabil",
    "giving out": "instabil",
    "give out": "instabil",
    "gives way": "instabil",
    "giving way": "instabil",
    "the runs": "diarrh",
    "loose stool": "diarrh",
    "loose stools": "diarrh",
    "watery stools": "diarrh",
    "double vision": "diplop",
    "runny nose": "rhinorrh",
    "stuffy nose": "congest",
    "room spinning": "dizz",
    "room spins": "dizz",
    "room spin": "dizz",
    "heart flutters": "palpitat",
    "heart fluttering": "palpitat",
    "atrial flutter": "atrial flutter",
    "trouble swallowing": "dysphag",
    "difficulty swallowing": "dysphag",
    "problems swallowing": "dysphag",
    "hard swallowing": "dysphag",
    # conditions a patient has or has had (what a history says of them is checked as a finding's polarity is)
    "sugar problem": "diabet",  # "my dad's sister had sugar problem" (MTS-Dialog dev MTS0846)
    "sugar problems": "diabet",
    "sugar issue": "diabet",
    "sugar issues": "diabet",
    "heart attack": "heart attack",
    "heart attacks": "heart attack",
    "myocardial infarction": "heart attack",
    "heart failure": "heart failure",
    "heart disease": "heart disease",
    "artery disease": "artery disease",  # coronary, peripheral
    "blood clot": "blood clot",
    "blood clots": "blood clot",
    "kidney disease": "kidney disease",
    "atrial fibrillation": "atrial fibrillation",
    "high cholesterol": "hyperlipid",
    "venous distension": "jvd",  # "jugular venous distension"
    "venous distention": "jvd",
    "ringing in": "tinnit",  # "ringing in my ears"
    "ears ringing": "tinnit",
    "ringing ears": "tinnit",
    "urinary frequency": "urinary frequency",
    "frequent urination": "urinary frequency",
    "urinating frequently": "urinary frequency",
    "lost appetite": "appetite loss",  # and "loss of appetite" (normalised to it)
    "decreased appetite": "appetite loss",
    "poor appetite": "appetite loss",
    "appetite loss": "appetite loss",
    "sleep disturbance": "insomnia",
    "sleep disturbances": "insomnia",
    "sleep problems": "insomnia",
    "sleeping problems": "insomnia",
}
# eponymous signs and tests of the exam ("positive Murphy's sign", "Spurling's test"), however the name is spelled:
# a positive one the visit never names is a finding made up, the kind a drafting model adds to an exam
_EPONYMS = {
    "murphy": "murphy",
    "homan": "homan",
    "homans": "homan",
    "tinel": "tinel",
    "phalen": "phalen",
    "mcmurray": "mcmurray",
    "lachman": "lachman",
    "spurling": "spurling",
    "babinski": "babinski",
    "kernig": "kernig",
    "brudzinski": "brudzinski",
    "finkelstein": "finkelstein",
    "romberg": "romberg",
    "rovsing": "rovsing",
}
_COMPOUND.update(
    {
        f"{name}{ending} {kind}": f"{canon} sign"
        for name, canon in _EPONYMS.items()
        for ending in ("", "'s", "s")
        for kind in ("sign", "test", "maneuver", "manoeuvre")
    }
)
_SIGNS = frozenset(f"{canon} sign" for canon in _EPONYMS.values())
# a sign's result said after it: "mcmurray's test is negative", "spurling's maneuver is benign", "are all negative"
_SIGN_NEGATIVE = re.compile(
    r"^(?:(?:test|tests|sign|signs|maneuver|manoeuvre)\s)?(?:(?:is|are|was|were|'s|all|both|also|bilaterally|that|that's|it's|which)\s){0,3}"
    r"(?:negative|benign|normal|absent|unremarkable)\b"
)
# colour and heat said as adjectives of a finding ("swollen, but not red or warm"): the words themselves, not
# their prefixes ("reduce", "warmed up")
_ADJECTIVE_TARGETS = {"red": "redness", "warm": "warmth"}
# what "warm" or "red" describes when it is no finding
_NOT_A_FINDING_AFTER = frozenset(
    "compress compresses water shower bath towel blood cells cell meat wine light flag".split()
)


_DISCHARGED = frozenset("home from planning plan instructions summary date today tomorrow medications".split())
_LEFT_HOSPITAL = frozenset("upon after since before until post prior".split())  # "upon his discharge"


# the chart's abbreviations of conditions, as whole words ("mi" must not take "migraine" or "mild")
_ABBREVIATED = {
    "htn": "hypertens",
    "dm": "diabet",
    "dmii": "diabet",
    "t2dm": "diabet",
    "iddm": "diabet",
    "niddm": "diabet",
    "mi": "heart attack",
    "cva": "stroke",
    "hld": "hyperlipid",
    "osa": "apnea",
    "ckd": "kidney disease",
    "cad": "artery disease",
}


@lru_cache(maxsize=65536)
def target(word: str, following: str = "") -> str | None:
    if following and (key := _COMPOUND.get(f"{word} {following}")):
        return key
    if word in _ABBREVIATED:
        return _ABBREVIATED[word]
    if (
        word in _NOT_TARGETS
        or (word == "blood" and following in _BLOOD_NOT_A_FINDING)
        or (word.startswith("fall") and following == "asleep")  # "falls asleep easily" is not a fall
        or (word == "discharge" and following in _DISCHARGED)  # "discharge home": leaving the hospital
    ):
        return None
    if word in _ADJECTIVE_TARGETS:
        return None if following in _NOT_A_FINDING_AFTER else _ADJECTIVE_TARGETS[word]
    for stem in TARGETS:
        if word.startswith(stem):
            return _TARGET_SYNONYM.get(stem, stem)
    return None


_POSTED_DENIAL = re.compile(
    r"^\W*([^:]{1,60}):\s*(?:none|no|denies|denied|negative|absent|never|not present)\W*$", re.I
)


# "no reported chest pain": the denial goes on past the chart's verb
_REPORTED = frozenset("reported noted stated described endorsed".split())
# "no other symptoms associated with the diplopia": what the others are counted against is there
_REFERENCE_POINT = frozenset("with besides than except apart associated beyond".split())
# "no appetite and has lost 8 pounds": "and" with a verb of its own starts a new clause
_NEW_VERB = [[w] for w in "has had have is was reports reported notes noted states stated complains says".split()]
# a negative question puts its verb before its subject ("isn't this your second episode?", "didn't you have a fever
# then?"): it asks, expecting yes, and denies nothing
_INVERTED_SUBJECTS = frozenset("this that it you he she there they we i".split())
_OPENERS = frozenset("and so but well oh okay ok um uh now then".split())


def _inverted(toks: list[str], i: int) -> bool:
    return (i == 0 or toks[i - 1] in _OPENERS) and toks[i + 1 : i + 2] != [] and toks[i + 1] in _INVERTED_SUBJECTS


# "the pain is not an issue", "bleeding is no longer a problem": the target denied after it
# "I have been no feeling in my feet", "lost sensation in his toes": numbness said as what is missing
_NO_FEELING = re.compile(r"\b(?:no|lost|loss of|lack of|losing|without) (?:feeling|sensation)s? (?=in|on|at)\b")
_NOT_AN_ISSUE = re.compile(
    r"\b([a-z]+) (?:(?:is|are|was|were|has been|have been) (?:not|no longer|never)"
    r"|isn't|aren't|wasn't|weren't|hasn't been|haven't been)(?: really)? (?:an? )?(?:issue|problem|concern|complaint)s?\b"
)


def negated_terms(clause: str, skip_past: bool = False) -> tuple[set[str], set[str]]:
    """Targets asserted as absent vs. present within one clause.

    A negator ("no", "denies", "without", "n't") negates the targets after it; the scope runs on through
    a list ("denies chest pain, shortness of breath, or swelling in her legs") and stops at a word that
    starts a new assertion ("but", "reports", "has") or after :data:`NEGATION_SCOPE` tokens. Targets
    after "if", "should", "watch for" (hypothetical) or a relative ("her mother has") assert nothing.
    ``skip_past``: leave out targets said with a word of the past next to them ("never injured this foot before").
    """
    if m := _POSTED_DENIAL.match(clause):  # "Fever: none.", "Tobacco use: denies": the chart's answer after the colon
        return negated_terms(f"no {m.group(1)}", skip_past)
    negated: set[str] = set()
    affirmed: set[str] = set()
    clause = _NOT_AN_ISSUE.sub(r"no \1", clause)
    clause = _NO_FEELING.sub("numbness ", clause)
    toks = _non_split(re.findall(r"[a-z][a-z'-]*|,", clause))
    past = [i for i, w in enumerate(toks) if _of_the_past(toks, i)] if skip_past else []
    neg_at = hyp_at = skip = -99
    hyp_until = -1  # an "if" reaches its "then"
    listing = False  # the hypothetical is a list of what may happen ("risks include ...")
    others = False  # the hypothetical is what someone else has ("my wife has a cough")
    for i, w in enumerate(toks):
        if w == ",":
            if i - neg_at <= NEGATION_SCOPE and _clause_follows(toks, i):
                neg_at = -99  # "not well controlled, ankle swelling is mild": a new clause, not the list's next item
            elif 0 < i - neg_at <= NEGATION_SCOPE and _negates_a_doing(toks, neg_at, i):
                neg_at = -99  # "he could not straighten his leg, pain in the back of the knee": the pain is there
            elif 0 < i - neg_at <= NEGATION_SCOPE and toks[neg_at] == "without" and "," in toks[:neg_at]:
                # "tremor, endometriosis, migraine headaches without aura, and basal cell carcinoma": a "without" inside
                # an item of a list that began before it qualifies that item alone
                neg_at = -99
            elif i - neg_at <= NEGATION_SCOPE:
                neg_at = i  # a list goes on: its next item is negated too
            if i - hyp_at <= NEGATION_SCOPE and listing:
                hyp_at = i  # and a list of risks or of what to watch for asserts none of its items
            continue
        if (
            w == "without"
            and 0 < i - neg_at <= NEGATION_SCOPE
            and "," not in toks[neg_at:i]
            and (toks[neg_at].endswith("n't") or toks[neg_at] in ("not", "never", "no"))
        ):
            neg_at = -99  # "I can't walk without pain", "I don't go a day without a headache": two negatives
            continue
        if (w in _NEGATORS or w.endswith("n't")) and toks[i + 1 : i + 2] and toks[i + 1] in _NOT_A_DENIAL_AFTER:
            continue  # "not only do I have a cough", "it's not just the knee", "no surprise you have swelling"
        if w in ("ruled", "rule", "rules") and toks[i + 1 : i + 2] == ["out"]:
            # "the x-ray ruled out a fracture" denies it; "to rule out a fracture" only asks
            neg_at, hyp_at = (i + 1, hyp_at) if w == "ruled" else (neg_at, i + 1)
            continue
        if w == "non" and not (toks[i + 1 : i + 2] and target(toks[i + 1])):
            continue  # "non-small cell lung cancer", "non-Hodgkin lymphoma": a name; "non-tender" denies
        if w.endswith("n't") and _inverted(toks, i):
            continue  # "isn't this your second episode of hematuria?" asks, expecting yes: no denial
        if w in _NEGATORS or w.endswith("n't"):
            neg_at = i
            continue
        if (
            w in _SUBJECTS | _POSSESSIVES
            and 1 < i - neg_at <= 4
            and toks[neg_at] == "without"
            and not any(target(t) for t in toks[neg_at + 1 : i])
        ):
            neg_at = -99  # "without ibuprofen i would say my pain is a three": the pain is there
            continue
        if w in _REFERENCE_POINT and 0 < i - neg_at <= NEGATION_SCOPE and "other" in toks[neg_at + 1 : i]:
            neg_at = -99  # "no other symptoms associated with the diplopia": the diplopia is there
            continue
        if (
            w in _SUBJECTS
            and i - neg_at == 1
            and toks[neg_at] == "no"
            and toks[i + 1 : i + 2] in (["have"], ["do"], ["get"], ["got"], ["feel"], ["had"], ["am"])
        ):
            neg_at = -99  # "no i have a little bit of a stuffy nose": the no answers the question before
            continue
        if (
            w in _NEGATED_VERBS
            and 0 <= i - neg_at <= 2
            and toks[neg_at] != ","  # "denied fever, change in vision": a list's item, no negated verb
            and (w not in _GET or toks[i + 1 : i + 2] in _GET_WHAT)
        ):
            neg_at = -99
            continue
        if (
            w == "other"
            and 0 <= i - neg_at <= 2
            and i + 1 < len(toks)
            and target(toks[i + 1])
            and toks[i + 2 : i + 3] not in (["such"], ["like"], ["including"], [","])
        ):
            skip = i + 1  # "no other injuries": besides the one the visit is about (a list after it is denied)
            continue
        if i == skip:
            continue
        if (w == "any" and i - neg_at > NEGATION_SCOPE) or (w == "you" and i and toks[i - 1] in _ASKING):
            hyp_at = i  # asked, not stated
            continue
        if w in ("who", "that") and i and (toks[i - 1] in _OTHER_PEOPLE or toks[i - 1] in FAMILY_WORDS):
            hyp_at, listing, others = i, False, True  # "living with anyone who smokes": what someone else does
            continue
        if w in _REPORTED and i - neg_at == 1 and toks[neg_at] in ("no", "not", "none"):
            continue  # "no reported chest pain", "not reported": the denial goes on
        if (
            w in _TERMINATORS
            or (
                # a new clause with its own subject ("i can't eat and i do feel a little nauseous"), or what the
                # patient has after what they have not ("no fever, some chills")
                (
                    w == "and"
                    and toks[i + 1 : i + 2]
                    and toks[i + 1] in _SUBJECTS
                    and "n't" not in "".join(toks[i + 2 : i + 4])
                )
                # "no appetite and has lost 8 pounds": a new clause with its own verb
                or (w == "and" and 0 < i - neg_at <= NEGATION_SCOPE and toks[i + 1 : i + 2] in _NEW_VERB)
                or (w == "some" and 0 < i - neg_at <= NEGATION_SCOPE and any(target(t) for t in toks[neg_at + 1 : i]))
                # the examiner goes on to what they do find: "no swelling i can appreciate a small amount of effusion"
                or (w in ("i", "we") and 0 < i - neg_at <= NEGATION_SCOPE and _finds_next(toks, i))
            )
        ):
            neg_at = hyp_at = -99
            continue
        if w in _HYPOTHETICAL or w in FAMILY_WORDS or w in _OTHER_PEOPLE:
            hyp_at, listing, others = i, w in _LISTS_OF_WHAT_MAY_BE, w not in _HYPOTHETICAL
            if w in ("if", "unless"):
                # the condition reaches its "then": "if he has any upper gi bleed such as coffee-ground emesis or
                # melena then aspirin should be stopped"
                then = next((k for k in range(i + 1, min(len(toks), i + CONDITION_REACH)) if toks[k] == "then"), -1)
                hyp_until = max(hyp_until, then)
            continue
        if others and w in ("i", "i'm", "i've") and 0 < i - hyp_at <= NEGATION_SCOPE:
            hyp_at = -99  # "my wife says i cough all night": the patient again
            continue
        if _may_happen(toks, i):
            hyp_at, listing = i, True  # "this can cause nausea and dizziness", "to prevent swelling", "side effects"
            continue
        key = _qualified(toks, i)
        if key is None or i - hyp_at <= NEGATION_SCOPE or i < hyp_until or any(abs(i - p) <= PAST_REACH for p in past):
            continue
        if i and toks[i - 1] in _NEGATOR_SOUNDALIKES:
            continue  # "soft and hot tender": a "not" misheard, perhaps; the unclear-word check asks to listen
        if _settled(toks, i):
            continue  # "her flares are well controlled", "heartburn ... but resolved": not said to be there now
        if key == "appetite":
            continue  # "no appetite" is a symptom and "appetite is fine" none: the word's polarity says neither
        if key in ("smok", "tobacco") and toks[i + 1 : i + 3] in (["is", o] for o in _OPINIONS):
            continue  # "No, I don't. Smoking is gross.": an opinion of the habit, not a report of it
        if i - neg_at <= NEGATION_SCOPE and (_lessened(toks, neg_at) or _qualified_denial(toks, i)):
            continue  # "not coughing as much", "not that much pain", "no pain at rest, only when I walk": not absent
        absent = (
            i - neg_at <= NEGATION_SCOPE
            or (key in _FUNCTIONS and bool(_SAID_FINE.match(" ".join(toks[i + 1 : i + 7]))))
            or (key in _FUNCTIONS and w.endswith("ing") and bool(_DOING_FINE.match(" ".join(toks[i + 1 : i + 4]))))
            or (key in _SIGNS and bool(_SIGN_NEGATIVE.match(" ".join(toks[i + 1 : i + 8]))))
            or w.endswith(("less", "-free"))
            or toks[i + 1 : i + 2] == ["free"]  # "painless", "pain-free", "pain free"
        )
        when = _when(toks, i, base_target(key))
        if absent:
            # "no night pain", "no pain at rest": no pain at that time, not no pain at all
            negated.add(when if when and " " not in key else key)
        else:
            affirmed.add(key)
            if when:
                affirmed.add(when)  # "my knee hurts at night": knee pain, and night pain
    if _LUNGS_CLEAR.search(" ".join(toks)):
        negated |= _ADVENTITIOUS - affirmed  # clear lungs have none of the sounds a listener may hear
    if _NODES_FINE.search(" ".join(toks)):
        negated |= {"lymphadenopath"} - affirmed  # lymph nodes found normal are no enlarged ones
    if "smok" in affirmed:
        affirmed.add("tobacco")  # smoking is a tobacco use; chewing tobacco is no smoking
    if "tobacco" in negated:
        negated.add("smok")  # no tobacco use is no smoking
    return negated, affirmed


# "lungs are clear (to auscultation)": no crackles, wheezes or rhonchi ("clear up" is a cough getting better)
_LUNGS_CLEAR = re.compile(r"\blungs? (?:are |is |sound |were )?(?:\w+ )?clear\b(?! up)")
_ADVENTITIOUS = frozenset({"crackl", "wheez", "rhonch", "rales"})
# "his lymph nodes look fine", "lymph nodes are normal": no lymphadenopathy (MTS-Dialog dev MTST2-0117)
_NODES_FINE = re.compile(
    r"\blymph nodes? (?:(?:in|of) (?:the |your |his |her )?\w+ )?(?:are |is |look |looks |feel |feels |seem |seems |"
    r"were )?(?:(?!not\b|n't\b)\w+ )?(?:fine|normal|clear|okay|ok|good|unremarkable)\b"
)


# what the body does, said to be fine: "my breathing has been fine" denies shortness of breath, "my vision is okay"
# blurred vision (said of a symptom, "the pain is okay" means it can be borne, not that it is gone)
_FUNCTIONS = frozenset({"breath", "vision", "urinat"})
_SAID_FINE = re.compile(
    r"(?:(?:is|'s|s|are|was|were|has|have|seems|feels) (?:been )?|been )(?:(?:pretty|totally|just|really|completely|all) )?"
    r"(?:fine|good|okay|ok|normal|great|alright|unchanged)\b"
    # "fine at rest", "fine until I climb stairs": not at other times
    r"(?! (?:at|when|whenever|until|unless|except|if|while|during|with|without)\b)"
)


# "she is breathing fine", "I'm seeing okay": the function itself, done well
_DOING_FINE = re.compile(
    r"(?:(?:pretty|totally|just|really|completely|all) )?(?:fine|well|okay|ok|normally|alright|good)\b"
    r"(?! (?:at|when|whenever|until|unless|except|if|while|during|with|without)\b)"
)


def _non_split(toks: list[str]) -> list[str]:
    """ "non-tender", "nontender" read as "non tender": the exam's commonest denial is one written word."""
    out: list[str] = []
    for t in toks:
        rest = t[4:] if t.startswith("non-") else t[3:] if t.startswith("non") and len(t) > 6 else ""
        out.extend(("non", rest) if rest and target(rest) else (t,))
    return out


_SETTLED = frozenset("resolved resolving controlled subsided cleared gone stopped".split())
# a denial of degree, not of the finding: "not that much pain", "not as bad", "haven't been coughing as much"
_LESS = ("that much", "too much", "too bad", "that bad", "a lot", "as much", "as bad", "as often", "so much", "so bad")
# a denial limited to a time or a circumstance: "no pain at rest", "not short of breath right now", "no pain when I sit"
_ONLY_THEN = (
    "at rest",
    "right now",
    "at the moment",
    "at this time",
    "every time",
    "all the time",
    "only when",
    "only if",
    "unless",
    "except",
)
QUALIFIER_REACH = 5  # tokens after a denied finding within which a qualifier limits the denial


def _lessened(toks: list[str], neg_at: int) -> bool:
    """The negator at ``neg_at`` denies a degree: "not that much", "not as bad", "coughing as much"."""
    after = " ".join(toks[neg_at + 1 : neg_at + 8])
    return any(f" {q} " in f" {after} " for q in _LESS)


def _qualified_denial(toks: list[str], i: int) -> bool:
    """The denied finding at ``i`` is denied only at a time or in a circumstance named right after it."""
    after = " ".join(t for t in toks[i + 1 : i + 1 + QUALIFIER_REACH] if t != ",")
    return any(f" {q} " in f" {after} " for q in _ONLY_THEN) or bool(_ONLY_AFTER.match(after))


# "denies ... shortness of breath with stairs only": had only then, so not denied
_ONLY_AFTER = re.compile(r"(?:of \w+ )?(?:with|on|when|during|after|at) (?:\w+ ){1,2}only\b")


SETTLED_REACH = 4  # words after a finding within which "resolved", "controlled" say it is not there now


# the same in two words, said of the past: "the swelling went away", "it cleared up" ("goes away with rest" is episodic)
_SETTLED_PAIRS = frozenset(
    {("went", "away"), ("went", "down"), ("cleared", "up"), ("calmed", "down"), ("died", "down")}
)


def _settled(toks: list[str], i: int) -> bool:
    """The finding at ``i`` is said to be resolved or controlled ("the bleeding stopped", not "the bleeding hasn't
    stopped")."""
    reach = toks[i + 1 : i + 1 + SETTLED_REACH]
    if any(
        t in _NEGATORS or t.endswith("n't") for t in reach[: next((k for k, t in enumerate(reach) if t in _SETTLED), 0)]
    ):
        return False
    if _before_comma(toks, i, SETTLED_REACH, _SETTLED):
        return True
    after = toks[i + 1 : i + 2 + SETTLED_REACH]
    for a, b in zip(after, after[1:]):
        if a == ",":
            return False
        if (a, b) in _SETTLED_PAIRS:
            return True
    return False


_CLAUSE_VERBS = frozenset("is was are were has have seems looks feels remains".split())


# after a verb's "not", what says the patient has or lacks a finding ("does not have fever, chills")
_HAVING = frozenset(
    """have has had having get gets got getting feel feels felt feeling experience experiences experienced
    experiencing notice noticed report reports reported complain complains complained endorse endorses any been
    see seen think remember recall""".split()
)
_NOT_YET_THE_VERB = frozenset("really be able to seem seems".split())


def _negates_a_doing(toks: list[str], neg_at: int, comma: int) -> bool:
    """A verb's "not" that denies something done, not a finding had ("could not straighten his leg", "can't walk
    far"), with no finding before the comma: the list after the comma is not the denial's."""
    if not (toks[neg_at] in ("not", "never") or toks[neg_at].endswith("n't")):
        return False
    k = neg_at + 1
    while k < comma and toks[k] in _NOT_YET_THE_VERB:
        k += 1
    if k >= comma or toks[k] in _HAVING or toks[k] in _NEGATED_VERBS:
        return False
    return not any(target(t) for t in toks[k:comma])


def _clause_follows(toks: list[str], comma: int) -> bool:
    """The words after a comma are a clause of their own: with its own verb ("ankle swelling is mild"), its own
    subject ("no, actually i've gained weight"), or what there is instead ("i haven't had a fever, just the
    cough")."""
    after = toks[comma + 1 : comma + 3]
    return (
        _before_comma(toks, comma, 4, _CLAUSE_VERBS)
        or after[:1] in (["just"], ["more"], ["rather"], ["mostly"])
        or any(t in _SUBJECTS or t.split("'")[0] in _SUBJECTS and "'" in t for t in after)
    )


def _before_comma(toks: list[str], i: int, reach: int, words: frozenset[str]) -> bool:
    """One of ``words`` comes within ``reach`` tokens after ``i``, before the next comma."""
    for t in toks[i + 1 : i + 1 + reach]:
        if t == ",":
            return False
        if t in words:
            return True
    return False


# what an examiner does on finding something: "i can appreciate", "i do see", "we noted"
_EXAM_VERBS = frozenset(
    "appreciate appreciated see saw feel felt notice noticed note noted hear heard find found".split()
)


def _finds_next(toks: list[str], i: int) -> bool:
    """``toks[i]`` ("i", "we") starts a finding: an exam verb within the next three words and no negator before it."""
    for w in toks[i + 1 : i + 4]:
        if w in _NEGATORS or w.endswith("n't"):
            return False
        if w in _EXAM_VERBS:
            return True
    return False


# "the risks include but are not limited to pain, infection ...": one list, not a "but" and a "not"
_NOT_LIMITED = re.compile(r"\b(?:but )?(?:(?:is|are) )?not limited to\b")


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[.;!?]|\bbut\b", _NOT_LIMITED.sub(" ", normalise(text))) if c.strip()]


# Body sites that make a finding a different one: "chest pain" and "knee pain" are not the same claim.
_SITES = frozenset(
    _stem(w)
    for w in """chest abdominal abdomen belly stomach back neck head knee knees ankle ankles foot feet leg legs arm arms
    shoulder shoulders hip hips hand hands wrist wrists elbow elbows finger fingers toe toes calf calves joint joints
    muscle muscles body throat ear ears eye eyes jaw pelvic flank groin rectal bone bones bony midline paraspinal lower
    upper tummy face skin lung lungs thigh thighs shin shins forearm forearms scalp buttock buttocks""".split()
)
# one site, many words: "pain in my abdomen", "abdominal pain" and "belly pain" are the same claim
_SITE_SYNONYM = {
    _stem(w): site
    for site, words in (
        ("abdomen", "abdominal abdomen belly stomach tummy"),
        ("leg", "leg legs"),
        ("foot", "foot feet"),
        ("calf", "calf calves"),
    )
    for w in words.split()
}


def _site(word: str) -> str | None:
    """The body site a word names, one key per site (see :data:`_SITE_SYNONYM`); None for other words."""
    s = _stem(word)
    return _SITE_SYNONYM.get(s, s) if s in _SITES else None


_SPREADS = frozenset("go goes going travel travels traveling spread spreads spreading".split())
_SPREADS_WHERE = frozenset("anywhere down into to across".split())
_HEART_DOES = frozenset("racing races raced pounding fluttering flutters skipping skips".split())
HEART_REACH = 5  # tokens between "heart" and what it does ("my heart feels like it's racing")


def _qualified(toks: list[str], i: int) -> str | None:
    """The target at ``toks[i]``, qualified by the body site right before it ("chest pain", "knee swell")."""
    key = target(toks[i], toks[i + 1] if i + 1 < len(toks) else "")
    if key == "discharge" and (
        (i >= 1 and toks[i - 1] in _LEFT_HOSPITAL)
        or (i >= 2 and toks[i - 2] in _LEFT_HOSPITAL and toks[i - 1] in ("his", "her", "their"))
    ):
        return None  # "no further problems upon his discharge": leaving the hospital, no finding
    if key is None and toks[i] == "high" and toks[i + 1 : i + 3] in (["blood", "pressure"], ["bp"]):
        return "hypertens"  # "high blood pressure" (the vital sign said high is a reading, not this)
    if (
        key is None
        and toks[i] in _SPREADS
        and i
        and toks[i - 1] in ("it", "pain", "that", "this")
        and toks[i + 1 : i + 2]
        and toks[i + 1] in _SPREADS_WHERE
    ):
        return "radiate"  # "does the pain go anywhere?", "it travels down my leg", "does it spread into your arm?"
    if key is None and toks[i] in _HEART_DOES and "heart" in toks[max(0, i - HEART_REACH) : i]:
        return "palpitat"  # "my heart feels like it's racing", "my heart keeps pounding"
    if key is None:
        return None
    before = toks[i - 1] if i else ""
    if key == "pressure" and before in ("blood", "bp"):
        return None  # "blood pressure" is a vital sign, not chest pressure
    if key == "discharge" and (
        before in ("for", "upon", "after", "before", "until", "since", "prior", "to", "at", "on")
        or (before == "of" and toks[i - 2 : i - 1] in (["time"], ["day"], ["date"]))
        or toks[i + 1 : i + 3] == ["to", "home"]  # ("discharge home", "discharge summary": see _DISCHARGED)
    ):
        return None  # "stable for discharge", "at the time of discharge", "discharge to home": leaving the hospital
    if key == "fractur" and toks[i + 1 : i + 2] == ["sleep"]:
        return None  # "fractured sleep" is broken sleep, no broken bone
    if key == "drainage" and before == "and" and toks[i - 2 : i - 1] == ["incision"]:
        return None  # "incision and drainage": a procedure
    after = toks[i + len(key.split()) : i + len(key.split()) + 1] if key in _COMPOUND_KEYS else toks[i + 1 : i + 2]
    if key in _CONDITIONS and after and after[0] in _NOT_A_CONDITION_AFTER:
        return None  # "cancer screening", "stroke risk": what is looked for, not what the patient has
    if key == "smok" and (
        before in ("secondhand", "second-hand", "second")
        or toks[i + 1 : i + 2] in (["detector"], ["detectors"], ["alarm"], ["alarms"], ["cessation"], ["exposure"])
        or any(t in _NOT_TOBACCO for t in toks[i + 1 : i + 4])
    ):
        return None  # another's smoke, a smoke alarm, a cessation plan, marijuana: not her own tobacco use
    if key == "blood":  # "blood in your stools" is hematochezia, "blood in my urine" hematuria
        after = toks[i + 1 : i + 4]
        if any(t.startswith("stool") for t in after):
            return "hematochezia"
        if any(t.startswith(("urin", "pee")) for t in after):
            return "hematuria"
    if key == "pain" and any(t.startswith(("urin", "pee")) for t in toks[i + 1 : i + 4]):
        return "dysuria"  # "pain with urination", "pain when i pee": not the pain the visit is about
    if key == "pain" and toks[i + 1 : i + 2] in (["with"], ["on"]):
        j = _manoeuvre_at(toks, i)
        nxt = " ".join(toks[j : j + 1])
        if (manoeuvre := _stem(nxt)) in _MANOEUVRES:
            return f"{manoeuvre} {key}"  # "pain with pronation" is the exam's finding for that manoeuvre
    if site := _site(before):
        return f"{site} {key}"
    return key


def _when(toks: list[str], i: int, key: str) -> str | None:
    """The finding at ``toks[i]`` at the time of day or activity said with it ("night pain", "pain at rest",
    "hurts at night"), or None."""
    if key not in _SITED:
        return None
    when = _WHEN.get(toks[i - 1] if i else "") or _WHEN.get(" ".join(toks[i + 1 : i + 3]))
    return f"{when} {key}" if when else None


# when a finding is had: "night pain" and "pain at rest" are findings of their own
_WHEN = {
    "night": "night",
    "nocturnal": "night",
    "nighttime": "night",
    "at night": "night",
    "rest": "rest",
    "at rest": "rest",
    "morning": "morning",
}


def _manoeuvre_at(toks: list[str], i: int) -> int:
    """Where the manoeuvre of "pain with (the) X" at ``toks[i]`` would be (it may be past the end)."""
    return i + 3 if toks[i + 2 : i + 3] == ["the"] else i + 2


# what an examiner does to elicit pain: "pain with pronation" and "no pain with flexion" are different findings
_MANOEUVRES = frozenset(
    _stem(w)
    for w in """pronation supination flexion extension rotation abduction adduction palpation compression
    dorsiflexion inversion eversion percussion""".split()
)
_SITED = frozenset(
    {
        "pain",
        "swell",
        "numb",
        "tingl",
        "tender",
        "weak",
        "stiff",
        "redness",
        "rash",
        "mass",
        "bruis",
        "lesion",
        "warmth",
    }
)


_EXTREMITIES = re.compile(r"\b(upper|lower) extremit(?:y|ies)\b")  # the chart's words for arms and legs


def _limbs(m: re.Match[str]) -> str:
    return "arms" if m.group(1) == "upper" else "legs"


def _at_sites(keys: set[str], text: str) -> set[str]:
    """Spoken findings at the body sites their sentence names: "my right knee here just starts to ache"
    says "knee pain" even though "ache" does not follow "knee"."""
    sited = {k for k in keys if k in _SITED}
    if not sited:
        return keys
    # only the sites near the finding: an exam said in one breath ("tenderness of the lower back ... no calf
    # tenderness") does not put every finding at every site
    toks = re.findall(r"[a-z]+", _EXTREMITIES.sub(_limbs, normalise(text)))
    sites = [(j, site) for j, w in enumerate(toks) if (site := _site(w))]
    out = set(keys)
    for i, w in enumerate(toks):
        k = target(w, toks[i + 1] if i + 1 < len(toks) else "")
        q = _qualified(toks, i) if k in sited else None
        if q and q != k and q not in keys:
            continue  # "no calf tenderness" among affirmed tenderness: that mention was read the other way
        if k in sited:
            out |= {f"{site} {k}" for j, site in sites if abs(j - i) <= SITE_REACH}
    return out


SITE_REACH = 8  # tokens between a finding and the body site it is said of ("my right knee here just starts to ache")


def base_target(key: str) -> str:
    """A qualified target without its site ("chest pain" -> "pain"; "weight loss" stays)."""
    return key if key in _COMPOUND_KEYS else key.split(" ")[-1]


_COMPOUND_KEYS = frozenset(_COMPOUND.values())


def _targets_in(toks: list[str]) -> set[str]:
    keys = set()
    for i in range(len(toks)):
        key = _qualified(toks, i)
        if key:
            keys |= {key, base_target(key)}
    return keys


# "any other pain from the fall, aside from the ankle?": the ankle's pain is given, not asked about
_SET_ASIDE = re.compile(
    r"\b(?:aside from|apart from|other than|besides|except(?: for)?)\b[^,?.;]*"
    # "any other symptoms with the double vision?", "... related to the vision issues?": the reference point
    r"|(?<=\bother )(?:symptoms?|problems?|issues|complaints?)\s+(?:(?:associated|along|that go|going) )?"
    r"(?:with|related to)\b[^,?.;]*"
)


_CAUSES = frozenset("from after since following".split())


def _question_targets(sentence: str) -> set[str]:
    """What a question asks about: "any joint pain?" asks about joint pain, not about every pain; "any family history
    of heart disease?" asks about the family's, not the patient's."""
    said = normalise(sentence)
    aside = bool(_SET_ASIDE.search(said))
    toks = re.findall(r"[a-z][a-z'-]*", _SET_ASIDE.sub(" ", said))
    return {
        key
        for i in range(len(toks))
        if (key := _qualified(toks, i))
        and not any(t in FAMILY_WORDS for t in toks[max(0, i - FAMILY_REACH) : i])
        # "any daily medications for your asthma?" asks about the medications: her asthma is given
        and not (key in _CONDITIONS and i and toks[i - 1] in _POSSESSIVES)
        # "any other pain from the fall?": the fall is the question's cause, given, not asked about; and "any other
        # pain, aside from the ankle?" asks about pain somewhere else, which a "no" denies without saying where
        and not (i > 1 and toks[i - 1] == "the" and toks[i - 2] in _CAUSES)
        and not (i and toks[i - 1] == "other" and aside)
    }


_NOT_TOBACCO = frozenset("marijuana pot weed joint joints cannabis".split())
_POSSESSIVES = frozenset("your his her their my".split())


FAMILY_REACH = 4  # words before a target in which a relative makes it theirs ("family history of breast cancer")


def _segment_polarity(index: TranscriptIndex, seg_ids: list[int], current: bool = False) -> tuple[set[str], set[str]]:
    """Negated/affirmed targets in the evidence, including a question answered "no" or "yes".

    "Any sweating?" / "No." negates sweating although the word "no" is in the next turn. ``current``: what the
    lines say of today only.
    """
    negated: set[str] = set()
    affirmed: set[str] = set()
    for sid in seg_ids:
        n, a = _polarity(index, sid, current)
        negated |= n
        affirmed |= a
    return negated, affirmed


# a yes/no question over a list of symptoms ("any chest pain, shortness of breath, or belly pain?"), not one that
# asks to describe or choose ("Can you describe the tightness? Is it sharp, or more like a pressure?")
_SYMPTOM_LIST = re.compile(r"\bany\b|\b(?:have|do|did|are)\s+you\b")
_OPEN = re.compile(r"\b(?:describe|what|which|where|when|why|how (?:long|much|often|bad)|is it|more like)\b")
_FILLERS = frozenset("uh um oh well so hmm mm er ah okay ok thankfully luckily fortunately honestly".split())
# what an answer may open with before it answers: "um let me think no i haven't"
_THINKING = (["let", "me", "think"], ["let", "me", "see"], ["let", "s", "see"], ["let's", "see"])
_LEAD = r"(?:^|\b(?:okay|ok|alright|right|so|and|now|um|uh|well|great|good|also|symptoms|like)\s+)"
_QUESTION_OPENER = re.compile(
    r"\b(?:have|has|had|do|does|did|are|is|were|was|can|could|would|will)\s+(?:you|he|she|they|there)\b"
    + r"|"
    + _LEAD
    + r"(?:any|how about|what about)\b"
    # "okay and does the pain radiate anywhere": a turn that opens with "does it", "did the ..." asks
    + r"|"
    + _LEAD
    + r"(?:and\s+)?(?:does|did)\s+(?:it|that|this|the|your)\b"
    # "... your right knee sorry does that hurt": whatever comes before, "does that hurt" asks
    + r"|\b(?:does|did)\s+(?:it|that|this)\s+(?:still\s+|ever\s+)?(?:hurt|ache|bother|swell|itch|burn|radiate)\b"
)
_EVERYTHING_ELSE_FINE = re.compile(
    r"\b(?:everything else|all else|the rest|otherwise)\b.{0,25}\b(?:okay|ok|fine|good|normal|great)\b"
    r"|\bnothing else\b|\bnone of (?:that|those|them|these)\b"
    # "a cough, but other than that nothing", "no weakness or any other thing you mentioned"
    r"|\b(?:other than|apart from|aside from|besides|except for) (?:that|this|those|it)\W+(?:nothing|none|no)\b"
    r"|\b(?:no|not|n't|nor)\b.{0,40}\b(?:any|anything) (?:other thing|else) (?:that )?you (?:mentioned|said|asked|listed)\b"
)


# an answer that says "no" and then some ("not really, maybe a little bit in the morning") does not deny
_HEDGES = frozenset(
    "but except although though sometimes yes actually maybe little bit occasionally mild slight slightly somewhat".split()
)


# now and then is not never: "no, just a cigar now and then"
_NOW_AND_THEN = re.compile(r"\b(?:now and then|once in a while|every so often|on occasion|socially|here and there)\b")


# an answer that takes back the denial a question or a tag put to it: "You don't have chest pain, right?" - "Actually
# I do, a little."
_CONTRADICTS = re.compile(r"^(?:(?:well|um|uh|so|oh)\s+)*(?:actually|(?:yes|yeah)?\s*i do|i have|i did)\b")


# an answer that ends in a denial whatever it says first, or says what was asked about is over
_DENIES_IN_THE_END = re.compile(
    r"\b(?:nothing|none) (?:like|of) (?:that|this|those|the sort)\b(?:\s+\w+){0,3}\W*$|"
    r"\b(?:i )?(?:do n't|don't|do not) think so\W*$|\b(?:i )?(?:would n't|wouldn't|would not) say so\W*$|"
    r"\bnot that i(?: have|'ve)? (?:know|noticed|know of)\W*$|"
    r"^(?:that|it|they)(?:'s| is| are|'re| has| have)? (?:all )?(?:gone|resolved|cleared up|went away)\b"
)


# the short answers that take up a question's own verb: "does it hurt when you walk?" - "it does", "it really does",
# "it doesn't"; "is it swollen?" - "it is a little"
_AUX_FAMILY = {
    **{w: "do" for w in ("do", "does", "did")},
    **{w: "be" for w in ("is", "are", "was", "were", "am", "m", "re")},  # "i 'm not", "we 're not" as split
    **{w: "have" for w in ("have", "has", "had")},
}
# "'m", "'re" as split: they answer ("i 'm not"), but a question's "when i 'm pressing here" asks with its own verb
_SPLIT_BE = frozenset(("m", "re"))
_ANSWER_SUBJECTS = frozenset("i it that they he she we this there".split())
_AFTER_SHORT_YES = frozenset(
    "yeah yes yep sometimes really definitely a little bit lot though too now occasionally".split()
)
# an answer that gives a degree says yes: "a little bit", "a lot", "all the time"; so do "uh-huh" and "mm-hmm"
_AGREES = re.compile(
    r"^\W*(?:(?:uh|um|oh|well|yeah|yes)\W+)*(?:a little(?: bit)?|a bit|a lot|all the time|quite a bit|very much)"
    r"(?:\W+(?:yeah|yes|yep))?\W*$"
    r"|^\W*(?:uh-huh|uh huh|mm-hmm|mm hmm|mhm|ouch|ow|i think so|i believe so|i guess so|probably|sure does|you bet|"
    r"exactly|that ?'s right|for sure|occasionally|every now and then|1 times in a while|on and off|off and on|"
    r"here and there|(?:it |they |that )?(?:comes?|come) and goes?|more than i ?(?:'d|would) like)\b(?!\W*(?:no|not)\b)"
)


# "no, only when I walk", "not really, just with exercise": the finding is there, under another condition
_ONLY_UNDER = re.compile(
    r"^(?:(?:it|it's|it s|it is) )?(?:really )?(?:only|just|more|mostly|mainly) (?:when|whenever|with|if|after|during|at|on)\b"
)
# findings that name a symptom under its condition ("short of breath when I lie flat"): "no, only when I walk" denies
# them as it is
_UNDER_A_CONDITION = frozenset({"orthopnea"})


def _short_answer(toks: list[str], question: str) -> bool | None:
    """True for a short answer that says yes with the question's own verb ("does it hurt?" - "it does"), False for one
    that says no with it ("it does n't", "it doesn't"), None for any other answer."""
    asked = next((_AUX_FAMILY[w] for w in tokens(question) if w in _AUX_FAMILY and w not in _SPLIT_BE), None)
    t = toks[2:] if toks[:2] == ["i", "mean"] else toks
    if not asked or len(t) < 2 or t[0] not in _ANSWER_SUBJECTS:
        return None
    k = 2 if len(t) > 2 and t[1] not in _AUX_FAMILY and (t[2] in _AUX_FAMILY or t[2].endswith("n't")) else 1
    aux = t[k]
    if k == 2 and t[1] in _NO and _AUX_FAMILY.get(aux) == asked:
        return False  # "i never did", "i not really do"
    if aux.endswith("n't") and _AUX_FAMILY.get(aux[:-3]) == asked:
        return False  # "it doesn't", "i haven't"
    if _AUX_FAMILY.get(aux) != asked:
        return None
    rest = t[k + 1 :]
    if rest[:1] and (rest[0] in _NO or rest[0] == "n't"):
        return False
    return True if all(w in _AFTER_SHORT_YES for w in rest) else None


# what the body does, said to be fine in answer to a question about what goes wrong with it
_WORKINGS = frozenset("bowels bowel stools stool urine peeing bladder breathing vision eyesight sleep appetite".split())
_PART_FINE = re.compile(
    r"^(?:my |the |your )?([a-z]+) (?:feels?|felt|is|are|was|'s|s|has been|have been|seems?|looks?) "
    r"(?:(?:pretty|totally|just|really|completely|all) )?(?:fine|good|okay|ok|great|normal|alright)\b"
    r"(?! (?:at|when|whenever|until|unless|except|if|while|during|with|without|but)\b)"
)


def _answered(targets: set[str], answer: str, question: str) -> tuple[set[str], set[str]]:
    """What an answer says of the targets a question asked about: "No." negates them all, "Yes." affirms them;
    "A little nasal congestion, but everything else has been okay." negates all but the congestion. Naming some of
    the targets denies the rest only after a yes/no question over a list: the answer to "describe the tightness, is it
    sharp or a pressure?" chooses, it does not deny the tightness."""
    first, *later = sentences_of(answer) or [""]
    told = [x for x in later if not _REMARK.match(normalise(x))]
    if len(told) < len(later):
        # "Nope. That would be really scary though.": a remark on what was asked affirms nothing, so its "though"
        # hedges no "no" (MTS-Dialog dev MTSV0043)
        answer = " ".join([first, *told])
    toks = tokens(answer)
    if _NOT_TOBACCO.intersection(toks):
        targets = targets - {"smok", "tobacco"}  # "do you smoke?" - "yeah, I smoke weed": no tobacco
    while toks and (toks[0] in _FILLERS or any(toks[: len(t)] == t for t in _THINKING)):
        toks = toks[next((len(t) for t in _THINKING if toks[: len(t)] == t), 1) :]
    if not targets:
        return set(), set()
    if not toks:  # "mm-hmm" is all fillers once split
        return (set(), set(targets)) if _AGREES.match(normalise(answer)) else (set(), set())
    if targets & negated_terms(question)[0]:  # "no fever?", "you haven't had any chest pain?"
        if _CONTRADICTS.match(" ".join(toks)):
            return set(), set(targets)  # "actually I do, a little"
        if toks[0] in _YES or toks[0] in _NO:
            return set(targets), set()  # "right, no fever", "no": either way the answer keeps the denial
    said = " ".join(toks)
    named_asked = {base_target(k) for k in _targets_in(toks)} & {base_target(t) for t in targets}
    if _DENIES_IN_THE_END.search(said) and (not _CONTRADICTS.match(said) or not named_asked):
        # "I haven't checked, but I don't think so", "that's gone"; "I have always been a homebody ... nothing like
        # that" (its "I have" names nothing asked about)
        return set(targets), set()
    if toks[0] in _YES and toks[1:2] == ["not"]:
        return set(targets), set()  # "absolutely not", "definitely not"
    # "No, only when I walk." still answers no; "No, but sometimes…" does not; "no not really i mean i get tired
    # but no" does (its no is for what it does not report)
    hedged = (any(w in _HEDGES for w in toks) or bool(_NOW_AND_THEN.search(" ".join(toks)))) and not (
        toks[0] in _NO and toks[-2:] == ["but", "no"]
    )
    if hedged and toks[0] in _NO and _but_tells_of_something_else(toks, targets):
        hedged = False  # "No, but as you might have noticed I am using this walker": the no still answers
    i_did = toks[0] == "i" and len(toks) > 1 and toks[1] in ("do", "have", "did", "am", "was")
    said_not = i_did and len(toks) > 2 and (toks[2] in _NO or toks[2] == "n't")
    # "haven't had one", "have n't", "don't think so": the subject left out, as people answer
    said_not = said_not or toks[0].endswith("n't") or (toks[0] in _AUX_FAMILY and toks[1:2] == ["n't"])
    # "I haven't.", "I haven't had any" to a question without its own verb ("any chest pain?"); not "I don't know"
    said_not = said_not or (
        toks[0] in ("i", "he", "she", "we")
        and toks[1:2] != []
        and toks[1].endswith("n't")
        and toks[1][:-3] in _AUX_FAMILY
        and toks[2:3] not in _NOT_KNOWING
    )
    if not said_not and (m := _PART_FINE.match(" ".join(toks))):
        if m.group(1) in _WORKINGS:
            said_not = True  # "any diarrhea or constipation?" - "my bowels are normal"
        elif part := _site(m.group(1)):
            # "any abdominal pain?" - "my belly feels fine": the part asked about is fine (not another part)
            sited = {t.split(" ")[0] for t in targets if " " in t and _site(t.split(" ")[0])}
            said_not = not sited or part in sited
    short = _short_answer(toks, question)
    if short is False and not hedged:  # "it doesn't", "it does n't really"
        return set(targets), set()
    if short or _AGREES.match(normalise(answer)):  # "it does", "it really does", "a little bit", "mm-hmm"
        return set(), set(targets)
    if (toks[0] in _NO or said_not) and not hedged:  # "no", "not really", "I have not", "I haven't"
        # "no fever, some chills, and I do feel a little nauseous": the no is for what the answer does not report
        reported = {k for c in _clauses(answer) for k in negated_terms(c)[1]}
        if _ONLY_UNDER.match(" ".join(toks[1:5])):
            # "no, only when I walk up stairs": not under the question's condition, but there under another
            return targets - reported, targets - _UNDER_A_CONDITION
        return targets - reported, set()
    if i_did and not said_not and len(toks) > 2 and toks[2] not in _AFTER_SHORT_YES:
        own = {base_target(k) for k in _targets_in(toks)}
        if own and not own & {base_target(t) for t in targets}:
            return set(), set()  # "any cough?" - "I have been tired": it tells of its own symptom, not of the cough
    named = _targets_in(toks)
    if named and _EVERYTHING_ELSE_FINE.search(normalise(answer)):
        # "I have this prolonged cough, but other than that nothing": what it names, and no more
        return {t for t in targets if t not in named and (" " in t or t not in {base_target(k) for k in named})}, set()
    if toks[0] in _YES or (i_did and not said_not) or toks[:2] in (["kind", "of"], ["sort", "of"]):
        # "Any nausea or vomiting? Any vision changes?" - "Yeah, it's been pretty consistent. No vision changes.": the
        # yes is for what the answer does not deny in its own words
        # (not what it also reports: "I have been having diarrhea ... I didn't have any today though")
        read = [negated_terms(c) for c in _clauses(answer)]
        denied = {base_target(k) for neg, _ in read for k in neg} - {base_target(k) for _, aff in read for k in aff}
        kept = {t for t in targets if base_target(t) not in denied}
        return targets - kept, kept
    # "Shortness of breath. No belly pain though." to "Any chest pain, shortness of breath, or belly pain?": an
    # answer that takes up some of the symptoms asked about and reports others is read, as a review of systems is,
    # as denying the ones it leaves out
    # (by site: "no belly pain" takes up the belly pain, not the chest pain asked about with it)
    listed = len(targets) > 1 and named & targets and _SYMPTOM_LIST.search(question) and not _OPEN.search(question)
    if _EVERYTHING_ELSE_FINE.search(normalise(answer)) or listed:
        return {t for t in targets if t not in named and (" " in t or t not in {base_target(k) for k in named})}, set()
    return set(), set()


_NOT_KNOWING = [[w] for w in "know remember recall think understand check checked".split()]
# a remark on what was asked, as a thing that would be: "that would be really scary", "it'd be awful"
_REMARK = re.compile(r"^\W*(?:(?:oh|well|yeah|wow|man|gosh)\W+)*(?:that|it|this)(?: would|'d| 'd) (?:be|have been)\b")
_TURNS = frozenset("but except although though".split())
# what, after "no, but", still points at what was asked: "no, but it comes back", "no, but I did last year"
_POINTS_BACK = frozenset("it its them one ones so".split())
# ... and these do when they stand alone ("no, but I get that at night"), not before a noun ("this walker")
_POINTS_BACK_ALONE = frozenset("that this these those some any".split())
_AFTER_ALONE = frozenset("at in on when whenever if and or but too now then sometimes once a lot more still".split())
_OWN_VERB = frozenset("do does did have has had get gets got used was were am is".split())
# when a "but I did" was: "last year", "a few times before", "once or twice", "back then"
_JUST_WHEN = frozenset(
    "last year years week weeks month months day days ago before once twice yesterday recently long time times "
    "one two three few several couple of back in the past while ever already".split()
)


def _but_tells_of_something_else(toks: list[str], targets: set[str]) -> bool:
    """ "No, but as you might have noticed I am using this walker", "No, except I have vision and hearing problems":
    a no whose only hedge is a "but" (or "except", "though") that goes on to something other than what was asked
    still denies it. Not so where the rest names what was asked, points back at it ("no, but it comes and goes"),
    says how often ("no, but sometimes"), or takes up the question's verb with nothing of its own ("no, but I did
    last year")."""
    turn = next((i for i, w in enumerate(toks) if w in _TURNS), None)
    if turn is None or any(w in _HEDGES and w not in _TURNS for w in toks) or _NOW_AND_THEN.search(" ".join(toks)):
        return False
    rest = toks[turn + 1 :]
    if not rest or _POINTS_BACK.intersection(rest):
        return False
    before = toks[1:turn]
    if any(
        w in ("i", "he", "she", "we")
        and before[k + 1 : k + 2]
        and before[k + 1] in _OWN_VERB
        and before[k + 2 : k + 3] not in (["n't"], ["not"], ["never"])
        for k, w in enumerate(before)
    ):
        return False  # "no, I haven't. I did about three years ago ... but nothing since then": a yes comes first
    if any(w in _POINTS_BACK_ALONE and (i + 1 == len(rest) or rest[i + 1] in _AFTER_ALONE) for i, w in enumerate(rest)):
        return False
    asked = {base_target(t) for t in targets}
    named = {base_target(k) for k in _targets_in(rest)}
    if named & asked:
        return False
    if not (rest[0] in ("i", "he", "she", "we") and rest[1:2] and rest[1] in _OWN_VERB):
        return True
    # "no, but I did last year" takes up the question's verb; "no, I held my own, but I did get hit in the head"
    # (asked "did you get knocked out?") goes on to a doing of its own (MTS-Dialog dev MTSV0089)
    return bool(named) or any(w not in _AFTER_ALONE and w not in _JUST_WHEN for w in rest[2:])


# "any nausea, vomiting or diarrhea or anything like that? no": the answer written into the question's turn
_ANSWERED_IN_TURN = re.compile(r"\b(any\b(?:(?!\bany\b).){0,160}?)\banything (?:else )?like that\W*no\b")
_VERB_OR_PERSON = re.compile(
    r"\b(?:i|you|he|she|we|they|my|your|is|are|was|were|have|has|had|do|does|did|be|been|get|got|feel|it|that|"
    r"shows?|showed|ruled|revealed|looks?)\b"
)


def _names_only(sentence: str, answer: str = "") -> bool:
    """A turn that only names symptoms ("shortness of breath", "chest pain, fevers") asks about them: it is the
    doctor going through a review of systems, not a report.

    A longer list asks too when it says "any" or the next turn answers it with a yes or a no: a recogniser's
    transcript has no speakers and cuts a question where the speaker paused ("... any other symptoms." - "chest
    pain, shortness of breath, abdominal pain." - "No."), while a patient's list of conditions goes on in the
    next line ("coronary artery disease, and a history of atrial fibrillation." - "Oh, and azotemia.")."""
    said = _SAYS_AGAIN.sub(" ", normalise(sentence))
    words = re.findall(r"[a-z][a-z'-]*", said)
    if any(w in _NO or w in _YES or w in _NEGATORS for w in words):
        return False  # "No belly pain though." answers
    if not 0 < len(words) <= NAMES_LIST_WORDS or _VERB_OR_PERSON.search(said) or not (asked := _question_targets(said)):
        return False
    if len(words) <= NAMES_ONLY_WORDS:
        return True
    return len({base_target(k) for k in asked}) > 1 and ("any" in words or _yes_or_no(answer))


def _opening(line: str) -> str:
    """The first word of a line past its fillers ("um, no" opens with "no"); "" for none."""
    return next((t for t in tokens(normalise(line)) if t not in _FILLERS), "")


def _yes_or_no(answer: str) -> bool:
    """A turn that opens, past its fillers, with a yes or a no: it answers the line before."""
    return _opening(answer) in _NO | _YES


def _question_without_its_mark(sentence: str, answer: str) -> bool:
    """A line a recogniser wrote without its question mark, answered yes or no by the next: a list that ends asking
    for "anything like that" ("wavy lines in your vision, spots in your vision, or anything like that" - "No."), or
    a short line asking about "any" symptom ("good in any symptoms like chest pains, any swelling in your legs" - "No,
    not that I've noticed"). A statement says no of itself ("I haven't had a fever or anything like that")."""
    said = normalise(sentence)
    words = tokens(said)
    # "any" alone only where no opener cuts a question from what the line states first ("you have gout, any flares"),
    # and in a line as long as a recogniser's, not in a long turn that says much before it asks "any questions"
    asks_any = "any" in words and not _QUESTION_OPENER.search(said) and len(words) <= ANY_QUESTION_WORDS
    if not (_ANYTHING_LIKE.search(said) or asks_any) or any(w in _NEGATORS for w in words):
        return False
    return bool(_question_targets(said)) and _yes_or_no(answer)


ANY_QUESTION_WORDS = 25  # words of a line that asks about "any" symptom without its question mark
_ANYTHING_LIKE = re.compile(r"\banything (?:like that|like this|of that sort|else)\W*$")


NAMES_ONLY_WORDS = 6  # words of a turn that names one symptom and asks about it
NAMES_LIST_WORDS = 12  # ... or of a list of them
# "joint pain, i mean like muscle aches": the words that say the name again another way are no statement
_SAYS_AGAIN = re.compile(r"\b(?:i mean|you know|that is|in other words)\b(?:\s+like\b)?")


# "could that be why my stomach is hurting?": a question about a cause states its symptom; the "no" after it
# answers the cause, not the symptom
_WHY_QUESTION = re.compile(
    r"\b(?:why|could (?:that|this|it) be (?:why|because|from|what)|is (?:that|this|it) (?:why|because))\b"
)
# "... you do have a little bit of fluid in your legs, okay?": a statement with a tag, not a question
_TAG_QUESTION = re.compile(r"(?:\w+\W+){4,}(?:okay|ok|right|alright|all right|correct|yeah)\s*\?\s*$", re.I)


# "does the pain radiate anywhere?" asks about the radiation, "does the swelling get worse at night? - no, it's about the
# same" about the change: the pain and the swelling are taken as given, and the "no" does not deny them. A bare "no" to
# "is the pain worse with walking?" is read, as before, as denying what was asked (the check has no word for "worse").
_SUBJECT_ASKED = re.compile(r"\b(?:does|did|is|was|has) (?:the|your|that|this) ((?:[a-z]+ ){0,2}?[a-z]+) (?=[a-z])")
_OVER = re.compile(r"\b(?:gone|resolved|better|away|stopped|improv\w*|cleared|over|healed)\b")
# a question that asks how bad a pain is takes it as there: "how would you rate your pain today?", "what's your pain
# level?", "on a scale of one to ten, how bad is the pain?" (MTS-Dialog dev MTST2-0140) ...
_RATES_PAIN = re.compile(
    r"\b(?:rate|rating|score|grade) (?:your|the|his|her|that) (?:[a-z]+ )?pain\b|\bpain (?:score|level|scale)\b|"
    r"\bscale of\b.{0,40}\bpain\b|\bpain\b.{0,40}\bscale of\b"
)
# ... unless the answer rates it as none
_RATED_NONE = re.compile(r"\b(?:zero|0|none|nothing|no pain|not at all|gone|no)\b")


def _presupposed(question: str, asked_about: set[str], answer: str) -> set[str]:
    """The targets a question takes as given: those it names as the subject of what it asks about another target, or
    of what an answer that goes on past its "no" describes."""
    m = _SUBJECT_ASKED.search(normalise(question))
    if not m:
        return set()
    subject = _question_targets(m.group(1))
    rest = _question_targets(normalise(question)[m.end() :])
    goes_on = len([w for w in tokens(answer) if w not in _FILLERS and w not in _NO]) >= 2
    if not (rest - subject or goes_on):
        return set()
    return {k for k in asked_about if k in subject or base_target(k) in subject}


def _split_question(text: str) -> tuple[str, str]:
    """A normalised sentence without its question mark cut where the question it ends with starts ("okay have you
    noticed any swelling"): (what it states, what it asks). The next turn answers the last question only, so one
    about no target is none: ``(text, "")``."""
    opener = [m.start() for m in _QUESTION_OPENER.finditer(text)]
    if opener and _question_targets(text[opener[-1] :]):
        return text[: opener[-1]], text[opener[-1] :]
    return text, ""


# a dictated exam reaching a part ("exam of the low back", "examination of the right knee") just before "any pain here?"
_EXAM_OF = re.compile(r"\b(?:exam|examination) of (?:the |your |his |her )?(?:[a-z']+ ){0,2}[a-z']+\W*$")
_POINTS_HERE = re.compile(r"\b(?:here|there)\b")
SITE_CONTEXT = 60  # characters before a question in which its condition ("when i press on your knee") may be said
QUESTION_RUN = 60  # characters between two questions asked in one breath, the next turn answering both


# a question that asks how long, when or how much ("is it one week or more?"): an answer to it says nothing of the
# symptom asked about just before
_ASKS_WHEN = re.compile(
    r"\b(?:how long|how many|how much|how often|when|since when|what time|\d+|one|two|three|four|five|six|week|weeks|"
    r"day|days|month|months|year|years|hours?)\b"
)
# a sentence that says what the question before it means
_EXPLAINS = re.compile(r"^\W*(?:that is|that's|i mean|meaning|in other words|like|such as)\b")
# a question cut off while listing ("Tremors or loss of sensation like paralysis or-"): the next turn answers it
_CUT_OFF = re.compile(r"\b(?:or|and)\s*(?:-+|—|–|\.\.\.|…)\s*$")


def _clause_polarity(text: str, current: bool) -> tuple[set[str], set[str]]:
    """A sentence's negated and affirmed targets, clause by clause."""
    negated: set[str] = set()
    affirmed: set[str] = set()
    before: set[str] = set()
    for clause in _clauses(text):
        if _GONE_NOW.search(clause):
            affirmed -= before  # "I had a fever last week but it's gone now": not there now
        n, a = negated_terms(clause, skip_past=current)
        negated |= _at_sites(n, clause)
        before = _at_sites(a, clause) - affirmed
        affirmed |= before
    return negated, affirmed


CUT_GAP = 1.0  # seconds between two lines of one speaker that a recogniser cut from one sentence


def _denial_going_on(index: TranscriptIndex, sid: int) -> str:
    """The denial the line before ends with when this line goes on with its list ("there is no rebound." - "or
    guarding"): a recogniser cuts a sentence where the speaker paused and may even end it there with a full stop,
    but no statement opens with "or". Else ""."""
    at = index.position[sid]
    seg = index.transcript.segment(sid)
    prev = index.transcript.segment(index.order[at - 1]) if at else None
    if seg is None or prev is None or prev.speaker != seg.speaker or seg.start - prev.end > CUT_GAP:
        return ""
    clauses = _clauses(prev.text)
    if _opening(seg.text) not in ("or", "nor") or not clauses:
        return ""
    words = tokens(clauses[-1])[-NEGATION_SCOPE:]  # as far as a denial reaches
    return " ".join(words) if any(w in _NO or w in _NEGATORS for w in words) else ""


def _asks_on(line: str) -> bool:
    """A line that goes on with the question before it: it opens with "or" and names what it asks about, with no
    answer in it ("or chest pain, shortness of breath, anything")."""
    return _opening(line) == "or" and not (_NO & set(tokens(normalise(line)))) and bool(_question_targets(line))


def _next_text(index: TranscriptIndex, sid: int) -> str:
    """The line that answers this one: the next, or the one after it when the next goes on with the question ("any
    symptoms at all, any nasal congestion" - "or chest pain, shortness of breath, anything." - "No none of those")."""
    at = index.position[sid] + 1
    if at + 1 < len(index.order) and _asks_on(index.segment_text[index.order[at]]):
        at += 1
    return index.segment_text[index.order[at]] if at < len(index.order) else ""


def _one_segment_polarity(index: TranscriptIndex, sid: int, current: bool = False) -> tuple[set[str], set[str]]:
    """One segment's negated and affirmed targets; cached per transcript by :meth:`TranscriptIndex.polarity`."""
    negated: set[str] = set()
    affirmed: set[str] = set()
    seg = index.transcript.segment(sid)
    if seg is None:
        return negated, affirmed
    # A turn can state something and then ask ("... here for right knee pain. So what happened?"):
    # its statements count, and only the question it ends with is answered by the next turn.
    sentences = sentences_of(seg.text)
    reply = _next_text(index, sid)
    asked = [
        x.rstrip().endswith("?") and not _TAG_QUESTION.search(x) and not _WHY_QUESTION.search(normalise(x))
        for x in sentences
    ]
    if (
        sentences
        and not asked[-1]
        and seg.speaker != SpeakerRole.patient
        and (
            _names_only(sentences[-1], reply)
            or _asks_again(sentences[-1])
            or bool(_CUT_OFF.search(sentences[-1]))
            or _question_without_its_mark(sentences[-1], reply)
        )
    ):
        asked[-1] = True
    if len(sentences) > 1 and asked[-2] and not asked[-1] and _EXPLAINS.match(normalise(sentences[-1])):
        asked[-1] = True  # "Any T I A or C V A? That is slurred speech or stroke symptoms." explains the question
    if sentences and not asked[-1]:  # a question without its question mark: "okay have you noticed any swelling"
        last = sentences[-1]
        text = normalise(last)
        stated, asking = _split_question(text)
        if asking:
            sentences[-1:] = [stated, asking] if stated.strip() else [asking]
            asked[-1:] = [False, True] if stated.strip() else [True]
        elif opener := [m.start() for m in _QUESTION_OPENER.finditer(text)]:
            # a question about a target asked in one breath before it ("does that pain radiate anywhere or where
            # would you say it is") is asked, not stated, though the answer is to the last one
            first = len(opener) - 1
            while first and opener[first] - opener[first - 1] <= QUESTION_RUN:
                first -= 1
            if first < len(opener) - 1 and _question_targets(text[opener[first] : opener[-1]]):
                sentences[-1] = text[: opener[first]]
    # the questions a turn ends with ("Any other symptoms? Chest pain? Shortness of breath?") are answered together
    run = len(sentences)
    while run and asked[run - 1]:
        run -= 1
    lead = _denial_going_on(index, sid)
    for at, (sentence, is_question) in enumerate(zip(sentences, asked, strict=True)):
        if is_question:
            continue
        if at == 0 and lead:
            # "there is no rebound." - "or guarding": the denial the line before ended with goes on into this one;
            # what the line before says of itself is its own
            lead_n, lead_a = _clause_polarity(lead, current)
            n, a = _clause_polarity(f"{lead} {sentence}", current)
            negated |= n - lead_n
            affirmed |= a - lead_a
            continue
        n, a = _clause_polarity(sentence, current)
        negated |= n
        affirmed |= a
    nxt_at = index.position[sid] + 1
    if sentences and _TAG_QUESTION.search(sentences[-1]) and nxt_at < len(index.order):
        # "you don't have any chest pain, right?" - "actually I do": the tag's denial is taken back
        answer = " ".join(t for t in tokens(index.segment_text[index.order[nxt_at]]) if t not in _FILLERS)
        tag_denied = _at_sites(negated_terms(normalise(sentences[-1]))[0], sentences[-1])
        if tag_denied and _CONTRADICTS.match(answer):
            negated -= tag_denied
            affirmed |= tag_denied
    for m in _ANSWERED_IN_TURN.finditer(normalise(seg.text)):
        negated |= _at_sites(_question_targets(m.group(1)), m.group(1))
    nxt = index.position[sid] + 1
    if (
        len(sentences) - run > 1
        and _ASKS_WHEN.search(normalise(sentences[-1]))
        and not _question_targets(sentences[-1])
    ):
        run = len(sentences)  # "any congestion? is it one week or more?" - "no, I meant three weeks": the last asked
    if run < len(sentences) and nxt < len(index.order):
        question = " ".join(sentences[run:])
        question_said = normalise(question)
        # the question's condition, said just before it, may name the body site: "when i press on your right knee,
        # does that hurt" asks about the right knee (a statement before a question does not)
        said_before = normalise(sentences[run - 1])[-SITE_CONTEXT:] if run else ""
        conditions = [m.start() for m in _ON_CONDITION.finditer(said_before)]
        context = f"{said_before[conditions[-1] :] if conditions else ''} {question}"
        if not conditions and (exam := _EXAM_OF.search(said_before)) and _POINTS_HERE.search(question_said):
            # "exam of the low back. any pain here?" asks about the back the exam has come to (ACI-Bench train D2N032)
            context = f"{exam.group(0)} {question}"
        asked_about = _at_sites(_question_targets(question), context)
        touched = normalise(seg.text)[-CONDITION_REACH:]
        if _PALPATING.search(touched):
            # "I'm pressing on your belly, does that hurt?" - "No": no tenderness there, the exam's word for it (at
            # the site pressed, the last one named before the question: a belly that does not hurt says nothing of a
            # knee that does, and with no site named it says nothing)
            pressed = [site for w in re.findall(r"[a-z]+", touched) if (site := _site(w))]
            if "pain" in asked_about and pressed:
                asked_about |= {f"{pressed[-1]} tender"}
        again = not asked_about and _asks_again(question)
        if again:
            asked_about = _asked_before(index, sid, current)  # "does that hurt?" - "no" - "and here?" - "ow, yes"
        given = _presupposed(question, asked_about, reply)
        if _RATES_PAIN.search(question_said) and not _RATED_NONE.search(normalise(reply)):
            # "how would you rate your pain today?" - "I'd say it's minimal": a pain rated is a pain there
            given |= {k for k in asked_about if base_target(k) == "pain"}
        if not _OVER.search(question_said):
            affirmed |= given  # "is the pain gone?" takes the pain as given, but not as there now
        n, a = _answered(asked_about - given, reply, question_said)
        if not n and not a and _no_answer(reply):
            _unanswered(index)[sid] = asked_about - given
        # "when i push on the outside does that hurt", and "and here?" after it: under that condition only
        if again or _ON_CONDITION.search(touched):
            n = {CONDITIONAL + k for k in n}
        negated |= n
        affirmed |= a
    return negated, affirmed


# a question that asks the last one again somewhere else: "and here?", "how about over here?", "what about now?"
_AGAIN = re.compile(
    r"^(?:(?:okay|ok|so|um|uh|alright)\s+)*(?:and|how about|what about|or)\s+(?:(?:over|right|up|down|in|on)\s+)?"
    r"(?:here|there|this one|that one|this 1|that 1|this spot|that spot|now)\b(?:\s+[a-z']+){0,3}\s*\??\s*$"
)
AGAIN_REACH = 4  # turns back in which the question asked again is looked for


def _asks_again(question: str) -> bool:
    toks = tokens(normalise(question))
    return 0 < len(toks) <= 8 and bool(_AGAIN.match(" ".join(toks))) and not _targets_in(toks)


def _asked_before(index: TranscriptIndex, sid: int, current: bool) -> set[str]:
    """What the same speaker last asked about, a few turns back (the targets its question negated or affirmed)."""
    at, asking = index.position[sid], index.transcript.segment(sid)
    for back in index.order[max(0, at - AGAIN_REACH) : at][::-1]:
        seg = index.transcript.segment(back)
        if seg is None or asking is None or seg.speaker != asking.speaker:
            continue
        n, a = _polarity(index, back, current)
        if n or a:
            return {k.removeprefix(CONDITIONAL) for k in n} | a
    return set()


# an examiner's hand on the body: pain it brings out is tenderness ("push against my hand" tests strength instead)
_PALPATING = re.compile(r"\b(?:press|presses|pressing|pressed|palpat\w*|touch|touching|(?:push|pushing) (?:on|in))\b")
# a question or a statement about a finding under a condition ("when i press here", "with walking", "at night")
_ON_CONDITION = re.compile(r"\b(?:when|whenever|while|if|after|during|with|upon|palpation|on exertion)\b")
CONDITIONAL = "~"  # marks a denial that holds only under its question's condition
CONDITION_REACH = 80  # characters before a question's end within which a condition is said


# a clause that says what came before is over: "... but it's gone now", "and then it went away"
_GONE_NOW = re.compile(
    r"^\W*(?:and |then |now |so )*(?:it|that|they|those|this)(?: ?'s| is| has| have| ?'ve| are)?(?:\s+been)?\s+(?:all\s+)?"
    r"(?:gone|resolved|cleared|went away|go away|stopped|disappeared)\b"
    r"|^\W*(?:but |and )?(?:not any ?more|no longer|not now|not since)\b"  # "i smoked in my twenties but not anymore"
)


def finding_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A symptom or finding stated as present that the visit never mentions at all ("Wheezes, rales, or
    rhonchi." after an exam in which nobody said any of them)."""
    said = _findings_said(index)
    present = set()
    for clause in _clauses(statement):
        present |= {base_target(k) for k in negated_terms(clause)[1]} - _SAID_MANY_WAYS
    return [
        Issue(
            kind="finding",
            detail=f"'{_surface(statement, w)}' is stated as present, but the transcript never mentions it",
        )
        for w in sorted(present - said)
    ]


# a finding the visit may well describe without any word of it: pain that "radiates" "goes down my arm", "shoots";
# a condition the chart names that the visit calls by its treatment or its numbers ("your sugars", "metformin")
_SAID_MANY_WAYS = frozenset({"radiate", "smok", "tobacco"}) | _CONDITIONS

# what else backs a finding's mere mention: chest "pain" written for a "tightness" or "pressure"
_FINDING_BACKING = {"pain": {"tightness", "pressure", "cramp", "stiff", "tender"}, "tightness": {"pressure", "pain"}}


# everyday words that say a finding ("blood in my urine" is hematuria); a target is backed by any of them
_FINDING_WORDS = {
    "pain": ("bother", "kill"),  # "my knee has been bothering me", "it's been killing me"
    "hematuria": ("blood",),
    "orthopnea": ("flat", "pillow"),
    "tender": ("hurt", "pain", "sore", "touch", "press"),
    "congest": ("stuff", "nose", "sinus"),
    "appetite": ("eat", "hungry", "food"),
    "appetite loss": ("appetite", "eat", "hungry", "food"),
    "tinnit": ("ring", "buzz", "ear"),
    "urinary frequency": ("pee", "urinat", "bathroom", "restroom"),
    "urinat": ("pee", "bathroom", "restroom", "bladder"),  # "frequency with urination": "I seem to be peeing a lot"
    "redness": ("red",),
    "warmth": ("warm", "hot"),
    "fall": ("fell", "slip", "trip"),
    "breath": ("breath", "respirat", "winded"),
    "infect": ("infect", "fever", "antibiotic"),
    "fever": ("temperature", "febrile"),
    "effusion": ("fluid", "swell", "swollen"),
    "palpitat": ("heart", "racing", "flutter", "pound"),
    "fatigue": ("energy", "worn", "sleepy", "exhaust"),
    "exhaust": ("tired", "energy", "worn"),
    "instabil": ("giv", "unstable", "loose", "wobbl", "buckl"),
    "laxity": ("loose", "giv", "unstable"),
    "crepitus": ("crack", "pop", "grind", "click", "crunch"),
    "atroph": ("shrink", "smaller", "thin", "wast"),
    "lacerat": ("cut", "gash"),
    "abrasion": ("scrape", "scratch"),
    "drainage": ("drain", "ooz", "pus", "discharge", "runny"),  # "nasal drainage": "a runny nose"
    "pus": ("drain", "ooz", "discharge"),
    "cyst": ("lump", "bump"),
    "heartburn": ("reflux", "acid", "indigestion", "gerd"),
    "rhinorrh": ("runny", "running", "drip"),
    "diplop": ("double", "two of"),
    "dizz": ("spin", "vertigo", "woozy", "lighthead"),
    "itch": ("prurit", "scratch"),
    "reflux": ("heartburn", "acid", "gerd"),
    "dysphag": ("swallow",),
    "insomnia": ("sleep", "asleep"),
    "injur": ("twist", "sprain", "rolled", "accident", "landed", "strain"),
    "nodul": ("spot", "lump"),
    "lesion": ("spot", "bump", "mole"),
    "rash": ("hive", "welt"),
    "anxi": ("nervous", "stress", "worri", "panic"),
    "depress": ("hopeless",),
    "confus": ("foggy", "disorient"),
    "spasm": ("cramp", "knot"),
    "deformit": ("crooked",),
    "hemoptysis": ("blood",),
    "bleed": ("blood",),
    "distension": ("bloat",),
    "sputum": ("phlegm", "mucus"),
    "diarrh": ("loose", "watery"),
    "rales": ("crackl",),
    "crackl": ("rales",),
    "tremor": ("shak", "trembl"),
    "lymphadenopath": ("lymph", "node", "gland"),
    "fractur": ("break", "broke", "crack"),
    # a sign said by its name alone ("anterior drawer and mcmurray are negative", "homans sign")
    **{f"{canon} sign": (canon,) for canon in set(_EPONYMS.values())},
}


# findings said in a phrase of several words: "I've lost about ten pounds" is a weight loss
_FINDING_PHRASES = {
    # "a painful burning feeling when I pee"
    "dysuria": re.compile(r"\b(?:burn\w*|hurts?|stings?|stinging)\b(?: \S+){0,6} (?:pee|peeing|urinat\w*)\b"),
    "weight loss": re.compile(
        r"\b(?:lost|losing|lose|dropped)\b(?: \S+){0,4} (?:pounds|lbs?|kilos?|kilograms?|kg|weight)\b"
    ),
    "weight gain": re.compile(
        r"\b(?:gained|gaining|gain|put on)\b(?: \S+){0,4} (?:pounds|lbs?|kilos?|kilograms?|kg|weight)\b"
    ),
}


def _surface(text: str, key: str) -> str:
    """The statement's own word for a target key ("nause" -> "nausea")."""
    if key == "breath":
        m = re.search(r"\b(?:short(?:ness)? of breath|trouble breathing|breathing|breath\w*)", normalise(text))
        if m:
            return m.group(0)
    if key == "bowelchange" and (m := re.search(r"\bchanges? in (?:\w+ )?bowel \w+", normalise(text))):
        return m.group(0)
    if key == "hypertens" and (m := re.search(r"\bhigh (?:blood pressure|bp)\b", normalise(text))):
        return m.group(0)
    toks = re.findall(r"[a-z][a-z'-]*", normalise(text))
    for i, w in enumerate(toks):
        if target(w, toks[i + 1] if i + 1 < len(toks) else "") == key:
            two = f"{w} {toks[i + 1]}" if i + 1 < len(toks) else ""
            return two if _COMPOUND.get(two) == key else w  # "heart attack"; "dvt" for a blood clot
        if (q := _qualified(toks, i)) == key and q.split(" ")[0] in _MANOEUVRES:  # "pain with pronation"
            return " ".join(toks[i : _manoeuvre_at(toks, i) + 1])
        if i and q == key:  # "bell pain" -> "belly pain": the site as written
            return f"{toks[i - 1]} {w}"
    return key


# Words speech recognition hears for a negator: "soft and not tender" comes out "soft and hot tender".
_NEGATOR_SOUNDALIKES = {"hot": "not", "knot": "not", "nod": "not", "note": "not", "nut": "not"}


def unclear_issues(statement: str, index: TranscriptIndex, evidence: list[int]) -> list[Issue]:
    """A finding asserted where the words before it may be a misheard negator.

    Where the statement or its supporting lines read "<sound-alike of not/no> <finding>" ("hot tender",
    "nod swollen"), the visit may have said the opposite; a physician must listen before it is charted.
    """
    found = []
    texts = [statement] + [index.segment_text[w] for sid in evidence for w in index.window(sid, 1)]
    present = {base_target(k) for clause in _clauses(statement) for k in negated_terms(clause)[1]}
    said = re.findall(r"[a-z][a-z'-]*", normalise(statement))
    # "Calf: soft and hot tender" asserts the tenderness as heard (negated_terms reads it as neither)
    present |= {
        base_target(k)
        for i in range(len(said) - 1)
        if said[i] in _NEGATOR_SOUNDALIKES and (k := target(said[i + 1], said[i + 2] if i + 2 < len(said) else ""))
    }
    for text in dict.fromkeys(texts):
        toks = re.findall(r"[a-z][a-z'-]*", normalise(text))
        for i in range(len(toks) - 1):
            negator = _NEGATOR_SOUNDALIKES.get(toks[i])
            key = target(toks[i + 1], toks[i + 2] if i + 2 < len(toks) else "")
            if negator and key and base_target(key) in present:
                found.append((toks[i], toks[i + 1], negator))
    return [
        Issue(
            kind="unclear",
            detail=f"the transcript reads '{a} {b}', which may be '{n} {b}' misheard: listen to the recording",
        )
        for a, b, n in dict.fromkeys(found)
    ]


def negation_issues(statement: str, index: TranscriptIndex, evidence: list[int]) -> list[Issue]:
    """A statement asserting a target the visit denies, or denying one it reports: in the supporting lines
    (and the question each answers), or anywhere in the visit when every mention of it says the opposite."""
    # the evidence lines and the question each answers ("Any sweating?" - "No."): not the whole neighbourhood
    lines = set(evidence)
    for sid in evidence:
        before = index.window(sid, 1)[0]
        if before != sid and index.segment_text[before].rstrip().endswith("?"):
            lines.add(before)
    again = index.memo("asks again", lambda ix: {s for s in ix.order if _asks_again(ix.segment_text[s])})
    for sid in evidence:  # and the same question asked again just after: "does that hurt?" - "no" - "and here?" - "yes"
        at = index.position[sid]
        lines.update(later for later in index.order[at + 1 : at + 1 + AGAIN_REACH] if later in again)
    window = sorted(lines, key=index.position.__getitem__)
    ev_neg, ev_aff = _segment_polarity(index, window)
    ev_neg_when = {k.removeprefix(CONDITIONAL) for k in ev_neg if k.startswith(CONDITIONAL)}
    # a denial of today is not contradicted by "I had some chest pain two years ago", "I used to get headaches"
    ev_aff_now = _segment_polarity(index, window, current=True)[1]
    all_neg, all_aff = _visit_polarity(index)
    all_neg = {k.removeprefix(CONDITIONAL) for k in all_neg}  # across the visit, a denial under a condition counts
    issues = []
    flagged: set[str] = set()  # the targets flagged, so that the pain under an exam's condition is not flagged twice
    header = m.group(1) if (m := _HEADER.match(normalise(statement))) else ""  # "Examination of the abdomen: ..."
    for clause in _clauses(statement):
        # "CORONARY RISK FACTORS: A history of hypertension" lists what the patient has: the heading's "risk" is no
        # list of what may happen (MTS-Dialog dev MTS0728)
        st_neg, st_aff = negated_terms(_RISK_FACTORS_HEADING.sub("", clause))
        palpated: set[str] = set()
        if _PALPATING.search(clause):
            # "pain to palpation of the lateral aspect of the right knee" is tenderness of the knee, the site written
            # after the finding
            # (a denial keeps its own words: a site's "no tenderness" is weighed as it was, against tenderness said
            # of other parts); and "pain with palpation of the abdomen" is abdominal pain, held against "no pain to
            # palpation of the abdomen" (ACI-Bench train D2N050)
            tender, palpated = _palpated_at(st_aff, clause)
            st_aff |= tender | palpated
        # a denial under a condition answers a statement under one ("no pain with walking"); it neither says the
        # finding is never there ("Mobic for pain control") nor takes away what other lines affirm ("denies knee pain")
        when = ev_neg_when if _ON_CONDITION.search(clause) else set()
        absent, present = st_aff & (ev_neg | when) - ev_aff, st_neg & ev_aff - ev_neg - when
        if not _HISTORICAL.search(clause):  # "had blood in her stool 3 years ago" is not today's answer
            present &= ev_aff_now | all_aff
            said = all_neg | all_aff
            # "leg swelling" in a note, plain "swelling" in the visit: held against what the visit says of swelling
            aff = {t for t in st_aff if t not in said and base_target(t) not in _TOO_GENERAL}
            neg = {t for t in st_neg if t not in said and base_target(t) not in _TOO_GENERAL}
            absent |= {t for t in st_aff & all_neg - all_aff if t not in _TOO_GENERAL}
            absent |= {t for t in aff if base_target(t) in all_neg - all_aff}
            present |= {t for t in st_neg & all_aff - all_neg if t not in _TOO_GENERAL}
            present |= {t for t in neg if base_target(t) in all_aff - all_neg}
        else:  # a condition lasts: "no history of asthma" in a visit about her asthma, "history of diabetes" denied
            absent |= (st_aff & _CONDITIONS & all_neg) - all_aff - _TOO_GENERAL
            present |= (st_neg & _CONDITIONS & all_aff) - all_neg - _TOO_GENERAL
            if _HISTORY_OF.search(clause):
                # "history of shortness of breath" where the visit only ever denies it ("any shortness of breath?" -
                # "no"): a past the visit never gives (MTS-Dialog dev MTST2-0006, a review of systems)
                absent |= (st_aff & all_neg) - all_aff - _TOO_GENERAL
        absent |= {w for w in st_aff - absent if _denied_here(clause, w, index) or _denied_that_day(clause, w, index)}
        # "Reports right eye pain." where the supporting lines deny any pain ("any pain when it happens?" - "no")
        # and no line of the visit reports pain anywhere: a site does not make a denied pain present
        if not any(base_target(k) == "pain" for k in all_aff | ev_aff):
            absent |= {w for w in st_aff if w != "pain" and base_target(w) == "pain" and "pain" in ev_neg | ev_neg_when}
        if _QUIT.search(clause):  # "former smoker, quit 10 years ago" in a visit where she says "no, I quit"
            absent -= {"smok", "tobacco"}
            present -= {"smok", "tobacco"}
        absent -= {k.removesuffix(" pain") + " tender" for k in absent & palpated}  # one flag for the one finding
        flagged |= {base_target(w) for w in absent}
        for w in sorted(absent):
            issues.append(
                Issue(
                    kind="negation",
                    detail=f"'{_surface(clause, w)}' is stated as present, but the transcript says it is absent",
                )
            )
        on_body = f"{header} {clause}"
        present = {
            w for w in present if not _denied_elsewhere(clause, w, index) and not _denied_that_day(clause, w, index)
        }
        if _NEVER_DIAGNOSED.search(clause):
            present -= _CONDITIONS  # "denies ever being diagnosed with hepatitis C" in a visit that diagnoses it
        # "Abdomen: no tenderness" after "tenderness over the medial joint line" of a knee: said of another part
        present = {w for w in present if not _said_only_elsewhere_on_body(w, on_body, index)}
        flagged |= {base_target(w) for w in present}
        for w in sorted(present):
            issues.append(
                Issue(
                    kind="negation",
                    detail=f"'{_surface(clause, w)}' is stated as absent, but the transcript says it is present",
                )
            )
    if "pain" not in flagged:  # one flag for the pain is enough
        issues.extend(exam_condition_issues(statement, index))
    return issues


# how an exam or a history brings out pain other than by pressing (which is tenderness, read above): moving the
# part, the patient pushing or pulling against the examiner's hand ("push against my hand", not "push on your
# knee"), and walking on it
_EXAM_CONDITIONS = {
    "movement": re.compile(
        r"\b(?:mov(?:e|es|ed|ing|ement|ements)|bend(?:s|ing)?|straighten(?:s|ing)?|flex(?:es|ed|ing|ion)?|"
        r"extend(?:s|ed|ing)?|extension|rotat\w*|range of motion|twist(?:s|ed|ing)?)\b"
    ),
    "resistance": re.compile(
        r"\b(?:against (?:my|the) (?:hand|hands|resistance)|resist(?:ed|ance|ing)?|strength(?: testing)?|"
        r"(?:push|pushing|pull|pulling|kick|kicking|squeeze|squeezing)\b(?! (?:on|in|here|there|down on)\b))"
    ),
    "walking": re.compile(r"\b(?:walk(?:s|ed|ing)?|ambulat\w*|weight[- ]bearing|bear(?:ing)? weight)\b"),
}
_CONDITION_NAMES = {"movement": "with movement", "resistance": "against resistance", "walking": "with walking"}
_PAIN = frozenset({"pain"})
CONDITION_NEAR = 60  # characters around a movement within which the pain it brings out is said
_PAIN_ASKED = re.compile(r"\b(?:hurt|hurts|pain|painful|sore|bother|bothers|tender)\b")


def _exam_conditions(text: str) -> set[str]:
    return (
        {name for name, cue in _EXAM_CONDITIONS.items() if cue.search(text)} if not _PALPATING.search(text) else set()
    )


def _pain_under_conditions(index: TranscriptIndex) -> dict[str, tuple[bool, bool]]:
    """Per way of bringing out pain (moving the part, pushing against resistance, walking): whether the visit
    says it did not hurt, and whether it says it did. A question whose last words move the part ("push your leg
    out against my hand, does that hurt?") is answered by the next turn's first word; a statement says it in one
    clause ("range of motion is full without pain", "it hurts when I bend it")."""

    def build(ix: TranscriptIndex) -> dict[str, tuple[bool, bool]]:
        denied: set[str] = set()
        affirmed: set[str] = set()
        for at, sid in enumerate(ix.order):
            text = normalise(ix.segment_text[sid])
            sentences = sentences_of(text)
            question = ""
            if sentences and sentences[-1].endswith("?"):
                question = sentences.pop()
            elif sentences:  # a question without its question mark: "push against my hand does that hurt"
                sentences[-1], question = _split_question(sentences[-1])
            for sentence in sentences:
                for clause in _clauses(sentence):
                    if _QUESTION_OPENER.search(clause):
                        continue  # (a question asked on the way is no statement)
                    for name, cue in _EXAM_CONDITIONS.items():
                        for m in cue.finditer(clause):  # the pain said next to the movement, not a sentence away
                            near = clause[max(0, m.start() - CONDITION_NEAR) : m.end() + CONDITION_NEAR]
                            if _PALPATING.search(near):
                                continue
                            n, a = negated_terms(near)
                            denied |= {name} if _PAIN & {base_target(k) for k in n} else set()
                            affirmed |= {name} if _PAIN & {base_target(k) for k in a} else set()
            touched = text[-CONDITION_REACH:]
            if not question or at + 1 >= len(ix.order):
                continue
            if _PAIN_ASKED.search(question) and (conditions := _exam_conditions(touched)):
                n, a = _answered({"pain"}, normalise(ix.segment_text[ix.order[at + 1]]), question)
                denied |= conditions if n else set()
                affirmed |= conditions if a else set()
        return {c: (c in denied, c in affirmed) for c in _EXAM_CONDITIONS}

    return index.memo("pain under conditions", build)


def exam_condition_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """Pain written under an exam's condition ("pain with movement", "no pain with strength testing") held against
    what the visit says under the same condition, where it says it only one way: "push against my hand, does that
    hurt?" - "no" is no pain against resistance, whatever hurts when the knee is pressed."""
    said = _pain_under_conditions(index)
    issues = []
    for clause in _clauses(statement):
        conditions = _exam_conditions(clause)
        if not conditions:
            continue
        n, a = ({base_target(k) for k in keys} for keys in negated_terms(clause))
        for c in sorted(conditions):
            denied, affirmed = said[c]
            if "pain" in a and denied and not affirmed:
                issues.append(
                    Issue(
                        kind="negation",
                        detail=f"pain {_CONDITION_NAMES[c]} is stated as present, but the visit says it did not hurt",
                    )
                )
            elif "pain" in n and affirmed and not denied:
                issues.append(
                    Issue(
                        kind="negation",
                        detail=f"pain {_CONDITION_NAMES[c]} is stated as absent, but the visit says it hurt",
                    )
                )
    return issues


def _palpated_at(keys: set[str], clause: str) -> tuple[set[str], set[str]]:
    """The tenderness a palpated finding says, at the sites written around it ("pain to palpation of the knee"), and
    the pain at those sites: (tenderness keys, pain keys)."""
    found = {base_target(k) for k in keys} & {"pain", "tender"}
    # "pain with palpation of the abdomen" reads as the palpation's pain ("palp pain"): its site is still the abdomen
    sited = {k for k in keys | _at_sites(found | keys, clause) if " " in k and base_target(k) in ("pain", "tender")}
    tender = {f"{site} tender" for k in sited if (site := _site(k.rsplit(" ", 1)[0].split(" ")[-1]))}
    return tender, {k for k in sited if k.endswith(" pain")}


_HEADER = re.compile(r"^\s*([^:.]{1,60}):")
_RISK_FACTORS_HEADING = re.compile(r"^\s*[^:.]{0,40}\brisk factors?\s*:\s*")


def _said_only_elsewhere_on_body(target: str, context: str, index: TranscriptIndex) -> bool:
    """The statement denies a finding on a part of the body (in its clause or its header) and every line of the visit
    that affirms it names another part: "Calves: no swelling" is not contradicted by "swelling in your right ankle".
    (A finding stated present is still held against a denial on another part: a missed denial costs more.)"""
    if " " in target:
        return False
    # "nontender": "non tender" ("lower extremities" are read as legs by _at_sites)
    context = " ".join(_non_split(re.findall(r"[a-z][a-z'-]*", normalise(context))))
    stated = _at_sites({target}, context) - {target}
    if not stated:
        return False
    mentions = [keys for sid in index.order if target in (keys := _polarity(index, sid, current=True)[1])]
    if not mentions:
        return False
    for keys in mentions:
        sited = {k for k in keys if k != target and base_target(k) == target and k not in _COMPOUND_KEYS}
        if not sited or any(_same_part(a, b) for a in sited for b in stated):
            return False
    return True


# the parts of the body within a larger part: "no leg swelling" is contradicted by an ankle's swelling, "calves: no
# swelling" is not (sibling parts)
_WITHIN = {
    part: whole
    for whole, parts in (
        ("leg", "ankle knee calf foot shin thigh toe hip"),
        ("arm", "hand wrist elbow finger forearm shoulder"),
        ("chest", "lung"),
        ("back", "paraspinal midline lower"),
        ("head", "face scalp ear eye jaw"),
    )
    for part in (_site(w) for w in parts.split())
    if part
}


def _same_part(a: str, b: str) -> bool:
    """Two sited keys ("ankle swell", "leg swell") on the same part of the body, or one part within the other."""
    pa, pb = a.rsplit(" ", 1)[0], b.rsplit(" ", 1)[0]
    return pa == pb or _WITHIN.get(pa) == pb or _WITHIN.get(pb) == pa


# Where on the body, on several axes: "no masses on the right" is not contradicted by "the mass on the left side", nor
# "no pain to palpation of the lateral aspect" by "pain on the medial side with palpation".
_PLACE_AXES = (
    {"left": frozenset({"left"}), "right": frozenset({"right"})},
    {"medial": frozenset({"medial", "inside", "inner"}), "lateral": frozenset({"lateral", "outside", "outer"})},
    {"anterior": frozenset({"anterior"}), "posterior": frozenset({"posterior"})},
    {"upper": frozenset({"upper"}), "lower": frozenset({"lower"})},
    {"proximal": frozenset({"proximal"}), "distal": frozenset({"distal"})},
    {"dorsal": frozenset({"dorsal", "dorsum"}), "palmar": frozenset({"palmar", "volar", "plantar"})},
)


def _places(toks: set[str]) -> list[set[str]]:
    """The places ``toks`` name, per axis."""
    return [{place for place, words in axis.items() if toks & words} for axis in _PLACE_AXES]


_THAT_DAY = re.compile(r"\b(?:today|tonight|this morning|right now)\b")


def _denied_that_day(clause: str, target: str, index: TranscriptIndex) -> bool:
    """ "No diarrhea today." where the patient said "I've been having diarrhea ... I didn't have any today": a
    denial of the day the visit also denies, with the same word for the day."""
    day = _THAT_DAY.search(clause)
    if day is None:
        return False
    return target in _denied_on(index, day.group(0))


def _denied_on(index: TranscriptIndex, day: str) -> set[str]:
    """The targets the visit denies in a clause naming ``day`` ("I didn't have any diarrhea today"), once per
    transcript and day word."""
    return index.memo(
        f"denied on {day}",
        lambda ix: {
            t
            for sid in ix.order
            if day in ix.segment_text[sid].lower()
            for c in _clauses(ix.segment_text[sid])
            if day in c
            for t in negated_terms(c)[0]
        },
    )


def _denied_elsewhere(clause: str, target: str, index: TranscriptIndex) -> bool:
    """A denial placed on one side that the visit affirms only on the other: on some axis the clause names one
    place, a line affirming the target names the other, and no line affirming it names the clause's place."""
    targets = {target, base_target(target)}
    theirs = [
        _places(set(index.tokens[sid])) for sid in index.order if targets & _polarity(index, sid, current=True)[1]
    ]
    for k, place in enumerate(_places(set(re.findall(r"[a-z]+", clause)))):
        if len(place) == 1 and any(t[k] - place for t in theirs) and not any(t[k] & place for t in theirs):
            return True
    return False


def _placed_clauses(index: TranscriptIndex) -> list[tuple[list[set[str]], set[str], set[str]]]:
    """Each stated clause of the visit (questions left out) that names a place: (its places per axis, the targets it
    denies, the targets it affirms), what it says of today only."""

    def build(ix: TranscriptIndex) -> list[tuple[list[set[str]], set[str], set[str]]]:
        out = []
        for sid in ix.order:
            for sentence in stated_sentences(ix.segment_text[sid]):
                # "when i press on the outside of your right knee does that hurt": the question is no statement
                stated, asking = _split_question(normalise(sentence))
                for clause in _clauses(stated if asking else sentence):
                    before: list[set[str]] = [set() for _ in _PLACE_AXES]
                    for piece in _denial_pieces(clause):
                        own = _places(set(re.findall(r"[a-z]+", piece)))
                        # an axis the piece does not name keeps the one said before ("... of the right knee there
                        # is no pain to palpation of the lateral aspect": the lateral aspect of the right knee)
                        places = [mine or theirs for mine, theirs in zip(own, before)]
                        before = places
                        if any(places):
                            n, a = negated_terms(piece, skip_past=True)
                            out.append((places, _at_sites(n, piece), _at_sites(a, piece)))
        return out

    return index.memo("placed_clauses", build)


def _denial_pieces(clause: str) -> list[str]:
    """A clause cut where a denial starts after a finding was stated: an exam said in one breath ("pain to
    palpation of the medial aspect there is no pain to palpation of the lateral aspect") puts each finding at its
    own place. A denial that goes on a list ("no pain, no swelling") or names what came before is not cut."""
    toks = clause.split()
    pieces, start = [], 0
    for i, w in enumerate(toks):
        bare = w.strip(",")
        if (
            i > start
            and (bare in _NEGATORS or bare.endswith("n't"))
            and toks[i - 1].strip(",") not in ("or", "and", "nor")
            and not toks[i - 1].endswith(",")
            and any(target(t.strip(",")) for t in toks[start:i])
        ):
            pieces.append(" ".join(toks[start:i]))
            start = i
    pieces.append(" ".join(toks[start:]))
    return pieces


def _denied_here(clause: str, target: str, index: TranscriptIndex) -> bool:
    """The mirror of :func:`_denied_elsewhere`: a finding put on one side that the visit denies on that side and
    affirms only on the other ("left knee pain" after "my left knee doesn't really hurt ... my right knee hurts")."""
    targets = {target, base_target(target)}

    def said(keys: set[str]) -> bool:  # "pain with palpation" said, "pain to palpation" written
        return bool(targets & (keys | {base_target(x) for x in keys}))

    records = _placed_clauses(index)
    for k, place in enumerate(_places(set(re.findall(r"[a-z]+", clause)))):
        if len(place) != 1:
            continue
        denied = any(said(n) and p[k] == place for p, n, _ in records)
        affirmed = [p[k] for p, _, a in records if said(a) and p[k]]
        if denied and affirmed and not any(p & place for p in affirmed):
            return True
    return False


# A clause about the past is not contradicted by what the visit says of today; a bare "pain" (no site) is
# too general to hold against every pain the visit mentions.
_HISTORICAL = re.compile(
    r"\b(?:ago|history|previous(?:ly)?|prior|past|former(?:ly)?|used to|in \d{4}|had (?:a|an)|before(?! (?:meals?|bed))|"
    r"(?<!since )(?:yesterday|last (?:week|month|year|night|weekend)))\b"
)
_HISTORY_OF = re.compile(r"\bhistory of\b")
# said of too many things to hold one mention against another across the visit ("the polyp wasn't cancerous" in a
# visit about a breast cancer)
_TOO_GENERAL = frozenset({"pain", "cancer"})
_PAST_WORDS = frozenset("ago history previous previously prior past formerly before used yesterday teenager".split())
_LAST_WHAT = frozenset("week weeks month months year years night weekend summer winter spring fall time visit".split())


def _of_the_past(toks: list[str], i: int) -> bool:
    """A word that puts what is said near it in the past: "ago", "previously", "yesterday", "last month", "as a kid"."""
    w = toks[i]
    if i and toks[i - 1] == "since":
        return False  # "since yesterday", "since last week": until now
    return (
        w in _PAST_WORDS
        or (w == "last" and i + 1 < len(toks) and toks[i + 1] in _LAST_WHAT)
        or (w in ("kid", "child") and i > 1 and toks[i - 2 : i] in (["as", "a"], ["was", "a"]))
    )


PAST_REACH = 6  # tokens from a word of the past within which a target is about the past


# what says nothing to a question: "ma'am", "okay", "hmm", "I don't know" (ACI's recogniser often loses the "no" of
# "no ma'am"); any word of assent, degree or time is an answer of sorts ("a little", "sometimes", "two days")
_NOT_AN_ANSWER = frozenset("ma'am sir okay ok hmm um uh mm huh what i do n't don't know dunno".split())
NO_ANSWER_WORDS = 3


def _unanswered(index: TranscriptIndex) -> dict[int, set[str]]:
    """The questions of the visit left unanswered (their segment: the targets asked), noted as the questions are read."""
    found: dict[int, set[str]] = index.memo("unanswered", lambda _: {})
    return found


def _no_answer(answer: str) -> bool:
    """The turn after a question says nothing to it: a few words, none of them but filler."""
    toks = tokens(answer)
    return 0 < len(toks) <= NO_ANSWER_WORDS and all(t in _NOT_AN_ANSWER for t in toks)


def unanswered_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A symptom stated as present that the visit only asks about, where the patient's turn after each question says
    nothing to it ("okay coughing headache" - "ma'am") and no other line affirms or denies it."""
    _visit_polarity(index)  # reads every question once, and notes those left unanswered
    asked: set[str] = set()
    for keys in _unanswered(index).values():
        asked |= {base_target(k) for k in keys}
    if not asked:
        return []
    read = index.memo(
        "read anywhere",
        lambda ix: {
            base_target(k.removeprefix(CONDITIONAL))
            for current in (True, False)
            for sid in ix.order
            for k in set().union(*_polarity(ix, sid, current))
        },
    )
    present: set[str] = set()
    for clause in _clauses(statement):
        if _HISTORICAL.search(clause) or _ON_CONDITION.search(clause):
            continue
        present |= {base_target(k) for k in negated_terms(clause)[1]}
    return [
        Issue(
            kind="finding",
            detail=f"'{_surface(statement, w)}' is stated as present, but the visit only asks about it: no answer says so",
        )
        for w in sorted(present & asked - read - _TOO_GENERAL)
    ]


def _visit_polarity(index: TranscriptIndex) -> tuple[set[str], set[str]]:
    """Targets the whole visit negates and affirms, every segment read as :func:`_segment_polarity` reads it."""

    def build(ix: TranscriptIndex) -> tuple[set[str], set[str]]:
        negated: set[str] = set()
        affirmed: set[str] = set()
        for sid in ix.order:
            n, a = _polarity(ix, sid, current=True)
            both = n & a  # a turn that says it both ways ("I've been really tired ... I haven't gotten tired") says
            negated |= n - both  # nothing the rest of the visit does not
            affirmed |= a - both
        return negated, affirmed

    return index.memo("visit_polarity", build)


def _polarity(index: TranscriptIndex, seg_id: int, current: bool = False) -> tuple[set[str], set[str]]:
    """Targets a segment negates and affirms (its closing question answered by the next turn), once per transcript;
    ``current``: leaving out what it says of the past ("I've never hurt this ankle before")."""
    cache: dict[int, tuple[set[str], set[str]]] = index.memo(f"polarity:{current}", lambda _: {})
    if seg_id not in cache:
        cache[seg_id] = _one_segment_polarity(index, seg_id, current)
    return cache[seg_id]


def targets_said(index: TranscriptIndex) -> set[str]:
    """Every symptom/finding target the transcript mentions, in any polarity."""
    return index.memo(
        "targets", lambda ix: set().union(*(_targets_in(ix.tokens[sid]) for sid in ix.order)) if ix.order else set()
    )


def _findings_said(index: TranscriptIndex) -> set[str]:
    """Targets the visit mentions, directly or in everyday words ("blood in my urine": hematuria)."""

    def build(ix: TranscriptIndex) -> set[str]:
        said = targets_said(ix)
        said = said | {k for k, backers in _FINDING_BACKING.items() if said & backers}
        said |= {k for k, words in _FINDING_WORDS.items() if any(t.startswith(words) for t in ix.all_tokens)}
        said |= {k for k, phrase in _FINDING_PHRASES.items() if phrase.search(ix.text)}
        return said

    return index.memo("findings", build)


def findings_in(text: str) -> list[str]:
    """The symptoms and findings ``text`` names (the targets of the negation check), in its own words."""
    toks = re.findall(r"[a-z][a-z'-]*", normalise(text))
    keys = sorted(k for k in _targets_in(toks) if " " not in k or k in _COMPOUND_KEYS)
    return [_surface(text, k) for k in keys]
