"""Drug and clinical terms heard right: correct the recogniser's words against the dictionary, checked by ear.

Whisper base turns drug names it has rarely seen into common words ("list in April" for lisinopril,
"met for me" for metformin, "table and liner" for stable angina). Putting the drug list into the
decoder prompt (faster-whisper's ``hotwords``) fixed many of them but made the decoder copy the list
where the audio was unclear: drugs nobody said entered transcripts ("and potassium chloride." where
a patient gave his name) and whole windows recited the list. So the prompt no longer carries a list;
instead, after a stretch of speech is decoded:

1. **Propose** (text, cheap): every run of one to four heard words that *sounds like* a dictionary
   term (a phonetic key and the spelling, both compared by edit distance) is a candidate. Numbers,
   units, dosing words and laterality are never part of a candidate, and terms short or common enough
   to be confused with ordinary words (``left``, ``units``, abbreviations) are never targets. A drug
   is a target only in medication talk (taking, prescribing, doses, a drug named) or before a dose.
   A run may end right before a number whose first sounds took the end of the name ("melexic and 50
   milligrams", meloxicam fifteen): it is compared without its trailing little words, and the
   number stays as heard. One case does touch the number: a "10" glued to the dose after a name
   whose last syllable sounds like it ("-tin", "-tan", "-tine", "-done": "addormaster 1020mg",
   atorvastatin twenty) is offered as the name with the dose "20mg"; the audio decides, and the
   heard words stay on the correction.
2. **Verify** (by ear): the recogniser scores the audio against the text as heard and against the text
   with the term in its place, both with that one term as decoder context (what a hot word would
   have been, but only for a term the speech already sounds like). The term replaces the heard words
   only if the audio fits it better by a margin. A drug therefore enters the transcript only where
   something that sounds like it was said, and only if the acoustic model agrees. The exceptions: a
   name heard in pieces of its own letters ("metform in"), where the sounds are the same, so there is
   nothing for the ear to decide; and letters that spell no word but nearly spell a drug ("Carvedil"),
   where the ear only has to not clearly disagree (``NEAR_SPELLING``).
3. **Settle** (at the end of the recording): a drug written over ordinary words that the rest of the
   visit never names, with no dose after it, is taken back (``withdraw_lone_guesses``).

The heard words are kept on the corrected words (``Word.original``) for audit, and the transcript view
marks them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from ..domain import Segment, Word
from ..wordlist import drug_name_words, english_words

MEDICATION = "medication"
TERM = "term"

# Accept a term when, with the term as decoder context, the audio scores it this many nats (natural-log
# probability) above the heard words ...
DEFAULT_MARGIN = 2.0
# ... and no more than this below the heard words scored with *themselves* as context. A prompt makes
# the decoder favour what it names, so each side gets its own: what is left is how well each fits the
# audio. (With the term's prompt alone "that's" became Lantus and "know this the" Nitrostat.)
SELF_PROMPT_SLACK = 1.0
# The self-prompted comparison favours rare words (a prompt boosts what the decoder would not guess), so a
# term up to WIDE_SLACK nats behind also passes if, with no prompt at all, the audio prefers it by
# NO_PROMPT_GAIN ("Prinisone" -> prednisone). Both thresholds were set on the bundled sample visit and
# the voiced ACI-Bench train dialogue D2N015 (docs/quality.md says which figures that makes in-sample).
NO_PROMPT_GAIN = 2.0
WIDE_SLACK = 6.0
# A term that only faintly sounds like the heard words (similarity below WEAK_LIKENESS, context bonus
# included) is refused where, with no prompt, the audio prefers the heard words by more than
# UNPROMPTED_DOUBT nats: "your new" -> amiodarone, "the northwest" -> latanoprost, "insane to" ->
# ondansetron. A prompt can talk the decoder into a faint likeness; a close one ("addormaster" ->
# atorvastatin) needs no such agreement. Set on the 16 voiced visits of docs/quality.md (round 4).
# So is a run of ordinary English words, however alike ("true you know" -> tretinoin, -22.9 nats): proposed at
# stop 25 from the voiced visits then (10 of 16 false corrections were such runs, 13 of 39 right ones), adopted at
# stop 34 after ten train visits voiced later bore it out (one invented drug fewer, no right correction lost;
# over every voiced set, two fewer and one right correction lost: "ethics or" -> Effexor, -13.1 nats).
UNPROMPTED_DOUBT = 12.0
WEAK_LIKENESS = 0.66
# A run that begins with "the" or "their" is refused where the term would swallow that word and, with no prompt,
# the audio prefers the heard words at all (stop 35): the recogniser hears those little words well, and a speaker
# says them before a noun ("the courts," -> cortisone, "the alarm on" -> Tenormin, "their sensualin." ->
# prednisolone). Proposed from every voiced set of stop 34 (of 20 false corrections 4 began so, 3 against the
# unprompted audio; of 71 right ones 2, "the Al's" -> Cialis and "the F-XR" -> Effexor, both with its agreement);
# ten visits voiced after it was fixed had no such run. A name that starts with their sound ("theophylline") is exempt.
_ARTICLES = frozenset({"the", "their"})
# One heard non-word this close to a term in sound and spelling ("Lishinapral", "prunisone") is a
# misspelling of it: prompting with itself boosts a rare non-word as much as the term, so that
# comparison says nothing and only the margin applies.
MISSPELLING_SIMILARITY = 0.8
# ... and one this close to a drug (the medication-talk bonus included: "Carvedil", "Albuter", "flexural",
# "Norvask"; also with a little word the name ran into, "clonop in", "a legr?") is that drug unless, prompted
# with the drug, the audio still prefers the heard letters by more than NEAR_SPELLING_DOUBT nats. The
# recogniser wrote letters that are no word; its own spelling of them scores well whatever was said, so the
# margin asked of a word heard would refuse the name it nearly spelt. Proposed at
# stop 37 from every check by ear of the voiced train sets (all 15 such checks refused there were of a drug
# said; the nearest false ones, "Paroxide" -> paroxetine and "istolic" -> Bystolic, are at 0.89 and 0.88); the
# little word from MTS-Dialog's voiced dev rows, read after their first measurement.
NEAR_SPELLING = 0.9
NEAR_SPELLING_DOUBT = 3.0
# A drug heard right before its dose ("your listen up or 20 milligrams", "so trannondal, 50 milligrams", "order
# protein eggs 40 milligrams") may fit the audio this many nats behind the heard words, each with its own prompt,
# where others get ``SELF_PROMPT_SLACK``: a dose names what it doses, and the recogniser's own spelling of a rare name
# scores well under its own prompt whatever was said. Proposed at stop 45 from the checks by ear of voiced train's
# missed drugs (in-sample): those three were refused at 1.2 to 2.4 nats behind. Beyond them it found one more on
# valid and "met for me" (metformin) in the sample and the 10-minute visit, nothing on MTS-Dialog's two files voiced
# then, and no false correction anywhere (docs/quality.md, "Stop 45").
DOSE_SLACK = 3.0
# Of the drugs a heard non-word may be, only those it spells about as well as the best (within LESSER_LIKENESS)
# may be accepted: where the audio refuses the name the letters spell best, a lesser likeness is a guess
# ("Paroxide": paroxetine 0.89 refused, Percocet 0.83 accepted), and where both pass, the unprompted score does not
# get to pick the lesser ("Tramindal": tramadol 0.85, said, lost to Toradol 0.73 on it). Stop 37, from every check
# by ear of the voiced ACI-Bench and MTS-Dialog dev sets: those two were the only drugs it touches there.
LESSER_LIKENESS = 0.05
# A clinical term (not a drug) that would be a whole line of at most this many letters must fit the audio at least as
# well as the heard letters, each with its own prompt (``SELF_PROMPT_SLACK``); neither the unprompted audio nor a near
# spelling lets it through. Such a line is most often a listener's "mm-hmm": heard as "Inemlo." or "In M &M." it
# became "Anemia." four times in the 64 train dialogues voiced again at stop 39 and three times in valid's D2N068 (read
# when valid was reported at stop 38), each 1.3-3.5 nats behind the heard letters. Of the 479 corrections the voiced
# sets accepted, those were the only terms correcting a short line alone; a longer one ("haphothyroidism." ->
# hyperthyroidism, said) keeps every path, and so does a drug said alone ("Merlax?" -> Miralax?, an answer to "what
# do you take?").
SHORT_LINE_LETTERS = 8
# A drug written in a line of at most this many words that the visit names nowhere else is taken back at the end of
# the visit unless the heard words spell it nearly (``MISSPELLING_SIMILARITY``): see ``withdraw_lone_guesses``.
SHORT_REPLY_WORDS = 4
# A candidate must be at least this similar (0..1, sound and spelling averaged) to be checked by ear.
MIN_SIMILARITY = 0.6
# Heard pieces whose letters run this close to a one-word term spell it, even where the first piece is a
# word of its own ("neuron and": Neurontin).
SPLIT_SIMILARITY = 0.75
# Brands of five letters ("Lasix", "Advil", "Aleve") are too close to ordinary words to be targets of what
# Whisper heard as words; one heard word that is no word at all ("lassox", "adyl") is compared with them, and
# must be this alike (the medication-talk bonus included) before the audio is asked.
SHORT_NAME_LETTERS = 5
SHORT_NAME_SIMILARITY = 0.75
MAX_SPAN_WORDS = 4
# A term of several words heard with a word at one end right ("pitting in them": pitting edema, "congested part
# failure": congestive heart failure) is a candidate when the words heard in place of the rest are this alike to the
# rest of the term (``_anchored``).
ANCHORED_REST_SIMILARITY = 0.5
MAX_CANDIDATES_PER_SPAN = 3
# One unsure word that is no ordinary word is most likely a misspelt term ("sealin"): more terms are
# checked for it (with 518 targets the right one can rank sixth); a run of words is likelier ordinary
# speech, and widening those checks made more false corrections than right ones (train D2N023).
MAX_CANDIDATES_ONE_WORD = 6
MAX_TERMS_PER_SEGMENT = 8
# Drugs for a run where only a medicine fits ("taking your listen-up", "the project 20mg") kept beyond that
# limit, the most similar first: long lines of ordinary words offer eight likelier-looking terms elsewhere
# ("continue" for clonidine), and the drug said was never put to the ear ("taking your listen-up, so that's good
# okay.": lisinopril, 13.5 nats better with the name as context, was the ninth term of its line; seen on voiced
# valid D2N087, so valid's drug figures are not held out from this: docs/quality.md).
SLOT_TERMS = 3
# Heard words the recogniser was this sure of (mean word probability) are not candidates.
MAX_SPAN_CONFIDENCE = 0.65
# ... unless they stand where only a medicine fits, held at both ends (``_drug_slot``): train D2N011's "continue
# your listen up" (lisinopril) was heard at 0.54 and 0.84. Only a run surer than this is taken as heard right there.
MAX_SLOT_CONFIDENCE = 0.85
# A drug is a target only where it is followed by a dose ("list of upro from 10 mg") or said where
# medications are talked about ("Any allergies to medications?" "Yes, sealin."); there it is likely
# enough to get a similarity bonus.
CONTEXT_BONUS = 0.08
_MEDICATION_CONTEXT = set(
    """take takes taking took taken on prescribed prescription prescribe prescribing give giving gave given
    medication medications medicine medicines
    allergic allergy allergies dose dosage increase decrease continue start stop refill pharmacy taper inhaler
    injection cream ointment switch switched switching""".split()
)

# Words that are never part of a candidate: numbers, units, dosing and laterality ("numbers and units
# left alone"; a flipped side or dose would be a dangerous correction).
_PROTECTED = set(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand half
    quarter once twice thrice daily weekly monthly hourly nightly bid tid qid prn mg mgs milligram milligrams
    mcg microgram micrograms gram grams g kg kilogram kilograms ml milliliter milliliters cc unit units iu
    percent tablet tablets pill pills capsule capsules puff puffs drop drops dose doses left right bilateral
    both side sides no not never""".split()
)
_NUMBERS = set(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand half""".split()
)
# What makes a number a dose: a unit or how often it is taken.
_DOSE_UNITS = set(
    """mg mgs milligram milligrams mcg microgram micrograms gram grams g ml milliliter milliliters cc unit units iu
    tablet tablets pill pills capsule capsules puff puffs drop drops once twice daily""".split()
)
# Function words: a candidate made only of these is not worth checking ("and the", "it is").
_FUNCTION = set(
    """a an the and or but if of to in on at by for with from as is are was were be been am it its it's this
    that these those there here i you he she we they me him her us them my your his our their do does did
    so up out off over then than just very that's what's there's here's it'll i'm i've i'll i'd you're you've
    we're we've they're he's she's let's don't doesn't didn't can't won't isn't wasn't""".split()
)
# Clinical terms that are not correction targets (ordinary words, laterality, units, dosing phrases).
_NOT_TARGETS = re.compile(
    r"\b(left|right|bilateral(ly)?|unilateral|units?|milligrams?|micrograms?|daily|bedtime|needed|refill|"
    r"temperature|allergy|allergic|rash|hives|swelling|warmth|murmur|pulses|taper|titrate)\b",
    re.IGNORECASE,
)

Scorer = Callable[[Segment, list[tuple[str | None, list[str]]]], list[list[float]]]
"""``score(segment, [(term, texts), ...])``: per group, the log-probability of each text given the
segment's audio with the term as decoder context (one encoding of the audio serves every group)."""


def letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


@lru_cache(maxsize=65536)
def sound_key(text: str) -> str:
    """A coarse English sound-alike key: consonant skeleton, voiced and voiceless pairs merged.

    "lisinopril" and "list in April" give LSNPRL and LSTNPRL; "metformin" and "met for me" give
    MTFRMN and MTFRM. Vowels only count at the start (Whisper keeps the consonants of a drug name far
    more often than its vowels).
    """
    s = letters(text)
    if not s:
        return ""
    s = re.sub(r"^(kn|gn|pn|wr|ps)", lambda m: m.group(0)[1], s)
    for a, b in (("tch", "c"), ("sch", "sk"), ("ph", "f"), ("ck", "k"), ("gh", "g"), ("wh", "w")):
        s = s.replace(a, b)
    s = re.sub(r"c(?=[eiy])", "s", s)
    s = re.sub(r"g(?=[eiy])", "j", s)
    s = s.replace("ch", "X").replace("sh", "X").replace("th", "T").replace("x", "ks")
    table = str.maketrans({"c": "k", "q": "k", "b": "p", "d": "t", "g": "k", "v": "f", "z": "s", "j": "X"})
    s = s.translate(table).upper()
    first = "A" if s[0] in "AEIOUY" else ""
    body = re.sub(r"[AEIOUYWH]", "", s)
    return first + re.sub(r"(.)\1+", r"\1", body)


@dataclass(frozen=True)
class Term:
    text: str  # as the dictionary writes it: "lisinopril", "stable angina"
    kind: str  # MEDICATION or TERM
    key: str
    spelling: str  # letters only

    @classmethod
    def of(cls, text: str, kind: str) -> Term:
        return cls(text, kind, sound_key(text), letters(text))


@dataclass(frozen=True)
class Candidate:
    """Words ``first``..``last`` (inclusive) of a segment may be ``term``."""

    first: int
    last: int
    term: Term
    similarity: float
    heard: int = 0  # how many of the words name the term (the rest the number took); 0: all of them
    tail: str = ""  # the dose after the term, where the run ends on a number that took the name's end
    split: bool = False  # the heard words are the term's own letters in pieces: nothing for the ear to decide
    ordinary: bool = False  # every heard word is a word of English ("true you know", "list of uproar")
    article: bool = False  # the run begins with "the" or "their" that the term would swallow ("the courts,")
    non_word: bool = False  # a heard non-word, perhaps with a little word ("Carvedil", "clonop in"): ``_misheard``
    short_line: bool = False  # the run is the whole line, of a few letters ("Inemlo."): ``SHORT_LINE_LETTERS``
    slot: int = 0  # a drug where only a medicine fits ("taking your ___", "___ 20 mg"), how firmly: ``_drug_slot``
    dosed: bool = False  # a drug whose dose follows it straight away ("___ 20 mg", "___ to 40 milligrams"): ``_dosed``

    @property
    def words(self) -> list[str]:
        """What replaces the run: the term, and the dose the number keeps."""
        return [*self.term.text.split(), *([self.tail] if self.tail else [])]

    @property
    def drug_for_non_word(self) -> bool:
        """A drug offered for heard letters that spell no word: held to ``NEAR_SPELLING`` and ``LESSER_LIKENESS``."""
        return self.non_word and self.term.kind == MEDICATION

    @property
    def one_word(self) -> bool:
        """The term was heard as one word (perhaps with the little words a number left of its end)."""
        return (self.heard or self.last - self.first + 1) == 1


@dataclass(frozen=True)
class Correction:
    segment_id: int
    original: str  # the heard words
    replacement: str
    kind: str
    gain: float  # how much better the audio fits the term, with the term as context (nats)
    fit: float  # the term (its own context) against the heard words (their own context), nats
    bare: float = 0.0  # the term against the heard words with no context, nats
    split: bool = False  # the term's own letters heard in pieces ("metform in"), written without a check by ear


def is_target(term: str) -> bool:
    """Whether a dictionary term may replace heard words (long and specific enough to be safe, and
    never one that says "no": a correction must not turn a finding into its negation)."""
    spelled = letters(term)
    return (
        len(spelled) >= 6
        and not term.isupper()
        and not _NOT_TARGETS.search(term)
        and not re.match(r"(?i)(non|not |no |without )", term)
    )


class TermIndex:
    """Correction targets from the dictionary, searchable by sound and spelling."""

    def __init__(self, terms: Iterable[tuple[str, str]], known: Callable[[str], bool] | None = None):
        self._known = known  # names that are already right as heard (a drug the lexicon knows)
        seen: set[str] = set()
        self.terms: list[Term] = []
        self.short: list[Term] = []  # brands of five letters ("Lasix", "Advil"): targets of a non-word only
        for text, kind in terms:
            spelled = letters(text)
            if spelled in seen:
                continue
            seen.add(spelled)
            if is_target(text):
                self.terms.append(Term.of(text, kind))
            elif kind == MEDICATION and len(spelled) == SHORT_NAME_LETTERS and not text.isupper():
                self.short.append(Term.of(text, kind))
        self._keys = [t.key for t in self.terms]
        self._names = {" ".join(re.findall(r"[a-z]+", t.text.lower())) for t in self.terms}
        self._drugs = {t.spelling for t in self.terms if t.kind == MEDICATION}
        self._spelled = {t.spelling: t for t in self.terms}
        # clinical terms of several words, for runs heard with one end right (``_anchored``)
        self.multi_word = [t for t in self.terms if t.kind == TERM and len(t.text.split()) > 1]

    @classmethod
    def from_vocabulary(cls, user_files: Iterable[str] | None = None) -> TermIndex:
        """The curated medications (bundled list and the clinic's) and clinical terms as targets.

        Not the whole drug dictionary of :mod:`scribe.lexicon` (34 000 names, most of them brands from
        other countries: "a camel" would sound like one of them). (The lexicon builds on this
        package's vocabulary, so this package does not import it back: no import cycle.)
        """
        from .vocabulary import load_vocabulary

        vocab = load_vocabulary(user_files)
        return cls([*((m, MEDICATION) for m in vocab.medications), *((t, TERM) for t in vocab.terms)])

    @classmethod
    def for_settings(cls, settings) -> TermIndex:
        return cls.from_vocabulary(settings.vocabulary_files)

    def __len__(self) -> int:
        return len(self.terms)

    def is_term(self, text: str) -> bool:
        """``text`` already is a target or a drug name the lexicon knows (so it is not corrected).

        Compared word by word: "metform in" is not "metformin" (it is a split the correction mends)."""
        name = " ".join(re.findall(r"[a-z]+", text.lower()))
        return bool(name) and (name in self._names or (self._known is not None and self._known(name)))

    def spelled(self, spelling: str) -> Term | None:
        """The target spelled with exactly these letters ("metformin"), if any."""
        return self._spelled.get(spelling)

    def is_drug(self, word: str) -> bool:
        """``word`` is a medication target as heard ("lisinopril,"): a drug already named nearby."""
        return letters(word) in self._drugs or (self._known is not None and self._known(_bare(word)))

    def near(
        self, text: str, limit: int = MAX_CANDIDATES_PER_SPAN, floor: float = MIN_SIMILARITY
    ) -> list[tuple[Term, float]]:
        """Terms that sound and are spelled like ``text``, most similar first."""
        key, spelled = sound_key(text), letters(text)
        if len(key) < 2:
            return []
        hits = process.extract(
            key, self._keys, scorer=Levenshtein.normalized_similarity, score_cutoff=0.4, limit=limit * 8
        )
        out = []
        for _key, key_sim, i in hits:
            term = self.terms[i]
            sim = _likeness(key_sim, spelled, term)
            if sim is not None and sim >= floor:
                out.append((term, round(sim, 3)))
        out.sort(key=lambda x: -x[1])
        return out[:limit]

    def near_short(self, word: str) -> list[tuple[Term, float]]:
        """Five-letter brands that sound and are spelled like ``word`` ("lassox": Lasix), most similar first."""
        key, spelled = sound_key(word), letters(word)
        out = []
        for term in self.short:
            sim = _likeness(Levenshtein.normalized_similarity(key, term.key), spelled, term)
            if sim is not None:
                out.append((term, round(sim, 3)))
        return sorted(out, key=lambda x: -x[1])


def _alike(heard: str, term: Term) -> float | None:
    """:func:`_likeness` of heard words to ``term``, from their sound keys and spellings."""
    return _likeness(Levenshtein.normalized_similarity(sound_key(heard), term.key), letters(heard), term)


def _likeness(key_sim: float, spelled: str, term: Term) -> float | None:
    """How alike heard letters are to ``term``: its sound keys' likeness (``key_sim``) and the spellings', averaged;
    None where the lengths are too far apart for one to be the other."""
    if not 0.6 <= len(spelled) / len(term.spelling) <= 1.7:
        return None
    return 0.5 * key_sim + 0.5 * Indel.normalized_similarity(spelled, term.spelling)


def _bare(word: str) -> str:
    return re.sub(r"^[^\w']+|[^\w']+$", "", word.lower())


def _protected(word: str) -> bool:
    bare = _bare(word)
    return not bare or any(ch.isdigit() for ch in bare) or bare in _PROTECTED


def propose(
    words: Sequence[str],
    index: TermIndex,
    is_common: Callable[[str], bool] | None = None,
    context: Sequence[str] = (),
    confidence: Sequence[float] | None = None,
    after: Sequence[str] = (),
) -> list[Candidate]:
    """Runs of heard words that sound like a dictionary term they are not already.

    Per term only the most similar run is kept, and per segment the ``MAX_TERMS_PER_SEGMENT`` most
    similar terms. A single heard word that ``is_common`` (for Whisper: one token of its vocabulary,
    "gave", "soft", "stress") is taken as heard right: the recogniser chose a real word, and a drug
    name in its place is far likelier a false correction than a fix. A term that is itself such a
    word ("prescription", "insulin") is no target either: Whisper writes it when it hears it. A run that already contains a
    word of the term ("tender" -> "non-tender", "a stress test" -> "stress test") is not a candidate
    either: the words heard right would only be re-arranged. ``context`` are the words said just
    before (the previous segment), ``after`` the words said next (the next segment, where the stream
    has it: "NCLs." then "On the days I work out I take 5 milligrams"). A drug is a target only in
    medication talk in one of the three (taking, prescribing, giving, a dose unit or frequency, a
    drug named: ``_medication_talk``), or before a dose: Whisper's check by ear alone let "Amen,
    then." become memantine and "topics" Topamax where nobody spoke of medicines (visit10, train
    D2N015). One heard non-word spelt almost like a drug ("clopidoggle") is a candidate anyway
    (``_misspelt_name``). ``confidence`` are the recogniser's word probabilities: a run it was sure of (mean above
    ``MAX_SPAN_CONFIDENCE``) is taken as heard right ("show nice topics" is not checked against
    Topamax), which also keeps the checks by ear few.
    """
    exact = [index.is_term(w) for w in words]
    about_drugs = any(_medication_talk(w, index) for w in (*context, *words, *after))
    best: dict[str, list[Candidate]] = {}
    for i in range(len(words)):
        for j in range(i, min(len(words), i + MAX_SPAN_WORDS)):
            span = words[i : j + 1]
            if _protected(span[-1]) or any(exact[i : j + 1]):
                break
            # a sentence ends inside the span: stop growing it
            if j > i and re.search(r"[.?!]$", words[j - 1]):
                break
            bare = [_bare(w) for w in span]
            slot = _drug_slot(words, i, j, index)
            dosed = _dosed(words, j)
            runs_on = _runs_on(words, j, index)
            hits: dict[str, Candidate] = {}
            surest = MAX_SLOT_CONFIDENCE if slot == 2 or dosed else MAX_SPAN_CONFIDENCE
            for variant, heard, sure in _readings(words, i, j, index, is_common, confidence, surest, dosed):
                limit = 4 * MAX_CANDIDATES_PER_SPAN * (2 if slot else 1)  # a slot's drug may look less alike
                for term, sim in index.near(variant, limit, MIN_SIMILARITY - CONTEXT_BONUS):
                    if _shares_word(bare, term) or (is_common is not None and is_common(term.text)):
                        continue
                    if sure and term.kind != MEDICATION:
                        continue  # a non-word Whisper was sure of is checked against drug names only
                    if term.kind == TERM and j > i and 2 * sum(b in _FUNCTION for b in bare) > len(bare):
                        continue  # mostly little words: "to worry them" is no erythema, "to the tightens" no lightheadedness
                    if term.kind == MEDICATION:
                        if not (about_drugs or _dose_follows(words, j) or _misspelt_name(bare, sim, is_common)):
                            continue
                        if runs_on:
                            continue
                        sim = round(sim + CONTEXT_BONUS, 3)
                    if sim >= MIN_SIMILARITY and (term.text not in hits or sim > hits[term.text].similarity):
                        article = bare[0] in _ARTICLES and not term.spelling.startswith("th")
                        hits[term.text] = Candidate(
                            i,
                            j,
                            term,
                            sim,
                            heard,
                            ordinary=_ordinary(bare),
                            article=article,
                            non_word=_misheard(bare),
                            slot=slot if term.kind == MEDICATION else 0,
                            dosed=dosed and term.kind == MEDICATION,
                        )
                        tail = _ten_took(words, j + 1, term)
                        if tail:
                            hits[term.text + " +"] = Candidate(
                                i, j + 1, term, sim, heard or j - i + 1, tail, article=article
                            )
            short_heard = ""
            if i == j and (about_drugs or _dose_follows(words, j)) and _short_name_heard(bare[0], is_common):
                short_heard = bare[0]  # "lassox" (Lasix): no word, so no ordinary one
            elif dosed and j - i < 2 and all(_may_name_dosed(b) for b in bare):
                # before its dose, a word or two may be a short brand's sounds, English words or not
                short_heard = "".join(bare)
            if short_heard:
                for term, sim in index.near_short(short_heard):
                    sim = round(sim + CONTEXT_BONUS, 3)
                    if sim >= SHORT_NAME_SIMILARITY and term.text not in hits:
                        hits[term.text] = Candidate(i, j, term, sim, ordinary=_ordinary(bare), dosed=dosed)
            cap = MAX_CANDIDATES_ONE_WORD if i == j else MAX_CANDIDATES_PER_SPAN
            ranked_hits = sorted(hits.values(), key=lambda c: -c.similarity)
            top = ranked_hits[:cap]
            slotted = [c for c in ranked_hits if c.slot][:SLOT_TERMS]  # one span: one slot, so by likeness alone
            for cand in top + [c for c in slotted if c not in top]:
                best.setdefault(cand.term.text, []).append(cand)
    for cand in _splits(words, index, about_drugs):
        best.setdefault(cand.term.text, []).insert(0, cand)
    for cand in _anchored(words, index, confidence):
        best.setdefault(cand.term.text, []).append(cand)
    ranked = []
    for spans in best.values():
        spans.sort(key=lambda c: -c.similarity)
        # the best run, and a close second (which words the term covers is for the audio to decide)
        ranked += [c for c in spans[:2] if c.similarity >= spans[0].similarity - 0.05]
    ranked.sort(key=lambda c: (-c.similarity, c.first))
    terms = []
    for c in ranked:
        if c.term.text not in terms:
            terms.append(c.term.text)
    keep = set(terms[:MAX_TERMS_PER_SEGMENT])
    slotted = sorted((c for c in ranked if c.slot), key=lambda c: (-c.slot, -c.similarity))
    keep.update(list(dict.fromkeys(c.term.text for c in slotted))[:SLOT_TERMS])
    short = len(letters("".join(words))) <= SHORT_LINE_LETTERS  # the line is the run when the run is all of it
    whole = (0, len(words) - 1)
    return [replace(c, short_line=short and (c.first, c.last) == whole) for c in ranked if c.term.text in keep]


def _splits(words: Sequence[str], index: TermIndex, about_drugs: bool) -> list[Candidate]:
    """Runs of two or three heard words that are a term's own letters in pieces, one of them no word ("metform
    in"), or those letters and a little word the name's end ran into ("metform into 1000": "metformin to").

    The sounds are the same either way, so a check by ear would only weigh the decoder's taste for its own pieces
    against the name (on train D2N013 it kept "metform in"), and the recogniser's confidence in its pieces says
    nothing either (train D2N004, D2N040: "metform into", 0.71). Such a run is a candidate however sure the
    recogniser was, and is written without the check (``Candidate.split``)."""
    out = []
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + 3)):
            span = [_bare(w) for w in words[i : j + 1]]
            if any(_protected(w) for w in words[i : j + 1]) or not any(_non_word(b) for b in span):
                continue
            joined = letters("".join(span))
            for cut in range(len(joined), max(len(joined) - 4, 0), -1):
                rest = joined[cut:]
                if rest and (rest not in _FUNCTION or len(letters(span[-1])) <= len(rest)):
                    continue
                term = index.spelled(joined[:cut])
                if term is None or (term.kind == MEDICATION and not (about_drugs or _dose_follows(words, j))):
                    continue
                out.append(Candidate(i, j, term, 1.0 + CONTEXT_BONUS, tail=rest, split=True))
                break
    return out


def _anchored(words: Sequence[str], index: TermIndex, confidence: Sequence[float] | None) -> list[Candidate]:
    """Runs that are a clinical term of several words with the words at one end heard right and the rest heard as
    other words ("pitting in them": pitting edema; "congested part failure": congestive heart failure; "thyroid
    pound": thyroid panel).

    :func:`propose` passes over a run that holds a word of the term (the words heard right would only be
    re-arranged), and over one ordinary word the recogniser chose: so a term's word misheard as another word stayed.
    Here the words heard right are the anchor: the run must keep them in place, the words heard instead of the rest
    must be no word of the term, must sound and be spelt like the rest (``ANCHORED_REST_SIMILARITY``) and must not be
    words the recogniser was sure of (``MAX_SPAN_CONFIDENCE``). Whether the audio is the term is for the ear."""
    out = []
    bare = [_bare(w) for w in words]
    heard = set(bare)
    for term in index.multi_word:
        parts = term.text.lower().split()
        if parts[0] not in heard and parts[-1] not in heard:
            continue  # no end of it heard: nothing to anchor the run
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + MAX_SPAN_WORDS)):
                span = bare[i : j + 1]
                if any(_protected(w) for w in words[i : j + 1]) or any(re.search(r"[.?!]$", w) for w in words[i:j]):
                    break
                ends = min(len(span), len(parts))
                head = next((k for k, (h, p) in enumerate(zip(span, parts)) if h != p), ends)
                tail = next((k for k, (h, p) in enumerate(zip(span[::-1], parts[::-1])) if h != p), ends)
                if not head and not tail:
                    continue  # no end of the term heard right
                rest, rest_term = span[head : len(span) - tail], parts[head : len(parts) - tail]
                if not rest or not rest_term or any(h in parts for h in rest):
                    continue
                sure = (
                    confidence is not None
                    and sum(confidence[i + head : j + 1 - tail]) / len(rest) > MAX_SPAN_CONFIDENCE
                )
                if sure:
                    continue
                rest_sim = _alike(" ".join(rest), Term.of(" ".join(rest_term), term.kind))
                sim = _alike(" ".join(span), term)
                if rest_sim is None or sim is None or rest_sim < ANCHORED_REST_SIMILARITY or sim < MIN_SIMILARITY:
                    continue
                out.append(Candidate(i, j, term, round(sim, 3), ordinary=_ordinary(span)))
    return out


def _readings(
    words: Sequence[str],
    i: int,
    j: int,
    index: TermIndex,
    is_common: Callable[[str], bool] | None,
    confidence: Sequence[float] | None,
    surest: float = MAX_SPAN_CONFIDENCE,
    dosed: bool = False,
) -> list[tuple[str, int, bool]]:
    """How heard words ``i``..``j`` are compared with the terms, each with how many of them name the
    term (0: all) and whether the recogniser was sure of them (then only a non-word, for drug names).

    As heard, and without the little words inside (Whisper splits a rare word around them: "list of
    upro"). Right before a number also without the little words at the end: in "melexic and 50
    milligrams" (meloxicam fifteen) the number took the end of the name and left "and"; the run
    still covers it. A run Whisper was sure of (above ``surest``), or one ordinary word, is taken as heard right,
    except one word right before its dose (``dosed``: "the project 20mg a day", Prozac): it is checked against drug
    names only.
    """
    bare = [_bare(w) for w in words[i : j + 1]]
    text = " ".join(bare)
    if all(b in _FUNCTION for b in bare) or index.is_term(text):
        return []
    out: list[tuple[str, int, bool]] = []
    for heard in _heard_lengths(bare, _number_at(words, j + 1)):
        core = bare[:heard]
        sure = confidence is not None and sum(confidence[i : i + heard]) / heard > surest
        if sure and not (heard == 1 and _non_word(core[0])):
            continue  # heard right, unless it is no word at all: Whisper can be sure of "IV-PROFIN" (ibuprofen)
        if heard == 1 and is_common is not None and is_common(core[0]):
            if dosed and heard == len(bare) and _may_name_dosed(core[0]):
                out.append((core[0], 0, True))
            continue
        inner = [b for k, b in enumerate(core) if k in (0, heard - 1) or b not in _FUNCTION]
        mark = 0 if heard == len(bare) else heard
        out += [(v, mark, sure) for v in dict.fromkeys([" ".join(core), " ".join(inner)])]
    return out


# Words that stand before a dose in their own right: what is given, how it comes, how much or how often.
_BEFORE_A_DOSE = frozenset(
    """dose doses dosage dosing tablet tablets pill pills capsule capsules strength extra about around approximately
    roughly only just maybe like another total daily weigh weighs weighed weight pounds""".split()
)


def _may_name_dosed(bare: str) -> bool:
    """A heard word right before a dose that may be a drug's sound rather than what it says (``_dosed``): no
    little word, number, unit, form or word that itself stands before a dose ("take", "tablets", "about")."""
    return (
        bare.isalpha()
        and bare not in _FUNCTION
        and bare not in _GIVES_A_DRUG
        and bare not in _BEFORE_A_DOSE
        and bare not in _FORMS
        and not _protected(bare)
    )


def _dosed(words: Sequence[str], j: int) -> bool:
    """A dose follows word ``j`` straight away or after "to", "from", "at" or "about" ("the project 20mg a day",
    "your listen up or 20 milligrams", "increase your list of nipple to 40 milligrams"); a comma may stand between
    ("so trannondal, 50 milligrams"), a full stop may not. A speaker dosing something names a drug there. A number
    with another one after it is no dose of its own: in "order last six 80 milligrams" (Lasix) it is the name's end."""
    if j + 1 >= len(words) or re.search(r"[.?!;:]$", words[j]):
        return False
    at = j + 1
    if _bare(words[at]) in ("to", "from", "at", "about") and not _ends_clause(words[at]):
        at += 1
    return _number_at(words, at) and not _number_at(words, at + 1) and _dose_follows(words, j)


def _misspelt_name(bare: Sequence[str], sim: float, is_common: Callable[[str], bool] | None) -> bool:
    """One heard word that is no word at all and is spelt and sounds almost like a drug ("clopidoggle",
    "crester"): a drug name misheard even where nobody is heard talking of medicines."""
    return (
        len(bare) == 1
        and sim >= MISSPELLING_SIMILARITY
        and _non_word(bare[0])
        and not (is_common is not None and is_common(bare[0]))
    )


def _misheard(bare: Sequence[str]) -> bool:
    """One heard non-word, alone or with one little word the name's sound ran into ("Carvedil", "clonop in",
    "a legr?"): letters that spell no word, where a name was said."""
    return len(bare) <= 2 and any(_non_word(b) for b in bare) and all(b in _FUNCTION or _non_word(b) for b in bare)


def _short_name_heard(bare: str, is_common: Callable[[str], bool] | None) -> bool:
    """One heard word that may be a five-letter brand misheard: no word of English nor of any drug name, and no
    word the recogniser knows whole ("lassox", "adyl"; not "cards", not "lactic")."""
    return len(bare) >= 4 and bare.isalpha() and _non_word(bare) and not (is_common is not None and is_common(bare))


def _ordinary(bare: Sequence[str]) -> bool:
    """Every heard word is a word of English (as far as the bundled word list knows), a contraction of one
    included ("they didn't win," is English: read letter runs alone, "didn" is not)."""
    words = english_words()
    return bool(words) and all(_english(p, words) for b in bare for p in re.findall(r"[a-z']+", b))


_CLITIC = re.compile(r"(n't|'s|'ll|'re|'ve|'d|'m)$")


def _english(word: str, words: frozenset[str]) -> bool:
    """``word`` (letters and apostrophes) is English: in the word list, a little word, or one with a clitic."""
    word = word.strip("'")
    return not word or word in words or word in _FUNCTION or _CLITIC.sub("", word) in words


def _non_word(bare: str) -> bool:
    """A heard word that is no word of English nor of any drug's name ("iv-profin", "addormaster"): a name
    misheard, however sure the recogniser was of it. A drug heard right that is no correction target ("Bumex",
    under six letters) is a word of the drug dictionary, so it is not put up against the targets."""
    words, drugs = english_words(), drug_name_words()
    return bool(words) and any(len(p) >= 4 and p not in words and p not in drugs for p in re.findall(r"[a-z]+", bare))


def _heard_lengths(bare: list[str], before_number: bool) -> list[int]:
    """The whole run, and before a number the run without its trailing little words."""
    core = len(_swallowed_end(bare)) if before_number else len(bare)
    return [len(bare)] if core == len(bare) else [len(bare), core]


def _shares_word(heard: list[str], term: Term) -> bool:
    """A heard word is a word of the term, or most of the start of one ("tender" of "tenderness", not
    "ultra" of "Ultram"); a one-word term heard in pieces ("metform in", "neuron and") does not count."""
    joined = letters("".join(heard))
    if joined == term.spelling:
        return False
    parts = re.findall(r"[a-z']+", term.text.lower())
    if len(parts) == 1 and len(heard) > 1 and Indel.normalized_similarity(joined, term.spelling) >= SPLIT_SIMILARITY:
        return False  # the name heard in pieces, its start a word of its own ("neuron and" for Neurontin)
    return any(h == p or (len(h) >= 4 and p.startswith(h) and len(p) - len(h) >= 3) for h in heard for p in parts)


def _number_at(words: Sequence[str], k: int) -> bool:
    """Word ``k`` is a number (digits or a number word)."""
    if k >= len(words):
        return False
    bare = _bare(words[k])
    return bare in _NUMBERS or bool(re.match(r"\d", bare))


def _ten_took(words: Sequence[str], k: int, term: Term) -> str:
    """The dose in word ``k`` if its leading "10" is the last syllable of ``term`` (a t or d sound, a
    vowel and n: "-tin", "-tan", "-tine", "-done"): "addormaster 1020mg" is "atorvastatin 20mg" heard
    as "atorvasta- ten twenty mg". Returns the dose without it ("20mg"), or "" if the number is no such
    run-on. The audio decides whether the reading holds (see ``correct``); the heard words stay on the
    correction."""
    if k >= len(words) or not re.search(r"[td][aeiouy]+ne?$", term.spelling):
        return ""
    core = m.group(2) if (m := _EDGES.match(words[k])) else words[k]  # without its punctuation, as written
    m = re.fullmatch(r"10([1-9]\d{0,3})([a-zA-Z]*)", core)
    return m.group(1) + m.group(2) if m else ""


def _swallowed_end(bare: list[str]) -> list[str]:
    """A run before a number without its trailing little words: in "melexic and 50 milligrams" (meloxicam
    fifteen) the number took the end of the name and left "and"; the run still covers it, the
    comparison does not."""
    out = list(bare)
    while len(out) > 1 and out[-1] in _FUNCTION:
        out.pop()
    return out


def _medication_talk(word: str, index: TermIndex) -> bool:
    """A word of medication talk: taking, prescribing, a dose unit or how often (alone or on its number,
    "1000mg"), or a drug named."""
    bare = _bare(word)
    return bare in _MEDICATION_CONTEXT or _dose_unit(bare) or index.is_drug(word)


_CLINICAL_ENDING = re.compile(r"(itis|osis|emia|algia|opathy|ectomy|otomy|ostomy|plasty|oscopy|ography|iasis)$")


def _runs_on(words: Sequence[str], j: int, index: TermIndex) -> bool:
    """The word after position ``j`` is no word, only the end of a clinical one ("tenison ofitis":
    tenosynovitis): the run is the start of that word, and no drug. Train D2N022 heard "tenison" as
    prednisone, which the visit names elsewhere, so nothing later took it back. A term of the vocabulary
    ("colonoscopy", which the English word list lacks) is a word of its own."""
    if j + 1 >= len(words):
        return False
    bare = _bare(words[j + 1])
    return bool(_CLINICAL_ENDING.search(bare)) and _non_word(bare) and not index.is_term(words[j + 1])


# What takes a medicine as its object ("taking your ___", "a refill of ___", "20 milligrams of ___"), and the
# little words that may stand between.
_GIVES_A_DRUG = frozenset(
    """take takes taking took continue continuing increase increasing decrease decreasing stop stopping start
    starting restart prescribe prescribed prescribing refill order ordered milligram milligrams mg""".split()
)
_DETERMINERS = frozenset("a an the your my his her their some of on".split())
# What one is allergic to is a medicine more often than not ("you're allergic to augmenting.": train D2N029).
_ALLERGIC = frozenset("allergic allergy allergies".split())
# How a medicine comes, right after its name: the name is held there as by a dose ("a courtesan injection":
# cortisone, train D2N032; "some ultra -empty milligrams", a unit whose number was lost: Ultram, train D2N009).
_FORMS = frozenset("injection injections shot shots cream ointment gel inhaler inhalers patch spray taper".split())


def _drug_slot(
    words: Sequence[str], i: int, j: int, index: TermIndex | None = None, line_end: int | None = None
) -> int:
    """How firmly words ``i``..``j`` stand where only a medicine fits: one for each end that is held. The start is
    held right after what takes a medicine ("taking your listen-up", "a refill of project."; at most three little
    words between, "continue on the ___"), after "allergic to" or after another drug and an "and" ("more Cialis
    and finest derived.": finasteride, train D2N023). The end is held right before a dose ("the project 20mg a
    day"), a unit or a form ("Ultram milligrams", "a cortisone injection"), before an "and" and another drug, or
    at the end of the clause when the start is held. 0: no slot. No clause may end inside the run. ``index``
    (the clinical lexicon) tells the drugs named next to the run; without it a list of drugs holds nothing.
    ``line_end``: where the line ends when ``words`` go on into the next one (read there for a dose only)."""
    if any(_ends_clause(w) for w in words[i:j]):
        return 0
    k = i - 1
    while k >= 0 and i - k <= 3 and _bare(words[k]) in _DETERMINERS and not _ends_clause(words[k]):
        k -= 1
    start = k >= 0 and _bare(words[k]) in _GIVES_A_DRUG and not _ends_clause(words[k])
    start = start or (i >= 2 and _bare(words[i - 1]) == "to" and _bare(words[i - 2]) in _ALLERGIC)
    start = start or (i >= 2 and _bare(words[i - 1]) in ("and", "or") and _names_drug(words[i - 2], index))
    at = j + 2 if j + 1 < len(words) and _bare(words[j + 1]) in ("to", "from", "at") else j + 1
    end = (_number_at(words, at) and _dose_follows(words, j)) or _form_follows(words, j)
    end = end or (
        not _ends_clause(words[j])
        and j + 2 < len(words)
        and _bare(words[j + 1]) in ("and", "or")
        and _names_drug(words[j + 2], index)
    )
    # a run ending in a little word is no name that what follows could hold: "takes all his | pills" (train D2N023)
    end = end and _bare(words[j]) not in _FUNCTION
    clause_end = start and (j + 1 == (len(words) if line_end is None else line_end) or _ends_clause(words[j]))
    return int(start) + int(end or clause_end)


def _form_follows(words: Sequence[str], j: int) -> bool:
    """Right after position ``j`` comes how a medicine is given or measured, with no number: "___ injection",
    "___ milligrams" (see ``_FORMS``); a pause between (a comma or a full stop) breaks it."""
    if j + 1 >= len(words) or _ends_clause(words[j]):
        return False
    bare = _bare(words[j + 1])
    return bare in _FORMS or (bare in _DOSE_UNITS and bare not in ("once", "twice"))


def _names_drug(word: str, index: TermIndex | None) -> bool:
    """``word`` is the name of a medicine the lexicon knows ("Cialis")."""
    term = index.spelled(letters(word)) if index is not None else None
    return term is not None and term.kind == MEDICATION


def _ends_clause(word: str) -> bool:
    return bool(re.search(r"[.?!,;:]$", word))


def _dose_unit(bare: str) -> bool:
    """A dose unit or how often, alone ("mg", "twice") or written on its number ("20mg")."""
    return bare in _DOSE_UNITS or bool(re.fullmatch(r"\d[\d.,]*[a-z]+", bare) and letters(bare) in _DOSE_UNITS)


def _dose_follows(words: Sequence[str], j: int) -> bool:
    """A dose within the three words after position ``j``: a number with a unit or a frequency after it
    ("list of upro from 10 mg", "addormaster 1020mg"); a bare number is not one ("that endol 3 carbineol")."""
    for k in range(j + 1, min(len(words), j + 4)):
        bare = _bare(words[k])
        if re.match(r"\d", bare) and _dose_unit(bare):
            return True
        if (bare in _NUMBERS or re.fullmatch(r"\d[\d.,]*", bare)) and any(
            _bare(w) in _DOSE_UNITS for w in words[k + 1 : k + 3]
        ):
            return True
    return False


_EDGES = re.compile(r"^([^\w']*)(.*?)([^\w']*)$", re.S)


def _edges(word: str) -> tuple[str, str]:
    """The punctuation before and after a word ('"Table' -> '"', 'liner.' -> '.')."""
    m = _EDGES.match(word)
    return (m.group(1), m.group(3)) if m else ("", "")


def _replace(words: Sequence[str], cand: Candidate, capitalise: bool) -> list[str]:
    first, last = words[cand.first], words[cand.last]
    lead, trail = _edges(first)[0], _edges(last)[1]
    new = cand.words
    if capitalise and new and new[0][:1].islower():
        new[0] = new[0][:1].upper() + new[0][1:]
    new[0] = lead + new[0]
    new[-1] = new[-1] + trail
    return [*words[: cand.first], *new, *words[cand.last + 1 :]]


def _corrected_words(seg: Segment, cand: Candidate, new_text: list[str]) -> list[Word]:
    """The segment's Word list with the candidate's span replaced; times spread over the span."""
    span = seg.words[cand.first : cand.last + 1]
    start, end = span[0].start, span[-1].end
    original = " ".join(w.word for w in span)
    if len(span) == 1 and span[0].original:
        original = span[0].original
    prob = round(sum(w.probability for w in span) / len(span), 4)
    out = spread_words(new_text, start, end, prob, original)
    return [*seg.words[: cand.first], *out, *seg.words[cand.last + 1 :]]


Check = tuple[float, float, float, int, Candidate]
"""``(gain, fit, bare, segment index, candidate)``: the three scores of one candidate (see ``correct``)."""


def proposals_for(
    segments: list[Segment],
    index: TermIndex,
    is_common: Callable[[str], bool] | None = None,
    context: Sequence[str] = (),
    after: Sequence[str] = (),
) -> list[tuple[int, Candidate]]:
    """Every candidate of every segment with word timings, with the segment's index (``context``: the
    words said just before the first segment, ``after``: the words said after the last)."""
    texts = [[w.word for w in s.words] for s in segments]
    return [
        (k, c)
        for k, seg in enumerate(segments)
        if seg.words
        for c in propose(
            texts[k],
            index,
            is_common,
            context=texts[k - 1] if k else context,
            confidence=[w.probability for w in seg.words],
            after=texts[k + 1] if k + 1 < len(texts) else after,
        )
    ]


def check(segments: list[Segment], proposals: list[tuple[int, Candidate]], score: Scorer) -> list[Check]:
    """Score every proposed candidate by ear, one scorer call per segment."""
    checks: list[Check] = []
    for k in sorted({k for k, _ in proposals}):
        checks += _check_segment(segments[k], k, [c for kk, c in proposals if kk == k], score)
    return checks


def _check_segment(seg: Segment, k: int, cands: list[Candidate], score: Scorer) -> list[Check]:
    words = [w.word for w in seg.words]
    by_term: dict[str, list[Candidate]] = {}
    for cand in cands:
        by_term.setdefault(cand.term.text, []).append(cand)
    spans = sorted({(c.first, c.last) for cs in by_term.values() for c in cs})
    heard = " ".join(words)
    variants = {c: " ".join(_replace(words, c, capitalise=c.first == 0)) for cs in by_term.values() for c in cs}
    requests: list[tuple[str | None, list[str]]] = [
        (term, [heard, *(variants[c] for c in cs)]) for term, cs in by_term.items()
    ]
    requests += [(" ".join(words[a : b + 1]), [heard]) for a, b in spans]
    requests += [(None, [heard, *variants.values()])]
    results = score(seg, requests)
    as_heard = {span: r[0] for span, r in zip(spans, results[len(by_term) : len(by_term) + len(spans)])}
    no_prompt = dict(zip(variants, (s - results[-1][0] for s in results[-1][1:])))
    out: list[Check] = []
    for cs, scores in zip(by_term.values(), results):
        for c, s in zip(cs, scores[1:]):
            out.append((s - scores[0], s - as_heard[(c.first, c.last)], no_prompt[c], k, c))
    return out


def accepted(gain: float, fit: float, bare: float, cand: Candidate, margin: float, slack: float) -> bool:
    """Whether the audio fits the term better than the heard words (see the thresholds above)."""
    if cand.drug_for_non_word and cand.similarity >= NEAR_SPELLING:
        return gain > -NEAR_SPELLING_DOUBT
    if gain <= margin:
        return False
    if bare < -UNPROMPTED_DOUBT and (cand.similarity < WEAK_LIKENESS or cand.ordinary) and cand.slot < 2:
        return False  # a slot held at both ends is itself the doubt's answer: "continue your listen up" is a drug
    if cand.article and bare < 0:
        return False  # "the courts," -> cortisone: a "the" the recogniser heard, and no agreement without a prompt
    if cand.short_line and cand.term.kind == TERM and fit < -slack:
        return False  # "Inemlo." (a listener's "mm-hmm") is no "Anemia.": see SHORT_LINE_LETTERS
    misspelt = cand.one_word and cand.similarity >= MISSPELLING_SIMILARITY
    if cand.dosed and fit >= -DOSE_SLACK:
        return True
    return fit >= -slack or (bare > NO_PROMPT_GAIN and fit >= -WIDE_SLACK) or misspelt


def choose(checks: list[Check], margin: float, slack: float) -> dict[int, list[Check]]:
    """The accepted candidates per segment, no two overlapping; where accepted ones overlap, the one the
    audio prefers with no prompt wins. A heard non-word is only the drugs it spells about as well as the best
    (``LESSER_LIKENESS``). Each gain is measured under its own term's prompt, so gains of
    different terms do not compare; the unprompted scores do ("Prignisone": prednisone −0.4 nats,
    prednisolone −11.2, although prednisolone's own prompt gained more)."""
    spelt_best: dict[tuple[int, int, int], float] = {}
    for *_, k, cand in checks:
        if cand.drug_for_non_word:
            at = (k, cand.first, cand.last)
            spelt_best[at] = max(spelt_best.get(at, 0.0), cand.similarity)
    chosen: dict[int, list[Check]] = {}
    for gain, fit, bare, k, cand in sorted(checks, key=lambda g: (-g[2], -g[0])):
        if not accepted(gain, fit, bare, cand, margin, slack):
            continue
        if cand.drug_for_non_word and cand.similarity < spelt_best[(k, cand.first, cand.last)] - LESSER_LIKENESS:
            continue  # a lesser likeness of a heard non-word than another drug, refused or not
        taken = chosen.setdefault(k, [])
        if any(_overlap(cand, c) for *_, c in taken):
            continue
        taken.append((gain, fit, bare, k, cand))
    return chosen


def correct(
    segments: list[Segment],
    index: TermIndex,
    score: Scorer,
    margin: float = DEFAULT_MARGIN,
    is_common: Callable[[str], bool] | None = None,
    slack: float = SELF_PROMPT_SLACK,
    context: Sequence[str] = (),
    after: Sequence[str] = (),
) -> tuple[list[Segment], list[Correction]]:
    """Replace heard words by dictionary terms where they sound alike and the audio agrees.

    Each segment with candidates is checked on its own audio: its text as heard against its text with
    each candidate term in place: with the term as decoder context, each with its own words as
    context, and with none (see ``DEFAULT_MARGIN``, ``SELF_PROMPT_SLACK`` and ``NO_PROMPT_GAIN``).
    Segments without word timings are left alone. A drug is a target only where medicines are talked
    about (see ``propose``): in a segment, the one before or the one after; for the first segment
    ``context`` are the words said just before and for the last ``after`` the words said next (a
    stream committing a segment at a time passes its last final segment and the next one it has
    decoded but not yet committed). Returns the segments (corrected ones copied) and what was changed.
    """
    proposals = proposals_for(segments, index, is_common, context, after)
    if not proposals:
        return segments, []
    splits: dict[int, list[Check]] = {}
    for k, c in sorted(proposals, key=lambda p: -p[1].similarity):
        if c.split and not any(_overlap(c, other) for *_, other in splits.get(k, [])):
            splits.setdefault(k, []).append((0.0, 0.0, 0.0, k, c))
    rest = [(k, c) for k, c in proposals if not any(_overlap(c, other) for *_, other in splits.get(k, []))]
    chosen = choose(check(segments, rest, score), margin, slack) if rest else {}
    for k, picks in splits.items():
        chosen.setdefault(k, []).extend(picks)
    return apply(segments, chosen)


def retext(text: str, words: Sequence[str], first: int, last: int, new: Sequence[str]) -> str:
    """``text`` (a segment's, as the recogniser wrote it) with its words ``first``..``last`` replaced by ``new``, the
    rest kept as written: the words are stored without the recogniser's spacing, so joining them again would make
    "10-20 milligrams" elsewhere in the line "10 -20 milligrams" (the demo at stop 45). Where the words cannot be found
    in order in ``text``, it is the words joined by spaces."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for word in words:
        lead = r"(?<!\w)" if word[:1].isalnum() else ""
        tail = r"(?!\w)" if word[-1:].isalnum() else ""
        m = re.compile(lead + re.escape(word) + tail).search(text, pos)
        if m is None or text[pos : m.start()].strip():
            return " ".join([*words[:first], *new, *words[last + 1 :]])
        spans.append(m.span())
        pos = m.end()
    return text[: spans[first][0]] + " ".join(new) + text[spans[last][1] :]


def _overlap(a: Candidate, b: Candidate) -> bool:
    return not (a.last < b.first or a.first > b.last)


def apply(segments: list[Segment], chosen: dict[int, list[Check]]) -> tuple[list[Segment], list[Correction]]:
    """Write the chosen corrections into copies of their segments, keeping the heard words."""
    out = list(segments)
    changes: list[Correction] = []
    for k, picks in chosen.items():
        seg = segments[k]
        # apply right to left so earlier word indices stay valid
        for gain, fit, bare, _k, cand in sorted(picks, key=lambda p: -p[4].first):
            words = [w.word for w in seg.words]
            new_words = _replace(words, cand, capitalise=cand.first == 0)
            new_text = new_words[cand.first : cand.first + len(cand.words)]
            original = " ".join(words[cand.first : cand.last + 1])
            text = retext(seg.text, words, cand.first, cand.last, new_text)
            seg = seg.model_copy(update={"words": _corrected_words(seg, cand, new_text), "text": text})
            changes.append(
                Correction(
                    seg.id,
                    original,
                    " ".join(new_text),
                    cand.term.kind,
                    round(gain, 2),
                    round(fit, 2),
                    round(bare, 2),
                    split=cand.split,
                )
            )
        out[k] = seg
    return out, changes


@dataclass(frozen=True)
class Withdrawal:
    """A drug correction taken back at the end of the visit (the heard words restored)."""

    segment_id: int
    original: str  # the heard words, now back in the transcript
    replacement: str  # the drug the correction had written
    start: float = 0.0  # when the words were said (seconds into the recording)


def withdraw_lone_guesses(segments: Sequence[Segment], index: TermIndex) -> tuple[list[Segment], list[Withdrawal]]:
    """Take back drug corrections that the rest of the visit does not bear out.

    A correction is made a segment at a time, when the visit's later talk is not yet heard. Once the
    visit is over, a drug written in place of a run of ordinary English words ("on the northwest" ->
    Entresto, "finding so -let's" -> fentanyl, "they're starting" -> permethrin) where the visit names
    that drug nowhere else is withdrawn: the heard words come back. A drug said is rarely said once
    while the recogniser hears plain words for it; a drug talked into words that were plain speech
    is. On every voiced set up to stop 35 (in-sample for this rule), all 17 drugs the correction
    invented were the visit's only mention of that drug, 9 of them from plain words; of 101 right
    corrections 5 were such (Cesar -> Cozaar, "top -row" -> Toprol). A heard non-word ("Norrisc," ->
    Norvasc) is kept: no speaker says it, so the name it stands for is likelier than not. So is a
    drug with a dose said right after it ("increase your list in April from 10mg to 20mg", the bundled
    sample's only lisinopril the recogniser got near): a speaker dosing it names a drug (stop 36: of
    the lone corrections from plain words on every voiced set, 6 right ones and 1 false had a dose). So is a
    drug where nothing but a medicine fits, held at both ends (``_drug_slot``: "continue your listen up" ->
    lisinopril, train D2N011, whose dose came in the next line), and one with a form or a unit right after it
    ("a cortisone injection", "Ultram milligrams"). A dose or unit the recogniser put at the start of the next
    line, with no pause and no full stop between, is this line's (``_carried_on``: "your Toprol 50" | "milligrams
    daily"). With the slot's holds added at stop 44 these kept 6 right drugs on voiced train (in-sample: they were
    read from its withdrawals) and no false one; valid did not move (docs/quality.md, "Stop 44").

    A drug in a line of a few words (``SHORT_REPLY_WORDS``) is held to more: there the ear check has little speech
    around the name to weigh, and a listener's "mm-hmm" heard as "And then lumb." passed as denosumab (17 nats
    gained) on voiced valid D2N070 and train D2N015, "Alrighty that sounds good." as Aldactone on train D2N025.
    Such a lone guess is withdrawn whatever the heard words were, unless they spell the drug nearly
    (``MISSPELLING_SIMILARITY``: "Merlax?" -> Miralax?, an answer to "what do you take?") or a slot holds it at
    both ends (train D2N007's dictated "Hey, Dragon, order a project." -> Prozac). On the voiced
    sets up to stop 41 (in-sample: the rule was made from them) those three were every lone drug in a short
    line; each of the short lines with a right drug named it again or spelt it nearly.
    """
    groups: list[tuple[int, int, int, Term]] = []  # (segment index, first word, last word, drug)
    for k, seg in enumerate(segments):
        # the line's words, and the next line's first ones where it goes on with no pause: read for a dose only
        reach = [w.word for w in seg.words] + _carried_on(seg, segments[k + 1] if k + 1 < len(segments) else None)
        i = 0
        while i < len(seg.words):
            original = seg.words[i].original
            if original is None:
                i += 1
                continue
            j = i
            while j + 1 < len(seg.words) and seg.words[j + 1].original == original:
                j += 1
            term, named = _drug_written(seg.words[i : j + 1], index)
            said_as = [_bare(w) for w in original.split()]
            if term is not None:
                short = _short_reply_guess(seg, said_as, term)
                last = i + named - 1
                if (
                    (_ordinary(said_as) or short)
                    and not (_dose_follows(reach, last) or _form_follows(reach, last))
                    and _drug_slot(reach, i, last, index, line_end=len(seg.words)) < 2
                ):
                    groups.append((k, i, j, term))
            i = j + 1
    if not groups:
        return list(segments), []
    out = list(segments)
    withdrawn: list[Withdrawal] = []
    for k, i, j, term in reversed(groups):  # right to left: earlier word indices stay valid
        if _mentions(segments, term, skip=(k, i, j)):
            continue
        seg = out[k]
        words = seg.words
        heard = words[i].original or ""
        restored = spread_words(heard.split(), words[i].start, words[j].end, words[i].probability)
        new_words = [*words[:i], *restored, *words[j + 1 :]]
        text = retext(seg.text, [w.word for w in words], i, j, heard.split())
        out[k] = seg.model_copy(update={"words": new_words, "text": text})
        withdrawn.append(Withdrawal(seg.id, heard, " ".join(w.word for w in words[i : j + 1]), words[i].start))
    withdrawn.reverse()
    return out, withdrawn


def _carried_on(seg: Segment, following: Segment | None) -> list[str]:
    """The first words of the next segment when it goes on with no pause from ``seg`` and ``seg`` ends with no
    full stop: where a line was cut inside "your top -row 50 | milligrams daily" (Toprol, train D2N008)."""
    if following is None or not seg.words or not following.words or re.search(r"[.?!]$", seg.words[-1].word):
        return []
    if following.words[0].start - seg.words[-1].end > 0.5:
        return []
    return [w.word for w in following.words[:3]]


def _short_reply_guess(seg: Segment, heard: list[str], term: Term) -> bool:
    """A drug written in a line of a few words (``SHORT_REPLY_WORDS``) over heard words that do not spell it nearly
    (``MISSPELLING_SIMILARITY``): "And then lumb." -> denosumab, not "Merlax?" -> Miralax? nor "Lipi tor." ->
    Lipitor."""
    if len(seg.words) > SHORT_REPLY_WORDS:
        return False
    sim = _alike(" ".join(heard), term)
    return sim is None or sim < MISSPELLING_SIMILARITY


def _drug_written(words: Sequence[Word], index: TermIndex) -> tuple[Term | None, int]:
    """The medication target corrected words spell, a dose kept after it aside ("lisinopril 20mg"), and how
    many of the words name it."""
    for n in range(len(words), 0, -1):
        term = index.spelled(letters(" ".join(w.word for w in words[:n])))
        if term is not None:
            return (term if term.kind == MEDICATION else None), n
    return None, len(words)


def _mentions(segments: Sequence[Segment], term: Term, skip: tuple[int, int, int]) -> bool:
    """The visit names ``term`` anywhere but words ``skip`` (segment index, first and last word): as its own
    words, or written in one piece more ("Entre sto")."""
    width = len(term.text.split())
    for k, seg in enumerate(segments):
        for i in range(len(seg.words)):
            if k == skip[0] and skip[1] <= i <= skip[2]:
                continue
            for n in range(1, width + 2):
                if i + n > len(seg.words) or (k == skip[0] and i < skip[1] <= i + n - 1):
                    break
                if letters(" ".join(w.word for w in seg.words[i : i + n])) == term.spelling:
                    return True
    return False


def spread_words(
    texts: Sequence[str], start: float, end: float, probability: float, original: str | None = None
) -> list[Word]:
    """Words ``texts`` over ``start``..``end``, each its share of the time by length."""
    weights = [max(1, len(t)) for t in texts]
    total, out, t = sum(weights), [], start
    for text, weight in zip(texts, weights):
        t_end = round(t + (end - start) * weight / total, 3)
        out.append(Word(start=round(t, 3), end=t_end, word=text, probability=probability, original=original))
        t = t_end
    return out
