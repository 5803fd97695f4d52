"""Claims of other kinds: test results, allergies, how a pain feels, and whose history a condition is.

A result needs a transcript line that gives it (an ordered test has none yet); a drug the patient is
allergic to must not be written as one they take; a pain descriptor must be the patient's word, not one
of the choices a question offered; a condition the visit gives only as a relative's must not be written as
the patient's own history.
"""

from __future__ import annotations

import re

from ..domain import Issue
from ..textnorm import content_words, normalise, stated_sentences, stem, tokens
from .index import TranscriptIndex
from .people import RELATIVES
from .quantities import Facts
from .testnames import TEST as _TEST
from .testnames import result_kinds

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
    r"review\w*|notic\w*|findings?|(?:had|has) (?:some|a|an|no)|there(?:'s| is| was| were| are)|ruled out|"
    r"went (?:up|down|from)|(?:was|is|were|are|at|of) \d)\b"  # "your a1c went from 8.5 to 7.2", "was 7.2"
)
# a mention right after words that order, plan or await the test gives no result ("I'll order an ECG")
_ORDER_SAID = re.compile(
    r"\b(?:order\w*|schedul\w*|obtain\w*|want|wan na|need|like to|going to|gon na|will|'ll|let's|"
    r"until|once we|when we|waiting|await\w*|refer\w*|set up|arrange\w*)\b"
)


# "let's look at your x-ray" shows it: it is not a plan to get one
_REVIEWED = re.compile(r"\blet's (?:take a )?(?:look at|review|go over)\b")

# the images or results brought up after a question about them: what follows shows them
_PULLED_UP = re.compile(
    r"\b(?:pull (?:them|it|those|these) up|let's (?:have|take) a look|(?:if you )?look (?:here|at (?:this|these|them|it))|"
    r"looking at (?:them|it|these|those))\b"
)
LOOK_REACH = 2  # turns after a question about a test within which its images may be brought up
_TEST_NAME = {"ecg": "ECG", "ct": "CT", "mri": "MRI", "labs": "lab test"}


def _test_kinds(text: str) -> set[str]:
    kinds = set()
    for m in _TEST.finditer(text):
        word = m.group(0)
        kinds |= result_kinds(word)
    return kinds


_SENTENCE_END = re.compile(r"[.?!](?:\s|$)")


def _undot(text: str) -> str:
    """ "e.c.g." -> "ecg", so abbreviations do not end sentences."""
    return re.sub(r"\b(?:[a-z]\.){2,}", lambda m: m.group(0).replace(".", ""), text)


def result_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
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
            ks = result_kinds(m.group(0))
            mentioned |= ks
            # words right before the mention, within its sentence: "I'll order an ECG" orders it
            before = _SENTENCE_END.split(own[max(0, m.start() - 45) : m.start()])[-1]
            if _ORDER_SAID.search(before) and not _REVIEWED.search(before):
                continue
            # the rest of its sentence and the next ("Here's your x-ray. No fracture."); at the end of a turn, the next
            # turn ("Show me the x-ray." - "It looks fine.")
            rest = _SENTENCE_END.split(own[m.end() :], maxsplit=2)
            after = " ".join(rest[:2]) if len(rest) > 1 else rest[0] + " " + _SENTENCE_END.split(nxt, maxsplit=1)[0]
            if _RESULT_SAID.search(after[:120]) or _RESULT_SAID.search(before):
                with_result |= ks
            elif (
                own.rstrip().endswith("?")
                and any(  # "Have they taken x rays yet?" - "Yes." - "Let's have a look.
                    _PULLED_UP.search(t) and _RESULT_SAID.search(t)  # Well, you broke your leg."
                    for t in (normalise(index.segment_text[later]) for later in index.order[i + 1 : i + 1 + LOOK_REACH])
                )
            ):
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


# A result's sign: "the covid test was negative" against a note's "COVID test positive". Tests named with the
# word a result takes right after (or before: "a normal EKG"); "negative for a fracture" is about the fracture (the
# negation check's), not the test's sign.
_SIGNED_TEST = re.compile(
    r"\b(covid(?:-19)?|coronavirus|strep|flu|influenza|pregnancy|urine|urinalysis|ua|tb|ppd|hiv|psa|ekg|ecg|"
    r"electrocardiogram|echo(?:cardiogram)?|x-?rays?|xrays?|ct|cat scan|mri|ultrasound|mammogram|stress test|"
    r"cultures?|biopsy|pap(?: smear)?|blood ?work|labs?|lab work)\b"
)
_TEST_ALIAS = {
    "coronavirus": "covid",
    "covid-19": "covid",
    "influenza": "flu",
    "urinalysis": "urine",
    "ua": "urine",
    "ppd": "tb",
    "ecg": "ekg",
    "electrocardiogram": "ekg",
    "echocardiogram": "echo",
    "cat scan": "ct",
    "xray": "x-ray",
    "xrays": "x-ray",
    "x-rays": "x-ray",
    "cultures": "culture",
    "pap smear": "pap",
    "bloodwork": "labs",
    "blood work": "labs",
    "lab": "labs",
    "lab work": "labs",
}
_SIGN = {
    "positive": "+",
    "abnormal": "+",
    "negative": "-",
    "normal": "-",
    "unremarkable": "-",
    "clear": "-",
    "fine": "-",
    "good": "-",
    "great": "-",
}
# ("positive for blood" is a positive result whatever it found; "negative for a fracture" says nothing of the rest;
# "good except the potassium" is not all good)
_SIGN_WORD = re.compile(
    r"\b(not |n't )?(positive|negative|normal|abnormal|unremarkable|clear|fine|good|great)\b(?! toes?\b)"
    r"(?!(?<!positive) for\b)(?! up\b)(?!.*\b(?:except|other than|apart from|besides)\b)"
)
SIGN_REACH = 60  # characters after a test's name in which its result's sign is said ("came back positive")
# "you have, uh, positive for strep", "she tested negative for covid": the sign before the test
_SIGN_FOR = re.compile(
    r"\b(positive|negative) for (?:the |a )?(covid(?:-19)?|coronavirus|strep|flu|influenza|tb|hiv)\b"
)


def _signs(text: str) -> dict[str, set[str]]:
    """Each test named in ``text`` with the sign of the result given for it ("+" positive or abnormal, "-"
    negative or normal)."""
    out: dict[str, set[str]] = {}
    for m in _SIGNED_TEST.finditer(text):
        kind = _TEST_ALIAS.get(m.group(1), m.group(1))
        after = re.split(r"[.;?!]|\bbut\b|\band\b", text[m.end() : m.end() + SIGN_REACH])[0]
        before = text[max(0, m.start() - 14) : m.start()]
        found = _SIGN_WORD.search(after) or re.search(r"\b(not )?(positive|negative|normal|abnormal)\s+$", before)
        if found:
            sign = _SIGN[found.group(2)]
            out.setdefault(kind, set()).add({"+": "-", "-": "+"}[sign] if found.group(1) else sign)
    for m in _SIGN_FOR.finditer(text):
        out.setdefault(_TEST_ALIAS.get(m.group(2), m.group(2)), set()).add(_SIGN[m.group(1)])
    return out


# How a result is said without a sign word after its test is shown: "here's your x-ray. there's good bony alignment.
# i don't see any fracture", "show me the ekg. that's good", "your last mammogram? and that was normal".
_NORMAL_SAID = re.compile(
    r"\b(?:good (?:bony )?alignment|no (?:acute |obvious )?(?:fracture|dislocation|abnormalit\w*|evidence of)|"
    r"(?:do not|don't|do n't|did not|didn't|did n't) see (?:any|anything)|nothing (?:abnormal|concerning|worrisome)|"
    r"(?:that's|that is|which is|it's|it is|is|are|was|were|looks?|looked|all|came back) "
    r"(?:a )?(?:good|great|fine|normal|okay|unremarkable|reassuring|negative|clear)|within normal limits)\b"
)
_ABNORMAL_SAID = re.compile(
    r"\b(?:abnormal\w*|elevated|positive|concerning|worrisome|shows? (?:a|an|some|signs?|evidence)|"
    r"(?:there is|there's|there are|you have|you do have|i see|i can see) (?:a |an |some )?(?!no\b)(?!good\b)"
    r"(?:small |little |mild |moderate |severe |large |big )?(?!alignment)[a-z]{4,})\b"
)
IMPLIED_REACH = 2  # sentences after the one naming a test in which its result may be said without a sign word


def _implied_signs(text: str, signed: dict[str, set[str]]) -> dict[str, set[str]]:
    """Tests ``text`` names with no sign word, and the sign the next sentences give them: normal when they say only
    what is normal about it, abnormal when they say only what was found (both or neither: no sign)."""
    out: dict[str, set[str]] = {}
    for m in _SIGNED_TEST.finditer(text):
        kind = _TEST_ALIAS.get(m.group(1), m.group(1))
        if kind in signed:
            continue
        rest = [p for p in re.split(r"(?<=[.;!?])\s+", text[m.end() :]) if p.strip()]
        following = []
        for part in rest[1 : 1 + IMPLIED_REACH]:
            if _SIGNED_TEST.search(part):
                break  # the next test's result
            if not part.rstrip().endswith("?"):
                following.append(part)
        said = " ".join([rest[0] if rest else "", *following])
        normal, abnormal = bool(_NORMAL_SAID.search(said)), bool(_ABNORMAL_SAID.search(said))
        if normal != abnormal:
            out.setdefault(kind, set()).add("-" if normal else "+")
    return out


def result_sign_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A test's result written with the sign the visit did not give it ("COVID test positive" for a negative)."""

    def build(ix: TranscriptIndex) -> dict[str, set[str]]:  # once per visit, not once per statement
        said: dict[str, set[str]] = {}
        for sid in ix.order:
            text = _undot(normalise(ix.segment_text[sid]))
            signed = _signs(text)
            for kind, ss in (*signed.items(), *_implied_signs(text, signed).items()):
                said.setdefault(kind, set()).update(ss)
        return said

    theirs = index.memo("result signs", build)
    issues = []
    for kind, ss in sorted(_signs(_undot(normalise(statement))).items()):
        for sign in ss:
            other = theirs.get(kind, set())
            if sign not in other and other:
                word = "positive or abnormal" if sign == "+" else "negative or normal"
                issues.append(
                    Issue(
                        kind="result", detail=f"the {kind} result is stated {word}, but the transcript says otherwise"
                    )
                )
    return issues


_ALLERGY_CUE = re.compile(r"\b(?:allerg\w*|anaphyla\w*|reactions?|rash|hives|intoleran\w*|swell(?:ing|ed)? up)\b")
ALLERGY_REACH = 80  # characters around a drug's name within which an allergy word makes it allergy talk


# an allergy treated, not an allergen: "Allegra for your allergies", "what did you take for your allergies?",
# "an allergy pill"
_TREATS_ALLERGY = re.compile(
    r"\b(?:for|treat\w*|help\w*(?: with)?|control\w*) (?:your |my |his |her |their |the |seasonal |those |these )?"
    r"allerg\w*|\ballerg\w* (?:medicines?|medications?|meds|pills?|tablets?|sprays?|shots?|drops?)\b"
)


def _asked_about_allergies(index: TranscriptIndex, at: int) -> bool:
    """The turn before ``index.order[at]`` ends on allergies ("Any allergies to medications?" - "Penicillin."; ACI
    transcripts often drop the question mark), not on what treats them ("what do you take for your allergies?")."""
    asked = normalise(index.segment_text[index.order[at - 1]])[-160:] if at > 0 else ""
    return bool(re.search(r"\ballerg", asked)) and not _TREATS_ALLERGY.search(asked)


def _around(here: str, m: re.Match[str]) -> str:
    """The words around the drug named at ``m`` in which an allergy (or its denial) is said of it."""
    return here[max(0, m.start() - ALLERGY_REACH) : m.end() + ALLERGY_REACH]


def _allergy_talk(here: str, m: re.Match[str], asked: bool) -> bool:
    """The drug named at ``m`` in the normalised turn ``here`` is named as an allergy: an allergy word close to it
    (not an allergy that may come: "watch for a reaction"), or first thing after a question about allergies."""
    near = _around(here, m)
    if _TREATS_ALLERGY.search(near):
        return False  # "I take Claritin for my allergies"
    return bool(_ALLERGY_CUE.search(near) and not _MAYBE_ALLERGY.search(near)) or (asked and m.start() < ALLERGY_REACH)


def allergy_only(med: str, index: TranscriptIndex) -> bool:
    """The transcript names ``med`` only where allergies are being talked about."""
    seen = False
    pattern = re.compile(rf"\b{re.escape(med)}\b")
    for i, sid in enumerate(index.order):
        here = normalise(index.segment_text[sid])
        hits = list(pattern.finditer(here))
        if not hits:
            continue
        seen = True
        asked = _asked_about_allergies(index, i)
        if not all(_allergy_talk(here, m, asked) for m in hits):
            return False
    return seen


def allergy_issues(statement: str, facts: Facts, index: TranscriptIndex) -> list[Issue]:
    """A drug the patient is allergic to, written as if they take it."""
    if not facts.medications or _ALLERGY_CUE.search(normalise(statement)):
        return []
    return [
        Issue(kind="allergy", detail=f"'{m}' is named in the transcript only as an allergy, not as a medication taken")
        for m in sorted(facts.medications)
        if allergy_only(m, index)
    ]


# "No known drug allergies" against a visit that names one, and an allergy written where the visit denies any.
_NO_DRUG_ALLERGY = re.compile(
    r"\b(?:nkda|nka|no known (?:drug |medication )?allergies|no (?:drug|medication) allergies|"
    # "has no allergies", "no allergies to medications" (not "no allergies to latex": another allergen)
    r"no (?:known )?allergies\b(?! to (?!(?:any )?(?:medications?|drugs?|medicines?)\b))|"
    r"(?:not|\w*n't) allergic to (?:any(?:thing)?\b)(?: (?:medications?|drugs?|medicines?))?|"
    r"denies (?:any )?(?:known )?(?:drug |medication )?allergies|allergies\W+(?:none|nkda|no known|denies|denied))\b"
)
# what a patient is allergic to beyond the drug dictionary's names
_ALLERGEN_CLASSES = frozenset("sulfa sulfas sulfonamides nsaids nsaid opioids opiates contrast iodine".split())
_DENIED_ALLERGY = re.compile(
    r"\b(?:no|not|n't|nope|none|never|without)\b(?:\W+\w+){0,3}\W+(?:allerg\w*|reactions?)\b|^\W*(?:no|nope|none)\b"
)
# an allergy that may come, not one that came: "watch for any allergic reaction", "if you have a reaction"
_MAYBE_ALLERGY = re.compile(
    r"\b(?:watch|watching|look|signs?|if|call|monitor|risk|possible|possibly|chance|rare)\b(?:\W+\w+){0,3}\W+(?:allerg\w*|reactions?|hives)\b"
)


def _allergens_in(text: str, index: TranscriptIndex) -> set[str]:
    """The drugs and drug classes named in (normalised) ``text``."""
    toks = tokens(text)
    return {m for _, m in index.medications.medications_in(toks)} | (_ALLERGEN_CLASSES & set(toks))


def _allergies_said(index: TranscriptIndex) -> tuple[set[str], bool]:
    """The drugs (and drug classes) the visit names as allergies, and whether it denies any allergy."""

    def build(ix: TranscriptIndex) -> tuple[set[str], bool]:
        named: set[str] = set()
        denied = False
        for i, sid in enumerate(ix.order):
            here = normalise(ix.segment_text[sid])
            prev = normalise(ix.segment_text[ix.order[i - 1]])[-160:] if i else ""
            asked = _asked_about_allergies(ix, i)
            drugs = _allergens_in(here, ix)
            for drug in drugs:
                for m in re.finditer(rf"\b{re.escape(drug)}\b", here):
                    if _allergy_talk(here, m, asked) and not _DENIED_ALLERGY.search(_around(here, m)):
                        named.add(drug)
            other = bool(re.search(r"\b(?:other|else)\b", prev))  # "any other allergies?" - "nope, just penicillin"
            if (asked and not other and not drugs and _DENIED_ALLERGY.match(here)) or re.search(
                r"\bno (?:known )?(?:drug |medication )?allergies\b", here
            ):
                denied = True
        return named, denied

    return index.memo("allergies said", build)


def allergy_denial_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A note that denies drug allergies where the visit names one; an allergy written where the visit denies any."""
    text = normalise(statement)
    named, denied = _allergies_said(index)
    if _NO_DRUG_ALLERGY.search(text):
        return (
            [
                Issue(
                    kind="allergy",
                    detail=f"no drug allergy is stated, but the transcript names an allergy to {', '.join(sorted(named))}",
                )
            ]
            if named
            else []
        )
    if not denied or not re.search(r"\ballerg", text) or _DENIED_ALLERGY.search(text):
        return []
    unsaid = sorted(_allergens_in(text, index) - named)
    return (
        [
            Issue(
                kind="allergy",
                detail=f"an allergy to {', '.join(unsaid)} is stated, but the transcript denies any allergy",
            )
        ]
        if unsaid
        else []
    )


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


def descriptor_issues(statement: str, evidence: list[int], index: TranscriptIndex) -> list[Issue]:
    """How a pain feels ("sharp") must be what the patient said, not one of the choices a question
    offered ("Is it sharp, or more like a pressure?" — "A pressure.")."""
    text = _BP.sub(" ", normalise(statement))
    if not _PAIN_WORD.search(text):
        return []
    # a denied quality describes nothing: "no chest pain, chest pressure", "denies dysuria, burning or pain"
    claimed = [w for w in dict.fromkeys(re.findall(r"[a-z]+", text)) if w in _DESCRIPTORS and not _denied(w, text)]
    if not claimed or not evidence:
        return []
    window = sorted({w for sid in evidence for w in index.window(sid, 2)}, key=index.position.__getitem__)
    stated = _stated_words(window, index)  # words of sentences that state something (not questions)
    issues = []
    for w in claimed:
        if any(t.startswith(p) for t in stated for p in _DESCRIPTORS[w]):
            continue
        if not _PAIN_WORD.search(re.sub(rf"\b{w}\b", " ", text)) and any(
            t.startswith(p)
            for t in index.memo("stated_words", lambda ix: set(_stated_words(ix.order, ix)))
            for p in _DESCRIPTORS[w]
        ):
            continue  # "chest tightness" with no other pain word: the complaint's name, said as the patient said it
        issues.append(Issue(kind="descriptor", detail=f"'{w}' is not how the transcript describes it"))
    return issues


_DENYING = re.compile(r"\b(?:no|not|denies|denied|deny|without|negative for|nor|never)\b(?:(?!\bbut\b)[^.;:])*$")


def _denied(word: str, text: str) -> bool:
    """Every mention of ``word`` in ``text`` follows a denial in its clause."""
    starts = [m.start() for m in re.finditer(rf"\b{word}\b", text)]
    return bool(starts) and all(_DENYING.search(text[max(0, at - 120) : at]) for at in starts)


def _stated_words(seg_ids: list[int], index: TranscriptIndex) -> list[str]:
    """The words of the sentences of these lines that state something (not questions), blood pressure left out."""
    return [
        t
        for sid in seg_ids
        for sentence in stated_sentences(index.segment_text[sid])
        for t in re.findall(r"[a-z]+", _BP.sub(" ", normalise(sentence)))
    ]


# ----------------------------------------------------------------------------- whose history

# "a past medical history of heart attack", "History of diabetes and hypertension", "PMH: asthma"
_OWN_HISTORY = re.compile(
    r"\b(?:(?:past |prior )?(?:medical )?history of|(?:past medical history|medical history|pmh)\s*:)\s*"
    r"(?P<items>[^.;:]+?)(?=\s+(?:who|which|that|presents?|presenting|is|was|comes?|here)\b|[.;]|$)",
    re.I,
)
_ITEM_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", re.I)
# a worry, a risk or a prevention whose object is the condition ("should I be worrying about a heart attack?", "I was
# concerned about the kidney stones", "your risk of a stroke")
_FEARED = re.compile(
    r"\b(?:worr(?:y|ied|ying)|afraid|scared|concerned|risks?|prevent(?:s|ing)?)(?:\s+(?:about|of|for|that))?"
    r"(?P<object>(?:\s+[\w'-]+){1,5})",
    re.I,
)


def says_had(line: str, condition: set[str]) -> bool:
    """Some sentence of ``line`` names ``condition`` (its content words) as something had, not only in a
    question or as the object of a worry or a risk. "I'm feeling the same pain I had when I had kidney stones,
    so I'm a little concerned." says the stones were had; "Should I be worried about a heart attack?" does not."""
    for sentence in stated_sentences(line):
        if not condition <= content_words(sentence):
            continue
        if any(condition & content_words(m.group("object")) for m in _FEARED.finditer(sentence)):
            continue
        return True
    return False


_DENIED_BEFORE = re.compile(r"\b(?:denies|denied|no|not|never|without|negative for)\s+(?:any\s+|a\s+)?$", re.I)
_ITEM_FRAME = frozenset(content_words("a an the of his her their significant known remote previous prior"))


def _relative_named(line: str, condition: set[str]) -> str:
    """The relative ``line`` names, as said, next to ``condition``: "my sister has diabetes and my father had a heart
    attack" gives "father" for the heart attack. The flag quotes the word, not its stem."""
    said = tokens(line)
    stems = [stem(w.removesuffix("'s")) for w in said]
    at = [i for i, s in enumerate(stems) if s in condition] or [0]
    kin = [i for i, s in enumerate(stems) if s in RELATIVES]
    if not kin:
        return "a relative"
    best = min(kin, key=lambda i: (min(abs(i - j) for j in at), i))
    return said[best].removesuffix("'s")


def family_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A condition written as the patient's history that the visit gives only as a relative's: "a past medical
    history of heart attack" where the only lines naming one are "my father had a heart attack when he was 62" and
    the patient's "should I be worried about a heart attack?". A statement that names the family is about it."""
    if content_words(statement) & RELATIVES:
        return []
    issues = []
    for m in _OWN_HISTORY.finditer(statement):
        if _DENIED_BEFORE.search(statement[: m.start()]):
            continue  # "denies history of seasonal allergies": no claim that the patient had it
        for item in _ITEM_SPLIT.split(m.group("items")):
            words = content_words(item) - _ITEM_FRAME
            if not words:
                continue
            lines = [sid for sid in index.order if words <= index.words[sid]]
            relatives = [sid for sid in lines if index.words[sid] & RELATIVES]
            own = [sid for sid in lines if sid not in relatives and says_had(index.segment_text[sid], words)]
            if relatives and not own:
                who = _relative_named(index.segment_text[relatives[0]], words)
                issues.append(
                    Issue(
                        kind="family",
                        detail=f"the transcript gives '{item.strip()}' as a relative's ({who}), not the patient's",
                    )
                )
    return issues
