"""Clinical text normalisation: the one way notes, transcripts and the lexicon are read.

Grounding, the lexicon, the omission check and the evaluations compare words and numbers across
texts written differently ("one forty eight over ninety two" in speech, "148/92" in a note), so they
all tokenise through here: the same text gives the same tokens everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

UNITS = {
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "mgs": "mg",
    "mcg": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "µg": "mcg",
    "ug": "mcg",
    "g": "g",
    "gram": "g",
    "grams": "g",
    "ml": "ml",
    "milliliter": "ml",
    "milliliters": "ml",
    "millilitre": "ml",
    "millilitres": "ml",
    "cc": "ml",
    "l": "l",
    "liter": "l",
    "liters": "l",
    "unit": "units",
    "units": "units",
    "iu": "units",
    "meq": "meq",
    "%": "%",
    "percent": "%",
    "puff": "puffs",
    "puffs": "puffs",
    "tablet": "tablets",
    "tablets": "tablets",
    "tab": "tablets",
    "tabs": "tablets",
    "capsule": "capsules",
    "capsules": "capsules",
}
DOSE_UNITS = {"mg", "mcg", "g", "ml", "units", "meq", "puffs", "tablets", "capsules"}

_SMALL = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TIMES = {"once": 1, "twice": 2, "thrice": 3}  # counts: "once" and "one episode" are the same fact
_PER_DAY = {"b": 2, "t": 3, "q": 4}  # "bid", "tid", "qid"
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_MULT = {"hundred": 100, "thousand": 1000}

STOPWORDS = set(
    """a an the and or of to in on at for with by from as is are was were be been being this that these those it its
    he she they them his her their him i me my we our you your patient patients doctor reports reported states stated
    has have had do does did will would should can could may might also about any some there here then than so very
    just really like okay ok yes yeah um uh well going get got know think said says mention mentioned notes noted
    currently current today daily per which who what when where how if but into out up down over""".split()
)

TOKEN_RE = re.compile(r"[a-zµ%]+(?:'[a-z]+)?|\d+(?:\.\d+)?")


def stem(word: str) -> str:
    # no "es": "ankles" and "ankle" must meet at "ankle", not at "ankl" and "ankle"
    for suf in ("ations", "ation", "ings", "ing", "ness", "ies", "ied", "ed", "ly", "s", "y"):
        if len(word) > len(suf) + 3 and word.endswith(suf):
            return word[: -len(suf)]
    return word


def _phrase_value(words: list[str]) -> str:
    """Value of a run of number words.

    With "hundred"/"thousand" it is ordinary arithmetic ("five hundred" = 500). Without
    them, spoken medicine concatenates groups: "one forty eight" is 148 (a blood pressure),
    "ninety two" is 92, "twenty twenty" is 2020.
    """
    if any(w in _MULT for w in words):
        total = current = 0
        for w in words:
            if w in _SMALL:
                current += _SMALL[w]
            elif w in _TENS:
                current += _TENS[w]
            elif w == "hundred":
                current = (current or 1) * 100
            else:  # thousand
                total += (current or 1) * 1000
                current = 0
        return str(total + current)
    groups: list[int] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _TENS:
            value = _TENS[w]
            if i + 1 < len(words) and words[i + 1] in _SMALL and 0 < _SMALL[words[i + 1]] < 10:
                value += _SMALL[words[i + 1]]
                i += 1
            groups.append(value)
        else:
            groups.append(_SMALL[w])
        i += 1
    return "".join(str(g) for g in groups)


def _is_range(run: list[str], word: str) -> bool:
    """A digit word and a slightly larger one said in a row are a range, not one number: "two three times a
    week" is 2 to 3 times, "six eight weeks" 6 to 8 weeks ("one forty", "one twenty" stay readings: 140, 120)."""
    if len(run) != 1 or run[0] not in _SMALL or word not in _SMALL:
        return False
    first, second = _SMALL[run[0]], _SMALL[word]
    return 2 <= first < second <= min(first + 2, 10)


def _said_again(run: list[str], word: str) -> int | None:
    """Where a run of number words starts over as speech repeats a number: a second "hundred" in the same
    thousand ("five hundred five hundred" is 500 said twice, not 50500) or the same digit word twice ("three out
    of six six"). The index the repeat starts at, or None."""
    if word == "hundred":
        since = len(run) - run[::-1].index("thousand") if "thousand" in run else 0
        if "hundred" in run[since:]:
            return len(run) - run[::-1].index("hundred")
    elif word == run[-1] and 0 < _SMALL.get(word, 0) < 10:
        return len(run)
    return None


def words_to_numbers(text: str) -> str:
    """Rewrite spelled-out numbers as digits ("one forty eight over ninety two" -> "148 over 92").

    ASR and typed transcripts mix both forms; comparing digits to digits keeps the number
    check honest in both directions.
    """
    parts = re.split(r"([A-Za-z]+)", text)
    out: list[str] = []
    run: list[str] = []  # number words of the current phrase
    gap: list[str] = []  # separators seen since the last number word

    def close_run():
        if run:
            out.append(_phrase_value(run))
            run.clear()
        out.extend(gap)
        gap.clear()

    for part in parts:
        low = part.lower()
        if low in _SMALL or low in _TENS or (low in _MULT and run):
            if run and "".join(gap).strip(" -") == "":
                gap.clear()
                if _is_range(run, low):  # "six eight weeks": 6 to 8 weeks, not 68
                    close_run()
                    out.append(" to ")
                elif (split := _said_again(run, low)) is not None:  # "five hundred five hundred": 500 500
                    tail = run[split:]
                    del run[split:]
                    close_run()
                    out.append(" ")
                    run.extend(tail)
            else:
                close_run()
            run.append(low)
        elif run and part.strip(" -") == "":
            gap.append(part)
        else:
            close_run()
            out.append(part)
    close_run()
    return "".join(out)


_UNIT_WORDS = (
    r"(?:milligrams?|micrograms?|grams?|milliliters?|millilitres?|units?|mg|mcg|ml|percent|degrees|"
    r"beats|breaths|years?|months?|weeks?|days?|hours?|minutes?|times|tablets?|capsules?|puffs?|pounds|kilograms?)"
)
_UNIT_ABBREV = {
    "milligram": "mg",
    "milligrams": "mg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "milliliter": "ml",
    "milliliters": "ml",
    "millilitre": "ml",
    "millilitres": "ml",
    "percent": "%",
}


def clinical_notation(text: str) -> str:
    """Spoken numbers in a note statement written the way clinicians chart them.

    Only number words that are clearly quantities are rewritten — before a unit or time word, or
    in "X over Y" readings — so "no one else" stays as it is: "lisinopril ten milligrams" ->
    "lisinopril 10 mg", "one forty eight over ninety two" -> "148/92".
    """

    def convert(m: re.Match) -> str:
        return words_to_numbers(m.group(0))

    num_word = (
        r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
        r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)\b"
    )
    phrase = rf"\b{num_word}(?:[\s-]+{num_word})*"
    out = re.sub(rf"{phrase}(?:\s+point\s+{num_word})?(?=\s+{_UNIT_WORDS}\b)", convert, text, flags=re.I)
    out = re.sub(rf"{phrase}\s+over\s+{phrase}", convert, out, flags=re.I)
    out = re.sub(r"\b(\d+)\s+point\s+(\d+)\b", r"\1.\2", out)
    out = re.sub(r"\b(\d+)\s+over\s+(\d+)\b", r"\1/\2", out)
    out = re.sub(
        r"\b(\d+(?:\.\d+)?)\s+(milligrams?|micrograms?|milliliters?|millilitres?)\b",
        lambda m: f"{m.group(1)} {_UNIT_ABBREV[m.group(2).lower()]}",
        out,
        flags=re.I,
    )
    out = re.sub(r"\b(\d+(?:\.\d+)?)\s+percent\b", r"\1%", out, flags=re.I)
    return out


# "in the sixties" (a heart rate), "in her fifties": a decade, written "60s"
_DECADES = {"twen": 20, "thir": 30, "for": 40, "fif": 50, "six": 60, "seven": 70, "eigh": 80, "nine": 90}


# "a hundred and twenty over eighty" is 120/80, not 100 and 20 (but "between a hundred and one fifty" is 100 and 150:
# a digit word read on into another number word)
_HUNDRED_AND = re.compile(
    rf"\b(hundred|thousand) and (?=(?:{'|'.join((*_SMALL, *_TENS))})\b)"
    rf"(?!(?:{'|'.join(w for w, v in _SMALL.items() if v < 10)}) (?:{'|'.join((*_SMALL, *_TENS))})\b)"
)


_NO_SLEEP = re.compile(
    r"\b(?:ca n't|can't|cannot|can not|unable to|not able to|n't (?:been )?able to|hard to|a hard time|trouble|"
    r"difficulty|problems?) (?:fall(?:ing)? asleep|stay(?:ing)? asleep|sleep(?:ing)?)\b"
    r"|\b(?:do n't|don't|does n't|doesn't|not|never) (?:sleep(?:ing)?|slept) (?:well|good|much)\b"
)
_SLEEP_FINE = re.compile(
    r"\b(sleep(?:ing|s)?|slept) (fine|well|good|okay|ok|great|alright|like a baby)\b"
    r"(?! (?:with|when|since|now|after|on|if|because|thanks|except|unless|until|but|no insomnia)\b)"
)
_SWALLOW_PAIN = re.compile(
    r"\b(pain|painful|hurts?|hurting|sore) ((?:when (?:you |i |he |she )?|with |to |on )?swallow(?:ing|s)?)\b"
    r"(?! odynophagia)"
)
_STAYS_PUT = re.compile(
    r"\b((?:pain|it|ache|that) (?:really |just )?)(does n't|doesn't|does not|did n't|didn't|not|never) "
    r"((?:go|goes|travel|travels|"
    r"spread|spreads|"
    r"shoot|shoots|move|moves) (?:anywhere|anyplace|elsewhere|down|up|into))\b"
)
# "coughing up blood" is hemoptysis; "running a temperature" is a fever (not "a temperature of 98.6")
_COUGHING_BLOOD = re.compile(r"\bcough(?:ing|ed|s)? up (?:any |some )?blood\b")
_RUNNING_A_TEMPERATURE = re.compile(r"\b(?:running|run|ran|had|have|has) an? (?:temp|temperature)\b(?! of\b)")
# what a patient says plainly, with the chart's word for it written before it (the patient's words stay for the
# evidence): "I feel sick to my stomach" is nausea, "it burns when I pee" dysuria
_LAY_TERMS = tuple(
    (re.compile(rf"(?<!\b{term} )\b(?:{said})\b"), term)
    for said, term in (
        (r"sick to (?:my|your|his|her|their|the) stomach|queasy", "nausea"),
        (r"(?:burns?|burning|hurts?|stings?|stinging) (?:when|while) (?:i|you|he|she|they) (?:pee|urinate)", "dysuria"),
        (r"pins and needles", "tingling"),
        (r"puffy|puffed up", "swelling"),
        (r"wiped out|worn out|(?:no|zero|low) energy|run down", "fatigue"),
        (
            r"(?:black|tarry) (?:stools?|poops?|bowel movements?)|stools? (?:is|are|was|were|look|looks) (?:black|tarry)",
            "melena",
        ),
        (r"leak(?:s|ing|ed)? (?:urine|pee)|wet (?:myself|herself|himself)", "incontinence"),
        (r"hard to swallow", "dysphagia"),
        (r"ears? (?:is |are |keep |keeps )?ringing", "tinnitus"),
        (r"see(?:ing|s)? double", "diplopia"),
        (r"nose (?:is |was |has been |keeps )?(?:runny|running)", "rhinorrhea"),
        (r"nose (?:is |was |has been |feels )?(?:stuffy|stuffed up|congested|blocked)", "congestion"),
        # "I sliced my right ring finger with a piece of glass", "a deep cut"
        (
            r"(?:cut|sliced|slit|gashed) (?:my|his|her|your|their) \w+|an? (?:deep |bad |big |little |small )?(?:cut|gash)",
            "laceration",
        ),
        (r"(?:can|could) (?:barely|hardly) (?:move|lift)", "weakness"),  # "she can barely move her right arm"
        (
            r"(?:mouth|canker|open|cold) sores?|sores (?:in|on) (?:my|your|his|her|their|the) \w+",
            "ulcer",
        ),  # "sores in my mouth"
        (r"locks? up|locked up|locking up|keeps? locking", "locking"),  # "the knee locks up on me"
        (r"(?:can't|cannot|can not|couldn't) see (?:very |that |so |too )?(?:well|good|clearly)", "vision"),
    )
)
_BOWEL_CHANGE = re.compile(
    r"(?<!bowelchange )\bchanges? in (?:your |my |his |her |their )?bowel (?:habits?|movements?)\b"
)


@lru_cache(maxsize=8192)  # the same transcript lines are normalised for every statement checked against them
def normalise(text: str) -> str:
    t = re.sub(r"\b(once|twice|thrice)\b", lambda m: f"{_TIMES[m.group(1)]} times", text.lower())
    t = re.sub(r"\ba (hundred|thousand)\b", r"one \1", t)  # "a thousand milligrams" = 1000 mg
    t = _HUNDRED_AND.sub(r"\1 ", t)
    # the chart's "q6h", "q.4-6h" are "every 6 hours" as said; the dot is no decimal point
    t = re.sub(
        r"\bq\.?\s?(\d+)(?:\s?-\s?(\d+))?\s?h(?:rs?|ours?)?\b",
        lambda m: f"every {m.group(1)}{' to ' + m.group(2) if m.group(2) else ''} hours",
        t,
    )
    # the chart's "BID", "t.i.d." are how often a day, as "twice a day" is said
    t = re.sub(r"\b(b|t|q)\.?i\.?d\b\.?", lambda m: f"{_PER_DAY[m.group(1)]} times a day", t)
    # "have you lost any weight" asks about a weight loss as "lost weight" does
    t = re.sub(
        r"\b(lost|gained|losing|gaining) (?:any|some|a little|a lot of|a bit of|a little bit of|much) weight\b",
        r"\1 weight",
        t,
    )
    # "i've lost about fifteen pounds" is a weight loss as "lost weight" is (the amount stays as it was said)
    t = re.sub(
        r"\b(lost|losing|gained|gaining) (?=(?:about |around |almost |over |like |maybe )?[\w-]+ (?:pounds|lbs?)\b)",
        r"\1 weight ",
        t,
    )
    # "loss of consciousness" is the chart's "lost consciousness" (and of appetite): one finding, said as a verb or a noun
    t = re.sub(r"\bloss of (consciousness|appetite)\b", r"lost \1", t)
    # "did you hit your head": a head injury, said without the word
    t = re.sub(r"\b(hit|hits|hitting|bumped|banged) (?:my|your|his|her|their|the) head\b", r"\1 head injury", t)
    # "short of breath when I lie flat" is orthopnea, said without the word (the words stay for what they say)
    t = re.sub(
        r"\b((?:short|shortness) of breath|trouble breathing|difficulty breathing)"
        r"( (?:when|while|if|whenever) (?:\w+ )?(?:lie|lay|lying|laying) (?:down|flat)\b)",
        r"\1 orthopnea\2",
        t,
    )
    # sleep said as it is in a visit: "I can't sleep", "I haven't been able to sleep", "I don't sleep well" are the
    # chart's insomnia; "I sleep fine" denies it (not "fine with the melatonin", "fine now": not without help)
    t = _NO_SLEEP.sub("insomnia", t)
    t = _SLEEP_FINE.sub(r"\1 \2 no insomnia", t)
    # "pain when I swallow", "it hurts to swallow" is odynophagia; "a change in your bowel habits" one finding
    t = _SWALLOW_PAIN.sub(r"\1 \2 odynophagia", t)
    t = _COUGHING_BLOOD.sub("hemoptysis", t)
    for lay, term in _LAY_TERMS:
        t = lay.sub(rf"{term} \g<0>", t)
    t = _RUNNING_A_TEMPERATURE.sub("had a fever", t)
    t = _BOWEL_CHANGE.sub(r"bowelchange \g<0>", t)
    # "the pain doesn't go anywhere" denies that it radiates (the pain's, not "I didn't go anywhere this weekend")
    t = _STAYS_PUT.sub(r"\1\2 radiate \3", t)
    t = words_to_numbers(t)
    t = t.replace("’", "'")
    t = re.sub(r"(\d),(\d{3})", r"\1\2", t)
    t = re.sub(r"\b(\d{1,3})k\b", lambda m: str(int(m.group(1)) * 1000), t)  # "WBC 12K" is 12,000
    # "1-1/2 packs", "4 1/2 years": a whole and a half (before a lone "1/2", which is half a pack)
    t = re.sub(r"(?<![\d/.])\b(\d{1,3})(?:\s*-\s*|\s+)1\s*/\s*2\b(?![\d/.])", lambda m: f"{int(m.group(1))}.5", t)
    t = re.sub(r"(?<![\d/.])\b1\s*/\s*2\b(?![\d/.])", "0.5", t)  # "1/2 pack per day" is half a pack
    t = re.sub(r"(\d)\s*/\s*(\d)", r"\1 / \2", t)
    t = re.sub(r"\b(\d+)\s+over\s+(\d+)\b", r"\1 / \2", t)
    t = re.sub(r"(\d)(mg|mcg|ml|g|iu|units?|%)\b", r"\1 \2", t)
    t = t.replace("%", " %")
    t = re.sub(r"\bpoint\s+(\d+)((?:\s+\d\b)*)", lambda m: "." + m.group(1) + "".join(m.group(2).split()), t)  # .66
    t = re.sub(r"(\d)\s+\.\s?(\d{1,2})\b", r"\1.\2", t)  # "ninety eight . seven": a transcript's spoken decimal
    t = re.sub(r"(?<![\d.])\.(\d)", r"0.\1", t)  # "point five centimeters": 0.5 cm
    t = re.sub(r"\b(?:a )?half (?:an|a) hour\b", "30 minutes", t)
    # "two and a half milligrams", "two-and-a-half days", "my two and half year old" (as people say it)
    t = re.sub(r"\b(\d+)(?: |-)and(?: |-)(?:(?:a|1)(?: |-))?half\b", r"\1.5", t)
    t = re.sub(r"\b(past|last|next) (hour|day|week|month|year) and a half\b", r"\1 1.5 \2", t)
    t = re.sub(r"\b(?:a|an|1) ([a-z]+) and a half\b", r"1.5 \1", t)  # "a year and a half", "a pack and a half"
    t = re.sub(r"\b(?:a|one) decade\b", "10 years", t)  # "for about a decade"
    t = re.sub(r"\b(twen|thir|for|fif|six|seven|eigh|nine)ties\b", lambda m: f"{_DECADES[m.group(1)]}s", t)
    t = re.sub(r"\b1 ([2-9]0s)\b", r"1\1", t)  # "in the one forties": the 140s
    t = re.sub(r"\b([1-9]) hundreds\b", r"\g<1>00s", t)  # "in the three hundreds": the 300s
    t = re.sub(r"\b(?:a )?half (?:a |an )?(?=(?:cc|ml|mg|milligrams?|tablets?|tabs?|pills?|teaspoons?)\b)", "0.5 ", t)
    t = re.sub(r"\b(?:a )?half (?:a|an) (?=[a-z])", "0.5 ", t)  # "half a pack a day", "half a mile"
    # the clock said in words: "quarter past eight" is 8:15, "half past ten" 10:30, "quarter to nine" 8:45
    t = re.sub(r"\b(?:a )?quarter past (1[0-2]|[1-9])\b(?!:)", r"\1:15", t)
    t = re.sub(r"\bhalf past (1[0-2]|[1-9])\b(?!:)", r"\1:30", t)
    t = re.sub(r"\b(?:a )?quarter (?:to|of) (1[0-2]|[1-9])\b(?!:)", lambda m: f"{int(m.group(1)) - 1 or 12}:45", t)
    return t


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(normalise(text))


def sentences(line: str) -> list[str]:
    """The sentences of ``line``, split after each full stop, question or exclamation mark."""
    return [x for x in re.split(r"(?<=[.?!])\s+", line.strip()) if x.strip()]


def stated_sentences(line: str) -> list[str]:
    """The sentences of ``line`` that state something: its questions left out."""
    return [x for x in sentences(line) if not x.rstrip().endswith("?")]


def content_words(text: str) -> set[str]:
    return {stem(w) for w in tokens(text) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())}


def canon_number(w: str) -> str:
    try:
        f = float(w)
    except ValueError:
        return w
    return str(int(f)) if f.is_integer() else str(f)
